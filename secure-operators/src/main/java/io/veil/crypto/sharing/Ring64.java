package io.veil.crypto.sharing;

import io.veil.InvalidInputException;
import java.math.BigInteger;

/**
 * Arithmetic in the ring Z_2^64, represented by Java {@code long}.
 *
 * <p>Java {@code long} addition, subtraction, negation and multiplication are defined (JLS 15.17,
 * 15.18) to keep the low 64 bits of the exact two's-complement result and never throw. They
 * therefore <i>are</i> arithmetic modulo 2^64, exactly: this class only names those operations and
 * adds element-wise versions for vectors, so that code reads as ring arithmetic rather than as
 * arithmetic that happens to overflow.
 *
 * <p><b>Interpretation.</b> A ring element has two natural readings: unsigned, in [0, 2^64), and
 * signed (two's complement), in [-2^63, 2^63). Fixed-point values ({@link FixedPoint}) use the
 * signed reading: a sum of values whose exact integer total lies in [-2^63, 2^63) is recovered
 * exactly by reading the ring element as a signed {@code long}, which is what {@link #toSigned}
 * does. {@link FixedPoint#checkSumFits} is how callers make sure the exact total lies in that range.
 *
 * <p>Stateless and thread-safe. The scalar operations are branch-free and constant time; the array
 * operations are constant time in the values (not in the lengths).
 */
public final class Ring64 {
  private static final BigInteger MODULUS = BigInteger.ONE.shiftLeft(64);

  private Ring64() {}

  /** {@code a + b mod 2^64}. */
  public static long add(long a, long b) {
    return a + b;
  }

  /** {@code a - b mod 2^64}. */
  public static long sub(long a, long b) {
    return a - b;
  }

  /** {@code -a mod 2^64}. */
  public static long neg(long a) {
    return -a;
  }

  /** {@code a * b mod 2^64}. */
  public static long mul(long a, long b) {
    return a * b;
  }

  /** Sum of all elements mod 2^64 (0 for an empty array). */
  public static long sum(long[] xs) {
    long s = 0;
    for (long x : xs) {
      s += x;
    }
    return s;
  }

  /** Element-wise {@code a + b mod 2^64} as a new array. */
  public static long[] add(long[] a, long[] b) {
    requireSameLength(a.length, b.length);
    long[] out = new long[a.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = a[i] + b[i];
    }
    return out;
  }

  /** Element-wise {@code a - b mod 2^64} as a new array. */
  public static long[] sub(long[] a, long[] b) {
    requireSameLength(a.length, b.length);
    long[] out = new long[a.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = a[i] - b[i];
    }
    return out;
  }

  /** Element-wise {@code -a mod 2^64} as a new array. */
  public static long[] neg(long[] a) {
    long[] out = new long[a.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = -a[i];
    }
    return out;
  }

  /** {@code acc[i] += x[i] mod 2^64}, in place. */
  public static void addInPlace(long[] acc, long[] x) {
    requireSameLength(acc.length, x.length);
    for (int i = 0; i < acc.length; i++) {
      acc[i] += x[i];
    }
  }

  /** {@code acc[i] -= x[i] mod 2^64}, in place. */
  public static void subInPlace(long[] acc, long[] x) {
    requireSameLength(acc.length, x.length);
    for (int i = 0; i < acc.length; i++) {
      acc[i] -= x[i];
    }
  }

  /**
   * Element-wise sum of equally long vectors mod 2^64: {@code out[i] = Σ_k vectors[k][i]}.
   *
   * @throws InvalidInputException if there are no vectors or their lengths differ
   */
  public static long[] sum(long[][] vectors) {
    if (vectors.length == 0) {
      throw new InvalidInputException(
          "Cannot sum vectors in Z_2^64: no vectors were given. Pass at least one vector.");
    }
    long[] out = vectors[0].clone();
    for (int k = 1; k < vectors.length; k++) {
      addInPlace(out, vectors[k]);
    }
    return out;
  }

  /**
   * The signed (two's complement) reading of a ring element, in [-2^63, 2^63). This is the
   * identity on {@code long}; it exists to make the decoding step explicit at call sites.
   */
  public static long toSigned(long element) {
    return element;
  }

  /** The unsigned reading of a ring element, in [0, 2^64). */
  public static BigInteger toUnsigned(long element) {
    BigInteger v = BigInteger.valueOf(element);
    return element < 0 ? v.add(MODULUS) : v;
  }

  /** Reduces any integer modulo 2^64 into a ring element. */
  public static long reduce(BigInteger value) {
    return value.longValue(); // BigInteger.longValue keeps the low 64 bits of two's complement
  }

  private static void requireSameLength(int a, int b) {
    if (a != b) {
      throw new InvalidInputException(
          "Cannot combine vectors in Z_2^64: their lengths differ (" + a + " and " + b
              + "). Pass vectors of equal length.");
    }
  }
}
