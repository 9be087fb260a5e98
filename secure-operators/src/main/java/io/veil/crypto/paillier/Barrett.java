package io.veil.crypto.paillier;

import java.math.BigInteger;

/**
 * Barrett reduction for one fixed modulus m of k bits: for 0 <= x < m^2, {@code q = ((x >> (k-1))
 * mu) >> (k+1)} with {@code mu = floor(4^k / m)} underestimates x / m by at most 2, so x - q m needs
 * at most two subtractions. With BigInteger this is about twice as fast as {@link BigInteger#mod},
 * whose long division is the bottleneck of the fixed-base tables. Immutable, thread-safe.
 */
final class Barrett {
  private final BigInteger modulus;
  private final BigInteger mu;
  private final int k;

  Barrett(BigInteger modulus) {
    this.modulus = modulus;
    this.k = modulus.bitLength();
    this.mu = BigInteger.ONE.shiftLeft(2 * k).divide(modulus);
  }

  BigInteger modulus() {
    return modulus;
  }

  /** a * b mod m for 0 <= a, b < m. */
  BigInteger multiply(BigInteger a, BigInteger b) {
    return reduce(a.multiply(b));
  }

  /** x mod m for 0 <= x < m^2. */
  BigInteger reduce(BigInteger x) {
    BigInteger q = x.shiftRight(k - 1).multiply(mu).shiftRight(k + 1);
    BigInteger r = x.subtract(q.multiply(modulus));
    while (r.compareTo(modulus) >= 0) {
      r = r.subtract(modulus);
    }
    return r;
  }
}
