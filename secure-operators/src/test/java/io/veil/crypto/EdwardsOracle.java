package io.veil.crypto;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.util.encoders.Hex;

/**
 * Slow, obviously-correct affine BigInteger arithmetic on edwards25519 (-x^2 + y^2 = 1 + d x^2 y^2
 * over p = 2^255 - 19, RFC 8032 section 5.1), independent of the code under test. Points are
 * {x, y}; the unified addition law is complete on this curve. For test oracles only.
 */
public final class EdwardsOracle {
  public static final BigInteger P = MontgomeryOracle.P;
  public static final BigInteger L = MontgomeryOracle.L;
  public static final BigInteger D =
      BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
  public static final BigInteger[] IDENTITY = {BigInteger.ZERO, BigInteger.ONE};
  /** The base point: y = 4/5, x even. */
  public static final BigInteger[] BASE = decode(Hex.decode(
      "5866666666666666666666666666666666666666666666666666666666666666"));

  private EdwardsOracle() {}

  public static BigInteger[] add(BigInteger[] a, BigInteger[] b) {
    BigInteger t = D.multiply(a[0]).multiply(b[0]).multiply(a[1]).multiply(b[1]).mod(P);
    BigInteger x = a[0].multiply(b[1]).add(a[1].multiply(b[0])).multiply(BigInteger.ONE.add(t).modInverse(P)).mod(P);
    BigInteger y = a[1].multiply(b[1]).add(a[0].multiply(b[0])).multiply(BigInteger.ONE.subtract(t).modInverse(P)).mod(P);
    return new BigInteger[] {x, y};
  }

  /**
   * The point of RFC 7748's Montgomery curve (u, v) on edwards25519: y = (u - 1) / (u + 1), x = c u
   * / v for a fixed square root c of -486664 (section 4.1); (0, 0) maps to (0, -1).
   */
  public static BigInteger[] fromMontgomery(BigInteger u, BigInteger v) {
    if (v.signum() == 0) {
      return new BigInteger[] {BigInteger.ZERO, P.subtract(BigInteger.ONE)};
    }
    BigInteger minus486664 = BigInteger.valueOf(-486664).mod(P);
    BigInteger c = minus486664.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
    if (!c.multiply(c).mod(P).equals(minus486664)) {
      c = c.multiply(BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P)).mod(P);
    }
    BigInteger x = c.multiply(u).multiply(v.modInverse(P)).mod(P);
    BigInteger y = u.subtract(BigInteger.ONE).multiply(u.add(BigInteger.ONE).modInverse(P)).mod(P);
    return new BigInteger[] {x, y};
  }

  public static BigInteger[] negate(BigInteger[] a) {
    return new BigInteger[] {P.subtract(a[0]).mod(P), a[1]};
  }

  /** n a by double-and-add (n >= 0). */
  public static BigInteger[] mul(BigInteger n, BigInteger[] a) {
    BigInteger[] r = IDENTITY;
    for (int i = n.bitLength() - 1; i >= 0; i--) {
      r = add(r, r);
      if (n.testBit(i)) {
        r = add(r, a);
      }
    }
    return r;
  }

  public static boolean isIdentity(BigInteger[] a) {
    return a[0].signum() == 0 && a[1].equals(BigInteger.ONE);
  }

  public static boolean onCurve(BigInteger x, BigInteger y) {
    BigInteger x2 = x.multiply(x);
    BigInteger y2 = y.multiply(y);
    return y2.subtract(x2).subtract(BigInteger.ONE).subtract(D.multiply(x2).multiply(y2)).mod(P).signum() == 0;
  }

  /** RFC 8032 encoding: y little-endian, the low bit of x in the top bit. */
  public static byte[] encode(BigInteger[] a) {
    byte[] out = new byte[32];
    for (int i = 0; i < 32; i++) {
      out[i] = a[1].shiftRight(8 * i).byteValue();
    }
    if (a[0].testBit(0)) {
      out[31] |= (byte) 0x80;
    }
    return out;
  }

  /** RFC 8032 decoding (section 5.1.3), or null if there is no such point or y is not canonical. */
  public static BigInteger[] decode(byte[] enc) {
    byte[] le = enc.clone();
    boolean sign = (le[31] & 0x80) != 0;
    le[31] &= 0x7F;
    BigInteger y = VectorFiles.littleEndianToBigInteger(le, 0);
    if (y.compareTo(P) >= 0) {
      return null;
    }
    BigInteger y2 = y.multiply(y).mod(P);
    BigInteger x2 = y2.subtract(BigInteger.ONE).multiply(D.multiply(y2).add(BigInteger.ONE).modInverse(P)).mod(P);
    BigInteger x = x2.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
    if (!x.multiply(x).mod(P).equals(x2)) {
      x = x.multiply(BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P)).mod(P);
    }
    if (!x.multiply(x).mod(P).equals(x2) || (x.signum() == 0 && sign)) {
      return null;
    }
    if (x.testBit(0) != sign) {
      x = P.subtract(x);
    }
    return new BigInteger[] {x, y};
  }

  /** The eight points of order dividing 8 (the identity, order 2, two of order 4, four of order 8). */
  public static final List<byte[]> SMALL_ORDER =
      List.of(
          Hex.decode("0100000000000000000000000000000000000000000000000000000000000000"),
          Hex.decode("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
          Hex.decode("0000000000000000000000000000000000000000000000000000000000000000"),
          Hex.decode("0000000000000000000000000000000000000000000000000000000000000080"),
          Hex.decode("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
          Hex.decode("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
          Hex.decode("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
          Hex.decode("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"));

  /** An encoding a peer may not send, with words the reason for refusing it must contain. */
  public record Invalid(byte[] encoding, String why) {}

  /**
   * Encodings that are not valid points of the prime-order subgroup: every small-order point, each
   * of those plus B (mixed order), y = p and y = p + 1 (non-canonical), y-values with no x, and a
   * short encoding. Each small-order point is checked to have order dividing 8.
   */
  public static List<Invalid> invalidEncodings() {
    List<Invalid> bad = new ArrayList<>();
    for (byte[] t : SMALL_ORDER) {
      BigInteger[] point = decode(t);
      if (point == null || !isIdentity(mul(BigInteger.valueOf(8), point))) {
        throw new IllegalStateException("not a small-order point: " + Hex.toHexString(t));
      }
      bad.add(new Invalid(t, "small order"));
      if (!isIdentity(point)) {
        bad.add(new Invalid(encode(add(BASE, point)), "prime-order subgroup"));
      }
    }
    bad.add(new Invalid(Hex.decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), "non-canonical"));
    bad.add(new Invalid(Hex.decode("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), "non-canonical"));
    for (int y = 2, found = 0; found < 5; y++) {
      byte[] enc = encode(new BigInteger[] {BigInteger.ZERO, BigInteger.valueOf(y)});
      if (decode(enc) == null) {
        bad.add(new Invalid(enc, "not a point"));
        found++;
      }
    }
    bad.add(new Invalid(new byte[31], "31 bytes"));
    return bad;
  }
}
