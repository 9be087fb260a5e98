package io.veil.spec;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.InvalidInputException;
import io.veil.crypto.sharing.FixedPoint;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Reads and writes the {@code featureAggregate} section of a job spec. */
public final class FeatureAggregateSection {
  private FeatureAggregateSection() {}

  /** Reads and validates the section against the spec's parties. */
  public static FeatureAggregateSpec read(SpecSection section, List<PartySpec> parties) {
    return read(section.reader(), section.root(), parties);
  }

  static FeatureAggregateSpec read(SpecReader r, JsonNode root, List<PartySpec> parties) {
    JsonNode f = r.object(root, "", "featureAggregate", true);
    r.allowOnly(f, "featureAggregate", Set.of("resultParty", "dims", "scale", "maxAbs", "normalize", "partitions",
        "batchRows"));
    String result = r.string(f, "featureAggregate", "resultParty", null);
    PartySpec resultSpec = parties.stream().filter(p -> p.id().equals(result)).findFirst().orElseThrow(() ->
        r.error("featureAggregate.resultParty", "names '" + result + "', which is not a party of the spec"));
    if (resultSpec.input() == null) {
      throw r.error("parties[" + result + "].input", "is required: the result party identifies the rows of Z by "
          + "its own keys");
    }
    if (resultSpec.output() == null) {
      throw r.error("parties[" + result + "].output", "is required: " + result + " receives Z");
    }
    int dims = r.integer(f, "featureAggregate", "dims", 0, 1, FeatureAggregateSpec.MAX_DIMS);
    if (!f.has("dims")) {
      throw r.error("featureAggregate.dims", "is required (the length of each party's vector)");
    }
    int scale = r.integer(f, "featureAggregate", "scale", FeatureAggregateSpec.DEFAULT_SCALE, 0, FixedPoint.MAX_SCALE);
    BigDecimal maxAbs = r.decimal(f, "featureAggregate", "maxAbs", true);
    FixedPoint format;
    try {
      format = FixedPoint.of(scale, maxAbs);
    } catch (InvalidInputException e) {
      throw r.error("featureAggregate", "has an unusable format: " + SpecReader.sentence(e.getMessage()));
    }
    int keyCount = -1;
    List<String> dataParties = new ArrayList<>();
    for (PartySpec p : parties) {
      String path = "parties[" + p.id() + "]";
      if (p.input() == null) {
        throw r.error(path + ".input", "is required: every party of a feature aggregation contributes a vector");
      }
      dataParties.add(p.id());
      int n = PsiSection.requireKeys(r, p);
      if (keyCount >= 0 && n != keyCount) {
        throw r.error(path + ".input.keyColumns", "has " + n + " columns but another party has " + keyCount
            + "; composite keys must match in length");
      }
      keyCount = n;
      List<String> cols = p.input().columns();
      if (cols == null || cols.size() != dims) {
        throw r.error(path + ".input.columns", "must list exactly " + dims + " columns (featureAggregate.dims), "
            + "the party's vector Z_i in order" + (cols == null ? "" : "; it lists " + cols.size()));
      }
      if (p.output() != null && !p.id().equals(result)) {
        throw r.error(path + ".output", "is set but only the result party (" + result + ") receives output; "
            + "remove it");
      }
    }
    if (dataParties.size() < 2) {
      throw r.error("parties", "lists " + dataParties.size() + " party but feature aggregation needs at least 2");
    }
    if (format.maxRowsBeforeOverflow(0) < dataParties.size()) {
      throw r.error("featureAggregate.maxAbs", "is too large: the sum of " + dataParties.size() + " values could "
          + "overflow 64 bits; lower maxAbs or scale");
    }
    return new FeatureAggregateSpec(result, dims, scale, maxAbs, PsiSection.normalization(r, f, "featureAggregate"),
        r.integer(f, "featureAggregate", "partitions", 8, 1, 10_000),
        r.integer(f, "featureAggregate", "batchRows", FeatureAggregateSpec.DEFAULT_BATCH_ROWS, 1, 1 << 20));
  }

  /** The canonical form of the section (defaults explicit). */
  public static Map<String, Object> canonical(FeatureAggregateSpec f) {
    Map<String, Object> m = new TreeMap<>();
    m.put("resultParty", f.resultParty());
    m.put("dims", f.dims());
    m.put("scale", f.scale());
    m.put("maxAbs", f.maxAbs().stripTrailingZeros().toPlainString());
    m.put("normalize", f.normalization().canonical());
    m.put("partitions", f.partitions());
    m.put("batchRows", f.batchRows());
    return m;
  }
}
