package io.veil.isum;

import io.veil.InvalidInputException;
import io.veil.isum.internal.SumJoin;
import io.veil.job.Leakage;
import io.veil.job.OperatorContext;
import io.veil.job.OperatorResult;
import io.veil.job.SecureOperator;
import io.veil.psi.PsiInputs;
import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * Private intersection-sum ({@code operator: intersection-sum}): the id party learns how many of
 * its ids the value party also has and the sums of the value party's values over them (optionally
 * grouped by a column of its own), and nothing about which ids matched; the value party learns the
 * id party's number of ids and of groups. Ion, Kreuter, Nergiz, Patel, Saxena, Seth, Raykova, Shanahan,
 * Yung: "On Deploying Secure Computing: Private Intersection-Sum-with-Cardinality" (2020).
 *
 * <h2>Protocol (semi-honest parties)</h2>
 * <ol>
 *   <li>{@code blind-1}: the id party A sends H(a)^ka for its distinct ids, each with its group index
 *       sealed under a key of its own, in an order given by the points.
 *   <li>{@code values}: the value party B sends its Paillier public key (a fresh 2048-bit key per
 *       run) and H(b)^kb for its ids, each with Enc(v_b) (every value column packed into 128-bit
 *       slots of one plaintext).
 *   <li>{@code blind-2}: B blinds A's points again and returns their truncated hashes with the
 *       sealed groups, shuffled (sorted by the hashes), so A cannot tell which of its ids each is.
 *   <li>A blinds B's points again and matches: it learns how many ids (and which of B's blinded
 *       ids, meaningless to it) are shared per group, and multiplies their ciphertexts per group.
 *   <li>{@code sums}: for every group, A sends its product times Enc(mask), re-randomised (Enc(mask)
 *       alone for a group below {@code minGroupSize}); {@code open}: B decrypts and returns them; A
 *       removes the masks.
 * </ol>
 */
public final class IntersectionSumOperator implements SecureOperator {
  public static final String NAME = "intersection-sum";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String section() {
    return "intersectionSum";
  }

  @Override
  public OperatorSettings readSettings(SpecSection section, List<PartySpec> parties) {
    return IntersectionSumSpec.read(section, parties);
  }

  @Override
  public void validateInput(JobSpec spec, PartySpec party, StructType schema) {
    IntersectionSumSpec s = spec.settings(IntersectionSumSpec.class);
    PsiInputs.validate(schema, party.input().keyColumns(), party.id(), "the intersection-sum");
    List<String> names = List.of(schema.fieldNames());
    if (party.id().equals(s.idParty())) {
      if (s.groupBy() != null && !names.contains(s.groupBy())) {
        throw new InvalidInputException("Cannot run the intersection-sum for " + party.id() + ": group column '"
            + s.groupBy() + "' is not in the input (columns: " + String.join(", ", names) + "). Fix "
            + "intersectionSum.groupBy or the input.");
      }
      return;
    }
    for (IntersectionSumSpec.Value v : s.values()) {
      if (!names.contains(v.column())) {
        throw new InvalidInputException("Cannot run the intersection-sum for " + party.id() + ": value column '"
            + v.column() + "' is not in the input (columns: " + String.join(", ", names) + "). Fix "
            + "intersectionSum.values or the input.");
      }
      if (!(schema.apply(v.column()).dataType() instanceof NumericType)) {
        throw new InvalidInputException("Cannot run the intersection-sum for " + party.id() + ": value column '"
            + v.column() + "' has type " + schema.apply(v.column()).dataType().simpleString() + ", not a number. "
            + "Cast it in the input, or declare its type in input.schema.");
      }
    }
  }

  @Override
  public Optional<StructType> outputSchema(JobSpec spec, PartySpec party, StructType inputSchema) {
    IntersectionSumSpec s = spec.settings(IntersectionSumSpec.class);
    return party.id().equals(s.idParty()) ? Optional.of(SumJoin.outputSchema(s)) : Optional.empty();
  }

  @Override
  public Map<String, String> display(JobSpec spec, String party, Map<String, String> figures) {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("distinct ids", figures.get("distinctKeys"));
    d.put("peer's ids", figures.get("peerDistinctKeys"));
    if (figures.containsKey("intersectionSize")) {
      d.put("intersection size", figures.get("intersectionSize"));
      d.put("groups (released)", figures.get("groups") + " (" + figures.get("releasedGroups") + ")");
    } else {
      d.put("sums opened", figures.get("sumsOpened"));
    }
    return d;
  }

  @Override
  public List<Leakage> leakage(JobSpec spec) {
    IntersectionSumSpec s = spec.settings(IntersectionSumSpec.class);
    return List.of(
        new Leakage(s.idParty() + " (id party)", "the value party's number of distinct non-NULL ids; the "
            + "intersection's size" + (s.groupBy() == null ? "" : " in every group, including groups below "
            + "minGroupSize " + s.minGroupSize() + ", whose sums it does not learn") + "; not which ids matched"),
        new Leakage(s.valueParty() + " (value party)", "the id party's number of distinct non-NULL ids"
            + (s.groupBy() == null ? "" : " and of groups") + "; nothing about the intersection, not even its size"),
        new Leakage("Kafka operator / network", "both numbers of ids, the number of groups, sizes and timing; no id, "
            + "value, count or sum"));
  }

  @Override
  public OperatorResult run(OperatorContext c) {
    IntersectionSumSpec s = c.settings(IntersectionSumSpec.class);
    SumJoin.Result r = c.me().equals(s.idParty()) ? SumJoin.idParty(c, s) : SumJoin.valueParty(c, s);
    OperatorResult.Builder out = OperatorResult.builder().inputRows(r.inputRows()).rounds(r.rounds(),
        List.of(SumJoin.STEP_BLIND_1, SumJoin.STEP_VALUES, SumJoin.STEP_BLIND_2, SumJoin.STEP_SUMS, SumJoin.STEP_OPEN));
    r.figures().forEach(out::figure);
    r.output().ifPresent(out::output);
    return out.build();
  }
}
