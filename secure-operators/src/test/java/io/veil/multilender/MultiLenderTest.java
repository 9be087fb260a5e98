package io.veil.multilender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.job.JobOutcome;
import io.veil.psi.KeyNormalization;
import io.veil.spec.JobSpec;
import io.veil.testing.HostilePeer;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The lender and two or three peers in one JVM, through the job runtime, against a plaintext oracle. */
class MultiLenderTest {
  private static final StructType APPLICANTS = new StructType().add("id", DataTypes.StringType, true)
      .add("branch", DataTypes.StringType, true);
  private static final StructType LOANS = new StructType().add("id", DataTypes.StringType, true)
      .add("outstanding", DataTypes.createDecimalType(14, 2), true);
  private static final AtomicInteger JOBS = new AtomicInteger();
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("MultiLenderTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Dataset<Row> applicants(List<String> ids) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      out.add(RowFactory.create(ids.get(i), "branch-" + (i % 3)));
    }
    return spark.createDataFrame(out, APPLICANTS);
  }

  /** Loan rows: id and outstanding amount in cents (NULL: a NULL amount). */
  private static Dataset<Row> loans(List<Object[]> rows) {
    List<Row> out = new ArrayList<>();
    rows.forEach(r -> out.add(RowFactory.create(r[0], r[1] == null ? null : BigDecimal.valueOf((Long) r[1], 2))));
    return spark.createDataFrame(out, LOANS);
  }

  private static Map<String, Object> section(int partitions) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("lender", "lender");
    s.put("amount", Map.of("column", "outstanding", "scale", 2));
    s.put("partitions", partitions);
    s.put("batchRows", 64);
    return s;
  }

  private static JobSpec spec(JobHarness h, Map<String, Object> section, String... extra) {
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String id : h.ids) {
      parties.add(h.party(id, JobHarness.input(List.of("id"), null), id.equals("lender") ? JobHarness.output() : null));
    }
    return h.spec("mlc-" + JOBS.incrementAndGet(), MultiLenderOperator.NAME, parties, section, extra);
  }

  /** "id|branch|count|total" per output row, sorted. */
  private static List<String> rows(JobOutcome a) {
    return a.output().orElseThrow().collectAsList().stream().map(r -> r.get(0) + "|" + r.get(1) + "|" + r.get(2)
        + "|" + (r.get(3) == null ? null : ((BigDecimal) r.get(3)).setScale(2).toPlainString())).sorted().toList();
  }

  /** The oracle over normalised ids: per applicant row, the peers with a loan and the total outstanding. */
  private static List<String> oracle(List<String> applicants, List<List<Object[]>> peers) {
    List<Map<String, Long>> perPeer = new ArrayList<>();
    for (List<Object[]> p : peers) {
      Map<String, Long> m = new TreeMap<>();
      for (Object[] r : p) {
        if (r[0] != null) {
          m.merge(KeyNormalization.DEFAULT.apply((String) r[0]), (Long) r[1], Long::sum);
        }
      }
      perPeer.add(m);
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < applicants.size(); i++) {
      String id = applicants.get(i);
      String branch = "branch-" + (i % 3);
      if (id == null) {
        out.add(null + "|" + branch + "|null|null");
        continue;
      }
      String k = KeyNormalization.DEFAULT.apply(id);
      int count = 0;
      long total = 0;
      for (Map<String, Long> m : perPeer) {
        if (m.containsKey(k)) {
          count++;
          total += m.get(k);
        }
      }
      out.add(id + "|" + branch + "|" + count + "|" + BigDecimal.valueOf(total, 2).toPlainString());
    }
    return out.stream().sorted().toList();
  }

  private static List<String> run(List<String> parties, int partitions, List<String> applicants,
      List<List<Object[]>> peers) {
    JobHarness h = new JobHarness(dir, parties);
    Map<String, Dataset<Row>> inputs = new LinkedHashMap<>();
    inputs.put("lender", applicants(applicants));
    for (int i = 0; i < peers.size(); i++) {
      inputs.put(parties.get(i + 1), loans(peers.get(i)));
    }
    Map<String, JobOutcome> out = h.run(spark, spec(h, section(partitions)), inputs);
    assertThat(out.get("bank_b").output()).isEmpty();
    return rows(out.get("lender"));
  }

  private static List<String> ids(String prefix, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  private static List<Object[]> loansOf(List<String> ids, long seed) {
    Random r = new Random(seed);
    List<Object[]> out = new ArrayList<>();
    for (String id : ids) {
      out.add(new Object[] {id, (long) r.nextInt(100_000_000)});
    }
    return out;
  }

  @ParameterizedTest(name = "{0} applicants, {1} loans per peer")
  @CsvSource({"0, 0", "1, 1", "2, 2", "0, 5", "5, 0", "300, 200"})
  void matchesThePlaintextOracle(int applicants, int loans) {
    List<String> a = ids("person-", 0, applicants);
    List<Object[]> b = loansOf(ids("person-", applicants / 2, applicants / 2 + loans), 1);
    List<Object[]> c = loansOf(ids("person-", 0, loans), 2);
    assertThat(run(List.of("lender", "bank_b", "bank_c"), 3, a, List.of(b, c)))
        .isEqualTo(oracle(a, List.of(b, c)));
  }

  @Test
  void aJobOverSeveralOtExtensionsMatchesThePlaintextOracle() {
    // 400 applicants over 4 buckets: about 100 each, in at most 256 bins (2 per item below 128 items);
    // at 300 bins per extension no two buckets fit one, so the job runs 4 extensions with each peer.
    List<String> a = ids("person-", 0, 400);
    List<Object[]> b = loansOf(ids("person-", 200, 500), 1);
    List<Object[]> c = loansOf(ids("person-", 0, 250), 2);
    JobHarness h = new JobHarness(dir, List.of("lender", "bank_b", "bank_c"));
    Map<String, JobOutcome> out;
    try (var limit = io.veil.multilender.internal.ExtensionLimit.lower(300)) {
      out = h.run(spark, spec(h, section(4)), Map.of("lender", applicants(a), "bank_b", loans(b), "bank_c",
          loans(c)));
    }
    assertThat(out.get("lender").result()).containsEntry("otExtensions", "4");
    assertThat(out.get("bank_b").result()).containsEntry("otExtensions", "4");
    assertThat(rows(out.get("lender"))).isEqualTo(oracle(a, List.of(b, c)));
  }

  @Test
  void aPartitionTooLargeForOneOtExtensionFailsOnTheLenderBeforeAnythingIsSent() {
    JobHarness h = new JobHarness(dir, List.of("lender", "bank_b", "bank_c"));
    JobHarness.Results r;
    try (var limit = io.veil.multilender.internal.ExtensionLimit.lower(100)) {
      r = h.runAll(spark, spec(h, section(2)), Map.of("lender", applicants(ids("p", 0, 300)), "bank_b",
          loans(loansOf(ids("p", 0, 5), 3)), "bank_c", loans(loansOf(ids("p", 0, 5), 4))));
    }
    assertThat(r.error("lender")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("one OT extension with a peer carries at most 100")
        .hasMessageContaining("Raise multiLender.partitions to at least").hasMessageContaining("Nothing was sent");
    assertNothingSent(h);
  }

  @Test
  void duplicatesNullsNormalisationAndSeveralLoansPerPerson() {
    List<String> a = new ArrayList<>(List.of("Alice", " alice ", "BOB", "carol", "dave", "erin"));
    a.add(null);
    List<Object[]> b = new ArrayList<>();
    b.add(new Object[] {"ALICE", 1_000_00L});
    b.add(new Object[] {"alice", 250_50L}); // a second loan to the same person at one peer: summed
    b.add(new Object[] {"carol", 0L});      // a loan with nothing outstanding still counts
    b.add(new Object[] {null, 99L});        // a NULL id is dropped
    b.add(new Object[] {"zed", 5L});
    List<Object[]> c = List.<Object[]>of(new Object[] {"bob", 72_057_594_037_927_935L / 1000}, new Object[] {" Alice", 1L});
    List<Object[]> d = List.<Object[]>of(new Object[] {"dave", 3L}, new Object[] {"bob", 4L});
    assertThat(run(List.of("lender", "bank_b", "bank_c", "bank_d"), 2, a, List.of(b, c, d)))
        .isEqualTo(oracle(a, List.of(b, c, d)));
  }

  @Test
  void sendsNoPlaintextIdOrAmount() {
    JobHarness h = new JobHarness(dir, List.of("lender", "bank_b", "bank_c"));
    List<String> a = ids("secret-applicant-", 0, 60);
    List<Object[]> b = new ArrayList<>();
    for (int i = 30; i < 90; i++) {
      b.add(new Object[] {"secret-applicant-" + i, 123_456_789_012L});
    }
    h.run(spark, spec(h, section(2)), Map.of("lender", applicants(a), "bank_b", loans(b), "bank_c", loans(b)));
    List<byte[]> records = h.channel.allRecords();
    assertThat(records).isNotEmpty();
    byte[] amount = java.nio.ByteBuffer.allocate(8).putLong(123_456_789_012L).array();
    byte[] amountLe = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putLong(123_456_789_012L).array();
    for (byte[] rec : records) {
      String text = new String(rec, StandardCharsets.ISO_8859_1);
      assertThat(text).doesNotContain("secret-applicant-").doesNotContain("123456789012")
          .doesNotContain(new String(amount, StandardCharsets.ISO_8859_1))
          .doesNotContain(new String(amountLe, StandardCharsets.ISO_8859_1));
    }
  }

  @Test
  void aPeerWithANullOrNegativeAmountFailsBeforeSendingAnything() {
    JobHarness h = new JobHarness(dir, List.of("lender", "bank_b", "bank_c"));
    List<Object[]> bad = new ArrayList<>(loansOf(ids("p", 0, 5), 3));
    bad.add(new Object[] {"p9", null});
    JobHarness.Results r = h.runAll(spark, spec(h, section(2)), Map.of("lender", applicants(ids("p", 0, 5)),
        "bank_b", loans(bad), "bank_c", loans(loansOf(ids("p", 0, 5), 4))));
    assertThat(r.error("bank_b")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("NULL in amount column 'outstanding'").hasMessageContaining("Nothing was sent");
    assertThat(r.error("lender")).isNotNull();
    assertNothingSent(h);

    JobHarness h2 = new JobHarness(dir, List.of("lender", "bank_b", "bank_c"));
    List<Object[]> negative = List.<Object[]>of(new Object[] {"p1", -5L});
    JobHarness.Results r2 = h2.runAll(spark, spec(h2, section(2)), Map.of("lender", applicants(ids("p", 0, 5)),
        "bank_b", loans(loansOf(ids("p", 0, 5), 4)), "bank_c", loans(negative)));
    assertThat(r2.error("bank_c")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("negative outstanding amount");
    assertNothingSent(h2);
  }

  @Test
  void aPeerThatNeverComesStopsTheOthersNamingItBeforeAnythingIsSent() {
    JobHarness h = new JobHarness(dir, List.of("lender", "bank_b", "bank_c"));
    JobSpec spec = spec(h, section(2), "peerTimeoutMs: 1500");
    Map<String, io.veil.job.JobRequest> requests = new LinkedHashMap<>(); // bank_c never starts
    requests.put("lender", h.request(spec, "lender", applicants(ids("p", 0, 5))).build());
    requests.put("bank_b", h.request(spec, "bank_b", loans(loansOf(ids("p", 0, 5), 6))).build());
    JobHarness.Results r = JobHarness.runRequests(spark, requests);
    for (String p : List.of("lender", "bank_b")) {
      assertThat(r.error(p)).as(p).isInstanceOf(io.veil.PeerTimeoutException.class).hasMessageContaining("bank_c");
    }
    assertNothingSent(h);
  }

  /** No data-plane stream of the job holds a record (the control log holds approvals and the abort). */
  private static void assertNothingSent(JobHarness h) {
    for (String stream : h.channel.streams()) {
      if (stream.contains(".mlc-")) {
        assertThat(h.channel.records(stream)).as(stream).isEmpty();
      }
    }
  }

  /**
   * Both peers' errors when the lender is hostile: after committing, its base-OT message to each
   * peer is {@code notice}. Checks that nothing was sent.
   */
  private static JobHarness.Results peersOfAHostileLender(byte[] notice) {
    JobHarness h = new JobHarness(dir, List.of("lender", "bank_b", "bank_c"));
    JobSpec spec = spec(h, section(2));
    try (HostilePeer lender = HostilePeer.approve(h, spec, "lender")) {
      lender.commitInput("ab".repeat(32));
      for (String p : List.of("bank_b", "bank_c")) {
        lender.notice("mlc-ot." + p, notice);
      }
      Map<String, io.veil.job.JobRequest> requests = new LinkedHashMap<>();
      for (String p : List.of("bank_b", "bank_c")) {
        requests.put(p, h.request(spec, p, loans(loansOf(ids("p", 0, 5), 5))).build());
      }
      JobHarness.Results r = JobHarness.runRequests(spark, requests);
      assertNothingSent(h);
      return r;
    }
  }

  @Test
  void aLenderWhoseBaseOtMessageIsNotAPointIsRefusedByEveryPeerNamingIt() {
    byte[] notice = new byte[8 + 33]; // 5 applicants and 33 bytes that are no curve point
    notice[7] = 5;
    java.util.Arrays.fill(notice, 8, notice.length, (byte) 0x7f);
    JobHarness.Results r = peersOfAHostileLender(notice);
    for (String p : List.of("bank_b", "bank_c")) {
      assertThat(r.error(p)).as(p).isInstanceOf(ProtocolException.class).hasMessageContaining("lender")
          .hasMessageContaining("base-OT")
          .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("lender"));
    }
  }

  @Test
  void aLenderAnnouncingMoreOtExtensionsThanPartitionsIsRefused() {
    JobHarness.Results r = peersOfAHostileLender(new byte[8 + 3 * 33]); // 3 extensions over 2 partitions
    for (String p : List.of("bank_b", "bank_c")) {
      assertThat(r.error(p)).as(p).isInstanceOf(ProtocolException.class)
          .hasMessageContaining("lender's base-OT message").hasMessageContaining("1 to 2 extensions");
    }
  }

  @Test
  void theSpecNeedsTwoPeersAndTheAmountColumn() {
    JobHarness h = new JobHarness(dir, List.of("lender", "bank_b"));
    assertThatThrownBy(() -> spec(h, section(2))).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("needs 2 to 8");
    JobHarness h3 = new JobHarness(dir, List.of("lender", "bank_b", "bank_c"));
    Map<String, Object> noColumn = section(2);
    noColumn.put("amount", Map.of("scale", 2));
    assertThatThrownBy(() -> spec(h3, noColumn)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("multiLender.amount.column");
    Map<String, Object> wrongLender = section(2);
    wrongLender.put("lender", "bank_x");
    assertThatThrownBy(() -> spec(h3, wrongLender)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("bank_x");
  }
}
