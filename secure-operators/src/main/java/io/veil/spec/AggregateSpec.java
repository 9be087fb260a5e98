package io.veil.spec;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Settings of a secure grouped SUM/COUNT ({@code operator: aggregate}).
 *
 * @param resultParty the party that learns the per-group totals
 * @param groupBy the group columns and their declared domains (the groups are their product)
 * @param sums the summed columns, each with its fixed-point format
 * @param minGroupSize groups with fewer rows (after noise, when DP is on) are suppressed: their sums
 *     are never computed
 * @param maxRowsPerParty the most rows any data party may contribute; with the formats it proves
 *     that no total can overflow 64 bits
 * @param dp differential-privacy budget for the whole release, or null for exact totals
 * @param partitions data-plane partitions per stream
 * @param batchRows ring elements per signed batch
 */
public record AggregateSpec(
    String resultParty,
    List<GroupColumn> groupBy,
    List<ValueColumn> sums,
    int minGroupSize,
    long maxRowsPerParty,
    DpSpec dp,
    int partitions,
    int batchRows) implements OperatorSettings {

  public static final int DEFAULT_MIN_GROUP_SIZE = 10;
  public static final long DEFAULT_MAX_ROWS_PER_PARTY = 1_000_000_000L;
  public static final int DEFAULT_BATCH_ROWS = 8192;
  /** Largest domain (number of groups): the per-group vectors are held on the driver. */
  public static final int MAX_GROUPS = 1_000_000;

  /** Number of groups in the domain: the product of the group columns' domain sizes. */
  public int groups() {
    long n = 1;
    for (GroupColumn g : groupBy) {
      n *= g.size();
    }
    return (int) n;
  }

  @Override
  public Map<String, Object> canonical() {
    return AggregateSection.canonical(this);
  }

  @Override
  public List<String> recipients() {
    return List.of(resultParty);
  }

  /**
   * The group columns as {@link ColumnUse#GROUP_BY} and the summed columns as
   * {@link ColumnUse#AGGREGATE}, for every data party; nothing for a party without input (the
   * result party only).
   */
  @Override
  public Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
    return party.input() == null ? new LinkedHashMap<>() : dataPartyUses();
  }

  /** Aggregation reads its group and summed columns only. */
  @Override
  public boolean readsEveryColumn(PartySpec party) {
    return false;
  }

  /**
   * Every column this operator reads from a data party's input, once each: the group columns, then
   * the summed columns.
   */
  public List<String> columns() {
    return List.copyOf(dataPartyUses().keySet());
  }

  private Map<String, Set<ColumnUse>> dataPartyUses() {
    Map<String, Set<ColumnUse>> uses = new LinkedHashMap<>();
    ColumnUse.GROUP_BY.addTo(uses, groupBy.stream().map(GroupColumn::column).toList());
    ColumnUse.AGGREGATE.addTo(uses, sums.stream().map(ValueColumn::column).toList());
    return uses;
  }

  /**
   * A group column and its domain: either an explicit list of values (compared with the column's
   * Spark string form) or numeric buckets {@code [from, from + width), ...} up to {@code to}.
   */
  public record GroupColumn(String column, List<String> values, Buckets buckets) implements java.io.Serializable {
    public int size() {
      return values != null ? values.size() : buckets.count();
    }

    /** The label of domain entry {@code i} in the output. */
    public String label(int i) {
      return values != null ? values.get(i) : buckets.label(i);
    }
  }

  /** Numeric buckets {@code [from + i*width, from + (i+1)*width)} for {@code i} in {@code 0..count-1}, ending at {@code to}. */
  public record Buckets(BigDecimal from, BigDecimal to, BigDecimal width) implements java.io.Serializable {
    public int count() {
      return to.subtract(from).divide(width, 0, RoundingMode.CEILING).intValueExact();
    }

    public BigDecimal lower(int i) {
      return from.add(width.multiply(BigDecimal.valueOf(i)));
    }

    public BigDecimal upper(int i) {
      return lower(i + 1).min(to);
    }

    public String label(int i) {
      return "[" + lower(i).toPlainString() + "," + upper(i).toPlainString() + ")";
    }
  }

  /**
   * A summed column.
   *
   * @param column input column
   * @param scale decimal places kept (fixed point)
   * @param maxAbs declared range: every value must satisfy {@code |v| <= maxAbs}
   * @param as output column name
   */
  public record ValueColumn(String column, int scale, BigDecimal maxAbs, String as) {}

  /** A differential-privacy budget for the whole release, split evenly over COUNT and each SUM. */
  public record DpSpec(double epsilon, double delta) {}
}
