package io.veil.crypto.ot;

import io.veil.VeilException;

/**
 * A message received from the peer in an oblivious-transfer step ({@link BaseOt}, {@link KkrtOprf})
 * failed validation: wrong length, or a point that is not a valid element of curve25519's
 * prime-order subgroup. The message says what was wrong and where, never the bytes themselves; the
 * caller wraps it in a {@link io.veil.ProtocolException} naming the peer and the protocol step.
 */
public final class InvalidOtMessageException extends VeilException {
  private static final long serialVersionUID = 1L;

  InvalidOtMessageException(String what, String why) {
    super(
        "Cannot " + what + ": " + why + ". The peer sent malformed or malicious data; abort the job and "
            + "check that both parties run the same Veil protocol version.");
  }
}
