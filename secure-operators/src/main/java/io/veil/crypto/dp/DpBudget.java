package io.veil.crypto.dp;

import io.veil.InvalidInputException;
import java.util.Arrays;
import java.util.Objects;

/**
 * An (epsilon, delta) differential-privacy budget for one release of a sum, and the Skellam noise
 * calibrated to it.
 *
 * <p><b>Mechanism.</b> The released value is {@code f(D) + Z}, with {@code f} an integer-valued
 * (fixed-point) sum and {@code Z ~ }{@link SkellamNoise Skellam}{@code (mu)} per coordinate, the
 * noise being the sum of the parties' independent shares ({@link #perPartyMu(int)}). Sensitivities
 * are in fixed-point units: the largest L1 and L2 change of {@code f} when one row is added or
 * removed (for a scalar SUM of values clipped to {@code |v| <= c}, both are {@code c} encoded; for a
 * COUNT, 1).
 *
 * <p><b>Bound.</b> By Agarwal, Kairouz and Liu, "The Skellam Mechanism for Differentially Private
 * Federated Learning" (NeurIPS 2021), the Skellam mechanism with parameter {@code mu} and
 * sensitivities {@code Δ1, Δ2} is {@code (α, ε(α))}-Rényi-DP for integer orders {@code α > 1},
 * with
 *
 * <pre>
 *   ε(α) = α Δ2² / (4 mu) + min( ((2α - 1) Δ2² + 6 Δ1) / (16 mu²),  3 Δ1 / (4 mu) ).
 * </pre>
 *
 * The first term is exactly the Rényi divergence of the Gaussian mechanism with the same variance
 * {@code 2 mu}; the second is the price of discreteness, negligible when {@code mu >> Δ2}.
 * Rényi-DP is converted to (ε, δ)-DP with the standard conversion (Mironov 2017, Prop. 3):
 * {@code ε = min over α of ε(α) + log(1/δ) / (α - 1)}. The minimum is taken over a fixed set of
 * integer orders (every integer 2..1000, then a 2% geometric grid up to about 10^8); a minimum over a
 * subset of the valid orders is still a valid, slightly conservative, bound. (Bun and Steinke 2016,
 * "Concentrated Differential Privacy", give the zCDP view of the first term: it is {@code
 * ρ}-zCDP with {@code ρ = Δ2² / (4 mu)}.)
 *
 * <p><b>Calibration.</b> {@link #totalMu()} is the smallest {@code mu} (to double precision, by
 * bisection) with {@link #achievedEpsilon(double) achievedEpsilon(mu)} {@code <= epsilon}; since
 * every {@code ε(α)} decreases in {@code mu}, the achieved epsilon is monotone and the calibrated
 * {@code mu} grows as epsilon or delta shrink or the sensitivity grows.
 *
 * <p><b>Scope of the guarantee.</b> One release; composing several releases (several columns,
 * groups a row can belong to, repeated jobs) needs the budget split or an accountant, which this
 * class does not do. The guarantee holds against parties that do not know the noise; a coalition
 * removes its own noise shares, so against {@code t} colluding parties use {@link
 * #perPartyMu(int, int)}.
 *
 * <p>Immutable and thread-safe. Contains no secrets.
 */
public final class DpBudget {
  private static final double[] ORDERS = orders();

  private final double epsilon;
  private final double delta;
  private final double l1Sensitivity;
  private final double l2Sensitivity;
  private final double totalMu;

  private DpBudget(double epsilon, double delta, double l1, double l2) {
    this.epsilon = epsilon;
    this.delta = delta;
    this.l1Sensitivity = l1;
    this.l2Sensitivity = l2;
    this.totalMu = calibrate();
  }

  /**
   * A budget for a scalar sum whose value one row can change by at most {@code sensitivity}
   * fixed-point units (L1 = L2 sensitivity).
   *
   * @throws InvalidInputException naming the field, if {@code epsilon} is not a finite number above
   *     0, {@code delta} is not in (0, 1), {@code sensitivity < 1}, or the budget needs more noise
   *     than {@link SkellamNoise#MAX_MU}
   */
  public static DpBudget of(double epsilon, double delta, long sensitivity) {
    if (sensitivity < 1) {
      throw new InvalidInputException(
          "Cannot configure differential privacy: sensitivity must be >= 1 fixed-point unit (got "
              + sensitivity + "). Set it to the largest change one row can make to the released"
              + " sum, in fixed-point units (1 for COUNT).");
    }
    return ofVector(epsilon, delta, sensitivity, sensitivity);
  }

  /**
   * A budget for a vector sum with L1 and L2 sensitivities {@code l1Sensitivity >= l2Sensitivity >=
   * 1} in fixed-point units.
   *
   * @throws InvalidInputException naming the field, as for {@link #of(double, double, long)}, or if
   *     {@code l1Sensitivity < l2Sensitivity} (impossible for a real vector)
   */
  public static DpBudget ofVector(
      double epsilon, double delta, double l1Sensitivity, double l2Sensitivity) {
    if (!(epsilon > 0) || epsilon == Double.POSITIVE_INFINITY) {
      throw new InvalidInputException(
          "Cannot configure differential privacy: epsilon must be a finite number > 0 (got "
              + epsilon + "). Set epsilon in the privacy budget of the job spec, e.g. 1.0.");
    }
    if (!(delta > 0 && delta < 1)) {
      throw new InvalidInputException(
          "Cannot configure differential privacy: delta must be in (0, 1) (got " + delta
              + "). Set delta in the privacy budget of the job spec well below 1 / number of rows,"
              + " e.g. 1e-7.");
    }
    if (!(l2Sensitivity >= 1) || l2Sensitivity == Double.POSITIVE_INFINITY) {
      throw new InvalidInputException(
          "Cannot configure differential privacy: l2Sensitivity must be a finite number >= 1"
              + " fixed-point unit (got " + l2Sensitivity + "). Set it to the largest L2 change one"
              + " row can make to the released vector.");
    }
    if (!(l1Sensitivity >= l2Sensitivity) || l1Sensitivity == Double.POSITIVE_INFINITY) {
      throw new InvalidInputException(
          "Cannot configure differential privacy: l1Sensitivity must be finite and >="
              + " l2Sensitivity (got " + l1Sensitivity + " < " + l2Sensitivity + "). Every vector's"
              + " L1 norm is at least its L2 norm; check both sensitivities.");
    }
    return new DpBudget(epsilon, delta, l1Sensitivity, l2Sensitivity);
  }

  public double epsilon() {
    return epsilon;
  }

  public double delta() {
    return delta;
  }

  public double l1Sensitivity() {
    return l1Sensitivity;
  }

  public double l2Sensitivity() {
    return l2Sensitivity;
  }

  /** The Skellam parameter of the total noise: {@code Skellam(totalMu)}, variance {@code 2 mu}. */
  public double totalMu() {
    return totalMu;
  }

  /** Standard deviation of the total noise per coordinate, {@code sqrt(2 totalMu)}, in units. */
  public double totalNoiseStdDev() {
    return Math.sqrt(2 * totalMu);
  }

  /**
   * The parameter each of {@code parties} parties passes to {@link SkellamNoise}: {@code totalMu /
   * parties}. Assumes no party colludes to remove its noise; see {@link #perPartyMu(int, int)}.
   *
   * @throws InvalidInputException if {@code parties < 1}
   */
  public double perPartyMu(int parties) {
    return perPartyMu(parties, 0);
  }

  /**
   * The per-party parameter such that the noise of the {@code parties - colludingParties} honest
   * parties alone is {@code Skellam(>= totalMu)}: {@code totalMu / (parties - colludingParties)}. The
   * guarantee then holds even against a coalition of {@code colludingParties} parties that subtract
   * their own noise; the result carries correspondingly more noise.
   *
   * @throws InvalidInputException if {@code parties < 1} or {@code colludingParties} is not in
   *     {@code 0..parties-1}
   */
  public double perPartyMu(int parties, int colludingParties) {
    if (parties < 1) {
      throw new InvalidInputException(
          "Cannot split differential-privacy noise: parties must be >= 1 (got " + parties
              + "). Pass the number of parties contributing noise.");
    }
    if (colludingParties < 0 || colludingParties >= parties) {
      throw new InvalidInputException(
          "Cannot split differential-privacy noise: colludingParties must be in 0.." + (parties - 1)
              + " (got " + colludingParties + "). At least one party must be honest.");
    }
    return totalMu / (parties - colludingParties);
  }

  /**
   * The epsilon this budget's delta and sensitivities achieve with total noise {@code
   * Skellam(mu)}, by the bound in the class documentation; for reporting, e.g. the actual guarantee
   * when fewer parties than planned contributed noise. Decreasing in {@code mu}.
   *
   * @throws InvalidInputException if {@code mu} is not a finite number above 0
   */
  public double achievedEpsilon(double mu) {
    if (!(mu > 0) || mu == Double.POSITIVE_INFINITY) {
      throw new InvalidInputException(
          "Cannot compute the achieved epsilon: mu must be a finite number > 0 (got " + mu
              + "). Pass the total Skellam parameter of the noise added.");
    }
    return epsilonFor(mu);
  }

  private double epsilonFor(double mu) {
    double logInvDelta = -Math.log(delta);
    double best = Double.POSITIVE_INFINITY;
    for (double alpha : ORDERS) {
      double eps = rdpEpsilon(alpha, mu, l1Sensitivity, l2Sensitivity) + logInvDelta / (alpha - 1);
      best = Math.min(best, eps);
    }
    return best;
  }

  /** The Skellam mechanism's Rényi-DP epsilon at integer order {@code alpha} (Agarwal et al.). */
  static double rdpEpsilon(double alpha, double mu, double l1, double l2) {
    double l2sq = l2 * l2;
    double discrete =
        Math.min(((2 * alpha - 1) * l2sq + 6 * l1) / (16 * mu * mu), 3 * l1 / (4 * mu));
    return alpha * l2sq / (4 * mu) + discrete;
  }

  private double calibrate() {
    // Bracket: epsilonFor(lo) > epsilon >= epsilonFor(hi), hi = 2 lo.
    double hi = 1;
    while (epsilonFor(hi) > epsilon) {
      hi *= 2;
      if (hi > 2 * SkellamNoise.MAX_MU) {
        throw tooMuchNoise();
      }
    }
    double lo = hi / 2;
    while (epsilonFor(lo) <= epsilon) {
      if (lo < 1e-12) {
        return lo; // epsilon so large that practically no noise is needed
      }
      hi = lo;
      lo /= 2;
    }
    for (int i = 0; i < 80 && hi - lo > Math.ulp(hi); i++) {
      double mid = lo + (hi - lo) / 2;
      if (epsilonFor(mid) <= epsilon) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    if (hi > SkellamNoise.MAX_MU) {
      throw tooMuchNoise();
    }
    return hi;
  }

  private InvalidInputException tooMuchNoise() {
    return new InvalidInputException(
        "Cannot calibrate differential-privacy noise: epsilon " + epsilon + " and delta " + delta
            + " with l2Sensitivity " + l2Sensitivity + " need a Skellam parameter above "
            + SkellamNoise.MAX_MU + ". Increase epsilon or delta, or lower the sensitivity (clip"
            + " values to a smaller range or use a smaller fixed-point scale).");
  }

  private static double[] orders() {
    double[] out = new double[4000];
    int n = 0;
    for (int a = 2; a <= 1000; a++) {
      out[n++] = a;
    }
    double a = 1000;
    while (a < 1e8) {
      a = Math.ceil(a * 1.02);
      out[n++] = a;
    }
    return Arrays.copyOf(out, n);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof DpBudget)) {
      return false;
    }
    DpBudget other = (DpBudget) o;
    return Double.compare(epsilon, other.epsilon) == 0
        && Double.compare(delta, other.delta) == 0
        && Double.compare(l1Sensitivity, other.l1Sensitivity) == 0
        && Double.compare(l2Sensitivity, other.l2Sensitivity) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(epsilon, delta, l1Sensitivity, l2Sensitivity);
  }

  @Override
  public String toString() {
    return "DpBudget{epsilon=" + epsilon + ", delta=" + delta + ", l1Sensitivity=" + l1Sensitivity
        + ", l2Sensitivity=" + l2Sensitivity + ", totalMu=" + totalMu + "}";
  }
}
