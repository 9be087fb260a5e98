package io.veil.crypto.internal;

import java.math.BigInteger;
import org.bouncycastle.math.ec.rfc7748.X25519Field;

/**
 * Arithmetic helpers for GF(p), p = 2^255 - 19, on top of BouncyCastle's {@link X25519Field}
 * (ten signed 25/26-bit limbs in an {@code int[10]}).
 *
 * <p>Limb discipline used throughout this package: results of {@code mul}/{@code sqr} are
 * "reduced" and may be fed to any operation. The result of {@code add}/{@code sub}/{@code cnegate}
 * of reduced values may be fed to {@code mul}/{@code sqr} directly; anything else goes through
 * {@link X25519Field#carry(int[])} first. Canonical values (for comparison, sign and encoding) are
 * obtained with {@link X25519Field#normalize(int[])} on a copy.
 *
 * <p>All methods here except those ending in {@code Var} run in time independent of the values.
 * Constants are computed once with {@link BigInteger} at class initialisation, never in the hot
 * path.
 */
public final class Field25519 {
  /** p = 2^255 - 19. */
  public static final BigInteger P = BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));

  /** Montgomery curve25519 coefficient A (v^2 = u^3 + A u^2 + u). */
  public static final int A = 486662;

  static final int[] ZERO = X25519Field.create();
  static final int[] ONE = fromBigInteger(BigInteger.ONE);
  static final int[] MINUS_ONE = fromBigInteger(BigInteger.ONE.negate());
  /** -A, the numerator x1n of the Elligator 2 map for curve25519. */
  static final int[] MINUS_A = fromBigInteger(BigInteger.valueOf(-A));
  /** sqrt(-1) = 2^((p-1)/4). */
  static final int[] SQRT_MINUS_ONE = fromBigInteger(BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P));
  /** 2^((p+3)/8), the constant c2 of RFC 9380 appendix G.2.1. */
  static final int[] TWO_POW_P_PLUS_3_DIV_8 = fromBigInteger(BigInteger.TWO.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P));
  /** 2d for edwards25519, d = -121665/121666. */
  static final int[] EDWARDS_2D;
  /** sqrt(-486664) = sqrt(-(A + 2)): scale of the birational map curve25519 <-> edwards25519. */
  static final int[] SQRT_MINUS_A_PLUS_2;

  static {
    BigInteger d = BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
    EDWARDS_2D = fromBigInteger(d.shiftLeft(1));
    BigInteger minusAPlus2 = BigInteger.valueOf(-(A + 2)).mod(P);
    BigInteger root = sqrtBig(minusAPlus2);
    if (root == null) {
      throw new AssertionError("-(A+2) must be a square mod p");
    }
    SQRT_MINUS_A_PLUS_2 = fromBigInteger(root);
  }

  private Field25519() {}

  /** A new zero element. */
  public static int[] create() {
    return X25519Field.create();
  }

  /** Limbs of {@code v mod p}. For constants and tests; not constant time. */
  public static int[] fromBigInteger(BigInteger v) {
    byte[] le = toLittleEndian32(v.mod(P));
    int[] z = X25519Field.create();
    X25519Field.decode(le, 0, z);
    return z;
  }

  /** The canonical value of {@code x} as a BigInteger. For tests; not constant time. */
  public static BigInteger toBigInteger(int[] x) {
    byte[] le = new byte[32];
    encode(x, le, 0);
    byte[] be = new byte[33];
    for (int i = 0; i < 32; i++) {
      be[32 - i] = le[i];
    }
    return new BigInteger(be);
  }

  /** 32-byte little-endian encoding of a non-negative value below 2^256. */
  public static byte[] toLittleEndian32(BigInteger v) {
    byte[] be = v.toByteArray();
    byte[] le = new byte[32];
    for (int i = 0; i < be.length && i < 33; i++) {
      int j = be.length - 1 - i;
      if (i < 32) {
        le[i] = be[j];
      }
    }
    return le;
  }

  /**
   * Decodes a 48-byte big-endian integer (RFC 9380 {@code OS2IP}) and reduces it mod p, as
   * {@code hash_to_field} requires for L = 48. Uses 2^255 = 19 and 2^256 = 38 (mod p).
   */
  public static void decodeBigEndian48(byte[] in, int off, int[] z) {
    byte[] lo = new byte[32];
    byte[] hi = new byte[32];
    for (int i = 0; i < 32; i++) {
      lo[i] = in[off + 47 - i];
    }
    for (int i = 0; i < 16; i++) {
      hi[i] = in[off + 15 - i];
    }
    int bit255 = (lo[31] >>> 7) & 1;
    int[] h = X25519Field.create();
    X25519Field.decode(lo, 0, z); // drops bit 255
    X25519Field.decode(hi, 0, h);
    X25519Field.mul(h, 38, h); // hi * 2^256
    z[0] += 19 * bit255; // bit 255 * 2^255
    X25519Field.add(z, h, z);
    X25519Field.carry(z);
  }

  /** Canonical 32-byte little-endian encoding of {@code x}; {@code x} is not modified. */
  public static void encode(int[] x, byte[] out, int off) {
    int[] t = X25519Field.create();
    X25519Field.copy(x, 0, t, 0);
    X25519Field.normalize(t);
    X25519Field.encode(t, out, off);
  }

  /** -1 if {@code x == y} (mod p), else 0. */
  public static int eq(int[] x, int[] y) {
    int[] a = X25519Field.create();
    int[] b = X25519Field.create();
    X25519Field.copy(x, 0, a, 0);
    X25519Field.copy(y, 0, b, 0);
    X25519Field.normalize(a);
    X25519Field.normalize(b);
    return X25519Field.areEqual(a, b);
  }

  /** -1 if {@code x == 0} (mod p), else 0. */
  public static int isZero(int[] x) {
    int[] a = X25519Field.create();
    X25519Field.copy(x, 0, a, 0);
    X25519Field.normalize(a);
    return X25519Field.isZero(a);
  }

  /** RFC 9380 {@code sgn0} for m = 1: the parity of the canonical value, 0 or 1. */
  public static int sgn0(int[] x) {
    int[] a = X25519Field.create();
    X25519Field.copy(x, 0, a, 0);
    X25519Field.normalize(a);
    return a[0] & 1;
  }

  /**
   * z = x^((p-5)/8) = x^(2^252 - 3), by the addition chain 1, 2, 3, 5, 10, 15, 25, 50, 75, 125,
   * 250 (254 squarings, 11 multiplications). {@code z} may alias {@code x}.
   */
  public static void powPm5d8(int[] x, int[] z) {
    int[] x2 = X25519Field.create();
    int[] x3 = X25519Field.create();
    int[] x10 = X25519Field.create();
    int[] x15 = X25519Field.create();
    // xk below means x^(2^k - 1)
    X25519Field.sqr(x, x2);
    X25519Field.mul(x, x2, x2); // x2
    X25519Field.sqr(x2, x3);
    X25519Field.mul(x, x3, x3); // x3
    int[] x5 = x3;
    X25519Field.sqr(x3, 2, x5);
    X25519Field.mul(x2, x5, x5); // x5
    X25519Field.sqr(x5, 5, x10);
    X25519Field.mul(x5, x10, x10); // x10
    X25519Field.sqr(x10, 5, x15);
    X25519Field.mul(x5, x15, x15); // x15
    int[] x25 = x5;
    X25519Field.sqr(x15, 10, x25);
    X25519Field.mul(x10, x25, x25); // x25
    int[] x50 = x10;
    X25519Field.sqr(x25, 25, x50);
    X25519Field.mul(x25, x50, x50); // x50
    int[] x75 = x15;
    X25519Field.sqr(x50, 25, x75);
    X25519Field.mul(x25, x75, x75); // x75
    int[] x125 = x25;
    X25519Field.sqr(x75, 50, x125);
    X25519Field.mul(x50, x125, x125); // x125
    int[] x250 = x50;
    X25519Field.sqr(x125, 125, x250);
    X25519Field.mul(x125, x250, x250); // x250 = x^(2^250 - 1)
    int[] t = x2;
    X25519Field.sqr(x250, 2, t); // x^(2^252 - 4)
    X25519Field.mul(t, x, z); // x^(2^252 - 3)
  }

  /**
   * The Legendre symbol as a field element: z = x^((p-1)/2), which is 1, -1 or 0. Computed as
   * (x^((p-5)/8))^4 * x^2, since (p-1)/2 = 4 (p-5)/8 + 2.
   */
  public static void legendre(int[] x, int[] z) {
    int[] t = X25519Field.create();
    int[] x2 = X25519Field.create();
    powPm5d8(x, t);
    X25519Field.sqr(t, 2, t);
    X25519Field.sqr(x, x2);
    X25519Field.mul(t, x2, z);
  }

  /** True if {@code x} is zero or a quadratic residue mod p. Constant time in {@code x}. */
  public static boolean isSquare(int[] x) {
    int[] chi = X25519Field.create();
    legendre(x, chi);
    return eq(chi, MINUS_ONE) == 0;
  }

  private static BigInteger sqrtBig(BigInteger a) {
    BigInteger r = a.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
    if (r.multiply(r).mod(P).equals(a)) {
      return r;
    }
    r = r.multiply(BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P)).mod(P);
    return r.multiply(r).mod(P).equals(a) ? r : null;
  }
}
