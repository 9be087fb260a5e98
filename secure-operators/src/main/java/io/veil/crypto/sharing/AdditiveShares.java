package io.veil.crypto.sharing;

import io.veil.InvalidInputException;
import java.security.SecureRandom;

/**
 * n-out-of-n additive secret sharing over Z_2^64.
 *
 * <p>A secret {@code x} is split into {@code n} shares {@code s_1..s_n} with
 * {@code s_1 + ... + s_n = x (mod 2^64)}: the first {@code n - 1} shares are drawn uniformly and
 * independently from the given {@link SecureRandom}, the last is {@code x} minus their sum.
 *
 * <p><b>Security.</b> Information-theoretic: any {@code n - 1} shares are jointly uniform and
 * independent of {@code x}, whatever the adversary's computing power, provided the random source
 * is uniform and unpredictable. All {@code n} shares together reveal {@code x}. Shares provide no
 * integrity: a party that alters its share shifts the reconstructed value undetectably.
 *
 * <p><b>Encoding.</b> Shares are plain ring elements ({@code long}, see {@link Ring64}); values to
 * share come from {@link FixedPoint}. Vector shares are laid out {@code shares[party][index]}.
 *
 * <p>Stateless and thread-safe (if the {@link SecureRandom} is, which the JDK's are).
 * Reconstruction is constant time in the share values.
 */
public final class AdditiveShares {
  /** Smallest number of parties: with one party, its "share" would be the secret. */
  public static final int MIN_PARTIES = 2;

  private AdditiveShares() {}

  /** Splits {@code x} into {@code parties} shares summing to {@code x} mod 2^64. */
  public static long[] share(long x, int parties, SecureRandom random) {
    requireParties(parties);
    long[] shares = new long[parties];
    long sum = 0;
    for (int i = 0; i < parties - 1; i++) {
      shares[i] = random.nextLong();
      sum += shares[i];
    }
    shares[parties - 1] = x - sum;
    return shares;
  }

  /** Sum of the shares mod 2^64. */
  public static long reconstruct(long[] shares) {
    if (shares.length == 0) {
      throw new InvalidInputException(
          "Cannot reconstruct a shared value: no shares were given. Pass the shares of every party.");
    }
    return Ring64.sum(shares);
  }

  /**
   * Shares each element of {@code xs} independently; returns {@code shares[party][index]}, each
   * row as long as {@code xs}.
   */
  public static long[][] share(long[] xs, int parties, SecureRandom random) {
    requireParties(parties);
    long[][] shares = new long[parties][xs.length];
    long[] last = shares[parties - 1];
    System.arraycopy(xs, 0, last, 0, xs.length);
    for (int p = 0; p < parties - 1; p++) {
      long[] row = shares[p];
      for (int i = 0; i < xs.length; i++) {
        row[i] = random.nextLong();
        last[i] -= row[i];
      }
    }
    return shares;
  }

  /** Element-wise reconstruction of {@code shares[party][index]}. */
  public static long[] reconstruct(long[][] shares) {
    if (shares.length == 0) {
      throw new InvalidInputException(
          "Cannot reconstruct shared values: no shares were given. Pass the shares of every party.");
    }
    return Ring64.sum(shares);
  }

  private static void requireParties(int parties) {
    if (parties < MIN_PARTIES) {
      throw new InvalidInputException(
          "Cannot secret-share among " + parties + " parties: additive sharing needs at least "
              + MIN_PARTIES + ". List at least two parties in the job spec.");
    }
  }
}
