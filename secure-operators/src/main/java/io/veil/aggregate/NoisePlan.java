package io.veil.aggregate;

import io.veil.crypto.dp.DpBudget;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.spec.AggregateSpec;
import io.veil.spec.AggregateSpec.ValueColumn;
import java.util.ArrayList;
import java.util.List;

/**
 * How the differential-privacy budget of an {@code aggregate} job is spent, derived from the spec
 * alone so every party computes the same plan.
 *
 * <p><b>Accounting.</b> The release is the COUNT vector and one SUM vector per summed column. One
 * row belongs to exactly one group, so for each of these {@code k + 1} vectors a row changes one
 * coordinate: by 1 for COUNT, by at most {@code maxAbs} (in fixed-point units: {@code
 * maxAbs * 10^scale}) for a SUM. The job's {@code (epsilon, delta)} is split evenly over the {@code
 * k + 1} vectors (basic composition), and each vector gets Skellam noise calibrated by {@link
 * DpBudget} to its share and sensitivity.
 *
 * <p><b>Who adds the noise.</b> Each data party adds its share, {@code Skellam(mu / m)}, to its own
 * vector before masking. A party that learns a total knows, and could remove, its own share: the
 * result party, when it is itself a data party, learns every total; and each other data party
 * learns the COUNT of every released group (the release check, when {@code minGroupSize > 0}). So
 * {@code m} leaves one party's share out: it is the number of data parties minus one for a SUM when
 * the result party is a data party, and for the COUNT whenever either holds; the full {@code mu}
 * then still protects every party's rows against each party that learns a total.
 *
 * <p><b>Overflow.</b> {@link #sumHeadroom(int)} bounds the total noise of a coordinate (64 standard
 * deviations plus 64; a Skellam tail beyond that has probability far below 2^-100) so the spec's
 * overflow check leaves room for it.
 */
public final class NoisePlan {
  private final boolean enabled;
  private final double countMuPerParty;
  private final double[] sumMuPerParty;
  private final DpBudget countBudget;
  private final List<DpBudget> sumBudgets;
  private final int contributors;

  private NoisePlan(boolean enabled, double countMu, double[] sumMu, DpBudget countBudget, List<DpBudget> sumBudgets,
      int contributors) {
    this.enabled = enabled;
    this.countMuPerParty = countMu;
    this.sumMuPerParty = sumMu;
    this.countBudget = countBudget;
    this.sumBudgets = sumBudgets;
    this.contributors = contributors;
  }

  /** The plan for {@code spec} with these data parties. */
  public static NoisePlan of(AggregateSpec spec, List<String> dataParties) {
    int k = spec.sums().size();
    if (spec.dp() == null) {
      return new NoisePlan(false, 0, new double[k], null, List.of(), dataParties.size());
    }
    double eps = spec.dp().epsilon() / (k + 1);
    double delta = spec.dp().delta() / (k + 1);
    int parties = dataParties.size();
    int colluding = dataParties.contains(spec.resultParty()) ? 1 : 0;
    // The data parties that check the release learn the released COUNTs, their own share included.
    int countColluding = spec.minGroupSize() > 0 ? 1 : colluding;
    DpBudget count = DpBudget.of(eps, delta, 1);
    List<DpBudget> sums = new ArrayList<>();
    double[] sumMu = new double[k];
    for (int c = 0; c < k; c++) {
      ValueColumn v = spec.sums().get(c);
      DpBudget b = DpBudget.of(eps, delta, FixedPoint.of(v.scale(), v.maxAbs()).maxEncoded());
      sums.add(b);
      sumMu[c] = b.perPartyMu(parties, colluding);
    }
    return new NoisePlan(true, count.perPartyMu(parties, countColluding), sumMu, count, List.copyOf(sums), parties);
  }

  /** True if the spec asks for DP noise. */
  public boolean enabled() {
    return enabled;
  }

  /** Skellam parameter each data party uses for its COUNT noise (0: none). */
  public double countMuPerParty() {
    return countMuPerParty;
  }

  /** Skellam parameter each data party uses for SUM column {@code c} (0: none). */
  public double sumMuPerParty(int c) {
    return sumMuPerParty[c];
  }

  /** Standard deviation of the total COUNT noise of a group, in rows (0 without DP). */
  public double countStdDev() {
    return Math.sqrt(2 * countMuPerParty * contributors);
  }

  /** Standard deviation of the total noise of SUM column {@code c}, in fixed-point units. */
  public double sumStdDev(int c) {
    return Math.sqrt(2 * sumMuPerParty[c] * contributors);
  }

  /** Bound on the absolute total noise of one coordinate of SUM column {@code c}, in fixed-point units. */
  public long sumHeadroom(int c) {
    return enabled ? (long) Math.ceil(64 * sumStdDev(c)) + 64 : 0;
  }

  /** The budget behind the COUNT noise (null without DP). */
  public DpBudget countBudget() {
    return countBudget;
  }

  /** The budgets behind each SUM column's noise (empty without DP). */
  public List<DpBudget> sumBudgets() {
    return sumBudgets;
  }
}
