package io.veil.crypto.dp;

import io.veil.InvalidInputException;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Poisson variates for means from 0 up to {@link #MAX_MEAN}, for {@link SkellamNoise}.
 *
 * <p><b>Method.</b> For means below {@value #PTRS_THRESHOLD}: inversion by sequential search over
 * the cumulative distribution (one uniform per variate). For larger means: PTRS, the "transformed
 * rejection with squeeze" algorithm of W. Hörmann, "The transformed rejection method for generating
 * Poisson random variables", Insurance: Mathematics and Economics 12 (1993) 39-45, valid for means
 * of at least 10, with an expected 1.1-1.2 uniform pairs per variate at every mean. The candidate is
 * formed as {@code floor(mean) + floor(frac(mean) + offset)} so that the integer part of very large
 * means is never rounded, and the acceptance test uses the log-probability {@code -bd0(k, mean) -
 * log(2 pi k)/2 - stirlingError(k)} (Loader's saddle-point form), which avoids the cancellation of
 * {@code -mean + k log(mean) - log k!} at large means.
 *
 * <p><b>Exactness.</b> Both methods are exact algorithms in real arithmetic. Here they run in IEEE
 * double precision, so each outcome's probability is exact up to double rounding in the pmf
 * evaluation (a relative error of order 1e-13 or below for all supported means, in tests not
 * distinguishable from the exact law). They are not integer-only samplers in the style of Canonne,
 * Kamath and Steinke (2020), and they are not constant-time.
 *
 * <p>Stateless and thread-safe; the randomness comes entirely from the caller's generator, so a
 * fixed seed gives a fixed sequence.
 */
final class PoissonSampler {
  /** Largest supported mean: 10^15, so that every quantity stays exactly representable. */
  static final double MAX_MEAN = 1e15;

  /** Means at or above this use PTRS; below, inversion. */
  static final double PTRS_THRESHOLD = 10.0;

  private static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);
  private static final int STIRLING_TABLE = 16;
  private static final double[] STIRLING_ERROR = new double[STIRLING_TABLE];

  static {
    // stirlingError(k) = log k! - ((k + 1/2) log k - k + log(2 pi)/2), tabulated for small k.
    double logFactorial = 0;
    for (int k = 1; k < STIRLING_TABLE; k++) {
      logFactorial += Math.log(k);
      STIRLING_ERROR[k] = logFactorial - ((k + 0.5) * Math.log(k) - k + HALF_LOG_TWO_PI);
    }
  }

  private PoissonSampler() {}

  /**
   * One Poisson({@code mean}) variate.
   *
   * @throws InvalidInputException if {@code mean} is negative, not finite or above {@link
   *     #MAX_MEAN}
   */
  static long sample(double mean, RandomGenerator rng) {
    Objects.requireNonNull(rng, "rng");
    checkMean(mean, "Poisson mean");
    return sampleChecked(mean, rng);
  }

  static void checkMean(double mean, String what) {
    if (!(mean >= 0) || mean > MAX_MEAN) {
      throw new InvalidInputException(
          "Cannot sample noise with " + what + " " + mean + ": it must be a finite number in 0.."
              + MAX_MEAN + ". Check the privacy budget the noise was calibrated from.");
    }
  }

  static long sampleChecked(double mean, RandomGenerator rng) {
    if (mean == 0) {
      return 0;
    }
    return mean < PTRS_THRESHOLD ? inversion(mean, rng) : ptrs(mean, rng);
  }

  private static long inversion(double mean, RandomGenerator rng) {
    while (true) {
      double u = rng.nextDouble();
      double p = Math.exp(-mean);
      long k = 0;
      // For mean < 10, P(X > 200) is far below 2^-53: reaching the cap means u fell in the
      // rounding gap of the cumulative sum, and we draw again.
      while (u > p && k < 200) {
        u -= p;
        k++;
        p *= mean / k;
      }
      if (k < 200) {
        return k;
      }
    }
  }

  private static long ptrs(double mean, RandomGenerator rng) {
    double sqrtMean = Math.sqrt(mean);
    double b = 0.931 + 2.53 * sqrtMean;
    double a = -0.059 + 0.02483 * b;
    double logInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
    double vr = 0.9277 - 3.6224 / (b - 2);
    long base = (long) Math.floor(mean);
    double frac = mean - base;
    while (true) {
      double u = rng.nextDouble() - 0.5;
      double v = rng.nextDouble();
      double us = 0.5 - Math.abs(u);
      double offset = Math.floor((2 * a / us + b) * u + frac + 0.43);
      // Reject k < 0 (including -infinity when us == 0) and absurdly large k whose acceptance
      // probability is below 2^-1000 anyway, so k always fits in a long.
      if (!(offset > -base - 1) || offset > 1e17) {
        continue;
      }
      long k = base + (long) offset;
      if (us >= 0.07 && v <= vr) {
        return k;
      }
      if (us < 0.013 && v > us) {
        continue;
      }
      if (Math.log(v) + logInvAlpha - Math.log(a / (us * us) + b) <= logPmf(k, mean)) {
        return k;
      }
    }
  }

  /** log P(X = k) for X ~ Poisson(mean), mean > 0, computed without large cancellations. */
  static double logPmf(long k, double mean) {
    if (k == 0) {
      return -mean;
    }
    return -stirlingError(k) - bd0(k, mean) - 0.5 * Math.log(k) - HALF_LOG_TWO_PI;
  }

  /** {@code log k! - ((k + 1/2) log k - k + log(2 pi)/2)} for k >= 1. */
  static double stirlingError(long k) {
    if (k < STIRLING_TABLE) {
      return STIRLING_ERROR[(int) k];
    }
    double n = k;
    double inv2 = 1 / (n * n);
    return (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 / 1680))) / n;
  }

  /** {@code x log(x / m) + m - x} for x >= 1, m > 0, by a series when x is near m. */
  static double bd0(double x, double m) {
    double d = x - m;
    if (Math.abs(d) < 0.1 * (x + m)) {
      double v = d / (x + m);
      double v2 = v * v;
      double sum = d * v;
      double term = 2 * x * v;
      for (int j = 1; j < 1000; j++) {
        term *= v2;
        double next = sum + term / (2 * j + 1);
        if (next == sum) {
          return next;
        }
        sum = next;
      }
      return sum;
    }
    return x * Math.log(x / m) + m - x;
  }
}
