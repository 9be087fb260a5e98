package io.veil.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InputChangedException;
import io.veil.InvalidInputException;
import io.veil.PeerTimeoutException;
import io.veil.ProtocolException;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Abort;
import io.veil.channel.ControlMessage.AbortKind;
import io.veil.channel.ControlMessage.InputCommitted;
import io.veil.psi.PsiResult;
import io.veil.psi.internal.PsiProtocol;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.JobSpec;
import io.veil.testing.HostilePeer;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job runtime over the in-memory channel, every party on its own driver thread: the operator
 * interface (a toy operator registered from the test classpath only), the approval handshake,
 * attempts, the one sanitised abort path, DONE and the receipt, and re-runs over unchanged and
 * changed inputs.
 */
class JobRuntimeTest {
  private static final StructType SCHEMA = new StructType().add("v", DataTypes.LongType, true);
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("JobRuntimeTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Dataset<Row> values(long... v) {
    List<Row> rows = new ArrayList<>();
    for (long x : v) {
      rows.add(RowFactory.create(x));
    }
    return spark.createDataFrame(rows, SCHEMA);
  }

  private static final String ASSET_A = "a1".repeat(32);

  /** The toy job: every party of {@code h} but {@code withoutInput} sums column v; bank_a learns the total. */
  private static JobSpec toy(JobHarness h, String column, String withoutInput, String... extraYaml) {
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String id : h.ids) {
      Map<String, Object> input = id.equals(withoutInput) ? null
          : new java.util.LinkedHashMap<>(JobHarness.input(null, null));
      if (id.equals("bank_a")) {
        input.put("asset", ASSET_A); // bank_a's input is a registered data asset: its receipt meters its use
      }
      parties.add(h.party(id, input, id.equals("bank_a") ? JobHarness.output() : null));
    }
    return h.spec("toy-job", "toy-sum", parties, Map.of("resultParty", "bank_a", "column", column), extraYaml);
  }

  @Test
  void aToyOperatorFromTheTestClasspathRunsEndToEndThroughTheRuntime() {
    assertThat(Operators.names()).contains("psi", "aggregate", "feature-aggregate", "toy-sum");
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b", "bank_c", "auditor"));
    JobSpec spec = toy(h, "v", "auditor");
    Map<String, JobOutcome> out = h.run(spark, spec, Map.of("bank_a", values(1, 2, 3), "bank_b", values(40),
        "bank_c", values(500, 600)));
    assertThat(out.get("bank_a").details(Long.class)).isEqualTo(1146L);
    assertThat(out.get("bank_a").output().orElseThrow().collectAsList()).containsExactly(RowFactory.create(1146L));
    assertThat(out.get("bank_b").output()).isEmpty();
    assertThat(out.get("bank_a").operator()).isEqualTo("toy-sum");
    assertThat(out.get("bank_a").summary()).contains("total:", "1146");

    // Each receipt: every approval, this party's commitments, every other party's announced roots.
    JobRecord a = h.receipts("bank_a").get(0);
    assertThat(a.approvals()).extracting(JobRecord.ApprovalRecord::party)
        .containsExactly("bank_a", "bank_b", "bank_c", "auditor");
    DatasetCommitment.Commitment inA = DatasetCommitment.compute(values(1, 2, 3),
        HexFormat.of().parseHex(a.input().salt()));
    assertThat(a.input().root()).isEqualTo(inA.rootHex());
    assertThat(a.output()).isNotNull();
    assertThat(a.peers()).extracting(JobRecord.PeerRoots::party).containsExactly("bank_b", "bank_c", "auditor");
    assertThat(a.inputAsset()).as("the asset bank_a's input names, for usage metering").isEqualTo(ASSET_A);
    JobRecord b = h.receipts("bank_b").get(0);
    assertThat(b.inputAsset()).isNull();
    assertThat(a.peers().get(0).inputRoot()).isEqualTo(b.input().root());
    assertThat(a.peers().get(2).inputRoot()).as("the auditor holds no input").isNull();
    assertThat(h.receipts("auditor").get(0).input()).isNull();
    assertThat(b.peers().get(0).outputRoot()).isEqualTo(a.output().root());
    // Only masked totals crossed the channel: bank_b's 40 is in no record.
    byte[] forty = ByteBuffer.allocate(8).putLong(40).array();
    assertThat(h.channel.allRecords()).noneMatch(r -> contains(r, forty));
    assertThat(h.channel.controlLogsOpened()).as("one control log per party").isEqualTo(4);
    assertThat(h.channel.controlLogsOpen()).as("each closed when its job ended").isZero();
  }

  /**
   * The control log is opened while the input's metadata is read; an input that fails its checks
   * stops the job before anything is sent, and the log opened meanwhile is closed.
   */
  @Test
  void anInputFailingItsChecksSendsNothingAndClosesTheControlLogOpenedMeanwhile() throws Exception {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec spec = toy(h, "v", null);
    Dataset<Row> noV = spark.createDataFrame(List.of(RowFactory.create(2L)), new StructType().add("w",
        DataTypes.LongType));
    assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_b", noV).build()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("column 'v' is not a bigint column");
    long deadline = System.currentTimeMillis() + 10_000;
    while (h.channel.controlLogsOpen() > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(h.channel.controlLogsOpen()).as("the control log opened beside the checks, closed").isZero();
    assertThat(h.channel.allRecords()).as("not even a hello").isEmpty();
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void partiesWithDifferentSpecsBothStopBeforeReadingAnything() {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec mine = toy(h, "v", null);
    JobSpec theirs = toy(h, "w", null);
    assertThat(mine.controlLogName()).isEqualTo(theirs.controlLogName());
    Map<String, JobRequest> rqs = new LinkedHashMap<>();
    rqs.put("bank_a", h.request(mine, "bank_a", values(1)).build());
    rqs.put("bank_b", h.request(theirs, "bank_b", spark.createDataFrame(List.of(RowFactory.create(2L)),
        new StructType().add("w", DataTypes.LongType))).build());
    JobHarness.Results r = JobHarness.runRequests(spark, rqs);
    for (String id : List.of("bank_a", "bank_b")) {
      assertThat(r.error(id)).as(id).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("the specs differ").hasMessageContaining("veil spec-hash");
    }
    try (HostilePeer observer = HostilePeer.approve(h, mine, "bank_b")) {
      assertThat(observer.messagesOf("bank_a")).noneMatch(m -> m.body() instanceof InputCommitted);
    }
    assertThat(h.channel.streams()).isEmpty();
  }

  @Test
  void anApprovalNotSignedByThePinnedKeyStopsTheJobBeforeAnythingIsRead() {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec spec = toy(h, "v", null, "peerTimeoutMs: 5000");
    try (HostilePeer b = HostilePeer.approveWith(h, spec, "bank_b", "00".repeat(64), true)) {
      assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_a", values(1)).build()))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("bank_b's approval is not a valid signature of the contract by its pinned key");
      assertThat(b.messagesOf("bank_a")).noneMatch(m -> m.body() instanceof InputCommitted);
    }
  }

  @Test
  void aPeerThatNeverComesTimesOutNamingIt() {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec spec = toy(h, "v", null, "peerTimeoutMs: 1000");
    long t0 = System.currentTimeMillis();
    assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_a", values(1)).build()))
        .isInstanceOf(PeerTimeoutException.class)
        .hasMessageContaining("bank_b did not approve it within 1000 ms")
        .hasMessageContaining("Nothing was read or sent");
    assertThat(System.currentTimeMillis() - t0).isLessThan(15_000);
  }

  @Test
  void anEarlierAttemptsApprovalDoesNotCount() {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec spec = toy(h, "v", null, "peerTimeoutMs: 1000");
    // bank_b approved in an attempt that is no longer running: it never acknowledges bank_a's.
    HostilePeer.approve(h, spec, "bank_b").close();
    assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_a", values(1)).build()))
        .isInstanceOf(PeerTimeoutException.class)
        .hasMessageContaining("its approval on the log is from an earlier attempt that is no longer running");
  }

  @Test
  void peersLearnOnlyTheKindOfAFailureNeverItsLocalDetails() {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec spec = toy(h, "v", null);
    JobHarness.Results r = h.runAll(spark, spec, Map.of("bank_a", values(1), "bank_b", values(5, -42)));
    assertThat(r.error("bank_b")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("-42").hasMessageContaining("/secret/bank_b/ledger.csv");
    assertThat(r.error("bank_a")).isInstanceOf(ProtocolException.class)
        .hasMessage("Cannot continue job " + spec.jobId() + ": bank_b aborted it: its input or settings failed its "
            + "checks (the details are in bank_b's own job log).");
    for (byte[] rec : h.channel.allRecords()) {
      String text = new String(rec, StandardCharsets.ISO_8859_1);
      assertThat(text).doesNotContain("secret").doesNotContain("-42");
    }
    try (HostilePeer observer = HostilePeer.approve(h, spec, "bank_a")) {
      List<ControlMessage> fromB = observer.messagesOf("bank_b");
      assertThat(fromB).filteredOn(m -> m.body() instanceof Abort)
          .singleElement().satisfies(m -> assertThat(((Abort) m.body()).kind()).isEqualTo(AbortKind.INVALID_INPUT));
    }
  }

  /** A cardinality PSI between bank_a and bank_b, bank_b the only recipient. */
  private static JobSpec psi(JobHarness h) {
    return h.spec("psi-rerun", "psi", List.of(
        h.party("bank_a", JobHarness.input(List.of("id"), null), null),
        h.party("bank_b", JobHarness.input(List.of("id"), null), JobHarness.output())),
        Map.of("mode", "cardinality", "recipients", List.of("bank_b"), "partitions", 2, "batchRows", 16));
  }

  private static Dataset<Row> ids(long from, long to) {
    List<Row> rows = new ArrayList<>();
    LongStream.range(from, to).forEach(i -> rows.add(RowFactory.create("cust-" + i)));
    return spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType));
  }

  /** Distinct records on the job's data streams (a resumed run writes byte-identical duplicates). */
  private static Set<String> dataRecords(JobHarness h) {
    Set<String> out = new HashSet<>();
    for (String stream : h.channel.streams()) {
      for (byte[] r : h.channel.records(stream)) {
        out.add(stream + ":" + HexFormat.of().formatHex(r));
      }
    }
    return out;
  }

  @Test
  void aReRunOverUnchangedInputsResumesAndOverAChangedInputIsRefusedSendingNothing() {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec spec = psi(h);
    Map<String, JobOutcome> first = h.run(spark, spec, Map.of("bank_a", ids(0, 300), "bank_b", ids(200, 500)));
    assertThat(first.get("bank_b").details(PsiResult.class).intersectionSize()).isEqualTo(100);
    Set<String> afterFirst = dataRecords(h);

    // The same inputs again (a crash-resume): same keys, byte-identical batches, the same answer.
    Map<String, JobOutcome> again = h.run(spark, spec, Map.of("bank_a", ids(0, 300), "bank_b", ids(200, 500)));
    assertThat(again.get("bank_b").details(PsiResult.class).intersectionSize()).isEqualTo(100);
    assertThat(dataRecords(h)).as("no new batch: every record written again is a duplicate").isEqualTo(afterFirst);

    // bank_b adds one element of bank_a's to its set and runs the same job again: with bank_a's
    // blinding key reused it would learn that this element is bank_a's. Both refuse; nothing is sent.
    JobHarness.Results r = h.runAll(spark, spec, Map.of("bank_a", ids(0, 300),
        "bank_b", ids(200, 500).union(ids(7, 8))));
    for (String id : List.of("bank_a", "bank_b")) {
      assertThat(r.error(id)).as(id).isInstanceOf(InputChangedException.class)
          .hasMessageContaining("bank_b's input (commitment")
          .hasMessageContaining("differs from what an earlier attempt of this job committed to")
          .hasMessageContaining("new period");
    }
    assertThat(dataRecords(h)).as("the refused run sent nothing").isEqualTo(afterFirst);
    assertThat(h.receipts("bank_b")).hasSize(2);
    assertThat(PsiProtocol.firstStream(spec.jobId(), "bank_a")).isIn(h.channel.streams());
  }

  @Test
  void aFinishedPeriodRunAgainReturnsTheRecordedResultAndSendsNothing() {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b", "bank_c")).rememberingReceipts();
    Path out = dir.resolve("finished-period-" + System.nanoTime());
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String id : h.ids) {
      parties.add(h.party(id, JobHarness.input(null, null),
          id.equals("bank_a") ? Map.of("path", out.resolve("${period}").toString()) : null));
    }
    JobSpec spec = JobSpec.parse(h.specYaml("toy-period", "toy-sum", parties,
        Map.of("resultParty", "bank_a", "column", "v")), "toy-period.yaml", "2026-11");
    assertThat(spec.party("bank_a").output().path()).endsWith("2026-11");
    Map<String, Dataset<Row>> inputs = Map.of("bank_a", values(1, 2, 3), "bank_b", values(40),
        "bank_c", values(500, 600));
    java.util.function.Function<Map<String, Dataset<Row>>, JobHarness.Results> run = in -> {
      Map<String, JobRequest> rqs = new LinkedHashMap<>();
      in.forEach((id, d) -> rqs.put(id, h.request(spec, id, d).writeOutput(true).build()));
      return JobHarness.runRequests(spark, rqs);
    };
    JobOutcome first = run.apply(inputs).get("bank_a");
    assertThat(first.output().orElseThrow().collectAsList()).containsExactly(RowFactory.create(1146L));
    int sent = h.channel.allRecords().size();
    int opened = h.channel.controlLogsOpened();

    // Every party runs the finished period again: the recorded result, checked, and not a message sent.
    JobHarness.Results again = run.apply(inputs);
    JobOutcome a = again.get("bank_a");
    assertThat(a.output().orElseThrow().collectAsList()).containsExactly(RowFactory.create(1146L));
    assertThat(a.result()).isEqualTo(first.result());
    assertThat(a.inputRows()).isEqualTo(3);
    assertThat(a.receipt().receiptHash()).isEqualTo(first.receipt().receiptHash());
    assertThat(a.receipt().notes().get("re-run")).contains("recorded result", "nothing recomputed or sent");
    assertThat(again.get("bank_b").result()).isEqualTo(run.apply(inputs).get("bank_b").result());
    assertThat(h.channel.allRecords()).as("nothing sent, not even a hello").hasSize(sent);
    assertThat(h.channel.controlLogsOpened()).as("the control log not even opened").isEqualTo(opened);
    for (String id : h.ids) {
      assertThat(h.receipts(id)).as("nothing recorded again").hasSize(1);
    }

    // bank_b's input changed: bank_b is told to use a new period; the others' recorded results stand.
    JobHarness.Results changed = run.apply(Map.of("bank_a", values(1, 2, 3), "bank_b", values(41),
        "bank_c", values(500, 600)));
    assertThat(changed.error("bank_b")).isInstanceOf(InputChangedException.class)
        .hasMessageContaining("period 2026-11").hasMessageContaining("has changed")
        .hasMessageContaining("run the new data as a new period (e.g. --period 2026-11.r2)")
        .hasMessageContaining("Nothing was sent");
    assertThat(changed.get("bank_a").result()).isEqualTo(first.result());
    assertThat(h.channel.allRecords()).hasSize(sent);

    // The output edited after the job wrote it no longer matches the receipt.
    values(999).write().mode("overwrite").parquet(spec.party("bank_a").output().path());
    assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_a", values(1, 2, 3)).writeOutput(true)
        .build()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("no longer matches the receipt")
        .hasMessageContaining(spec.party("bank_a").output().path());

    // Rows kept in memory are not recorded: a finished job cannot give them again without recomputing.
    JobSpec inMemory = toy(h, "v", null);
    h.run(spark, inMemory, inputs);
    JobHarness.Results twice = h.runAll(spark, inMemory, inputs);
    assertThat(twice.error("bank_a")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("kept in memory, not written").hasMessageContaining("Give bank_a an output");
    assertThat(twice.get("bank_b").result()).as("bank_b has no rows to give: its recorded figures stand")
        .isEqualTo(h.receipts("bank_b").get(1).result());
  }

  /**
   * A finished period whose receipt an earlier release wrote, with commitments under {@code
   * veil-rowset-sha256/v1}: run again, its input and output are checked under v1, the algorithm the
   * receipt names, so the recorded result stands. A receipt naming an algorithm this release does
   * not know is refused by name.
   */
  @Test
  void aFinishedPeriodIsCheckedUnderTheCommitmentAlgorithmItsReceiptNames() {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b")).rememberingReceipts();
    Path out = dir.resolve("v1-period-" + System.nanoTime());
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String id : h.ids) {
      parties.add(h.party(id, JobHarness.input(null, null), id.equals("bank_a") ? Map.of("path", out.toString())
          : null));
    }
    JobSpec spec = JobSpec.parse(h.specYaml("toy-v1", "toy-sum", parties,
        Map.of("resultParty", "bank_a", "column", "v")), "toy-v1.yaml", "2026-10");
    Map<String, Dataset<Row>> inputs = Map.of("bank_a", values(1, 2, 3), "bank_b", values(40));
    java.util.function.Supplier<JobHarness.Results> run = () -> {
      Map<String, JobRequest> rqs = new LinkedHashMap<>();
      inputs.forEach((id, d) -> rqs.put(id, h.request(spec, id, d).writeOutput(true).build()));
      return JobHarness.runRequests(spark, rqs);
    };
    JobOutcome first = run.get().get("bank_a");
    JobRecord written = h.receipts("bank_a").get(0);
    assertThat(written.input().algorithm()).isEqualTo(DatasetCommitment.ALGORITHM);
    Dataset<Row> output = spark.read().parquet(out.toString());
    for (String id : h.ids) {
      Dataset<Row> in = inputs.get(id);
      h.editReceipts(id, r -> withCommitments(r, underV1(r.input(), in), r.output() == null ? null
          : underV1(r.output(), output)));
    }
    assertThat(h.receipts("bank_a").get(0).input().root()).isNotEqualTo(written.input().root());

    int sent = h.channel.allRecords().size();
    JobHarness.Results again = run.get();
    assertThat(again.get("bank_a").result()).isEqualTo(first.result());
    assertThat(again.get("bank_a").receipt().notes().get("re-run")).contains("recorded result");
    assertThat(again.get("bank_b").result()).isEqualTo(h.receipts("bank_b").get(0).result());
    assertThat(h.channel.allRecords()).as("nothing sent").hasSize(sent);

    h.editReceipts("bank_b", r -> withCommitments(r, new JobRecord.CommitmentRecord("veil-rowset-sha256/v0",
        r.input().root(), r.input().rows(), r.input().salt()), null));
    assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_b", values(40)).build()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'veil-rowset-sha256/v0', which this release of Veil does not recompute")
        .hasMessageContaining("Nothing was sent");
  }

  private static JobRecord.CommitmentRecord underV1(JobRecord.CommitmentRecord c, Dataset<Row> data) {
    DatasetCommitment.Commitment v1 = DatasetCommitment.compute(data, HexFormat.of().parseHex(c.salt()),
        DatasetCommitment.ALGORITHM_V1);
    return new JobRecord.CommitmentRecord(DatasetCommitment.ALGORITHM_V1, v1.rootHex(), v1.rowCount(), c.salt());
  }

  private static JobRecord withCommitments(JobRecord r, JobRecord.CommitmentRecord in,
      JobRecord.CommitmentRecord out) {
    return new JobRecord(r.jobId(), r.jobName(), r.period(), r.operator(), r.party(), r.partyKey(), r.contractHash(),
        r.approvals(), in, out, r.outputLocation(), r.result(), r.rounds(), r.peers(), r.startedAt(), r.finishedAt(),
        r.inputAsset());
  }
}
