package io.veil.crypto.internal;

import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * edwards25519 in pure Java: RFC 8032 encodings mapped onto BouncyCastle's Weierstrass model of
 * curve25519 ({@link Ed25519Points}), where the arithmetic is done. Not constant time (BouncyCastle's
 * variable-base multiplication uses wNAF); the fallback where libsodium cannot load.
 */
final class JavaEd25519Group implements Ed25519Group {
  static final JavaEd25519Group INSTANCE = new JavaEd25519Group();

  /** The base point B: y = 4/5 with x even (RFC 8032 section 5.1). */
  private static final ECPoint BASE =
      Ed25519Points.decode(org.bouncycastle.util.encoders.Hex.decode("5866666666666666666666666666666666666666666666666666666666666666"));

  private JavaEd25519Group() {}

  @Override
  public byte[] baseMul(byte[] scalar) {
    return Ed25519Points.encode(new FixedPointCombMultiplier().multiply(BASE, Ed25519Points.fromLittleEndian(scalar)));
  }

  @Override
  public byte[] mul(byte[] scalar, byte[] point) {
    return Ed25519Points.encode(decodeAny(point).multiply(Ed25519Points.fromLittleEndian(scalar)));
  }

  @Override
  public boolean isValid(byte[] point) {
    return Ed25519Points.invalidReason(point) == null;
  }

  @Override
  public byte[] add(byte[] p, byte[] q) {
    return Ed25519Points.encode(decodeAny(p).add(decodeAny(q)));
  }

  @Override
  public byte[] sub(byte[] p, byte[] q) {
    return Ed25519Points.encode(decodeAny(p).subtract(decodeAny(q)));
  }

  private static ECPoint decodeAny(byte[] enc) {
    ECPoint p = Ed25519Points.decodeResult(enc);
    if (p == null) {
      throw new IllegalArgumentException("not a point of edwards25519, or one of small order");
    }
    return p;
  }

  @Override
  public String name() {
    return "java-bouncycastle";
  }

  @Override
  public String toString() {
    return name();
  }
}
