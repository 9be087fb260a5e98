package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.channel.BatchCodec;
import io.veil.channel.ControlLog;
import io.veil.channel.ControlMessage;
import io.veil.channel.RoundDigest;
import io.veil.channel.RoundStats;
import io.veil.channel.SentBatch;
import io.veil.crypto.sharing.AggregationKeys;
import io.veil.channel.StreamReader;
import io.veil.channel.StreamWriter;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.connectors.kafka.KafkaChannel;
import io.veil.crypto.PartySecret;
import io.veil.jobs.PartyProcess;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LocalLedger;
import io.veil.spec.Approval;
import io.veil.spec.JobSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * What goes wrong, with each party its own JVM over a real broker: a crashed party resumes; forged,
 * corrupted and replayed batches and invalid points abort the job naming the peer and the step;
 * bad input, policy refusal, mismatched specs and an absent peer fail on the driver before any
 * data is sent. Each scenario is a job of its own (its own job id, topics and control log), so the
 * scenarios run side by side, a few at a time, from {@link #start()}; each test waits for its
 * scenario's parties to end and checks what they did.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PsiFailuresIT {
  private static final long RUN_MS = 300_000;
  /** Scenarios running at once: each party is a JVM, and the machine may have 2 cores. */
  private static final int SIDE_BY_SIDE = 3;
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static PsiFixture fx;
  static KafkaChannel channel;
  static Set<String> expected;
  /**
   * Inputs of the first 300 rows of each party's sample, for the scenarios that fail at the first
   * batch a party reads: how many rows they blinded before does not change what they prove. (Not
   * the replay: a batch of the crash scenario's job, on its full inputs, is too large for a job of
   * 300 rows, which refuses it unread, before it could see the batch is another job's.)
   */
  static Map<String, String> small;
  static ExecutorService pool;
  static Future<Recovery> recovery;
  /** Done once the crash scenario's bank_b has sent its blinded set (the batch the replay scenario replays). */
  static CompletableFuture<Void> recoveryBlindSent;
  static Future<List<PartyProcess>> forged;
  static Future<List<PartyProcess>> corrupted;
  static Future<List<PartyProcess>> replayed;
  static Future<List<PartyProcess>> invalidPoint;
  static Future<List<PartyProcess>> missingColumn;
  static Future<List<PartyProcess>> wrongType;
  static Future<List<PartyProcess>> refused;
  static Future<List<PartyProcess>> lonely;
  static Future<List<PartyProcess>> mismatched;

  /** The crash scenario: whether bank_b had sent its blinded set when it was killed; bank_a; bank_b restarted. */
  record Recovery(boolean blindSent, PartyProcess a, PartyProcess b2) {}

  @BeforeAll
  static void start() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    fx = new PsiFixture(dir.resolve("work"), broker.bootstrapServers());
    expected = fx.sampleDefaultCredit();
    small = firstRows(300);
    channel = KafkaChannel.fromOptions(Map.of("bootstrap.servers", broker.bootstrapServers()));
    pool = Executors.newFixedThreadPool(SIDE_BY_SIDE);
    // The crash first: the replay scenario replays one of its batches. Its receipts are the only ones in
    // the ledgers, since every other scenario fails and a failed job records none.
    recoveryBlindSent = new CompletableFuture<>();
    recovery = pool.submit(PsiFailuresIT::crashAndResume);
    missingColumn = scenario(() -> List.of(fx.start("bank_b", missingColumnSpec())));
    wrongType = scenario(() -> List.of(fx.start("bank_b", wrongTypeSpec())));
    refused = scenario(() -> List.of(fx.startWithPolicy("bank_b", refusedSpec(), rowsOnlyPolicy())));
    lonely = scenario(() -> List.of(fx.start("bank_a", lonelySpec())));
    forged = scenario(PsiFailuresIT::forgedBatch);
    corrupted = scenario(PsiFailuresIT::corruptedBatch);
    invalidPoint = scenario(PsiFailuresIT::invalidCurvePoint);
    mismatched = scenario(() -> List.of(fx.start("bank_a", mismatchSpec("a")),
        fx.start("bank_b", mismatchSpec("b", "peerTimeoutMs: 100000"))));
    replayed = scenario(() -> {
      recoveryBlindSent.get();
      return tamper("it-replayed", Map.of(), null);
    });
  }

  @AfterAll
  static void stop() {
    if (pool != null) {
      pool.shutdownNow();
    }
    if (broker != null) {
      broker.close();
    }
  }

  /** Input blocks of each party's first {@code rows} rows, copied from its sample. */
  private static Map<String, String> firstRows(int rows) throws IOException {
    Map<String, String> blocks = new HashMap<>();
    for (String p : PsiFixture.PARTIES) {
      Path file = fx.work.resolve("data/" + p + "-first-" + rows + ".csv");
      try (Stream<String> lines = Files.lines(fx.work.resolve("data/" + p + ".csv"))) {
        Files.write(file, lines.limit(rows + 1L).toList()); // the header and the rows
      }
      blocks.put(p, String.join("\n",
          "      format: csv",
          "      path: " + file,
          "      keyColumns: [id]"));
    }
    return blocks;
  }

  /** Runs {@code start} on the pool; the future is done when every party it started has ended. */
  private static Future<List<PartyProcess>> scenario(Callable<List<PartyProcess>> start) {
    return pool.submit(() -> {
      List<PartyProcess> parties = start.call();
      for (PartyProcess p : parties) {
        p.await(RUN_MS);
      }
      return parties;
    });
  }

  private static Recovery crashAndResume() throws Exception {
    Path spec = fx.writeSpec("recovery.yaml", "it-recovery", "rows", Map.of());
    PartyProcess a;
    boolean blindSent;
    try {
      a = fx.start("bank_a", spec);
      PartyProcess b = fx.start("bank_b", spec);
      blindSent = b.awaitLine(l -> l.contains("step blind-1 sent"), RUN_MS);
      b.kill(); // mid-job: its blinded set is out, its answers are not
    } finally {
      recoveryBlindSent.complete(null);
    }
    PartyProcess b2 = fx.start("bank_b", spec);
    a.await(RUN_MS);
    b2.await(RUN_MS);
    return new Recovery(blindSent, a, b2);
  }

  @Test
  @Order(1)
  void crashedPartyResumesAndProducesTheIdenticalResult() throws Exception {
    Recovery r = recovery.get();
    assertThat(r.blindSent()).isTrue();
    assertThat(r.a().await(RUN_MS)).isZero();
    assertThat(r.b2().await(RUN_MS)).isZero();
    for (String p : PsiFixture.PARTIES) {
      assertThat(PsiFixture.outputIds(fx.output("it-recovery", p))).as(p).isEqualTo(expected);
    }
    List<LedgerEntry> ea = LocalLedger.openReadOnly(fx.work.resolve("ledger-bank_a.jsonl")).entries();
    List<LedgerEntry> eb = LocalLedger.openReadOnly(fx.work.resolve("ledger-bank_b.jsonl")).entries();
    assertThat(eb).hasSize(1); // the crashed attempt wrote no receipt
    assertThat(eb.get(0).receipt().roundDigests()).isEqualTo(ea.get(0).receipt().roundDigests());
    assertThat(eb.get(0).receipt().result().get("intersectionSize")).isEqualTo(Integer.toString(expected.size()));
  }

  /**
   * Starts both parties on a spec (with these input blocks) whose bank_b blind-1 stream already
   * holds {@code forged} in partition 0 (null: a batch of the recovery job, replayed).
   */
  private static List<PartyProcess> tamper(String name, Map<String, String> inputs, byte[] forged)
      throws Exception {
    Path spec = fx.writeSpec(name + ".yaml", name, "rows", inputs);
    String jobId = PsiFixture.jobId(spec);
    String stream = "bank_b." + jobId + ".blind-1";
    channel.createStreams(List.of(stream), 4);
    byte[] record = forged != null ? forged : replayedFromRecoveryJob(jobId, stream);
    try (StreamWriter w = channel.openWriter(stream, 0)) {
      w.write(record);
      w.flush();
    }
    return List.of(fx.start("bank_a", spec), fx.start("bank_b", spec));
  }

  /** Both parties of a tampered job fail: bank_a naming bank_b, the step and {@code why}; bank_b told of the abort. */
  private static void assertTamperRejected(String name, List<PartyProcess> parties, String why) throws Exception {
    PartyProcess a = parties.get(0);
    PartyProcess b = parties.get(1);
    assertThat(a.await(RUN_MS)).isEqualTo(1);
    assertThat(b.await(RUN_MS)).isEqualTo(1);
    assertThat(PsiFixture.line(a, "veil: protocol error")).get().asString()
        .contains("from bank_b in step 'blind-1'").contains(why);
    assertThat(PsiFixture.line(b, "veil: protocol error")).get().asString().contains("bank_a aborted");
    assertThat(PsiFixture.outputLines(fx.output(name, "bank_a"))).isEmpty();
  }

  private static byte[] batch(String jobId, String stream, PartySecret signer, byte[] payload) {
    return BatchCodec.encode(jobId, stream, "bank_b", 0, 0, 32, payload, payload.length / 32, signer.identity());
  }

  private static byte[] replayedFromRecoveryJob(String jobId, String stream) {
    String oldJob = PsiFixture.jobId(fx.work.resolve("recovery.yaml"));
    try (StreamReader r = channel.openReader("bank_b." + oldJob + ".blind-1", 0)) {
      Iterator<byte[]> it = r.records();
      assertThat(it.hasNext()).isTrue();
      return it.next();
    }
  }

  private static List<PartyProcess> forgedBatch() throws Exception {
    PartySecret stranger = PartySecret.generate("bank_b", new SecureRandom());
    String name = "it-forged";
    Path spec = fx.writeSpec(name + ".yaml", name, "rows", small);
    String jobId = PsiFixture.jobId(spec);
    return tamper(name, small, batch(jobId, "bank_b." + jobId + ".blind-1", stranger, new byte[64]));
  }

  @Test
  @Order(2)
  void forgedBatchIsRejected() throws Exception {
    assertTamperRejected("it-forged", forged.get(), "is not signed by bank_b's key");
  }

  private static List<PartyProcess> corruptedBatch() throws Exception {
    String name = "it-corrupted";
    Path spec = fx.writeSpec(name + ".yaml", name, "rows", small);
    String jobId = PsiFixture.jobId(spec);
    byte[] record = batch(jobId, "bank_b." + jobId + ".blind-1", PartySecret.read(fx.work.resolve("bank_b.key")),
        new byte[64]);
    record[record.length - 80] ^= 1; // a payload bit flipped in transit
    return tamper(name, small, record);
  }

  @Test
  @Order(3)
  void corruptedBatchIsRejected() throws Exception {
    assertTamperRejected("it-corrupted", corrupted.get(), "is not signed by bank_b's key");
  }

  @Test
  @Order(4)
  void batchReplayedFromAnotherJobIsRejected() throws Exception {
    assertTamperRejected("it-replayed", replayed.get(), "belongs to another job (replayed)");
  }

  /**
   * The test plays a misbehaving bank_b holding its real key: it approves the job and sends a
   * correctly signed and announced batch whose point lies on the twist of curve25519.
   */
  private static List<PartyProcess> invalidCurvePoint() throws Exception {
    Path spec = fx.writeSpec("invalid-point.yaml", "it-invalid-point", "rows", small);
    JobSpec js = JobSpec.read(spec, null);
    PartySecret b = PartySecret.read(fx.work.resolve("bank_b.key"));
    PartyProcess a = fx.start("bank_a", spec);
    try (ControlLog log = new ControlLog(channel.openControl(js.controlLogName()), "bank_b", b.identity(),
        js.partyKeys(), js.jobId(), js.contractHash())) {
      log.publish(new ControlMessage.Hello(Approval.sign(b.identity(), js.contractHash()),
          AggregationKeys.derive(b, js.jobId()).publicKey()));
      long until = System.currentTimeMillis() + RUN_MS;
      while (!log.acknowledged().containsKey("bank_a") && System.currentTimeMillis() < until) {
        Thread.sleep(100);
      }
      log.publishAcks(); // bank_a counts this approval only once its attempt is acknowledged
      log.publish(new ControlMessage.InputCommitted("ab".repeat(32)));
      String stream = "bank_b." + js.jobId() + ".blind-1";
      channel.createStreams(List.of(stream), 4);
      byte[] payload = new byte[32];
      payload[0] = 2; // u = 2: on the twist, not on the curve
      byte[] record = batch(js.jobId(), stream, b, payload);
      try (StreamWriter w = channel.openWriter(stream, 0)) {
        w.write(record);
        w.flush();
      }
      log.publish(new ControlMessage.RoundComplete("blind-1", RoundStats.fromBatches(4,
          List.of(new SentBatch(0, 0, 1, RoundDigest.batchDigest(record), null)))));
      a.await(RUN_MS); // the control log stays open until bank_a has ended
    }
    return List.of(a);
  }

  @Test
  @Order(5)
  void invalidCurvePointFromPeerIsRejected() throws Exception {
    PartyProcess a = invalidPoint.get().get(0);
    assertThat(a.await(RUN_MS)).isEqualTo(1);
    assertThat(PsiFixture.line(a, "veil: protocol error")).get().asString()
        .contains("bank_b").contains("'blind-1'").contains("not a valid curve point");
  }

  /** The one party of {@code run} failed on the driver with {@code message}, having sent nothing. */
  private static void assertFailedBeforeSending(Future<List<PartyProcess>> run, Path spec, String message)
      throws Exception {
    PartyProcess p = run.get().get(0);
    assertThat(p.await(RUN_MS)).isEqualTo(1);
    assertThat(String.join("\n", p.output())).contains(message);
    assertNothingSent(JobSpec.read(spec, null), p.name());
  }

  /** Names of the topics on the broker. */
  private static Set<String> topics() throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      return admin.listTopics().names().get();
    }
  }

  private static void assertNothingSent(JobSpec spec, String party) throws Exception {
    assertThat(topics()).noneMatch(t -> t.contains(spec.jobId()));
    try (ControlLog log = new ControlLog(channel.openControl(spec.controlLogName()), "bank_a",
        PartySecret.read(fx.work.resolve("bank_a.key")).identity(), spec.partyKeys(), spec.jobId(),
        spec.contractHash())) {
      assertThat(log.seen()).noneMatch(m -> m.from().equals(party) && !(m.body() instanceof ControlMessage.Abort));
    }
  }

  private static Path missingColumnSpec() throws IOException {
    return fx.writeSpec("missing-column.yaml", "it-missing-column", "rows", Map.of("bank_b", String.join("\n",
        "      format: csv",
        "      path: " + fx.work.resolve("data/bank_b.csv"),
        "      keyColumns: [customer_id]")));
  }

  @Test
  @Order(6)
  void missingKeyColumnFailsBeforeAnythingIsSent() throws Exception {
    assertFailedBeforeSending(missingColumn, missingColumnSpec(), "key column 'customer_id' is missing");
  }

  private static Path wrongTypeSpec() throws IOException {
    return fx.writeSpec("wrong-type.yaml", "it-wrong-type", "rows", Map.of("bank_b", String.join("\n",
        "      format: csv",
        "      path: " + fx.work.resolve("data/bank_b.csv"),
        "      keyColumns: [x0]",
        "      schema: {x0: double}")));
  }

  @Test
  @Order(7)
  void wrongKeyTypeFailsBeforeAnythingIsSent() throws Exception {
    assertFailedBeforeSending(wrongType, wrongTypeSpec(), "key column 'x0' has type double");
  }

  private static Path refusedSpec() throws IOException {
    return fx.writeSpec("refused.yaml", "it-refused", "cardinality", Map.of());
  }

  /** bank_b's policy allowing only rows-mode PSI (its own file: other scenarios run with the usual one meanwhile). */
  private static Path rowsOnlyPolicy() throws IOException {
    Path strict = fx.work.resolve("policy-bank_b-rows-only.yaml");
    Files.writeString(strict, Files.readString(fx.work.resolve("policy-bank_b.yaml"))
        .replace("operators: [psi]", "operators: [psi]\npsiModes: [rows]"));
    return strict;
  }

  @Test
  @Order(8)
  void policyRefusalFailsBeforeAnythingIsSent() throws Exception {
    assertFailedBeforeSending(refused, refusedSpec(), "veil: policy refused");
  }

  private static Path lonelySpec() throws IOException {
    return fx.writeSpec("lonely.yaml", "it-lonely", "rows", Map.of(), "peerTimeoutMs: 4000");
  }

  @Test
  @Order(9)
  void peerThatNeverComesTimesOutNamingIt() throws Exception {
    PartyProcess a = lonely.get().get(0);
    assertThat(a.await(RUN_MS)).isEqualTo(1);
    assertThat(String.join("\n", a.output()))
        .contains("veil: peer timeout").contains("bank_b did not approve it within 4000 ms");
    String jobId = PsiFixture.jobId(lonelySpec());
    assertThat(topics()).noneMatch(t -> t.contains(jobId));
  }

  /** Both parties' specs of job "it-mismatch": the same but for {@code extra} lines in bank_b's. */
  private static Path mismatchSpec(String side, String... extra) throws IOException {
    return fx.writeSpec("mismatch-" + side + ".yaml", "it-mismatch", "rows", Map.of(), extra);
  }

  @Test
  @Order(10)
  void mismatchedSpecsFailOnBothSidesBeforeAnyDataIsSent() throws Exception {
    Path specA = mismatchSpec("a");
    Path specB = mismatchSpec("b", "peerTimeoutMs: 100000");
    for (PartyProcess p : mismatched.get()) {
      assertThat(p.await(RUN_MS)).isEqualTo(1);
      assertThat(String.join("\n", p.output())).contains("the specs differ").contains("veil spec-hash");
    }
    assertThat(topics()).noneMatch(t -> t.contains(PsiFixture.jobId(specA)) || t.contains(PsiFixture.jobId(specB)));
  }
}
