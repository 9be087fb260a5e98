package io.veil.crypto.internal;

import java.math.BigInteger;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;

/**
 * RFC 8032 edwards25519 encodings mapped to and from BouncyCastle's short-Weierstrass model of
 * curve25519, for {@link JavaEd25519Group} and for naming why a peer's point is refused.
 *
 * <p>The maps go through RFC 7748's Montgomery curve: {@code u = (1 + y) / (1 - y)}, {@code v =
 * c u / x} with c a fixed square root of -486664 (section 4.1), then {@code X = u + A/3, Y = v}.
 * With any fixed c the composite is a group isomorphism, so arithmetic on the Weierstrass side gives
 * the Edwards results. Peer points are public: these checks may take input-dependent time.
 */
public final class Ed25519Points {
  static final X9ECParameters CURVE25519 = CustomNamedCurves.getByName("curve25519");
  static final ECCurve CURVE = CURVE25519.getCurve();
  /** The prime order l of the subgroup. */
  public static final BigInteger ORDER = CURVE25519.getN();

  private static final BigInteger P = Field25519.P;
  private static final BigInteger D =
      BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
  private static final BigInteger A = BigInteger.valueOf(Field25519.A);
  private static final BigInteger A_OVER_3 = A.multiply(BigInteger.valueOf(3).modInverse(P)).mod(P);
  private static final BigInteger SQRT_MINUS_ONE = BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);
  private static final BigInteger C = sqrt(BigInteger.valueOf(-486664).mod(P));
  private static final byte[] IDENTITY = identity();

  private Ed25519Points() {}

  /**
   * Null if the encoding is a valid point (canonical, on the curve, in the prime-order subgroup, not
   * the identity), otherwise why not, in words for an error message.
   */
  public static String invalidReason(byte[] enc) {
    ECPoint w = decode(enc); // decodes a valid point once; only a refused one is looked at again, for why
    if (w == null) {
      if (enc.length != Ed25519Group.BYTES) {
        return "it has " + enc.length + " bytes, not " + Ed25519Group.BYTES;
      }
      if (yOf(enc).compareTo(P) >= 0) {
        return "its y-coordinate is not below p = 2^255 - 19 (a non-canonical encoding)";
      }
      if (xOf(yOf(enc), (enc[31] & 0x80) != 0) == null) {
        return "it is not a point of edwards25519";
      }
    }
    // w null here: x = 0, so y = 1 (the identity) or -1 (order 2)
    if (w == null || w.multiply(BigInteger.valueOf(8)).isInfinity()) {
      return "it has small order (the identity or a point of order 2, 4 or 8)";
    }
    if (!w.multiply(ORDER).isInfinity()) {
      return "it is not in the prime-order subgroup (it has a component of small order)";
    }
    return null;
  }

  /**
   * The Weierstrass point of a canonical encoding of a curve point with x not 0, else null. Says
   * nothing of its order: {@link Ed25519Group#mul} and the others take valid points only, which
   * their callers check first with {@link #invalidReason} (or {@link Ed25519Group#isValid}).
   */
  static ECPoint decode(byte[] enc) {
    if (enc.length != Ed25519Group.BYTES) {
      return null;
    }
    BigInteger y = yOf(enc);
    BigInteger x = y.compareTo(P) >= 0 ? null : xOf(y, (enc[31] & 0x80) != 0);
    return x == null || x.signum() == 0 ? null : toWeierstrass(x, y);
  }

  /** Like {@link #decode}, but the identity (a possible result of {@code sub}) is accepted too. */
  static ECPoint decodeResult(byte[] enc) {
    return Arrays.equals(enc, IDENTITY) ? CURVE.getInfinity() : decode(enc);
  }

  /** The RFC 8032 encoding of a Weierstrass point of curve25519 (the identity encodes as y = 1). */
  static byte[] encode(ECPoint w) {
    if (w.isInfinity()) {
      return IDENTITY.clone();
    }
    ECPoint n = w.normalize();
    BigInteger u = n.getAffineXCoord().toBigInteger().subtract(A_OVER_3).mod(P);
    BigInteger v = n.getAffineYCoord().toBigInteger();
    BigInteger x;
    BigInteger y;
    if (v.signum() == 0) { // u = 0: the point of order 2, (0, -1) on the Edwards curve
      x = BigInteger.ZERO;
      y = P.subtract(BigInteger.ONE);
    } else {
      x = C.multiply(u).multiply(v.modInverse(P)).mod(P);
      y = u.subtract(BigInteger.ONE).multiply(u.add(BigInteger.ONE).modInverse(P)).mod(P);
    }
    byte[] out = Field25519.toLittleEndian32(y);
    if (x.testBit(0)) {
      out[31] |= (byte) 0x80;
    }
    return out;
  }

  private static ECPoint toWeierstrass(BigInteger x, BigInteger y) {
    BigInteger u = BigInteger.ONE.add(y).multiply(BigInteger.ONE.subtract(y).modInverse(P)).mod(P);
    BigInteger v = C.multiply(u).multiply(x.modInverse(P)).mod(P);
    return CURVE.createPoint(u.add(A_OVER_3).mod(P), v);
  }

  private static BigInteger yOf(byte[] enc) {
    byte[] le = Arrays.copyOf(enc, 32);
    le[31] &= 0x7F;
    return fromLittleEndian(le);
  }

  /** 32 little-endian bytes as a non-negative integer. */
  static BigInteger fromLittleEndian(byte[] le) {
    byte[] be = new byte[32];
    for (int i = 0; i < 32; i++) {
      be[i] = le[31 - i];
    }
    return new BigInteger(1, be);
  }

  /** RFC 8032 section 5.1.3: x from y and its sign bit, or null if there is none. */
  private static BigInteger xOf(BigInteger y, boolean negative) {
    BigInteger y2 = y.multiply(y).mod(P);
    BigInteger x2 = y2.subtract(BigInteger.ONE).multiply(D.multiply(y2).add(BigInteger.ONE).modInverse(P)).mod(P);
    BigInteger x = sqrt(x2);
    if (x == null || (x.signum() == 0 && negative)) {
      return null;
    }
    return x.testBit(0) == negative ? x : P.subtract(x);
  }

  /** A square root mod p (p = 5 mod 8), or null if a is not a square. */
  private static BigInteger sqrt(BigInteger a) {
    BigInteger r = a.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
    if (r.multiply(r).mod(P).equals(a)) {
      return r;
    }
    r = r.multiply(SQRT_MINUS_ONE).mod(P);
    return r.multiply(r).mod(P).equals(a) ? r : null;
  }

  private static byte[] identity() {
    byte[] id = new byte[32];
    id[0] = 1;
    return id;
  }
}
