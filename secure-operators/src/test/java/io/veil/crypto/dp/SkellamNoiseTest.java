package io.veil.crypto.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.veil.InvalidInputException;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Skellam noise: moments, additivity across parties, determinism and input checks. */
class SkellamNoiseTest {
  private static final int N = 200_000;

  /** Asserts mean ~ 0 and variance ~ 2 mu within 5 standard errors. */
  private static void assertSkellamMoments(long[] xs, double mu) {
    double sum = 0;
    for (long x : xs) {
      sum += x;
    }
    double mean = sum / xs.length;
    double sumSq = 0;
    for (long x : xs) {
      sumSq += (x - mean) * (x - mean);
    }
    double var = sumSq / (xs.length - 1);
    double sigma2 = 2 * mu;
    // Skellam(mu) has excess kurtosis 1 / (2 mu): Var(sample variance) ~ sigma^4 (2 + 1/(2mu)) / n.
    double varSe = sigma2 * Math.sqrt((2 + 1 / (2 * mu)) / xs.length);
    assertThat(mean).as("mean at mu %s", mu)
        .isCloseTo(0, within(5 * Math.sqrt(sigma2 / xs.length)));
    assertThat(var).as("variance at mu %s", mu).isCloseTo(sigma2, within(5 * varSe));
  }

  @Test
  void meanIsZeroAndVarianceIsTwoMu() {
    SplittableRandom rng = new SplittableRandom(42L);
    for (double mu : new double[] {0.5, 3, 100, 1e6}) {
      assertSkellamMoments(SkellamNoise.sample(mu, N, rng), mu);
    }
  }

  @Test
  void fivePartiesSharesSumToSkellamOfTotalMu() {
    double totalMu = 1000;
    int parties = 5;
    SplittableRandom rng = new SplittableRandom(5L);
    long[] totals = new long[N];
    for (int p = 0; p < parties; p++) {
      long[] share = SkellamNoise.sample(totalMu / parties, N, rng);
      for (int i = 0; i < N; i++) {
        totals[i] += share[i];
      }
    }
    assertSkellamMoments(totals, totalMu);
    // And a single party's share alone has only a fifth of the variance.
    assertSkellamMoments(SkellamNoise.sample(totalMu / parties, N, rng), totalMu / parties);
  }

  @Test
  void fixedSeedGivesFixedSequenceAndVectorEqualsRepeatedScalar() {
    long[] a = SkellamNoise.sample(12.5, 1000, new SplittableRandom(99L));
    long[] b = SkellamNoise.sample(12.5, 1000, new SplittableRandom(99L));
    assertThat(a).containsExactly(b);
    SplittableRandom rng = new SplittableRandom(99L);
    long[] c = new long[1000];
    for (int i = 0; i < c.length; i++) {
      c[i] = SkellamNoise.sample(12.5, rng);
    }
    assertThat(c).containsExactly(a);
    assertThat(SkellamNoise.sample(3, 50, new Random(1)))
        .containsExactly(SkellamNoise.sample(3, 50, new Random(1)));
    assertThat(a).isNotEqualTo(SkellamNoise.sample(12.5, 1000, new SplittableRandom(100L)));
  }

  @Test
  void edgeParameters() {
    SplittableRandom rng = new SplittableRandom(3L);
    assertThat(SkellamNoise.sample(0, rng)).isZero();
    assertThat(SkellamNoise.sample(5, 0, rng)).isEmpty();
    long big = SkellamNoise.sample(SkellamNoise.MAX_MU, rng);
    assertThat(Math.abs(big)).isLessThan((long) (10 * Math.sqrt(2 * SkellamNoise.MAX_MU)));
  }

  @Test
  void rejectsBadParametersNamingThem() {
    SplittableRandom rng = new SplittableRandom(3L);
    for (double mu : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY, 2e15}) {
      assertThatThrownBy(() -> SkellamNoise.sample(mu, rng))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith("Cannot sample noise")
          .hasMessageContaining("mu");
    }
    assertThatThrownBy(() -> SkellamNoise.sample(1, -1, rng))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("count");
  }
}
