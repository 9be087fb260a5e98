package io.veil.crypto.dp;

import io.veil.InvalidInputException;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Integer noise for distributed differential privacy: the symmetric Skellam distribution.
 *
 * <p><b>Definition.</b> Here {@code Skellam(mu)} is the law of {@code P1 - P2} for independent
 * {@code P1, P2 ~ Poisson(mu)}: mean 0, variance {@code 2 mu}, integer-valued. This is the
 * {@code Sk(mu, mu)} of N. Agarwal, P. Kairouz, Z. Liu, "The Skellam Mechanism for Differentially
 * Private Federated Learning", NeurIPS 2021; {@link DpBudget} calibrates {@code mu} with the
 * Rényi-DP bound proved there.
 *
 * <p><b>Why it suits secret sharing.</b> Sums of independent Skellam variables are Skellam, with
 * the parameters added: {@code Skellam(mu_1) + ... + Skellam(mu_N) = Skellam(mu_1 + ... + mu_N)}.
 * So if each of N parties adds {@code Skellam(mu / N)} (see {@link DpBudget#perPartyMu(int)}) to
 * its fixed-point input before sharing it in Z_2^64, the revealed total carries exactly {@code
 * Skellam(mu)} noise and no party knows that total noise, only its own share of it. Being integers,
 * the samples add to fixed-point values without rounding and wrap in Z_2^64 like any share.
 *
 * <p><b>Randomness.</b> In a job the generator must be a cryptographically secure one that no
 * other party can predict, e.g. {@link java.security.SecureRandom} (a {@code RandomGenerator} since
 * Java 17), drawn fresh per job: noise an adversary can reproduce gives no privacy. Seeded
 * generators are for tests only.
 *
 * <p><b>Sampling.</b> Each Poisson variate comes from inversion (mean below 10) or Hörmann's PTRS
 * transformed rejection (1993); both are exact algorithms run in double precision, so the
 * probabilities are exact up to double rounding. Not constant-time. Supported parameters: {@code 0
 * <= mu <= }{@link #MAX_MU}.
 *
 * <p>Stateless and thread-safe; deterministic for a given generator state.
 */
public final class SkellamNoise {
  /** Largest supported {@code mu} (10^15, standard deviation about 4.5e7). */
  public static final double MAX_MU = PoissonSampler.MAX_MEAN;

  private SkellamNoise() {}

  /**
   * One {@code Skellam(mu)} variate: the difference of two independent {@code Poisson(mu)}.
   *
   * @param mu Poisson mean of each of the two parts; the variance of the result is {@code 2 mu}
   * @param rng source of randomness; a {@link java.security.SecureRandom} in production
   * @throws InvalidInputException if {@code mu} is negative, not finite or above {@link #MAX_MU}
   */
  public static long sample(double mu, RandomGenerator rng) {
    Objects.requireNonNull(rng, "rng");
    PoissonSampler.checkMean(mu, "Skellam parameter mu");
    return PoissonSampler.sampleChecked(mu, rng) - PoissonSampler.sampleChecked(mu, rng);
  }

  /**
   * {@code count} independent {@code Skellam(mu)} variates, one per coordinate of a vector. Equal to
   * {@code count} successive calls of {@link #sample(double, RandomGenerator)} on the same
   * generator.
   *
   * @throws InvalidInputException if {@code count} is negative or {@code mu} is invalid as for
   *     {@link #sample(double, RandomGenerator)}
   */
  public static long[] sample(double mu, int count, RandomGenerator rng) {
    Objects.requireNonNull(rng, "rng");
    PoissonSampler.checkMean(mu, "Skellam parameter mu");
    if (count < 0) {
      throw new InvalidInputException(
          "Cannot sample Skellam noise: count must be >= 0 (got " + count + "). Pass the length of"
              + " the vector the noise is added to.");
    }
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      out[i] = PoissonSampler.sampleChecked(mu, rng) - PoissonSampler.sampleChecked(mu, rng);
    }
    return out;
  }
}
