package io.veil;

/**
 * A peer sent something the protocol does not allow (bad signature, wrong binding, invalid point,
 * wrong count) or aborted. Names the peer and the protocol step.
 */
public class ProtocolException extends VeilException {
  private static final long serialVersionUID = 1L;
  private final String peer;
  private final String step;

  public ProtocolException(String peer, String step, String message) {
    super(message);
    this.peer = peer;
    this.step = step;
  }

  public ProtocolException(String peer, String step, String message, Throwable cause) {
    super(message, cause);
    this.peer = peer;
    this.step = step;
  }

  /** Id of the party that sent the offending message. */
  public String peer() {
    return peer;
  }

  /** Protocol step (for example {@code approval} or {@code blind-1}) in which it happened. */
  public String step() {
    return step;
  }
}
