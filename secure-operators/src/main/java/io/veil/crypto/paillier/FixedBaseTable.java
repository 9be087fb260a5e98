package io.veil.crypto.paillier;

import java.math.BigInteger;

/**
 * Fixed-base windowed exponentiation: {@code base^e mod modulus} for exponents of at most {@code
 * exponentBits} bits, with precomputed {@code base^(j * 2^(w i))} for every window position i and
 * digit j in 1..2^w-1. One exponentiation costs at most {@code ceil(exponentBits / w)} modular
 * multiplications (Barrett-reduced) and no squarings. Immutable and thread-safe after construction.
 */
final class FixedBaseTable {
  private final Barrett modulus;
  private final int windowBits;
  private final int exponentBits;
  /** rows[i][j - 1] = base^(j * 2^(windowBits * i)) mod modulus. */
  private final BigInteger[][] rows;

  FixedBaseTable(BigInteger base, BigInteger modulus, int exponentBits, int windowBits) {
    this.modulus = new Barrett(modulus);
    this.windowBits = windowBits;
    this.exponentBits = exponentBits;
    int rowCount = (exponentBits + windowBits - 1) / windowBits;
    int digits = (1 << windowBits) - 1;
    rows = new BigInteger[rowCount][];
    BigInteger b = base.mod(modulus);
    for (int i = 0; i < rowCount; i++) {
      BigInteger[] row = new BigInteger[digits];
      row[0] = b;
      for (int j = 1; j < digits; j++) {
        row[j] = this.modulus.multiply(row[j - 1], b);
      }
      rows[i] = row;
      b = this.modulus.multiply(row[digits - 1], b); // b^(2^w)
    }
  }

  /** {@code base^e mod modulus} for e given as big-endian unsigned bytes of at most exponentBits. */
  BigInteger pow(byte[] exponent) {
    BigInteger acc = null;
    int len = exponent.length;
    for (int i = 0; i < rows.length; i++) {
      int off = i * windowBits;
      int digit = 0;
      for (int k = 0; k < windowBits && off + k < exponentBits; k++) {
        int bit = off + k;
        int idx = len - 1 - (bit >>> 3);
        if (idx >= 0 && ((exponent[idx] >>> (bit & 7)) & 1) != 0) {
          digit |= 1 << k;
        }
      }
      if (digit != 0) {
        BigInteger t = rows[i][digit - 1];
        acc = acc == null ? t : modulus.multiply(acc, t);
      }
    }
    return acc == null ? BigInteger.ONE : acc;
  }
}
