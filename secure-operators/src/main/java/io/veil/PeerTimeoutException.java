package io.veil;

/** A peer did not send an expected message in time. Names the peer and what was awaited. */
public class PeerTimeoutException extends VeilException {
  private static final long serialVersionUID = 1L;
  private final String peer;

  public PeerTimeoutException(String peer, String message) {
    super(message);
    this.peer = peer;
  }

  public String peer() {
    return peer;
  }
}
