package io.veil.jobs;

import io.veil.InvalidInputException;
import io.veil.PeerTimeoutException;
import io.veil.ProtocolException;
import io.veil.channel.Channel;
import io.veil.channel.ControlLog;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Type;
import io.veil.connectors.input.PartyInputs;
import io.veil.crypto.PartySecret;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LocalLedger;
import io.veil.ledger.Receipt;
import io.veil.psi.PsiContext;
import io.veil.psi.PsiMode;
import io.veil.psi.PsiOperator;
import io.veil.psi.PsiOptions;
import io.veil.psi.PsiResult;
import io.veil.spark.DatasetCommitment;
import io.veil.spark.KeyRef;
import io.veil.spec.Approval;
import io.veil.spec.JobSpec;
import io.veil.spec.OutputSpec;
import io.veil.spec.PartyPolicy;
import io.veil.spec.PartySpec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One party's PSI job, end to end: read and check the spec, the party's key and its local policy;
 * open and validate the input (metadata only); exchange approvals; only then read data, run
 * {@link PsiOperator}, write the output, commit to input and output, and append a receipt to the
 * ledger. Every failure before the approvals are in leaves the party's data untouched and nothing
 * sent but (at most) this party's signed approval.
 */
public final class PsiJob {
  private static final Logger LOG = LoggerFactory.getLogger(PsiJob.class);
  private static final long POLL_MS = 200;

  private PsiJob() {}

  /**
   * What a run needs besides the Spark session.
   *
   * @param spec job spec file
   * @param party this party's id in the spec
   * @param period period override (null: the spec's)
   * @param keyFile this party's key file
   * @param policyFile this party's policy
   * @param ledger receipt ledger file
   * @param channel channel to the peer
   * @param jdbcPasswordFile password for a JDBC input (null: none)
   */
  public record Settings(Path spec, String party, String period, Path keyFile, Path policyFile, Path ledger,
      Channel channel, Path jdbcPasswordFile) {}

  public static JobOutcome run(SparkSession spark, Settings s) {
    Instant started = Instant.now();
    JobSpec spec = JobSpec.read(s.spec(), s.period());
    PartySpec me = spec.party(s.party());
    KeyRef keyRef = new KeyRef(s.keyFile().toString());
    PartySecret secret = keyRef.resolve();
    if (!secret.identity().publicKey().equals(me.publicKey())) {
      throw new InvalidInputException("Cannot run job '" + spec.name() + "' as " + me.id() + ": key file "
          + s.keyFile() + " holds key " + secret.identity().publicKey() + " but the spec pins "
          + me.publicKey() + " for " + me.id() + ". Use " + me.id() + "'s key file or fix the spec.");
    }
    PartyPolicy.read(s.policyFile()).check(spec, me.id());
    String peer = spec.parties().stream().map(PartySpec::id).filter(id -> !id.equals(me.id())).findFirst().get();
    String jobId = spec.jobId();
    PsiOptions options = spec.psiOptions(me.id());

    // Metadata only: paths, headers/footers, column names and types.
    Dataset<Row> input = PartyInputs.open(spark, me.input(), me.id(), new PartyInputs.Secrets(s.jdbcPasswordFile()));
    io.veil.psi.PsiInputs.validate(input.schema(), options.keyColumns(), me.id());
    LOG.info("Veil job {} ({}): spec, key, policy and input schema of {} are valid", jobId, spec.name(), me.id());

    try (ControlLog log = new ControlLog(s.channel().openControl(spec.controlLogName()), me.id(),
        secret.identity(), spec.partyKeys(), jobId, spec.contractHash())) {
      String mine = Approval.sign(secret.identity(), spec.contractHash());
      log.publish(Type.HELLO, "approval", Map.of("approval", mine));
      // Long steps (hours on large inputs) must not look like a dead party to the peer.
      log.startHeartbeat(Math.max(1_000, spec.peerTimeoutMs() / 4));
      String theirs = awaitApproval(log, spec, peer);
      LOG.info("Veil job {}: approvals of {} and {} are in", jobId, me.id(), peer);
      long protocolStart = System.nanoTime();

      // Read once: the commitment and the protocol both scan the input.
      input = input.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
      DatasetCommitment.Commitment inCommit =
          DatasetCommitment.compute(input, secret.deriveJobSecret(jobId, "input-commitment-salt", 16));
      PsiContext ctx = new PsiContext(jobId, me.id(), peer, spec.party(peer).publicKey(), s.channel(), log,
          keyRef);
      PsiResult r = PsiOperator.run(spark, input, options, ctx);
      long protocolMs = (System.nanoTime() - protocolStart) / 1_000_000;

      Map<String, String> result = new TreeMap<>();
      result.put("inputRows", Long.toString(r.inputRows()));
      result.put("nullKeyRows", Long.toString(r.nullKeyRows()));
      result.put("distinctKeys", Long.toString(r.distinctKeys()));
      result.put("peerDistinctKeys", Long.toString(r.peerDistinctKeys()));
      result.put("comparisonBytes", Integer.toString(r.comparisonBytes()));
      if (r.intersectionSize() >= 0) {
        result.put("intersectionSize", Long.toString(r.intersectionSize()));
      }
      String outputLocation = null;
      DatasetCommitment.Commitment outCommit = null;
      if (r.intersectionSize() >= 0 && me.output() != null) {
        OutputSpec out = me.output();
        Dataset<Row> rows = r.rows().orElseGet(() -> spark.createDataFrame(
            List.of(RowFactory.create(r.intersectionSize())),
            new StructType().add("intersection_size", DataTypes.LongType, false)));
        write(rows, out);
        outputLocation = out.path();
        outCommit = DatasetCommitment.compute(read(spark, out),
            secret.deriveJobSecret(jobId, "output-commitment-salt", 16));
        LOG.info("Veil job {}: wrote {} rows to {}", jobId, outCommit.rowCount(), out.path());
      }
      log.publish(Type.DONE, "done", Map.of());

      Receipt.Builder receipt = Receipt.builder()
          .jobId(jobId)
          .jobName(spec.name())
          .period(spec.period().orElse(null))
          .operator(spec.operator() + (options.mode() == PsiMode.CARDINALITY ? "-cardinality" : ""))
          .party(me.id(), me.publicKey())
          .contractHash(spec.contractHash())
          .addApproval(Receipt.Approval.of(me.id(), me.publicKey(), java.util.HexFormat.of().parseHex(mine)))
          .addApproval(Receipt.Approval.of(peer, spec.party(peer).publicKey(),
              java.util.HexFormat.of().parseHex(theirs)))
          .inputCommitment(commitment(inCommit))
          .outputCommitment(outCommit == null ? null : commitment(outCommit))
          .outputLocation(outputLocation)
          .result(result)
          .status(Receipt.Status.SUCCEEDED)
          .startedAt(started)
          .finishedAt(Instant.now());
      for (PsiResult.RoundSummary rs : r.rounds()) {
        receipt.addRoundDigest(new Receipt.RoundDigest(rs.step().endsWith("1") ? 1 : 2, rs.from(), rs.to(),
            rs.batches(), rs.elements(), rs.digestHex()));
      }
      LedgerEntry entry = LocalLedger.open(s.ledger(), secret.identity()).append(receipt.build());
      return new JobOutcome(jobId, me.id(), r.inputRows(), result, outputLocation, s.ledger().toString(),
          entry.receiptHash(), java.time.Duration.between(started, Instant.now()).toMillis(), protocolMs);
    }
  }

  /**
   * Waits for the peer's approval of this job. Fails fast when the peer's latest fresh approval is
   * for a different contract (mismatched specs), or when it is not validly signed.
   */
  private static String awaitApproval(ControlLog log, JobSpec spec, String peer) {
    long deadline = System.currentTimeMillis() + spec.peerTimeoutMs();
    long freshSince = log.openedAtMs() - spec.peerTimeoutMs();
    while (true) {
      Optional<ControlMessage> latest = Optional.empty();
      for (ControlMessage m : log.seen()) {
        if (!m.from().equals(peer)) {
          continue;
        }
        boolean freshApprovalAbort = m.type() == Type.ABORT && m.step().equals("approval")
            && m.timestampMs() >= log.openedAtMs();
        if (log.isCurrentAbort(m) || freshApprovalAbort) {
          throw new ProtocolException(peer, "approval", "Cannot start job " + spec.jobId() + ": " + peer
              + " aborted it: " + m.bodyString("reason"));
        }
        if (m.type() == Type.HELLO && (m.jobId().equals(spec.jobId()) || m.timestampMs() >= freshSince)) {
          latest = Optional.of(m);
        }
      }
      if (latest.isPresent()) {
        ControlMessage hello = latest.get();
        if (!hello.jobId().equals(spec.jobId())) {
          String reason = "the specs differ: " + peer + " approved contract " + hello.contractHash().substring(0, 16)
              + "... but " + log.me() + " has " + spec.contractHash().substring(0, 16) + "...; compare both specs "
              + "with 'veil spec-hash --spec <file>' (and the --period), agree on one, and re-run both parties";
          log.publish(Type.ABORT, "approval", Map.of("reason", reason));
          throw new InvalidInputException("Cannot start job '" + spec.name() + "': " + reason + ".");
        }
        String sig = hello.bodyString("approval");
        if (sig == null || !Approval.verify(spec.party(peer).publicKey(), spec.contractHash(), sig)) {
          throw new ProtocolException(peer, "approval", "Cannot start job " + spec.jobId() + ": " + peer
              + "'s approval is not a valid signature of the contract by its pinned key. Nothing was read "
              + "or sent; check " + peer + "'s key.");
        }
        return sig;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new PeerTimeoutException(peer, "Cannot start job '" + spec.name() + "' (" + spec.jobId() + "): "
            + peer + " did not approve it within " + spec.peerTimeoutMs() + " ms. Nothing was read or sent. "
            + "Check that " + peer + " runs the job with the same spec and channel ("
            + "veil spec-hash prints the contract hash to compare), or raise peerTimeoutMs in the spec.");
      }
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PeerTimeoutException(peer, "Cannot start job " + spec.jobId() + ": interrupted while "
            + "waiting for " + peer + "'s approval.");
      }
    }
  }

  private static Receipt.Commitment commitment(DatasetCommitment.Commitment c) {
    return new Receipt.Commitment(DatasetCommitment.ALGORITHM, c.rootHex(), c.rowCount(), c.saltHex());
  }

  private static void write(Dataset<Row> rows, OutputSpec out) {
    var w = rows.write().mode(SaveMode.Overwrite).format(out.format());
    if (out.format().equals("csv")) {
      w = w.option("header", "true");
    }
    w.save(out.path());
  }

  /** Reads an output back as written (for its commitment, and for {@code veil verify}). */
  public static Dataset<Row> read(SparkSession spark, OutputSpec out) {
    var r = spark.read().format(out.format());
    if (out.format().equals("csv")) {
      r = r.option("header", "true");
    }
    return r.load(out.path());
  }
}
