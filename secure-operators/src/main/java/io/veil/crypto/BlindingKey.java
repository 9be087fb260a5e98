package io.veil.crypto;

/**
 * A 32-byte X25519 scalar used to blind PSI elements (RFC 7748 clamping applies when used). Derived
 * per job from the {@link PartySecret}; never serialised, logged or sent. Immutable.
 */
public final class BlindingKey {
  public static final int KEY_BYTES = 32;
  private final byte[] scalar;

  private BlindingKey(byte[] scalar) {
    this.scalar = scalar;
  }

  public static BlindingKey fromBytes(byte[] scalar32) {
    if (scalar32 == null || scalar32.length != KEY_BYTES) {
      throw new IllegalArgumentException("X25519 scalar must be 32 bytes");
    }
    return new BlindingKey(scalar32.clone());
  }

  /** The raw scalar, for the crypto core only. Callers must not keep or copy it elsewhere. */
  byte[] scalar() {
    return scalar;
  }

  @Override
  public String toString() {
    return "BlindingKey(***)";
  }
}
