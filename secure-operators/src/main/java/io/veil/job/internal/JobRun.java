package io.veil.job.internal;

import io.veil.InputChangedException;
import io.veil.InvalidInputException;
import io.veil.PeerTimeoutException;
import io.veil.PolicyRefusedException;
import io.veil.ProtocolException;
import io.veil.channel.ControlCodec;
import io.veil.channel.ControlLog;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Abort;
import io.veil.channel.ControlMessage.AbortKind;
import io.veil.channel.ControlMessage.Done;
import io.veil.channel.ControlMessage.Hello;
import io.veil.channel.PeerAbortedException;
import io.veil.channel.RoundSummary;
import io.veil.crypto.PartySecret;
import io.veil.crypto.internal.X25519Engines;
import io.veil.crypto.sharing.AggregationKeys;
import io.veil.job.JobOutcome;
import io.veil.job.JobOutputs;
import io.veil.job.JobRecord;
import io.veil.job.JobRequest;
import io.veil.job.OperatorResult;
import io.veil.job.ReceiptSink;
import io.veil.job.SecureOperator;
import io.veil.spark.DatasetCommitment;
import io.veil.spark.InputColumns;
import io.veil.spark.SparkErrors;
import io.veil.spec.Approval;
import io.veil.spec.JobSpec;
import io.veil.spec.PartySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One party's run of one job, for every operator: the cross-party protocol all jobs share. See
 * {@link io.veil.job.VeilJobs} for the order of events.
 */
public final class JobRun {
  private static final Logger LOG = LoggerFactory.getLogger(JobRun.class);
  private static final String INPUT_SALT = "input-commitment-salt";
  private static final String OUTPUT_SALT = "output-commitment-salt";

  /** The salt of this party's input commitment in {@code jobId}: the same in every attempt and re-run. */
  private static byte[] inputSalt(PartySecret secret, String jobId) {
    return secret.deriveJobSecret(jobId, INPUT_SALT, 16);
  }

  /** The salt of this party's output commitment in {@code jobId}. */
  private static byte[] outputSalt(PartySecret secret, String jobId) {
    return secret.deriveJobSecret(jobId, OUTPUT_SALT, 16);
  }

  private JobRun() {}

  public static JobOutcome run(SparkSession spark, JobRequest rq) {
    try (SparkSteps named = SparkSteps.open(spark, rq.spec(), rq.party())) {
      return runNamed(spark, rq);
    }
  }

  private static JobOutcome runNamed(SparkSession spark, JobRequest rq) {
    Instant started = Instant.now();
    JobSpec spec = rq.spec();
    PartySpec me = spec.party(rq.party());
    SecureOperator operator = spec.secureOperator();
    PartySecret secret = rq.key().resolve();
    if (!secret.identity().publicKey().equals(me.publicKey())) {
      throw new InvalidInputException("Cannot run job '" + spec.name() + "' as " + me.id() + ": key file "
          + rq.key().path() + " holds key " + secret.identity().publicKey() + " but the spec pins "
          + me.publicKey() + " for " + me.id() + ". Use " + me.id() + "'s key file or fix the spec.");
    }
    rq.policy().check(spec, me.id(), rq.sqlSources());
    rq.gates().forEach(g -> g.check(spec, me.id()));
    String jobId = spec.jobId();

    Optional<ReceiptSink.Finished> finished = rq.receipts().finished(jobId, me.publicKey());
    boolean rerun = finished.isPresent() && finished.get().peersReported().containsAll(spec.others(me.id()));
    // A job that will run opens its control log while the input's metadata is read.
    ControlOpening opening = rerun ? null : ControlOpening.start(rq.channel(), spec.controlLogName());
    Dataset<Row> input = null;
    try {
      // Metadata only: paths, headers/footers, column names and types.
      if (me.input() != null) {
        input = rq.input() != null ? InputColumns.shape(rq.input(), me.input(), me.id())
            : rq.inputReader().open(spark, me.input(), me.id());
        operator.validateInput(spec, me, input.schema());
      }
    } catch (Throwable e) {
      if (opening != null) {
        opening.discard();
      }
      throw e;
    }
    progress(rq, jobId, "spec, key, policy and input schema of " + me.id() + " are valid (" + spec.operator() + ", "
        + spec.name() + ")");
    if (rerun) {
      return recordedOutcome(spark, rq, me, input, secret, finished.get(), started);
    }

    try (ControlLog log = new ControlLog(opening.join(), me.id(), secret.identity(), spec.partyKeys(), jobId,
        spec.contractHash())) {
      X25519Engines.preloadInBackground(); // while the approvals come in; no input is read
      String approval = Approval.sign(secret.identity(), spec.contractHash());
      byte[] agreementKey = AggregationKeys.derive(secret, jobId).publicKey();
      log.publish(new Hello(approval, agreementKey));
      RunContext ctx = null;
      try {
        // Long steps (hours on large inputs) must not look like a dead party to the peers.
        log.startHeartbeat(Math.max(1_000, spec.peerTimeoutMs() / 4));
        Map<String, ControlMessage> hellos = Handshake.awaitApprovals(log, spec, spec.others(me.id()));
        progress(rq, jobId, "approvals of " + me.id() + " and " + String.join(", ", hellos.keySet()) + " are in");
        long protocolStart = System.nanoTime();
        Map<String, byte[]> agreementKeys = new LinkedHashMap<>();
        agreementKeys.put(me.id(), agreementKey);
        hellos.forEach((p, h) -> agreementKeys.put(p, ((Hello) h.body()).agreementKey()));
        ctx = new RunContext(spark, spec, me, input, rq.channel(), log, rq.key(),
            inputSalt(secret, jobId), agreementKeys, rq.progress());

        OperatorResult result = operator.run(ctx);
        if (!ctx.bound()) {
          throw new IllegalStateException("operator " + spec.operator() + " finished without binding its input");
        }
        checkOutputSchema(spec, me, input, result);
        long protocolMs = (System.nanoTime() - protocolStart) / 1_000_000;
        Output out = output(spark, rq, me, result.output(), outputSalt(secret, jobId));
        DatasetCommitment.Commitment in = ctx.inputCommitment();
        log.publish(new Done(in == null ? null : in.rootHex(), out.commitment == null ? null
            : out.commitment.rootHex()));
        List<JobRecord.PeerRoots> peers = peerRoots(log, spec, me.id());

        List<JobRecord.ApprovalRecord> approvals = new ArrayList<>(); // in spec order, whatever order they came in
        for (PartySpec p : spec.parties()) {
          approvals.add(new JobRecord.ApprovalRecord(p.id(), p.publicKey(), p.id().equals(me.id()) ? approval
              : ((Hello) hellos.get(p.id()).body()).approval()));
        }
        List<JobRecord.RoundRecord> rounds = new ArrayList<>();
        for (RoundSummary rs : result.rounds()) {
          rounds.add(new JobRecord.RoundRecord(result.steps().indexOf(rs.step()) + 1, rs.from(), rs.to(),
              rs.batches(), rs.elements(), rs.digestHex()));
        }
        String label = spec.settings().label(spec.operator());
        JobRecord record = new JobRecord(jobId, spec.name(), spec.period().orElse(null), label, me.id(),
            me.publicKey(), spec.contractHash(), approvals, commitment(in), commitment(out.commitment),
            out.location, result.figures(), rounds, peers, started, Instant.now(),
            me.input() == null ? null : me.input().asset());
        ReceiptSink.Recorded recorded = rq.receipts().record(record, secret.identity());
        LOG.info("Veil job {}: job root {} ({} of {} peers announced their commitments)", jobId, recorded.jobRoot(),
            peers.size(), spec.others(me.id()).size());
        Map<String, String> display = result.display().isEmpty()
            ? operator.display(spec, me.id(), result.figures()) : result.display();
        return new JobOutcome(jobId, me.id(), label, result.inputRows(), result.figures(), display,
            Optional.ofNullable(out.table), out.location, recorded, Duration.between(started, Instant.now()).toMillis(),
            protocolMs, result.details());
      } catch (Exception e) { // SparkException is checked in Java's eyes but thrown undeclared
        RuntimeException err = SparkErrors.unwrap(e);
        abort(log, err, ctx == null ? "approval" : ctx.step());
        throw err;
      } finally {
        if (ctx != null) {
          ctx.release();
        }
      }
    }
  }

  /**
   * A finished job (every party reported its commitments) run again: its recorded result stands.
   * Checks that the input is still the one the receipt commits to and that the output is still as
   * written, then returns the recorded figures and output; nothing is recomputed, nothing is sent.
   */
  private static JobOutcome recordedOutcome(SparkSession spark, JobRequest rq, PartySpec me, Dataset<Row> input,
      PartySecret secret, ReceiptSink.Finished done, Instant started) {
    JobSpec spec = rq.spec();
    String jobId = spec.jobId();
    String job = "job '" + spec.name() + "'" + spec.period().map(p -> " for period " + p).orElse("") + " (" + jobId
        + ")";
    String receipt = "receipt " + done.recorded().receiptHash().substring(0, 16) + "... in "
        + done.recorded().location();
    SparkSteps.describe(spark, spec, me.id(), "re-run", "checking the input and output against the receipt");
    progress(rq, jobId, job + " finished on " + done.finishedAt() + " (" + receipt + "); checking that "
        + me.id() + "'s input and output are still the ones it records");
    long inputRows = 0;
    if (input != null) {
      DatasetCommitment.Commitment now = DatasetCommitment.compute(input, inputSalt(secret, jobId),
          recordedAlgorithm(done.input(), job, receipt));
      if (!now.rootHex().equals(done.inputRoot())) {
        throw new InputChangedException("Cannot run " + job + " again: it finished on " + done.finishedAt() + " ("
            + receipt + "), and " + me.id() + "'s input has changed since (commitment " + RunContext.prefix(
            done.inputRoot()) + " then, " + RunContext.prefix(now.rootHex()) + " now). A finished "
            + "period's result stands; run the new data as a new period (e.g. --period "
            + spec.period().map(p -> p + ".r2").orElse("2026-11") + "). Nothing was sent.");
      }
      inputRows = now.rowCount();
    }
    Dataset<Row> output = null;
    if (done.outputRoot() != null) {
      if (done.outputLocation() == null || me.output() == null) {
        throw new InvalidInputException("Cannot return the result of " + job + " again: it finished on "
            + done.finishedAt() + " (" + receipt + ") but its output rows were kept in memory, not written, and a "
            + "finished period is not recomputed. Give " + me.id() + " an output in the spec to keep a period's "
            + "rows, or run the job as a new period (--period). Nothing was sent.");
      }
      output = JobOutputs.read(spark, me.output());
      String root = DatasetCommitment.compute(output, outputSalt(secret, jobId),
          recordedAlgorithm(done.output(), job, receipt)).rootHex();
      if (!root.equals(done.outputRoot())) {
        throw new InvalidInputException("Cannot return the result of " + job + " again: the output at "
            + done.outputLocation() + " no longer matches the receipt (commitment " + RunContext.prefix(
            done.outputRoot()) + " recorded, " + RunContext.prefix(root) + " now); it was changed after the job "
            + "wrote it. Restore it from a backup, or run the job as a new period (--period). Nothing was sent.");
      }
    }
    Map<String, String> notes = new LinkedHashMap<>(done.recorded().notes());
    notes.put("re-run", "the period finished on " + done.finishedAt() + ": the recorded result, nothing recomputed "
        + "or sent");
    ReceiptSink.Recorded recorded = new ReceiptSink.Recorded(done.recorded().location(),
        done.recorded().receiptHash(), done.recorded().jobRoot(), notes);
    Map<String, String> display = spec.secureOperator().display(spec, me.id(), done.result());
    progress(rq, jobId, "returned the recorded result of " + job);
    return new JobOutcome(jobId, me.id(), spec.settings().label(spec.operator()), inputRows, done.result(), display,
        Optional.ofNullable(output), done.outputLocation(), recorded,
        Duration.between(started, Instant.now()).toMillis(), 0, null);
  }

  /** The output must be what the operator declares (the SQL functions plan with the declaration). */
  private static void checkOutputSchema(JobSpec spec, PartySpec me, Dataset<Row> input, OperatorResult result) {
    Optional<StructType> declared = spec.secureOperator().outputSchema(spec, me, input == null ? null : input.schema());
    Optional<StructType> actual = result.output().map(Dataset::schema);
    boolean same = declared.isPresent() == actual.isPresent()
        && (declared.isEmpty() || declared.get().asNullable().equals(actual.get().asNullable()));
    if (!same) {
      throw new IllegalStateException("operator " + spec.operator() + " returned an output of "
          + actual.map(StructType::simpleString).orElse("(none)") + " for " + me.id() + " but declares "
          + declared.map(StructType::simpleString).orElse("(none)"));
    }
  }

  /**
   * The algorithm of a recorded commitment: receipts written by an earlier release may name an
   * earlier one, which is recomputed as it was. None recorded: the current one (whose root then
   * cannot match the missing one).
   */
  private static String recordedAlgorithm(JobRecord.CommitmentRecord c, String job, String receipt) {
    if (c == null) {
      return DatasetCommitment.ALGORITHM;
    }
    if (!DatasetCommitment.known(c.algorithm())) {
      throw new InvalidInputException("Cannot check " + job + " against its " + receipt + ": it records a "
          + "commitment under '" + c.algorithm() + "', which this release of Veil does not recompute ("
          + DatasetCommitment.knownAlgorithms() + "). Run it with the release that "
          + "wrote the receipt, or run the data as a new period (--period). Nothing was sent.");
    }
    return c.algorithm();
  }

  private record Output(Dataset<Row> table, String location, DatasetCommitment.Commitment commitment) {}

  /** Writes the output where the spec says (or keeps it, for library callers) and commits to it as written. */
  private static Output output(SparkSession spark, JobRequest rq, PartySpec me, Optional<Dataset<Row>> table,
      byte[] salt) {
    if (table.isEmpty()) {
      return new Output(null, null, null);
    }
    if (me.output() == null || !rq.writeOutput()) {
      Dataset<Row> kept = table.get().persist(StorageLevel.MEMORY_AND_DISK());
      return new Output(kept, null, me.output() == null ? null : DatasetCommitment.compute(kept, salt));
    }
    SparkSteps.describe(spark, rq.spec(), me.id(), "output", "writing to " + me.output().location());
    JobOutputs.write(table.get(), me.output());
    Dataset<Row> written = JobOutputs.readWritten(spark, me.output(), table.get().schema());
    DatasetCommitment.Commitment c = DatasetCommitment.compute(written, salt);
    progress(rq, rq.spec().jobId(), "wrote " + c.rowCount() + " rows to " + me.output().location());
    return new Output(written, me.output().location(), c);
  }

  private static JobRecord.CommitmentRecord commitment(DatasetCommitment.Commitment c) {
    return c == null ? null : new JobRecord.CommitmentRecord(DatasetCommitment.ALGORITHM, c.rootHex(), c.rowCount(),
        c.saltHex());
  }

  /**
   * The other parties' commitment roots from their DONE messages. The job has succeeded here
   * already, so a peer that does not announce them (it crashed after its part) is logged and left
   * out: the job root then records it as unreported.
   */
  private static List<JobRecord.PeerRoots> peerRoots(ControlLog log, JobSpec spec, String me) {
    List<JobRecord.PeerRoots> out = new ArrayList<>();
    for (String other : spec.others(me)) {
      try {
        Done d = log.await(other, Done.class, null, spec.peerTimeoutMs(), "its commitments (step done)");
        out.add(new JobRecord.PeerRoots(other, d.inputRoot(), d.outputRoot()));
      } catch (RuntimeException e) {
        LOG.warn("Veil job {}: {} did not announce its commitments ({}); the job root records them as unreported",
            spec.jobId(), other, e.getMessage());
      }
    }
    return out;
  }

  /**
   * The one abort path: tells the peers the kind of failure (and which peer it concerns), never its
   * text, which may hold local paths, URLs, queries or values; the details stay in this party's error.
   */
  private static void abort(ControlLog log, RuntimeException err, String step) {
    AbortKind kind;
    String about = null;
    if (err instanceof Handshake.SpecMismatch) {
      return; // already told, with the contract in question
    } else if (err instanceof InputChangedException) {
      kind = AbortKind.INPUT_CHANGED;
    } else if (err instanceof InvalidInputException) {
      kind = AbortKind.INVALID_INPUT;
    } else if (err instanceof PolicyRefusedException) {
      kind = AbortKind.POLICY_REFUSED;
    } else if (err instanceof PeerTimeoutException t) {
      kind = AbortKind.PEER_TIMEOUT;
      about = t.peer();
    } else if (err instanceof PeerAbortedException a) {
      kind = AbortKind.PEER_ABORTED;
      about = a.peer();
      step = a.step();
    } else if (err instanceof ProtocolException p) {
      kind = AbortKind.PROTOCOL_ERROR;
      about = p.peer();
      step = p.step();
    } else {
      kind = AbortKind.INTERNAL;
    }
    if (about != null && !ControlCodec.isPartyId(about)) {
      about = null;
    }
    if (!ControlCodec.isStep(step)) {
      step = "";
    }
    try {
      log.publish(new Abort(step, kind, about, log.acknowledged()));
    } catch (RuntimeException e) {
      err.addSuppressed(e);
    }
  }

  private static void progress(JobRequest rq, String jobId, String message) {
    LOG.info("Veil job {}: {}", jobId, message);
    rq.progress().accept(message);
  }
}
