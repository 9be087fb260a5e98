package io.veil.channel;

import io.veil.ProtocolException;

/** A peer aborted the job (its abort message was read on the control log); names the peer and the step. */
public final class PeerAbortedException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  public PeerAbortedException(String peer, String step, String message) {
    super(peer, step, message);
  }
}
