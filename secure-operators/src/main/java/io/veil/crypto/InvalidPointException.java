package io.veil.crypto;

import io.veil.VeilException;

/**
 * A curve25519 point received from a peer failed validation (see {@link
 * PsiCipher#blindPeerPoint}). The message says why, never what the point was; the caller wraps it
 * in a {@link io.veil.ProtocolException} naming the peer and the protocol step.
 */
public final class InvalidPointException extends VeilException {
  private static final long serialVersionUID = 1L;

  /** Why a point was rejected. */
  public enum Reason {
    /** The top bit is set, or the value is not below p = 2^255 - 19. */
    NON_CANONICAL("it is not a canonical u-coordinate (32 bytes little-endian, below 2^255 - 19)"),
    /** u^3 + 486662 u^2 + u is not a square: the point is on the quadratic twist. */
    NOT_ON_CURVE("it is on the quadratic twist of curve25519, not on the curve"),
    /** The point has order 1, 2, 4 or 8. */
    SMALL_ORDER("it is a point of small order (1, 2, 4 or 8)"),
    /** X25519 gave the all-zero output. */
    ZERO_RESULT("blinding it gave the all-zero output");

    private final String explanation;

    Reason(String explanation) {
      this.explanation = explanation;
    }

    /** Human-readable reason, without any point data. */
    public String explanation() {
      return explanation;
    }
  }

  private final Reason reason;
  private final int index;

  /**
   * @param reason why the point was rejected
   * @param index position of the point in a batch, or -1 for a single point
   */
  public InvalidPointException(Reason reason, int index) {
    super(
        "Cannot blind the peer's point" + (index >= 0 ? " at index " + index : "") + ": "
            + reason.explanation() + ". The peer sent malformed or malicious data; abort the job "
            + "and check that both parties run the same Veil protocol version.");
    this.reason = reason;
    this.index = index;
  }

  public Reason reason() {
    return reason;
  }

  /** Index of the rejected point within its batch, or -1 if it was a single point. */
  public int index() {
    return index;
  }
}
