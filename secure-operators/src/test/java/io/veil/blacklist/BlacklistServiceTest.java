package io.veil.blacklist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.PeerTimeoutException;
import io.veil.blacklist.internal.ServiceWire;
import io.veil.job.JobRecord;
import io.veil.psi.KeyNormalization;
import io.veil.spec.JobSpec;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
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
 * The low-latency form of the blacklist lookup in one JVM over the in-memory channel: {@link
 * BlacklistService} answering {@link BlacklistClient} sessions, against a plaintext oracle.
 */
class BlacklistServiceTest {
  private static final StructType LIST = new StructType().add("id", DataTypes.StringType, true)
      .add("reason", DataTypes.StringType, true);
  private static final StructType QUERY = new StructType().add("id", DataTypes.StringType, true);
  private static final Configuration CONF = new Configuration();
  private static final AtomicInteger JOBS = new AtomicInteger();
  private static SparkSession spark;
  @TempDir static Path dir;

  /** One list (200 ids), encoded and copied by one batch job, for the tests that do not change it. */
  private static JobHarness shared;
  private static Map<String, Object> sharedSection;
  private static final Map<String, String> SHARED_ENTRIES = entries(200);

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("BlacklistServiceTest");
    shared = new JobHarness(dir.resolve("shared"), List.of("bureau", "lender"));
    sharedSection = section("shared");
    batch(shared, sharedSection, SHARED_ENTRIES);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Dataset<Row> list(Map<String, String> entries) {
    List<Row> rows = new ArrayList<>();
    entries.forEach((id, reason) -> rows.add(RowFactory.create(id, reason)));
    return spark.createDataFrame(rows, LIST);
  }

  private static Dataset<Row> query(List<String> ids) {
    return spark.createDataFrame(ids.stream().map(i -> RowFactory.create(i)).toList(), QUERY);
  }

  private static Map<String, Object> section(String name) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("holder", "bureau");
    s.put("querier", "lender");
    s.put("list", "fraud-ids");
    s.put("reasonColumn", "reason");
    s.put("store", dir.resolve(name + "/store").toString());
    s.put("copy", dir.resolve(name + "/copy").toString());
    s.put("partitions", 2);
    return s;
  }

  private static JobSpec spec(JobHarness h, Map<String, Object> section, String... extra) {
    return h.spec("blacklist-svc-" + JOBS.incrementAndGet(), BlacklistOperator.NAME, List.of(
        h.party("bureau", JobHarness.input(List.of("id"), null), null),
        h.party("lender", JobHarness.input(List.of("id"), null), JobHarness.output())), section, extra);
  }

  /** A batch job: encodes the list (first time) and brings the querier's copy up to date. */
  private static void batch(JobHarness h, Map<String, Object> section, Map<String, String> entries) {
    h.run(spark, spec(h, section), Map.of("bureau", list(entries), "lender", query(List.of("x"))));
  }

  private static BlacklistService serve(JobHarness h, JobSpec spec, Map<String, String> entries) {
    return BlacklistService.start(h.request(spec, "bureau", list(entries)).build(), CONF, 60_000, 2);
  }

  private static BlacklistClient client(JobHarness h, JobSpec spec) {
    return BlacklistClient.open(h.request(spec, "lender", query(List.of())).build(), CONF);
  }

  /** "id|listed|reason" as the oracle says. */
  private static String oracle(Map<String, String> entries, String id) {
    if (id == null) {
      return "null|null|null";
    }
    Map<String, String> norm = new HashMap<>();
    entries.forEach((k, v) -> norm.put(KeyNormalization.DEFAULT.apply(k), v));
    String n = KeyNormalization.DEFAULT.apply(id);
    return id + "|" + norm.containsKey(n) + "|" + norm.get(n);
  }

  private static List<String> rows(List<BlacklistClient.Answer> answers) {
    return answers.stream().map(a -> a.key().get(0) + "|" + a.listed() + "|" + a.reason()).toList();
  }

  private static Map<String, String> entries(int n) {
    Map<String, String> entries = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      entries.put("applicant-" + i, i % 3 == 0 ? null : "REASON-" + (i % 5));
    }
    return entries;
  }

  @Test
  void answersOneApplicantAtATimeAndBatchesLikeTheOracleAndBothPartiesRecordTheSession() {
    JobHarness h = shared;
    Map<String, String> entries = SHARED_ENTRIES;
    JobSpec spec = spec(h, sharedSection);
    int receipts = h.receipts("bureau").size();
    try (BlacklistService service = serve(h, spec, entries)) {
      long queried = 0;
      try (BlacklistClient c = client(h, spec)) {
        assertThat(c.listVersion()).isEqualTo(1);
        assertThat(c.listRecords()).isEqualTo(200);
        for (String id : List.of("applicant-4", "nobody", " applicant-3 ", "applicant-199", "applicant-200")) {
          assertThat(rows(c.lookup(List.of(id)))).containsExactly(oracle(entries, id));
          queried++;
        }
        List<String> batch = Arrays.asList("applicant-1", "applicant-1", null, "  applicant-2", "ghost", "applicant-7", "applicant-2");
        assertThat(rows(c.lookup(batch))).isEqualTo(batch.stream().map(i -> oracle(entries, i)).toList());
        queried += 4; // id-1, id-2, ghost, id-7: duplicates (after normalisation) and NULL are not sent
        assertThat(c.lookup(List.of())).isEmpty();
      }
      waitFor(() -> h.receipts("bureau").size() == receipts + 1);
      JobRecord holder = h.receipts("bureau").get(receipts);
      JobRecord querier = h.receipts("lender").get(h.receipts("lender").size() - 1);
      assertThat(holder.result()).containsKey("session");
      assertThat(holder.result()).containsEntry("queriesAnswered", Long.toString(queried))
          .containsEntry("requests", "6");
      assertThat(querier.result()).containsEntry("queries", Long.toString(queried)).containsEntry("requests", "6");
      assertThat(holder.jobId()).isEqualTo(querier.jobId()).isNotEqualTo(spec.jobId());
      assertThat(holder.rounds()).isEqualTo(querier.rounds()); // the same records, seen from both sides
      assertThat(holder.approvals()).isEqualTo(querier.approvals());
      assertThat(service.idsAnswered()).isEqualTo(queried);
    }
    // Nothing crossed in clear: no id, normalised id or reason in any record.
    for (byte[] r : h.channel.allRecords()) {
      String text = new String(r, StandardCharsets.ISO_8859_1);
      for (String needle : List.of("applicant-", "nobody", "ghost", "REASON-")) {
        assertThat(text).doesNotContain(needle);
      }
    }
  }

  @Test
  void aCopyBehindTheHoldersListIsRefusedUntilABatchJobUpdatesIt() {
    JobHarness h = new JobHarness(dir.resolve("stale"), List.of("bureau", "lender"));
    Map<String, Object> section = section("stale");
    Map<String, String> entries = entries(50);
    batch(h, section, entries);
    JobSpec spec = spec(h, section);
    try (BlacklistService service = serve(h, spec, entries)) {
      try (BlacklistClient c = client(h, spec)) {
        assertThat(rows(c.lookup(List.of("new-id")))).containsExactly("new-id|false|null");
        entries.put("new-id", "NEW");
        BlacklistStore.refresh(spark, list(entries), List.of("id"), "reason", KeyNormalization.DEFAULT,
            (String) section.get("store"), "fraud-ids", 1, h.key("bureau"));
        sleep(1_200); // the service reads its store's manifest at most once a second
        assertThatThrownBy(() -> c.lookup(List.of("new-id")))
            .isInstanceOf(InvalidInputException.class)
            .hasMessageContaining("is at version 1 but bureau's list is at version 2")
            .hasMessageContaining("Update the copy with the batch lookup");
      }
      waitFor(() -> h.receipts("bureau").size() == 2); // the batch job and the session
      assertThatThrownBy(() -> client(h, spec)).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("is at version 1 but bureau's list is at version 2");
      sleep(500);
      assertThat(service.sessionsOpened()).isEqualTo(1); // refused at the hello: no session, no receipt
      assertThat(h.receipts("bureau")).hasSize(2);
      batch(h, section, entries);
      try (BlacklistClient c = client(h, spec)) {
        assertThat(rows(c.lookup(List.of("new-id")))).containsExactly("new-id|true|NEW");
      }
    }
  }

  @Test
  void aReplayedHelloOrRequestGainsNothingAndAHostileRequestEndsOnlyItsSession() {
    JobHarness h = shared;
    Map<String, String> entries = SHARED_ENTRIES;
    JobSpec spec = spec(h, sharedSection);
    int receipts = h.receipts("bureau").size();
    String hellos = ServiceWire.helloStream(spec, "bureau");
    try (BlacklistService service = serve(h, spec, entries)) {
      String session;
      try (BlacklistClient c = client(h, spec)) {
        session = c.session();
        c.lookup(List.of("applicant-1"));
        // The request written again inside the live session: refused as out of sequence, nothing answered.
        String requests = ServiceWire.requestStream("lender", session);
        h.channel.inject(requests, 0, h.channel.records(requests).get(0));
        waitFor(() -> h.receipts("bureau").size() == receipts + 1); // the holder ended and recorded the session
      }
      // The hello written again: no new session.
      h.channel.inject(hellos, 0, h.channel.records(hellos).get(0));
      sleep(1_000);
      assertThat(service.sessionsOpened()).isEqualTo(1);
      assertThat(service.idsAnswered()).isEqualTo(1);
      assertThat(h.channel.records(ServiceWire.answerStream("bureau", session))).hasSize(2); // accept + 1 answer
      assertThat(h.receipts("bureau").get(receipts).result()).containsEntry("queriesAnswered", "1");

      // A request whose points are not on the curve: that session ends, the service goes on.
      try (BlacklistClient c = client(h, spec)) {
        String s = c.session();
        byte[] garbage = new byte[32];
        Arrays.fill(garbage, (byte) 0xff);
        h.channel.inject(ServiceWire.requestStream("lender", s), 0, io.veil.channel.BatchCodec.encode(
            ServiceWire.sessionJobId(spec, s), ServiceWire.requestStream("lender", s), "lender", 0, 1, 32, garbage, 1,
            h.secret("lender").identity()));
        assertThatThrownBy(() -> c.lookup(List.of("applicant-2"))).isInstanceOf(io.veil.ProtocolException.class);
      }
      try (BlacklistClient c = client(h, spec)) {
        assertThat(rows(c.lookup(List.of("applicant-2")))).containsExactly(oracle(entries, "applicant-2"));
      }
      assertThat(service.sessionsOpened()).isEqualTo(3);
    }
  }

  @Test
  void aServiceRefusesSessionsBeyondItsLimitUntilOneCloses() {
    JobSpec spec = spec(shared, sharedSection);
    int receipts = shared.receipts("bureau").size();
    try (BlacklistService service = serve(shared, spec, SHARED_ENTRIES);
        BlacklistClient first = client(shared, spec);
        BlacklistClient second = client(shared, spec)) {
      assertThatThrownBy(() -> client(shared, spec)).isInstanceOf(io.veil.PolicyRefusedException.class)
          .hasMessageContaining("bureau refused the session (it has as many sessions open as it allows");
      first.close();
      waitFor(() -> shared.receipts("bureau").size() == receipts + 1);
      try (BlacklistClient third = client(shared, spec)) {
        assertThat(rows(third.lookup(List.of("applicant-4")))).containsExactly(oracle(SHARED_ENTRIES, "applicant-4"));
      }
      assertThat(rows(second.lookup(List.of("applicant-5")))).containsExactly(oracle(SHARED_ENTRIES, "applicant-5"));
      assertThat(service.sessionsOpened()).isEqualTo(3);
    }
  }

  @Test
  void refusesWrongRolesAMissingListOrCopyAndAnAbsentService() {
    JobHarness h = shared;
    JobSpec spec = spec(h, section("refuse"), "peerTimeoutMs: 1500"); // no list encoded, no copy
    assertThatThrownBy(() -> BlacklistService.start(h.request(spec, "lender", query(List.of())).build(), CONF, 60_000,
        2))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("the spec's holder is bureau");
    assertThatThrownBy(() -> serve(h, spec, Map.of()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("holds no encoded list")
        .hasMessageContaining("veil blacklist encode");
    assertThatThrownBy(() -> client(h, spec))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("holds no copy of it")
        .hasMessageContaining("Run the batch lookup once");
    JobSpec copied = spec(h, sharedSection, "peerTimeoutMs: 1500"); // a copy, but no service
    assertThatThrownBy(() -> client(h, copied))
        .isInstanceOf(PeerTimeoutException.class).hasMessageContaining("did not answer within 1500 ms")
        .hasMessageContaining("veil blacklist serve");
    assertThatThrownBy(() -> BlacklistClient.open(h.request(spec, "bureau", null).input(query(List.of())).build(),
        CONF)).isInstanceOf(InvalidInputException.class).hasMessageContaining("the spec's querier is lender");
  }

  private static void waitFor(java.util.function.BooleanSupplier done) {
    long end = System.currentTimeMillis() + 10_000;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > end) {
        throw new AssertionError("timed out");
      }
      sleep(50);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
