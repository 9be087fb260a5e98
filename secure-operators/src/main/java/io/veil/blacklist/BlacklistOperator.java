package io.veil.blacklist;

import io.veil.blacklist.internal.Lookup;
import io.veil.job.Leakage;
import io.veil.job.OperatorContext;
import io.veil.job.OperatorResult;
import io.veil.job.SecureOperator;
import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import io.veil.InvalidInputException;
import io.veil.psi.PsiInputs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Blacklist lookup ({@code operator: blacklist-lookup}), an unbalanced PSI: a holder with a large
 * list (an anti-fraud blacklist, optionally with a reason code per id) and a querier with a few ids.
 * The querier learns which of its ids are listed, and their reasons; the holder learns how many
 * distinct ids were asked about.
 *
 * <h2>Protocol (semi-honest parties)</h2>
 * <ol>
 *   <li><b>Encoded once.</b> The holder encodes its list under a long-lived list key k (derived from
 *       its party key, the list's name and {@code keyVersion}) into its {@link BlacklistStore}: per id
 *       x a 16-byte tag and a sealed reason, both hashes of the OPRF output {@code F_k(x) =
 *       SHA-256(x, k*H(x))} ({@link io.veil.crypto.Oprf}). {@code veil blacklist encode} refreshes it
 *       incrementally when the list changes; a job whose store is missing encodes it first.
 *   <li><b>Copy ({@code sync}).</b> The querier keeps a copy of every (tag, sealed reason) record in
 *       its own storage. It tells the holder which version its copy is at; the holder sends nothing
 *       (up to date), the records added and the tags removed since (delta) or every record (full).
 *       The querier checks the result against the holder's announced record count and digest.
 *   <li><b>Query.</b> The querier blinds each distinct id with a per-run scalar r and sends {@code
 *       r*H(y)} (in an order unrelated to its input); the holder answers {@code k*r*H(y)} in place;
 *       the querier unblinds to {@code k*H(y)}, computes F_k(y), its tag and sealing key, and looks the
 *       tag up in its copy (one positional read per id). The query costs in proportion to the query.
 * </ol>
 *
 * <h2>Leakage (beyond the output)</h2>
 * The holder learns the number of distinct non-NULL ids asked about (and meters it as {@code
 * queriesAnswered}), not which. The querier learns the list's size and, at each refresh, how many
 * records were added and removed; the tags it holds are pseudo-random and can be tested only
 * through the holder's answers, one id at a time. The broker sees sizes only.
 */
public final class BlacklistOperator implements SecureOperator {
  public static final String NAME = "blacklist-lookup";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String section() {
    return "blacklist";
  }

  @Override
  public OperatorSettings readSettings(SpecSection section, List<PartySpec> parties) {
    return BlacklistSpec.read(section, parties);
  }

  @Override
  public void validateInput(JobSpec spec, PartySpec party, StructType schema) {
    BlacklistSpec b = spec.settings(BlacklistSpec.class);
    PsiInputs.validate(schema, party.input().keyColumns(), party.id(), "a blacklist lookup");
    if (party.id().equals(b.holder()) && b.reasonColumn() != null
        && !List.of(schema.fieldNames()).contains(b.reasonColumn())) {
      throw new InvalidInputException("Cannot run a blacklist lookup for " + party.id() + ": the reason column '"
          + b.reasonColumn() + "' is not in the input (columns: " + String.join(", ", schema.fieldNames())
          + "). Fix blacklist.reasonColumn in the spec or the input.");
    }
  }

  @Override
  public Optional<StructType> outputSchema(JobSpec spec, PartySpec party, StructType inputSchema) {
    BlacklistSpec b = spec.settings(BlacklistSpec.class);
    if (!party.id().equals(b.querier())) {
      return Optional.empty();
    }
    StructType out = inputSchema.add("listed", DataTypes.BooleanType, true);
    return Optional.of(b.reasonColumn() == null ? out : out.add("reason", DataTypes.StringType, true));
  }

  @Override
  public Map<String, String> display(JobSpec spec, String party, Map<String, String> figures) {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("list", figures.get("listRecords") + " ids, version " + figures.get("listVersion"));
    d.put("copy update", figures.get("syncMode") + " (" + figures.get("syncRecords") + " records)");
    if (figures.containsKey("queriesAnswered")) {
      d.put("ids answered", figures.get("queriesAnswered"));
    } else {
      d.put("ids asked", figures.get("queries"));
      d.put("ids listed", figures.get("listed"));
    }
    return d;
  }

  @Override
  public List<Leakage> leakage(JobSpec spec) {
    BlacklistSpec b = spec.settings(BlacklistSpec.class);
    return List.of(
        new Leakage(b.holder() + " (holder)", "the number of distinct non-NULL ids " + b.querier() + " asked about in "
            + "this job; not which ids, nor whether any is listed"),
        new Leakage(b.querier() + " (querier)", "the list's size and, at each refresh, how many ids were added and "
            + "removed; the copy's tags are pseudo-random and can be tested only through " + b.holder()
            + "'s answers, one id per answer (which " + b.holder() + " counts)"),
        new Leakage("Kafka operator / network", "the list's size, the update's size and the number of ids asked "
            + "about; no id, tag of a queried id, or reason"));
  }

  @Override
  public OperatorResult run(OperatorContext c) {
    BlacklistSpec b = c.settings(BlacklistSpec.class);
    Lookup.Result r = c.me().equals(b.holder()) ? Lookup.holder(c, b) : Lookup.querier(c, b);
    OperatorResult.Builder out = OperatorResult.builder().inputRows(r.inputRows())
        .rounds(r.rounds(), List.of(Lookup.STEP_SYNC, Lookup.STEP_QUERY, Lookup.STEP_ANSWER));
    r.figures().forEach(out::figure);
    r.output().ifPresent(out::output);
    return out.build();
  }
}
