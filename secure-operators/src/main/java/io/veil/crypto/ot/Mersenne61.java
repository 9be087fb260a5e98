package io.veil.crypto.ot;

import io.veil.InvalidInputException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Arithmetic in the prime field F_p, p = 2^61 - 1 (a Mersenne prime), on {@code long}s holding
 * canonical values 0 .. p - 1. Reduction uses 2^61 = 1 (mod p): a value splits into its low 61 bits
 * plus the rest shifted down, with no division. Products use {@link Math#multiplyHigh} for the high
 * word of the 122-bit product. All methods expect canonical inputs (see {@link #isCanonical}) except
 * {@link #reduce} and {@link #fromLittleEndian}, which accept any 64-bit pattern. Stateless.
 */
public final class Mersenne61 {
  /** The modulus p = 2^61 - 1. */
  public static final long P = (1L << 61) - 1;
  /** Bytes of an encoded element: 8, little-endian. */
  public static final int BYTES = 8;

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private Mersenne61() {}

  /** Whether {@code v} is a canonical element, 0 &lt;= v &lt; p. */
  public static boolean isCanonical(long v) {
    return v >= 0 && v < P;
  }

  /** {@code x mod p}, with {@code x} read as an unsigned 64-bit integer. */
  public static long reduce(long x) {
    long r = (x & P) + (x >>> 61);
    return r >= P ? r - P : r;
  }

  /** {@code (a + b) mod p}. */
  public static long add(long a, long b) {
    long s = a + b;
    return s >= P ? s - P : s;
  }

  /** {@code (a - b) mod p}. */
  public static long sub(long a, long b) {
    long d = a - b;
    return d < 0 ? d + P : d;
  }

  /** {@code -a mod p}. */
  public static long neg(long a) {
    return a == 0 ? 0 : P - a;
  }

  /** {@code (a * b) mod p}. */
  public static long mul(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    // a * b = hi * 2^64 + lo = (hi * 2^3 + lo / 2^61) * 2^61 + (lo mod 2^61), and 2^61 = 1 (mod p).
    long r = (lo & P) + ((lo >>> 61) | (hi << 3));
    r = (r & P) + (r >>> 61);
    return r >= P ? r - P : r;
  }

  /** {@code a^e mod p} for {@code e >= 0}. */
  public static long pow(long a, long e) {
    if (e < 0) {
      throw new InvalidInputException("Cannot raise a field element to the negative power " + e + ": use inv first.");
    }
    long result = 1;
    long base = a;
    while (e != 0) {
      if ((e & 1) != 0) {
        result = mul(result, base);
      }
      base = mul(base, base);
      e >>>= 1;
    }
    return result;
  }

  /**
   * {@code a^-1 mod p}, by Fermat ({@code a^(p-2)}).
   *
   * @throws InvalidInputException if {@code a} is 0, which has no inverse
   */
  public static long inv(long a) {
    if (a == 0) {
      throw new InvalidInputException("Cannot invert 0 in F_(2^61-1): check the caller's points are distinct.");
    }
    return pow(a, P - 2);
  }

  /** Bytes {@code [off, off + 8)} of {@code b} as a little-endian 64-bit integer, reduced mod p. */
  public static long fromLittleEndian(byte[] b, int off) {
    return reduce((long) LONG_LE.get(b, off));
  }

  /** Bytes {@code [off, off + 8)} of {@code b} as a little-endian 64-bit integer, not reduced. */
  static long readLong(byte[] b, int off) {
    return (long) LONG_LE.get(b, off);
  }

  /** Writes {@code v} little-endian to {@code out[off, off + 8)}. */
  public static void toLittleEndian(long v, byte[] out, int off) {
    LONG_LE.set(out, off, v);
  }
}
