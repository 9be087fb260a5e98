package io.veil.isum;

import io.veil.InvalidInputException;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.psi.KeyNormalization;
import io.veil.spec.ColumnUse;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Settings of a private intersection-sum ({@code operator: intersection-sum}, section {@code
 * intersectionSum}).
 *
 * @param idParty the party with ids (and the optional group column); it alone receives the result
 * @param valueParty the party with ids and the numeric values
 * @param values the value party's columns summed over the intersection
 * @param groupBy a column of the id party's input the result is grouped by, or null
 * @param minGroupSize groups whose intersection has fewer ids get no sums (their count is released)
 * @param partitions Spark partitions of each step
 * @param batchRows elements per signed batch (capped by the channel's record size)
 * @param normalization key normalisation, as in PSI
 */
public record IntersectionSumSpec(String idParty, String valueParty, List<Value> values, String groupBy,
    int minGroupSize, int partitions, int batchRows, KeyNormalization normalization) implements OperatorSettings {

  /** Most value columns: each takes a 128-bit slot of one Paillier plaintext of 2048 bits. */
  public static final int MAX_VALUES = 15;

  /**
   * One summed column.
   *
   * @param column the value party's column
   * @param scale decimal places kept (the value is encoded as an integer times 10^-scale)
   * @param maxAbs the largest absolute value accepted
   * @param as the output column's name
   */
  public record Value(String column, int scale, BigDecimal maxAbs, String as) {
    /** The fixed-point format of this column. */
    public FixedPoint format() {
      return FixedPoint.of(scale, maxAbs);
    }
  }

  /** Reads and validates the section against the spec's parties. */
  public static IntersectionSumSpec read(SpecSection s, List<PartySpec> parties) {
    s.require();
    s.allowOnly("idParty", "valueParty", "values", "groupBy", "minGroupSize", "partitions", "batchRows",
        "normalize");
    if (parties.size() != 2) {
      throw s.errorAt("parties", "lists " + parties.size() + " parties but an intersection-sum runs between exactly 2");
    }
    String idParty = s.party("idParty", parties);
    String valueParty = s.party("valueParty", parties);
    if (idParty.equals(valueParty)) {
      throw s.error("valueParty", "names the id party; the value party is the other party");
    }
    List<SpecSection> vs = s.list("values");
    if (vs.isEmpty() || vs.size() > MAX_VALUES) {
      throw s.error("values", "must list 1 to " + MAX_VALUES + " value columns of " + valueParty
          + " (e.g. [{column: amount, scale: 2}])");
    }
    List<Value> values = new ArrayList<>();
    Set<String> names = new HashSet<>(Set.of("intersection_size"));
    for (SpecSection v : vs) {
      v.allowOnly("column", "scale", "maxAbs", "as");
      String column = v.string("column", null);
      int scale = v.integer("scale", 0, 0, FixedPoint.MAX_SCALE);
      BigDecimal maxAbs = v.decimal("maxAbs", false).orElse(new BigDecimal(BigInteger.ONE.shiftLeft(62)
          .subtract(BigInteger.ONE)).movePointLeft(scale));
      String as = v.string("as", "sum_" + column.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_"));
      if (!as.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw v.error("as", "must be letters, digits and '_', not starting with a digit (got '" + as + "')");
      }
      if (!names.add(as.toLowerCase(Locale.ROOT))) {
        throw v.error("as", "gives output column '" + as + "', which another column already has; choose another");
      }
      try {
        FixedPoint.of(scale, maxAbs);
      } catch (InvalidInputException e) {
        throw v.error("", "has an unusable format: " + e.getMessage());
      }
      values.add(new Value(column, scale, maxAbs, as));
    }
    String groupBy = s.optionalString("groupBy").orElse(null);
    if (groupBy != null && !names.add(groupBy.toLowerCase(Locale.ROOT))) {
      throw s.error("groupBy", "names output column '" + groupBy + "', which a value column's output already has");
    }
    s.twoPartyInputs(parties, null, idParty, "id party", "the id party receives the intersection size and sums");
    return new IntersectionSumSpec(idParty, valueParty, List.copyOf(values), groupBy,
        s.integer("minGroupSize", groupBy == null ? 0 : 10, 0, 1_000_000_000), s.integer("partitions", 4, 1, 4096),
        s.integer("batchRows", 1024, 1, 1 << 20), s.normalization());
  }

  @Override
  public Map<String, Object> canonical() {
    Map<String, Object> m = new TreeMap<>();
    m.put("idParty", idParty);
    m.put("valueParty", valueParty);
    List<Object> vs = new ArrayList<>();
    for (Value v : values) {
      vs.add(Map.of("column", v.column(), "scale", v.scale(), "maxAbs", v.maxAbs().toPlainString(), "as", v.as()));
    }
    m.put("values", vs);
    m.put("groupBy", groupBy);
    m.put("minGroupSize", minGroupSize);
    m.put("partitions", partitions);
    m.put("batchRows", batchRows);
    m.put("normalize", normalization.canonical());
    return m;
  }

  @Override
  public List<String> recipients() {
    return List.of(idParty);
  }

  /** Ids are join keys; the group column is {@code group-by}; values are {@code aggregate}. */
  @Override
  public Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
    Map<String, Set<ColumnUse>> uses = new LinkedHashMap<>();
    ColumnUse.JOIN_KEY.addTo(uses, party.input().keyColumns());
    if (party.id().equals(idParty)) {
      if (groupBy != null) {
        ColumnUse.GROUP_BY.addTo(uses, List.of(groupBy));
      }
    } else {
      ColumnUse.AGGREGATE.addTo(uses, values.stream().map(Value::column).toList());
    }
    return uses;
  }

  /** Only the keys, the group column and the value columns are read. */
  @Override
  public boolean readsEveryColumn(PartySpec party) {
    return false;
  }
}
