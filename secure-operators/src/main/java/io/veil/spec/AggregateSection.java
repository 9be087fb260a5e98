package io.veil.spec;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.InvalidInputException;
import io.veil.aggregate.NoisePlan;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.spec.AggregateSpec.Buckets;
import io.veil.spec.AggregateSpec.DpSpec;
import io.veil.spec.AggregateSpec.GroupColumn;
import io.veil.spec.AggregateSpec.ValueColumn;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Reads and writes the {@code aggregate} section of a job spec. */
public final class AggregateSection {
  private static final Pattern OUTPUT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  private AggregateSection() {}

  /** Reads and validates the section against the spec's parties. */
  public static AggregateSpec read(SpecSection section, List<PartySpec> parties) {
    return read(section.reader(), section.root(), parties);
  }

  static AggregateSpec read(SpecReader r, JsonNode root, List<PartySpec> parties) {
    JsonNode a = r.object(root, "", "aggregate", true);
    r.allowOnly(a, "aggregate", Set.of("resultParty", "groupBy", "sums", "minGroupSize", "maxRowsPerParty", "dp",
        "partitions", "batchRows"));
    String result = r.string(a, "aggregate", "resultParty", null);
    if (parties.stream().noneMatch(p -> p.id().equals(result))) {
      throw r.error("aggregate.resultParty", "names '" + result + "', which is not a party of the spec");
    }
    List<String> dataParties = new ArrayList<>();
    for (PartySpec p : parties) {
      String path = "parties[" + p.id() + "]";
      if (p.input() == null) {
        if (!p.id().equals(result)) {
          throw r.error(path + ".input", "is missing: " + p.id() + " neither contributes an input nor receives "
              + "the result; give it an input or remove it");
        }
        continue;
      }
      dataParties.add(p.id());
      if (p.input().keyColumns() != null) {
        throw r.error(path + ".input.keyColumns", "is not used by aggregate (rows are grouped by "
            + "aggregate.groupBy); remove it");
      }
      if (p.input().columns() != null) {
        throw r.error(path + ".input.columns", "is not used by aggregate (it reads the groupBy and sums "
            + "columns); remove it");
      }
      if (p.output() != null && !p.id().equals(result)) {
        throw r.error(path + ".output", "is set but only the result party (" + result + ") receives output; "
            + "remove it");
      }
    }
    if (dataParties.size() < 2) {
      throw r.error("parties", "has " + dataParties.size() + " part" + (dataParties.size() == 1 ? "y" : "ies")
          + " with an input but aggregate needs at least 2 (with one, its totals would be its own data)");
    }
    if (parties.stream().filter(p -> p.id().equals(result)).findFirst().get().output() == null) {
      throw r.error("parties[" + result + "].output", "is required: " + result + " receives the totals");
    }

    List<GroupColumn> groupBy = new ArrayList<>();
    Set<String> names = new HashSet<>();
    JsonNode gs = a.get("groupBy");
    if (gs != null && !gs.isNull()) {
      if (!gs.isArray()) {
        throw r.error("aggregate.groupBy", "must be a list");
      }
      int i = 0;
      long groups = 1;
      for (JsonNode g : gs) {
        String path = "aggregate.groupBy[" + i++ + "]";
        GroupColumn col = groupColumn(r, g, path);
        if (!names.add(col.column().toLowerCase(Locale.ROOT))) {
          throw r.error(path + ".column", "repeats column '" + col.column() + "'");
        }
        groups *= col.size();
        if (groups > AggregateSpec.MAX_GROUPS) {
          throw r.error("aggregate.groupBy", "declares more than " + AggregateSpec.MAX_GROUPS
              + " groups (the product of the domain sizes); use coarser buckets or fewer group columns");
        }
        groupBy.add(col);
      }
    }
    int minGroupSize = r.integer(a, "aggregate", "minGroupSize", AggregateSpec.DEFAULT_MIN_GROUP_SIZE, 0,
        Integer.MAX_VALUE);
    long maxRows = r.longValue(a, "aggregate", "maxRowsPerParty", AggregateSpec.DEFAULT_MAX_ROWS_PER_PARTY, 1);
    DpSpec dp = null;
    JsonNode dpNode = r.object(a, "aggregate", "dp", false);
    if (dpNode != null) {
      r.allowOnly(dpNode, "aggregate.dp", Set.of("epsilon", "delta"));
      dp = new DpSpec(r.real(dpNode, "aggregate.dp", "epsilon"), r.real(dpNode, "aggregate.dp", "delta"));
    }

    List<ValueColumn> sums = new ArrayList<>();
    JsonNode ss = a.get("sums");
    if (ss != null && !ss.isNull()) {
      if (!ss.isArray()) {
        throw r.error("aggregate.sums", "must be a list");
      }
      Set<String> outNames = new HashSet<>(Set.of("count", "suppressed"));
      groupBy.forEach(g -> outNames.add(g.column().toLowerCase(Locale.ROOT)));
      int i = 0;
      for (JsonNode v : ss) {
        String path = "aggregate.sums[" + i++ + "]";
        r.allowOnly(v, path, Set.of("column", "scale", "maxAbs", "as"));
        String column = r.string(v, path, "column", null);
        int scale = r.integer(v, path, "scale", 0, 0, FixedPoint.MAX_SCALE);
        BigDecimal maxAbs = r.decimal(v, path, "maxAbs", true);
        String as = r.string(v, path, "as", "sum_" + column.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_"));
        if (!OUTPUT_NAME.matcher(as).matches()) {
          throw r.error(path + ".as", "must be letters, digits and '_', not starting with a digit (got '" + as + "')");
        }
        if (!outNames.add(as.toLowerCase(Locale.ROOT))) {
          throw r.error(path + ".as", "gives output column '" + as + "', which another column already has; "
              + "choose another name");
        }
        try {
          FixedPoint.of(scale, maxAbs);
        } catch (InvalidInputException e) {
          throw r.error(path, "has an unusable format: " + SpecReader.sentence(e.getMessage()));
        }
        sums.add(new ValueColumn(column, scale, maxAbs, as));
      }
    }
    int partitions = r.integer(a, "aggregate", "partitions", 8, 1, 10_000);
    int batchRows = r.integer(a, "aggregate", "batchRows", AggregateSpec.DEFAULT_BATCH_ROWS, 1, 1 << 20);
    AggregateSpec spec = new AggregateSpec(result, List.copyOf(groupBy), List.copyOf(sums), minGroupSize, maxRows, dp,
        partitions, batchRows);

    NoisePlan noise;
    try {
      noise = NoisePlan.of(spec, dataParties);
    } catch (InvalidInputException e) {
      throw r.error("aggregate.dp", "cannot be met: " + SpecReader.sentence(e.getMessage()));
    }
    long rows = Math.multiplyExact((long) dataParties.size(), maxRows);
    for (int c = 0; c < sums.size(); c++) {
      ValueColumn v = sums.get(c);
      FixedPoint f = FixedPoint.of(v.scale(), v.maxAbs());
      long headroom = noise.sumHeadroom(c);
      if (rows > f.maxRowsBeforeOverflow(headroom)) {
        throw r.error("aggregate.sums[" + c + "]", "could overflow 64 bits: " + dataParties.size() + " parties x "
            + maxRows + " rows (maxRowsPerParty) of values up to " + v.maxAbs().toPlainString() + " at scale "
            + v.scale() + (headroom > 0 ? " plus the DP noise" : "") + " can exceed 2^63-1; lower "
            + "maxRowsPerParty, maxAbs or scale");
      }
    }
    return spec;
  }

  private static GroupColumn groupColumn(SpecReader r, JsonNode g, String path) {
    r.allowOnly(g, path, Set.of("column", "values", "buckets"));
    String column = r.string(g, path, "column", null);
    List<String> values = r.strings(g, path, "values", false);
    JsonNode b = r.object(g, path, "buckets", false);
    if ((values == null) == (b == null)) {
      throw r.error(path, "must declare its domain with exactly one of 'values' (a list) or 'buckets' "
          + "({from, to, width})");
    }
    if (values != null) {
      if (values.isEmpty()) {
        throw r.error(path + ".values", "is empty; list every value the column may take");
      }
      if (new HashSet<>(values).size() != values.size()) {
        throw r.error(path + ".values", "lists a value twice");
      }
      return new GroupColumn(column, List.copyOf(values), null);
    }
    r.allowOnly(b, path + ".buckets", Set.of("from", "to", "width"));
    BigDecimal from = r.decimal(b, path + ".buckets", "from", true);
    BigDecimal to = r.decimal(b, path + ".buckets", "to", true);
    BigDecimal width = r.decimal(b, path + ".buckets", "width", true);
    if (width.signum() <= 0) {
      throw r.error(path + ".buckets.width", "must be positive");
    }
    if (to.compareTo(from) <= 0) {
      throw r.error(path + ".buckets.to", "must be greater than 'from'");
    }
    if (to.subtract(from).divide(width, 0, java.math.RoundingMode.CEILING).compareTo(
        BigDecimal.valueOf(AggregateSpec.MAX_GROUPS)) > 0) {
      throw r.error(path + ".buckets", "makes more than " + AggregateSpec.MAX_GROUPS + " buckets; widen them");
    }
    return new GroupColumn(column, null, new Buckets(from, to, width));
  }

  /** The canonical form of the section (defaults explicit). */
  public static Map<String, Object> canonical(AggregateSpec a) {
    Map<String, Object> m = new TreeMap<>();
    m.put("resultParty", a.resultParty());
    List<Object> gs = new ArrayList<>();
    for (GroupColumn g : a.groupBy()) {
      Map<String, Object> gm = new TreeMap<>();
      gm.put("column", g.column());
      if (g.values() != null) {
        gm.put("values", g.values());
      } else {
        gm.put("buckets", Map.of("from", g.buckets().from().toPlainString(), "to", g.buckets().to().toPlainString(),
            "width", g.buckets().width().toPlainString()));
      }
      gs.add(gm);
    }
    m.put("groupBy", gs);
    List<Object> ss = new ArrayList<>();
    for (ValueColumn v : a.sums()) {
      Map<String, Object> vm = new LinkedHashMap<>();
      vm.put("column", v.column());
      vm.put("scale", v.scale());
      vm.put("maxAbs", v.maxAbs().stripTrailingZeros().toPlainString());
      vm.put("as", v.as());
      ss.add(vm);
    }
    m.put("sums", ss);
    m.put("minGroupSize", a.minGroupSize());
    m.put("maxRowsPerParty", a.maxRowsPerParty());
    m.put("dp", a.dp() == null ? null : Map.of("epsilon", a.dp().epsilon(), "delta", a.dp().delta()));
    m.put("partitions", a.partitions());
    m.put("batchRows", a.batchRows());
    return m;
  }
}
