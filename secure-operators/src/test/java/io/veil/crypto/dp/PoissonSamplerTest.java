package io.veil.crypto.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Poisson sampler against moments and the exact pmf, with fixed seeds. */
class PoissonSamplerTest {
  private static final int N = 200_000;

  @Test
  void meanAndVarianceMatchAcrossMethodsAndScales() {
    double[] means = {0.5, 3, 9.99, 10, 37.5, 1e4, 1e12, 1e15};
    SplittableRandom rng = new SplittableRandom(20240601L);
    for (double m : means) {
      double sum = 0;
      double sumSq = 0;
      long[] xs = new long[N];
      for (int i = 0; i < N; i++) {
        xs[i] = PoissonSampler.sample(m, rng);
        assertThat(xs[i]).isNotNegative();
        sum += xs[i] - m; // centre before squaring to keep precision at large means
      }
      double mean = sum / N;
      for (long x : xs) {
        double d = x - m - mean;
        sumSq += d * d;
      }
      double var = sumSq / (N - 1);
      double meanSe = Math.sqrt(m / N);
      // Var(sample variance) ~ m^2 (2 + 1/m) / N for Poisson (excess kurtosis 1/m).
      double varSe = m * Math.sqrt((2 + 1 / m) / N);
      assertThat(mean).as("mean - %s", m).isCloseTo(0, within(5 * meanSe));
      assertThat(var).as("variance at mean %s", m).isCloseTo(m, within(5 * varSe));
    }
  }

  @Test
  void histogramMatchesExactPmf() {
    // Chi-square goodness of fit against the pmf computed independently by summing logs; covers
    // inversion (3), the PTRS threshold (10) and PTRS (50, 1000).
    double[] means = {3, 10, 50, 1000};
    SplittableRandom rng = new SplittableRandom(7L);
    for (double m : means) {
      int maxK = (int) (m + 12 * Math.sqrt(m) + 20);
      long[] counts = new long[maxK + 1];
      for (int i = 0; i < N; i++) {
        long k = PoissonSampler.sample(m, rng);
        counts[(int) Math.min(k, maxK)]++;
      }
      double[] pmf = new double[maxK + 1];
      double logFact = 0;
      double tail = 1;
      for (int k = 0; k < maxK; k++) {
        if (k > 0) {
          logFact += Math.log(k);
        }
        pmf[k] = Math.exp(-m + k * Math.log(m) - logFact);
        tail -= pmf[k];
      }
      pmf[maxK] = Math.max(tail, 0);
      // Merge bins (left to right) until each expects at least 20 samples.
      double chi2 = 0;
      int bins = 0;
      double expected = 0;
      long observed = 0;
      for (int k = 0; k <= maxK; k++) {
        expected += N * pmf[k];
        observed += counts[k];
        if (expected >= 20 || k == maxK) {
          chi2 += (observed - expected) * (observed - expected) / Math.max(expected, 1e-9);
          bins++;
          expected = 0;
          observed = 0;
        }
      }
      int df = bins - 1;
      // About a 1e-6 false-alarm level in the normal approximation to chi-square(df).
      assertThat(chi2).as("chi-square at mean %s with %s bins", m, bins)
          .isLessThan(df + 5 * Math.sqrt(2.0 * df));
      assertThat(bins).isGreaterThan(5);
    }
  }

  @Test
  void logPmfMatchesDirectFormula() {
    for (double m : new double[] {10, 57.3, 2500}) {
      double logFact = 0;
      for (int k = 0; k < 4 * m; k++) {
        if (k > 0) {
          logFact += Math.log(k);
        }
        double direct = -m + k * Math.log(m) - logFact;
        assertThat(PoissonSampler.logPmf(k, m)).as("k=%s m=%s", k, m)
            .isCloseTo(direct, within(1e-9 * Math.max(1, Math.abs(direct))));
      }
    }
  }

  @Test
  void bd0SeriesAgreesWithClosedFormNearItsSwitchPoint() {
    double m = 1000;
    for (double x = 800; x <= 1250; x += 1) {
      double closed = x * Math.log(x / m) + m - x;
      assertThat(PoissonSampler.bd0(x, m)).isCloseTo(closed, within(1e-9 * Math.max(1, closed)));
    }
  }

  @Test
  void zeroMeanGivesZero() {
    assertThat(PoissonSampler.sample(0, new SplittableRandom(1))).isZero();
  }
}
