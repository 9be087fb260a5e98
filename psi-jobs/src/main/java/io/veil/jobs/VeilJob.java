package io.veil.jobs;

import io.veil.InvalidInputException;
import io.veil.PeerTimeoutException;
import io.veil.ProtocolException;
import io.veil.aggregate.AggregateOperator;
import io.veil.aggregate.AggregateResult;
import io.veil.aggregate.AggregationContext;
import io.veil.aggregate.FeatureAggregation;
import io.veil.aggregate.FeatureAggregationResult;
import io.veil.channel.Channel;
import io.veil.channel.ControlLog;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Type;
import io.veil.channel.RoundSummary;
import io.veil.connectors.input.PartyInputs;
import io.veil.crypto.PartySecret;
import io.veil.crypto.sharing.AggregationKeys;
import io.veil.ledger.JobRoot;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LocalLedger;
import io.veil.ledger.Receipt;
import io.veil.ledger.chain.ChainClient;
import io.veil.ledger.chain.ChainConfig;
import io.veil.ledger.chain.ChainSink;
import io.veil.ledger.chain.ChainSinkConfig;
import io.veil.ledger.chain.ReceiptAnchor;
import io.veil.psi.PsiContext;
import io.veil.psi.PsiInputs;
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
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
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
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One party's job, end to end, for every operator: read and check the spec, the party's key and
 * its local policy; open and validate the input (metadata only); exchange approvals with every
 * other party; only then read data, run the operator, write the output, commit to input and output,
 * and append a receipt to the ledger. Every failure before all approvals are in leaves the party's
 * data untouched and nothing sent but (at most) this party's signed approval.
 */
public final class VeilJob {
  private static final Logger LOG = LoggerFactory.getLogger(VeilJob.class);
  private static final long POLL_MS = 200;
  private static final HexFormat HEX = HexFormat.of();
  private static final String INPUT_ROOT = "inputRoot";
  private static final String OUTPUT_ROOT = "outputRoot";

  private VeilJob() {}

  /**
   * What a run needs besides the Spark session.
   *
   * @param spec job spec file
   * @param party this party's id in the spec
   * @param period period override (null: the spec's)
   * @param keyFile this party's key file
   * @param policyFile this party's policy
   * @param ledger receipt ledger file
   * @param channel channel to the peers
   * @param jdbcPasswordFile password for a JDBC input (null: none)
   * @param chain the chain holding the ledger contract (null: none configured); with one, the job's
   *     receipt is also anchored there (through the chain sink's outbox next to the ledger)
   * @param anchorWaitMs how long the run waits for its anchor to be confirmed before it exits (the
   *     anchor stays in the outbox if not; the job succeeds either way)
   */
  public record Settings(Path spec, String party, String period, Path keyFile, Path policyFile, Path ledger,
      Channel channel, Path jdbcPasswordFile, ChainConfig chain, long anchorWaitMs) {
    /** Default of {@link #anchorWaitMs}. */
    public static final long DEFAULT_ANCHOR_WAIT_MS = 30_000;

    /** Settings without a chain. */
    public Settings(Path spec, String party, String period, Path keyFile, Path policyFile, Path ledger,
        Channel channel, Path jdbcPasswordFile) {
      this(spec, party, period, keyFile, policyFile, ledger, channel, jdbcPasswordFile, null, DEFAULT_ANCHOR_WAIT_MS);
    }
  }

  /** What an operator produced at this party. */
  private record Body(String operatorLabel, long inputRows, Map<String, String> result, Map<String, String> display,
      Optional<Dataset<Row>> output, List<RoundSummary> rounds, List<String> steps,
      Optional<DatasetCommitment.Commitment> inputCommitment) {
    Body(String operatorLabel, long inputRows, Map<String, String> result, Map<String, String> display,
        Optional<Dataset<Row>> output, List<RoundSummary> rounds, List<String> steps) {
      this(operatorLabel, inputRows, result, display, output, rounds, steps, Optional.empty());
    }
  }

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
    // Data-asset authorisation on the chain (spec: authorisation: required), before any data is touched.
    AssetGate.check(spec, me.id(), s.chain());
    String jobId = spec.jobId();

    // Metadata only: paths, headers/footers, column names and types.
    Dataset<Row> input = null;
    if (me.input() != null) {
      input = PartyInputs.open(spark, me.input(), me.id(), new PartyInputs.Secrets(s.jdbcPasswordFile()));
      validateSchema(spec, me, input.schema());
    }
    LOG.info("Veil job {} ({}, {}): spec, key, policy and input schema of {} are valid", jobId, spec.operator(),
        spec.name(), me.id());

    try (ControlLog log = new ControlLog(s.channel().openControl(spec.controlLogName()), me.id(),
        secret.identity(), spec.partyKeys(), jobId, spec.contractHash())) {
      String mine = Approval.sign(secret.identity(), spec.contractHash());
      Map<String, Object> hello = new TreeMap<>();
      hello.put("approval", mine);
      hello.put(ControlLog.ATTEMPT, log.attempt());
      if (!spec.operator().equals("psi") && me.input() != null) {
        hello.put("aggregationKey", HEX.formatHex(AggregationKeys.derive(secret, jobId).publicKey()));
      }
      log.publish(Type.HELLO, "approval", hello);
      // Long steps (hours on large inputs) must not look like a dead party to the peers.
      log.startHeartbeat(Math.max(1_000, spec.peerTimeoutMs() / 4));
      Map<String, ControlMessage> hellos = awaitApprovals(log, spec, spec.others(me.id()));
      LOG.info("Veil job {}: approvals of {} and {} are in", jobId, me.id(), String.join(", ", hellos.keySet()));
      long protocolStart = System.nanoTime();

      DatasetCommitment.Commitment inCommit = null;
      byte[] inputSalt = secret.deriveJobSecret(jobId, "input-commitment-salt", 16);
      // The aggregation operators commit to the input in their own single scan of it.
      boolean commitsInScan = !spec.operator().equals("psi");
      if (input != null && !commitsInScan) {
        // Read once: the commitment and the protocol both scan the input.
        input = input.persist(StorageLevel.MEMORY_AND_DISK());
        inCommit = DatasetCommitment.compute(input, inputSalt);
      }
      Body body = switch (spec.operator()) {
        case "psi" -> psi(spark, spec, me, input, s.channel(), log, keyRef);
        case "aggregate" -> aggregate(spark, spec, me, input,
            context(spec, me, s.channel(), log, keyRef, hellos, secret), inputSalt);
        default -> featureAggregate(spark, spec, me, input,
            context(spec, me, s.channel(), log, keyRef, hellos, secret), inputSalt);
      };
      long protocolMs = (System.nanoTime() - protocolStart) / 1_000_000;
      if (commitsInScan && input != null) {
        inCommit = body.inputCommitment().orElseThrow();
      }

      String outputLocation = null;
      DatasetCommitment.Commitment outCommit = null;
      if (body.output().isPresent() && me.output() != null) {
        OutputSpec out = me.output();
        write(body.output().get(), out);
        outputLocation = out.path();
        outCommit = DatasetCommitment.compute(read(spark, out),
            secret.deriveJobSecret(jobId, "output-commitment-salt", 16));
        LOG.info("Veil job {}: wrote {} rows to {}", jobId, outCommit.rowCount(), out.path());
      }
      if (input != null) {
        input.unpersist(false);
      }
      // Every party's commitment roots (no counts, no salts), for the job root all receipts share.
      Map<String, Object> done = new TreeMap<>();
      if (inCommit != null) {
        done.put(INPUT_ROOT, inCommit.rootHex());
      }
      if (outCommit != null) {
        done.put(OUTPUT_ROOT, outCommit.rootHex());
      }
      log.publish(Type.DONE, "done", done);
      List<Receipt.PeerCommitment> peerCommitments = peerCommitments(log, spec, me.id());

      Receipt.Builder receipt = Receipt.builder()
          .jobId(jobId)
          .jobName(spec.name())
          .period(spec.period().orElse(null))
          .operator(body.operatorLabel())
          .party(me.id(), me.publicKey())
          .contractHash(spec.contractHash())
          .addApproval(Receipt.Approval.of(me.id(), me.publicKey(), HEX.parseHex(mine)));
      hellos.forEach((other, h) -> receipt.addApproval(Receipt.Approval.of(other, spec.party(other).publicKey(),
          HEX.parseHex(h.bodyString("approval")))));
      receipt.inputCommitment(inCommit == null ? null : commitment(inCommit))
          .outputCommitment(outCommit == null ? null : commitment(outCommit))
          .outputLocation(outputLocation)
          .result(body.result())
          .status(Receipt.Status.SUCCEEDED)
          .startedAt(started)
          .finishedAt(Instant.now());
      peerCommitments.forEach(receipt::addPeerCommitment);
      for (RoundSummary rs : body.rounds()) {
        receipt.addRoundDigest(new Receipt.RoundDigest(body.steps().indexOf(rs.step()) + 1, rs.from(), rs.to(),
            rs.batches(), rs.elements(), rs.digestHex()));
      }
      Receipt built = receipt.build();
      String jobRoot = HEX.formatHex(JobRoot.of(built));
      LOG.info("Veil job {}: job root {} ({} of {} peers announced their commitments)", jobId, jobRoot,
          peerCommitments.size(), spec.others(me.id()).size());
      LocalLedger ledger = LocalLedger.open(s.ledger(), secret.identity());
      LedgerEntry entry = ledger.append(built);
      Map<String, String> display = new LinkedHashMap<>(body.display());
      if (s.chain() != null) {
        display.put("anchor", anchor(ledger, s.chain(), jobId, s.anchorWaitMs()));
      }
      return new JobOutcome(jobId, me.id(), body.inputRows(), body.result(), display, outputLocation,
          s.ledger().toString(), entry.receiptHash(), jobRoot, Duration.between(started, Instant.now()).toMillis(),
          protocolMs);
    }
  }

  /**
   * Anchors the ledger's new entry on the chain: a chain sink opened over the ledger queues it in
   * its outbox (next to the ledger) and sends it; the run waits up to {@code waitMs} for the
   * confirmation. Never fails the job: the receipt is already in the ledger, and an anchor that is
   * not confirmed yet (chain slow or down) is sent by {@code veil anchor} or the next run on this
   * ledger. Returns the anchor's state for the summary.
   */
  private static String anchor(LocalLedger ledger, ChainConfig chain, String jobId, long waitMs) {
    String later = "; the receipt is in the ledger, and 'veil anchor --ledger " + ledger.file()
        + "' (or the next run on this ledger) sends it";
    try (ChainClient client = ChainClient.connect(chain);
        ChainSink sink = ChainSink.open(ledger, client, ChainSinkConfig.defaults())) {
      sink.flush(Duration.ofMillis(waitMs));
      ReceiptAnchor a = sink.status(jobId).orElseThrow();
      if (a.stage() == ReceiptAnchor.Stage.CONFIRMED) {
        return "confirmed in block " + a.blockNumber() + " (tx " + a.txHash() + ", gas " + a.gasUsed() + ")";
      }
      return a.stage().name().toLowerCase(java.util.Locale.ROOT) + " after " + waitMs + " ms" + later;
    } catch (RuntimeException e) {
      LOG.warn("Veil job {}: not anchored yet: {}", jobId, e.getMessage());
      return "pending (" + e.getMessage() + ")" + later;
    }
  }

  /**
   * The other parties' commitment roots from their DONE messages. The job has succeeded here
   * already, so a peer that does not announce them (it crashed after its part, or sent something
   * malformed) is logged and left out: the job root then records it as unreported.
   */
  private static List<Receipt.PeerCommitment> peerCommitments(ControlLog log, JobSpec spec, String me) {
    List<Receipt.PeerCommitment> out = new java.util.ArrayList<>();
    for (String other : spec.others(me)) {
      try {
        ControlMessage d = log.await(other, Type.DONE, "done", spec.peerTimeoutMs(), "its commitments (step done)");
        out.add(new Receipt.PeerCommitment(other, d.bodyString(INPUT_ROOT), d.bodyString(OUTPUT_ROOT)));
      } catch (RuntimeException e) {
        LOG.warn("Veil job {}: {} did not announce its commitments ({}); the job root records them as unreported",
            spec.jobId(), other, e.getMessage());
      }
    }
    return out;
  }

  private static void validateSchema(JobSpec spec, PartySpec me, StructType schema) {
    switch (spec.operator()) {
      case "psi" -> PsiInputs.validate(schema, me.input().keyColumns(), me.id());
      case "aggregate" -> AggregateOperator.validateSchema(schema, spec.aggregate(), me.id());
      default -> FeatureAggregation.validateSchema(schema, me.input().keyColumns(), me.input().columns(), me.id());
    }
  }

  private static Body psi(SparkSession spark, JobSpec spec, PartySpec me, Dataset<Row> input, Channel channel,
      ControlLog log, KeyRef keyRef) {
    String peer = spec.others(me.id()).get(0);
    PsiOptions options = spec.psiOptions(me.id());
    PsiContext ctx = new PsiContext(spec.jobId(), me.id(), peer, spec.party(peer).publicKey(), channel, log, keyRef);
    PsiResult r = PsiOperator.run(spark, input, options, ctx);
    Map<String, String> result = new TreeMap<>();
    result.put("inputRows", Long.toString(r.inputRows()));
    result.put("nullKeyRows", Long.toString(r.nullKeyRows()));
    result.put("distinctKeys", Long.toString(r.distinctKeys()));
    result.put("peerDistinctKeys", Long.toString(r.peerDistinctKeys()));
    result.put("comparisonBytes", Integer.toString(r.comparisonBytes()));
    if (r.intersectionSize() >= 0) {
      result.put("intersectionSize", Long.toString(r.intersectionSize()));
    }
    Map<String, String> display = new LinkedHashMap<>();
    display.put("distinct keys", Long.toString(r.distinctKeys()));
    display.put("peer's keys", Long.toString(r.peerDistinctKeys()));
    display.put("intersection size", r.intersectionSize() >= 0 ? Long.toString(r.intersectionSize())
        : "(not a recipient)");
    Optional<Dataset<Row>> output = Optional.empty();
    if (r.intersectionSize() >= 0) {
      output = Optional.of(r.rows().orElseGet(() -> spark.createDataFrame(
          List.of(RowFactory.create(r.intersectionSize())),
          new StructType().add("intersection_size", DataTypes.LongType, false))));
    }
    return new Body(spec.operator() + (options.mode() == PsiMode.CARDINALITY ? "-cardinality" : ""), r.inputRows(),
        result, display, output, r.rounds(), List.of("blind-1", "blind-2"));
  }

  private static Body aggregate(SparkSession spark, JobSpec spec, PartySpec me, Dataset<Row> input,
      AggregationContext ctx, byte[] inputSalt) {
    AggregateResult r = AggregateOperator.run(spark, input, spec.aggregate(), ctx, inputSalt);
    Map<String, String> result = new TreeMap<>();
    result.put("inputRows", Long.toString(r.inputRows()));
    result.put("groups", Integer.toString(r.groups()));
    result.put("releasedGroups", Integer.toString(r.released()));
    result.put("suppressedGroups", Integer.toString(r.groups() - r.released()));
    result.put("dataParties", String.join(",", ctx.dataParties()));
    if (spec.aggregate().dp() != null) {
      result.put("dpEpsilon", Double.toString(spec.aggregate().dp().epsilon()));
      result.put("dpDelta", Double.toString(spec.aggregate().dp().delta()));
    }
    Map<String, String> display = new LinkedHashMap<>();
    display.put("groups", Integer.toString(r.groups()));
    display.put("released groups", Integer.toString(r.released()));
    display.put("suppressed groups", Integer.toString(r.groups() - r.released()));
    display.put("result party", ctx.resultParty() + (ctx.isResultParty() ? " (this party)" : ""));
    return new Body(spec.operator(), r.inputRows(), result, display, r.table(), r.rounds(),
        List.of(AggregateOperator.STEP_COUNTS, AggregateOperator.STEP_SUMS), r.inputCommitment());
  }

  private static Body featureAggregate(SparkSession spark, JobSpec spec, PartySpec me, Dataset<Row> input,
      AggregationContext ctx, byte[] inputSalt) {
    FeatureAggregationResult r = FeatureAggregation.run(spark, input, spec.featureAggregate(),
        me.input().keyColumns(), me.input().columns(), ctx, inputSalt);
    Map<String, String> result = new TreeMap<>();
    result.put("inputRows", Long.toString(r.rows()));
    result.put("alignedRows", Long.toString(r.rows()));
    result.put("dims", Integer.toString(spec.featureAggregate().dims()));
    Map<String, String> display = new LinkedHashMap<>();
    display.put("aligned rows", Long.toString(r.rows()));
    display.put("dims", Integer.toString(spec.featureAggregate().dims()));
    display.put("result party", ctx.resultParty() + (ctx.isResultParty() ? " (this party)" : ""));
    return new Body(spec.operator(), r.rows(), result, display, r.z(), r.rounds(),
        List.of(FeatureAggregation.STEP_SUM), r.inputCommitment());
  }

  /** The aggregation context, with every data party's aggregation key from its approval message. */
  private static AggregationContext context(JobSpec spec, PartySpec me, Channel channel, ControlLog log, KeyRef keyRef,
      Map<String, ControlMessage> hellos, PartySecret secret) {
    List<String> dataParties = spec.dataParties();
    Map<String, byte[]> keys = new TreeMap<>();
    for (String d : dataParties) {
      if (d.equals(me.id())) {
        keys.put(d, AggregationKeys.derive(secret, spec.jobId()).publicKey());
        continue;
      }
      String hex = hellos.get(d).bodyString("aggregationKey");
      try {
        byte[] k = HEX.parseHex(hex);
        if (k.length != AggregationKeys.KEY_BYTES) {
          throw new IllegalArgumentException();
        }
        keys.put(d, k);
      } catch (RuntimeException e) {
        throw new ProtocolException(d, "approval", "Cannot start job " + spec.jobId() + ": " + d + "'s approval "
            + "carries no valid aggregation key. Check that every party runs the same Veil version.");
      }
    }
    String result = spec.aggregate() != null ? spec.aggregate().resultParty() : spec.featureAggregate().resultParty();
    return new AggregationContext(spec.jobId(), me.id(), dataParties, result, spec.partyKeys(), keys, channel, log,
        keyRef, spec.peerTimeoutMs());
  }

  /**
   * Waits for every peer's approval of this job and returns their HELLOs. A peer's HELLO counts once
   * the peer has acknowledged this attempt (so it is running now, not an earlier attempt whose
   * messages are still on the log); the peer's older messages are then ignored. Fails fast when a
   * peer's latest fresh approval is for a different contract (mismatched specs), when it is not
   * validly signed, or when a peer aborts. A peer that shows no sign of life for {@code
   * peerTimeoutMs} times out.
   */
  private static Map<String, ControlMessage> awaitApprovals(ControlLog log, JobSpec spec, List<String> peers) {
    long freshSince = log.openedAtMs() - spec.peerTimeoutMs();
    Map<String, ControlMessage> approved = new LinkedHashMap<>();
    Map<String, Long> deadlines = new HashMap<>();
    peers.forEach(p -> deadlines.put(p, System.currentTimeMillis() + spec.peerTimeoutMs()));
    Map<String, ControlMessage> latest = new HashMap<>();
    Map<String, String> acknowledged = Map.of();
    int scanned = 0;
    while (true) {
      List<ControlMessage> seen = log.seen();
      for (; scanned < seen.size(); scanned++) {
        ControlMessage m = seen.get(scanned);
        String peer = m.from();
        if (!deadlines.containsKey(peer) || approved.containsKey(peer)) {
          continue;
        }
        if (m.timestampMs() >= log.openedAtMs()) {
          deadlines.put(peer, System.currentTimeMillis() + spec.peerTimeoutMs()); // alive now
        }
        boolean freshApprovalAbort = m.type() == Type.ABORT && m.step().equals("approval")
            && m.timestampMs() >= log.openedAtMs();
        if (log.isCurrentAbort(m) || freshApprovalAbort) {
          throw new ProtocolException(peer, "approval", "Cannot start job " + spec.jobId() + ": " + peer
              + " aborted it: " + m.bodyString("reason"));
        }
        if (m.type() == Type.HELLO && (m.jobId().equals(spec.jobId()) || m.timestampMs() >= freshSince)) {
          latest.put(peer, m);
        }
      }
      if (!log.peerAttempts().equals(acknowledged)) {
        acknowledged = log.peerAttempts();
        log.publishAcks(); // promptly, so that peers waiting for this party need not wait for a heartbeat
      }
      for (String peer : peers) {
        if (approved.containsKey(peer)) {
          continue;
        }
        ControlMessage hello = latest.get(peer);
        if (hello != null && !hello.jobId().equals(spec.jobId())) {
          String reason = "the specs differ: " + peer + " approved contract " + hello.contractHash().substring(0, 16)
              + "... but " + log.me() + " has " + spec.contractHash().substring(0, 16) + "...; compare both specs "
              + "with 'veil spec-hash --spec <file>' (and the --period), agree on one, and re-run both parties";
          log.publish(Type.ABORT, "approval", Map.of("reason", reason));
          throw new InvalidInputException("Cannot start job '" + spec.name() + "': " + reason + ".");
        }
        Optional<ControlMessage> live = log.liveHello(peer);
        if (live.isPresent()) {
          String sig = live.get().bodyString("approval");
          if (sig == null || !Approval.verify(spec.party(peer).publicKey(), spec.contractHash(), sig)) {
            throw new ProtocolException(peer, "approval", "Cannot start job " + spec.jobId() + ": " + peer
                + "'s approval is not a valid signature of the contract by its pinned key. Nothing was read "
                + "or sent; check " + peer + "'s key.");
          }
          log.bindAttempt(peer, live.get());
          approved.put(peer, live.get());
        } else if (System.currentTimeMillis() > deadlines.get(peer)) {
          throw new PeerTimeoutException(peer, "Cannot start job '" + spec.name() + "' (" + spec.jobId() + "): "
              + peer + " did not approve it within " + spec.peerTimeoutMs() + " ms" + (hello == null ? ""
              : " (its approval on the log is from an earlier attempt that is no longer running)")
              + ". Nothing was read or sent. Check that " + peer + " runs the job with the same spec and channel "
              + "(veil spec-hash prints the contract hash to compare), or raise peerTimeoutMs in the spec.");
        }
      }
      if (approved.size() == peers.size()) {
        Map<String, ControlMessage> ordered = new LinkedHashMap<>();
        peers.forEach(p -> ordered.put(p, approved.get(p)));
        return ordered;
      }
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PeerTimeoutException(peers.get(0), "Cannot start job " + spec.jobId() + ": interrupted while "
            + "waiting for the approvals of " + String.join(", ", peers) + ".");
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
