package io.veil.crypto.internal;

/**
 * edwards25519 by libsodium's {@code crypto_scalarmult_ed25519_*_noclamp} and {@code
 * crypto_core_ed25519_*} functions, called through a JNA direct mapping ({@link Libsodium}). Use
 * only when {@link Libsodium#edwardsAvailable()}.
 *
 * <p>libsodium 1.0.18's {@code crypto_core_ed25519_is_valid_point} and {@code
 * crypto_scalarmult_ed25519_noclamp} refuse non-canonical and small-order encodings and points off
 * the curve, but accept a point with a small-order component (mixed order; Ed25519GroupTest shows
 * it). {@link #isValid} therefore also checks l P = O, with one more multiplication, which
 * libsodium reports by returning -1 for an identity product.
 */
final class SodiumEd25519Group implements Ed25519Group {
  static final SodiumEd25519Group INSTANCE = new SodiumEd25519Group();

  private static final byte[] ORDER = Field25519.toLittleEndian32(Ed25519Points.ORDER);

  private SodiumEd25519Group() {
    Libsodium.isAvailable(); // runs the loader, which registers the native methods
  }

  @Override
  public byte[] baseMul(byte[] scalar) {
    byte[] q = new byte[BYTES];
    if (Libsodium.Edwards.crypto_scalarmult_ed25519_base_noclamp(q, scalar) != 0) {
      throw new IllegalArgumentException("the scalar is zero modulo the group order");
    }
    return q;
  }

  @Override
  public byte[] mul(byte[] scalar, byte[] point) {
    byte[] q = new byte[BYTES];
    if (point.length != BYTES || Libsodium.Edwards.crypto_scalarmult_ed25519_noclamp(q, scalar, point) != 0) {
      throw new IllegalArgumentException("not a valid point of edwards25519, or a zero scalar");
    }
    return q;
  }

  @Override
  public boolean isValid(byte[] point) {
    if (point.length != BYTES || Libsodium.Edwards.crypto_core_ed25519_is_valid_point(point) != 1) {
      return false;
    }
    byte[] lP = new byte[BYTES];
    return Libsodium.Edwards.crypto_scalarmult_ed25519_noclamp(lP, ORDER, point) != 0; // -1: l P is the identity
  }

  @Override
  public byte[] add(byte[] p, byte[] q) {
    return core(Libsodium.Edwards::crypto_core_ed25519_add, p, q);
  }

  @Override
  public byte[] sub(byte[] p, byte[] q) {
    return core(Libsodium.Edwards::crypto_core_ed25519_sub, p, q);
  }

  /** A {@code crypto_core_ed25519_*} function of two points: writes r, returns 0 or -1. */
  private interface Core {
    int apply(byte[] r, byte[] p, byte[] q);
  }

  private static byte[] core(Core op, byte[] p, byte[] q) {
    byte[] r = new byte[BYTES];
    if (op.apply(r, p, q) != 0) {
      throw new IllegalArgumentException("not a point of edwards25519");
    }
    return r;
  }

  @Override
  public String name() {
    return "native-libsodium";
  }

  @Override
  public String toString() {
    return name();
  }
}
