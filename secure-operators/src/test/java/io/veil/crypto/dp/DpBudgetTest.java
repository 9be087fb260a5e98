package io.veil.crypto.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.veil.InvalidInputException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** Calibration of Skellam noise from an (epsilon, delta) budget. */
class DpBudgetTest {

  /**
   * mu for the Gaussian mechanism of variance 2 mu, with the RDP conversion minimised over all real
   * orders: eps = rho + 2 sqrt(rho log(1/delta)), rho = Δ² / (4 mu). The Skellam bound adds a
   * non-negative term and uses integer orders, so its mu can only be larger.
   */
  private static double gaussianMu(double eps, double delta, double sens) {
    double logInvDelta = -Math.log(delta);
    double sqrtRho = Math.sqrt(logInvDelta + eps) - Math.sqrt(logInvDelta);
    return sens * sens / (4 * sqrtRho * sqrtRho);
  }

  @Test
  void calibratedMuMeetsTheBudgetAndIsTight() {
    for (double eps : new double[] {0.05, 0.3, 1, 4, 10}) {
      for (double delta : new double[] {1e-10, 1e-6, 1e-3}) {
        for (long sens : new long[] {1, 7, 1000, 1_000_000}) {
          if (gaussianMu(eps, delta, sens) > 1e14) {
            continue;
          }
          DpBudget b = DpBudget.of(eps, delta, sens);
          double mu = b.totalMu();
          assertThat(b.achievedEpsilon(mu)).isLessThanOrEqualTo(eps);
          assertThat(b.achievedEpsilon(mu * 0.999)).isGreaterThan(eps);
          assertThat(mu).isGreaterThanOrEqualTo(gaussianMu(eps, delta, sens));
        }
      }
    }
  }

  @Test
  void largeMuOverSensitivityIsCloseToGaussian() {
    // eps = 1, delta = 1e-6, Δ = 1000: mu ~ 1e7 >> Δ, so the discreteness term is negligible.
    double g = gaussianMu(1, 1e-6, 1000);
    double mu = DpBudget.of(1, 1e-6, 1000).totalMu();
    assertThat(mu / g).isBetween(1.0, 1.01);
    // At Δ = 1 the discrete term matters more but stays a modest premium.
    double g1 = gaussianMu(1, 1e-6, 1);
    double mu1 = DpBudget.of(1, 1e-6, 1).totalMu();
    assertThat(mu1 / g1).isBetween(1.0, 1.5);
  }

  @Test
  void knownRdpValue() {
    // alpha = 3, mu = 10, Δ1 = Δ2 = 2: 3*4/40 + min((5*4 + 12)/1600, 6/40) = 0.3 + 0.02.
    assertThat(DpBudget.rdpEpsilon(3, 10, 2, 2)).isCloseTo(0.32, within(1e-12));
    // Small mu: the 3Δ1/(4mu) branch of the min, 3/2 < 9/4.
    assertThat(DpBudget.rdpEpsilon(2, 0.5, 1, 1)).isCloseTo(1.0 + 1.5, within(1e-12));
  }

  @Property(tries = 60)
  void smallerEpsilonNeedsMoreNoise(
      @ForAll @DoubleRange(min = 0.05, max = 8) double eps,
      @ForAll @DoubleRange(min = 1.05, max = 3) double factor,
      @ForAll @LongRange(min = 1, max = 10_000) long sens) {
    DpBudget loose = DpBudget.of(eps * factor, 1e-6, sens);
    DpBudget tight = DpBudget.of(eps, 1e-6, sens);
    assertThat(tight.totalMu()).isGreaterThan(loose.totalMu());
    assertThat(tight.achievedEpsilon(tight.totalMu())).isLessThanOrEqualTo(eps);
  }

  @Property(tries = 60)
  void largerSensitivityOrSmallerDeltaNeedsMoreNoise(
      @ForAll @DoubleRange(min = 0.05, max = 8) double eps,
      @ForAll @LongRange(min = 1, max = 10_000) long sens,
      @ForAll @LongRange(min = 1, max = 1000) long extra) {
    DpBudget small = DpBudget.of(eps, 1e-6, sens);
    assertThat(DpBudget.of(eps, 1e-6, sens + extra).totalMu()).isGreaterThan(small.totalMu());
    assertThat(DpBudget.of(eps, 1e-9, sens).totalMu()).isGreaterThan(small.totalMu());
  }

  @Test
  void achievedEpsilonDecreasesInMu() {
    DpBudget b = DpBudget.of(1, 1e-6, 10);
    double previous = Double.POSITIVE_INFINITY;
    for (double mu = 0.01; mu < 1e12; mu *= 3) {
      double e = b.achievedEpsilon(mu);
      assertThat(e).isLessThan(previous);
      previous = e;
    }
  }

  @Test
  void vectorSensitivities() {
    DpBudget scalar = DpBudget.of(1, 1e-6, 10);
    assertThat(DpBudget.ofVector(1, 1e-6, 10, 10).totalMu()).isEqualTo(scalar.totalMu());
    assertThat(DpBudget.ofVector(1, 1e-6, 100, 10).totalMu()).isGreaterThan(scalar.totalMu());
    assertThat(scalar.l1Sensitivity()).isEqualTo(10);
    assertThat(scalar.l2Sensitivity()).isEqualTo(10);
    assertThat(scalar.epsilon()).isEqualTo(1);
    assertThat(scalar.delta()).isEqualTo(1e-6);
    assertThat(scalar).isEqualTo(DpBudget.of(1, 1e-6, 10)).hasSameHashCodeAs(DpBudget.of(1, 1e-6, 10));
    assertThat(scalar.toString()).contains("epsilon=1.0", "totalMu=");
  }

  @Test
  void perPartySplit() {
    DpBudget b = DpBudget.of(0.5, 1e-7, 100);
    assertThat(b.perPartyMu(5) * 5).isCloseTo(b.totalMu(), within(b.totalMu() * 1e-12));
    assertThat(b.perPartyMu(1)).isEqualTo(b.totalMu());
    assertThat(b.perPartyMu(5, 2) * 3).isCloseTo(b.totalMu(), within(b.totalMu() * 1e-12));
    assertThat(b.totalNoiseStdDev()).isCloseTo(Math.sqrt(2 * b.totalMu()), within(1e-9));
    assertThatThrownBy(() -> b.perPartyMu(0)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("parties");
    assertThatThrownBy(() -> b.perPartyMu(3, 3)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("colludingParties");
    assertThatThrownBy(() -> b.perPartyMu(3, -1)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("colludingParties");
    assertThatThrownBy(() -> b.achievedEpsilon(0)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("mu");
  }

  @Test
  void badBudgetsRejectedNamingTheField() {
    for (double eps : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> DpBudget.of(eps, 1e-6, 1))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith("Cannot configure differential privacy: epsilon");
    }
    for (double delta : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
      assertThatThrownBy(() -> DpBudget.of(1, delta, 1))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith("Cannot configure differential privacy: delta");
    }
    for (long sens : new long[] {0, -5, Long.MIN_VALUE}) {
      assertThatThrownBy(() -> DpBudget.of(1, 1e-6, sens))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith("Cannot configure differential privacy: sensitivity");
    }
    assertThatThrownBy(() -> DpBudget.ofVector(1, 1e-6, 5, 10))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("l1Sensitivity");
    assertThatThrownBy(() -> DpBudget.ofVector(1, 1e-6, 5, 0.5))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("l2Sensitivity");
    // A budget needing noise beyond the sampler's range is refused, not silently capped.
    assertThatThrownBy(() -> DpBudget.of(0.01, 1e-12, 1L << 40))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot calibrate differential-privacy noise");
  }
}
