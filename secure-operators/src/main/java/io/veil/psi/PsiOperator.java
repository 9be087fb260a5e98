package io.veil.psi;

import io.veil.job.Leakage;
import io.veil.job.OperatorContext;
import io.veil.job.OperatorResult;
import io.veil.job.SecureOperator;
import io.veil.psi.internal.OprfPsiProtocol;
import io.veil.psi.internal.PsiProtocol;
import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.PsiSection;
import io.veil.spec.PsiSpec;
import io.veil.spec.SpecSection;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Two-party private set intersection ({@code operator: psi}): ECDH-PSI (Diffie-Hellman blinding,
 * Meadows 1986; Huberman, Franklin, Hogg 1999) over Curve25519 with RFC 9380 hash-to-curve and
 * RFC 7748 X25519, run as Spark jobs.
 *
 * <h2>Protocol (semi-honest parties)</h2>
 * <ol>
 *   <li>Each party commits to its input and binds it (see {@link OperatorContext#bindInput}); its
 *       blinding key a is a secret of this run, derived from its party key, the job and every
 *       party's input commitment.
 *   <li>Each party normalises its key columns, drops NULL keys (counted) and deduplicates; each
 *       distinct key k becomes H(k)^a (hash to the curve, blind). The blinded set is repartitioned
 *       and sorted by the blinded values (an order unrelated to the input table) and sent in signed
 *       batches (step {@code blind-1}).
 *   <li>Each party validates every point it receives and blinds it again: H(y)^(ab). Its
 *       truncated hash is either answered back to the peer in place (rows mode, peer is a
 *       recipient), answered as a shuffled set (cardinality mode), or kept (step
 *       {@code blind-2}).
 *   <li>A recipient compares the truncated hashes of its own doubly-blinded keys (answered by the
 *       peer) with those of the peer's keys (computed itself) and joins matches back to its rows.
 * </ol>
 * Every crypto operation runs in executors; the driver only sees counts and digests.
 *
 * <h2>Leakage (beyond the output)</h2>
 * Both parties learn the other's number of distinct non-NULL keys. A non-recipient learns nothing
 * else. A recipient in rows mode learns which of its own keys are shared; in cardinality mode only
 * how many. Hash comparison length is chosen so that a false match has probability at most 2^-40.
 * A re-run of the same job (same spec and period) resumes only over unchanged inputs; over a changed
 * input it is refused, and its keys would differ anyway.
 *
 * <h2>Output</h2>
 * At a recipient: in rows mode its input rows whose key is in the intersection (every column, every
 * duplicate row of a matching key); in cardinality mode one row {@code intersection_size}.
 */
public final class PsiOperator implements SecureOperator {
  public static final String NAME = "psi";

  @Override
  public String name() {
    return NAME;
  }

  /** What a recipient of a cardinality-mode job receives: one row. */
  private static final StructType CARDINALITY_SCHEMA =
      new StructType().add("intersection_size", DataTypes.LongType, false);

  @Override
  public String section() {
    return "psi";
  }

  @Override
  public OperatorSettings readSettings(SpecSection section, List<PartySpec> parties) {
    return PsiSection.read(section, parties);
  }

  @Override
  public void validateInput(JobSpec spec, PartySpec party, StructType schema) {
    PsiInputs.validate(schema, party.input().keyColumns(), party.id());
  }

  @Override
  public Optional<StructType> outputSchema(JobSpec spec, PartySpec party, StructType inputSchema) {
    PsiSpec psi = (PsiSpec) spec.settings();
    if (!psi.recipients().contains(party.id())) {
      return Optional.empty();
    }
    return Optional.of(psi.mode() == PsiMode.ROWS ? inputSchema : CARDINALITY_SCHEMA);
  }

  @Override
  public Map<String, String> display(JobSpec spec, String party, Map<String, String> figures) {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("distinct keys", figures.get("distinctKeys"));
    d.put("peer's keys", figures.get("peerDistinctKeys"));
    d.put("intersection size", figures.getOrDefault("intersectionSize", "(not a recipient)"));
    return d;
  }

  @Override
  public List<Leakage> leakage(JobSpec spec) {
    PsiSpec psi = spec.settings(PsiSpec.class);
    if (psi.protocol() == PsiSpec.Protocol.OPRF) {
      return oprfLeakage(spec, psi);
    }
    boolean rows = psi.mode() == PsiMode.ROWS;
    List<Leakage> out = new ArrayList<>();
    for (PartySpec p : spec.parties()) {
      boolean recipient = psi.recipients().contains(p.id());
      String role = p.id() + (recipient ? " (recipient)" : " (not a recipient)");
      String learns;
      if (rows) {
        learns = recipient
            ? "which of its own keys are shared with the peer; the peer's number of distinct non-NULL keys"
            : "the peer's number of distinct non-NULL keys; nothing about the intersection";
      } else {
        learns = recipient
            ? "the intersection size, not which keys are shared; the peer's number of distinct non-NULL keys"
            : "the peer's number of distinct non-NULL keys; nothing about the intersection";
      }
      out.add(new Leakage(role, learns));
    }
    out.add(new Leakage("Kafka operator / network", "both set sizes (distinct non-NULL keys), who receives "
        + "answers, batch counts and timing; no key, raw or normalised, and not the intersection size"));
    return List.copyOf(out);
  }

  private static List<Leakage> oprfLeakage(JobSpec spec, PsiSpec psi) {
    List<String> ids = spec.parties().stream().map(PartySpec::id).toList();
    String receiver = OprfPsiProtocol.receiver(ids, Set.copyOf(psi.recipients()));
    List<Leakage> out = new ArrayList<>();
    for (String p : ids) {
      boolean recipient = psi.recipients().contains(p);
      String role = p + (p.equals(receiver) ? " (OPRF receiver, recipient)"
          : recipient ? " (OPRF sender, recipient)" : " (OPRF sender, not a recipient)");
      String learns = p.equals(receiver)
          ? "which of its own keys are shared with the peer; the peer's number of distinct non-NULL keys, in all "
              + "and per partition"
          : (recipient ? "which of its own keys are shared (the receiver returns the values that matched); "
              : "nothing about the intersection; ")
              + "the peer's number of distinct non-NULL keys and of cuckoo bins per partition";
      out.add(new Leakage(role, learns));
    }
    out.add(new Leakage("Kafka operator / network", "both set sizes, bins per partition, the intersection size "
        + "when the sender also receives, batch counts and timing; no key, raw or normalised"));
    return List.copyOf(out);
  }

  @Override
  public OperatorResult run(OperatorContext c) {
    PsiSpec psi = c.settings(PsiSpec.class);
    PsiOptions options = new PsiOptions(c.party().input().keyColumns(), psi.normalization(), psi.mode(),
        Set.copyOf(psi.recipients()), psi.partitions(), psi.batchRows(), c.peerTimeoutMs());
    boolean oprf = psi.protocol() == PsiSpec.Protocol.OPRF;
    PsiResult r = oprf ? OprfPsiProtocol.run(c, options) : PsiProtocol.run(c, options);
    OperatorResult.Builder b = OperatorResult.builder()
        .inputRows(r.inputRows())
        .figure("inputRows", r.inputRows())
        .figure("nullKeyRows", r.nullKeyRows())
        .figure("distinctKeys", r.distinctKeys())
        .figure("peerDistinctKeys", r.peerDistinctKeys())
        .figure("comparisonBytes", r.comparisonBytes())
        .rounds(r.rounds(), oprf ? OprfPsiProtocol.STEPS : List.of(PsiProtocol.STEP_BLIND_1, PsiProtocol.STEP_BLIND_2))
        .details(r);
    if (r.intersectionSize() >= 0) {
      b.figure("intersectionSize", r.intersectionSize());
      Dataset<Row> out = r.rows().orElseGet(() -> c.spark().createDataFrame(
          List.of(RowFactory.create(r.intersectionSize())), CARDINALITY_SCHEMA));
      b.output(out);
    }
    return b.build();
  }
}
