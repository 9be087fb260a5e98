package io.veil.psi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.channel.BatchCodec;
import io.veil.channel.ControlLog;
import io.veil.channel.ControlMessage;
import io.veil.channel.RoundDigest;
import io.veil.psi.internal.PsiProtocol;
import io.veil.channel.RoundStats;
import io.veil.channel.SentBatch;
import io.veil.testing.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
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
import org.junit.jupiter.params.provider.ValueSource;

/** Both sides of PSI in one JVM over an in-memory channel, checked against a plaintext join. */
class PsiOperatorTest {
  private static final StructType SCHEMA =
      new StructType().add("id", DataTypes.StringType, true).add("v", DataTypes.IntegerType, true);
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("PsiOperatorTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static PsiOptions options(PsiMode mode, Set<String> recipients, KeyNormalization norm, String... keys) {
    return new PsiOptions(List.of(keys), norm, mode, recipients, 3, 50, 60_000);
  }

  private static PsiOptions rows() {
    return options(PsiMode.ROWS, Set.of("bank_a", "bank_b"), KeyNormalization.DEFAULT, "id");
  }

  private static Dataset<Row> table(List<String> ids) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      rows.add(RowFactory.create(ids.get(i), i));
    }
    return spark.createDataFrame(rows, SCHEMA);
  }

  /** Plaintext oracle: normalised non-NULL keys present on both sides. */
  private static Set<String> oracle(List<String> a, List<String> b, KeyNormalization n) {
    Set<String> sa = a.stream().filter(x -> x != null).map(n::apply).collect(Collectors.toSet());
    Set<String> sb = b.stream().filter(x -> x != null).map(n::apply).collect(Collectors.toSet());
    sa.retainAll(sb);
    return sa;
  }

  /** Rows of {@code side} whose normalised key is in the intersection, as "id|v" strings. */
  private static List<String> expectedRows(List<String> side, Set<String> inter, KeyNormalization n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < side.size(); i++) {
      if (side.get(i) != null && inter.contains(n.apply(side.get(i)))) {
        out.add(side.get(i) + "|" + i);
      }
    }
    out.sort(null);
    return out;
  }

  private static List<String> actualRows(Optional<Dataset<Row>> rows) {
    assertThat(rows).isPresent();
    List<String> out = rows.get().collectAsList().stream()
        .map(r -> r.getString(0) + "|" + r.getInt(1)).sorted().collect(Collectors.toList());
    assertThat(rows.get().columns()).containsExactly("id", "v");
    return out;
  }

  private static List<String> ids(String prefix, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  private void check(List<String> a, List<String> b, PsiOptions o) throws Exception {
    TwoPartyPsi psi = new TwoPartyPsi(dir);
    TwoPartyPsi.Results r = psi.run(spark, table(a), o, table(b), o);
    Set<String> inter = oracle(a, b, o.normalization());
    assertThat(r.a().intersectionSize()).isEqualTo(inter.size());
    assertThat(r.b().intersectionSize()).isEqualTo(inter.size());
    assertThat(actualRows(r.a().rows())).isEqualTo(expectedRows(a, inter, o.normalization()));
    assertThat(actualRows(r.b().rows())).isEqualTo(expectedRows(b, inter, o.normalization()));
    assertThat(r.a().peerDistinctKeys()).isEqualTo(r.b().distinctKeys());
    assertThat(r.b().peerDistinctKeys()).isEqualTo(r.a().distinctKeys());
    // Both sides computed the same round digests.
    assertThat(r.a().rounds()).containsExactlyInAnyOrderElementsOf(r.b().rounds());
  }

  @ParameterizedTest(name = "size {0}")
  @ValueSource(ints = {0, 1, 2, 1000})
  void matchesPlaintextJoinForSmallSizes(int n) throws Exception {
    check(ids("c", 0, n), ids("c", n / 2, n / 2 + n), rows());
  }

  @Test
  void oneSideEmpty() throws Exception {
    check(List.of(), ids("c", 0, 10), rows());
  }

  @Test
  void largeSetsMatchPlaintextJoin() throws Exception {
    int n = 100_000;
    Random rnd = new Random(7);
    List<String> a = ids("cust-", 0, n);
    List<String> b = new ArrayList<>(ids("cust-", n / 3, n / 3 + n));
    java.util.Collections.shuffle(b, rnd);
    PsiOptions o = new PsiOptions(List.of("id"), KeyNormalization.DEFAULT, PsiMode.ROWS,
        Set.of("bank_a", "bank_b"), 8, 4096, 300_000);
    TwoPartyPsi psi = new TwoPartyPsi(dir);
    TwoPartyPsi.Results r = psi.run(spark, table(a), o, table(b), o);
    assertThat(r.a().intersectionSize()).isEqualTo(n - n / 3);
    assertThat(r.a().rows().get().count()).isEqualTo(n - n / 3);
    assertThat(r.b().rows().get().count()).isEqualTo(n - n / 3);
    assertThat(r.a().comparisonBytes()).isEqualTo(PsiProtocol.comparisonBytes(n, n));
  }

  @Test
  void emptyAndFullIntersection() throws Exception {
    check(ids("a", 0, 50), ids("b", 0, 50), rows());
    check(ids("x", 0, 50), ids("x", 0, 50), rows());
  }

  @Test
  void duplicatesNullsAndWhitespaceCaseVariants() throws Exception {
    List<String> a = Arrays.asList("Alice", " alice ", "BOB", null, "carol", "carol", null, "dave\t");
    List<String> b = Arrays.asList("ALICE", "bob ", null, "Dave", "erin", "erin");
    KeyNormalization lower = new KeyNormalization(true, KeyNormalization.CaseMode.LOWER);
    PsiOptions o = options(PsiMode.ROWS, Set.of("bank_a", "bank_b"), lower, "id");
    check(a, b, o);
    TwoPartyPsi psi = new TwoPartyPsi(dir);
    TwoPartyPsi.Results r = psi.run(spark, table(a), o, table(b), o);
    assertThat(r.a().nullKeyRows()).isEqualTo(2);
    assertThat(r.a().inputRows()).isEqualTo(8);
    assertThat(r.a().distinctKeys()).isEqualTo(4); // alice, bob, carol, dave
    assertThat(r.b().distinctKeys()).isEqualTo(4); // alice, bob, dave, erin
    assertThat(r.a().intersectionSize()).isEqualTo(3);
    // Without case folding only exact (trimmed) matches count.
    check(a, b, rows());
  }

  @Test
  void compositeKeys() throws Exception {
    StructType schema = new StructType().add("name", DataTypes.StringType).add("year", DataTypes.IntegerType)
        .add("x", DataTypes.DoubleType);
    Dataset<Row> a = spark.createDataFrame(List.of(
        RowFactory.create("ann", 1990, 1.0), RowFactory.create("ann", 1991, 2.0),
        RowFactory.create("ben", 1990, 3.0), RowFactory.create("ann1", 990, 4.0),
        RowFactory.create("cy", null, 5.0)), schema);
    StructType schemaB = new StructType().add("nm", DataTypes.StringType).add("yr", DataTypes.LongType);
    Dataset<Row> b = spark.createDataFrame(List.of(
        RowFactory.create("ann", 1991L), RowFactory.create("ben", 1990L), RowFactory.create("ann", 1990L),
        RowFactory.create("ann", 19901L), RowFactory.create("cy", null)), schemaB);
    Set<String> both = Set.of("bank_a", "bank_b");
    PsiOptions oa = options(PsiMode.ROWS, both, KeyNormalization.DEFAULT, "name", "year");
    PsiOptions ob = options(PsiMode.ROWS, both, KeyNormalization.DEFAULT, "nm", "yr");
    TwoPartyPsi.Results r = new TwoPartyPsi(dir).run(spark, a, oa, b, ob);
    assertThat(r.a().intersectionSize()).isEqualTo(3);
    assertThat(r.a().rows().get().collectAsList().stream().map(x -> x.getDouble(2)).sorted().toList())
        .containsExactly(1.0, 2.0, 3.0); // "ann1"+990 must not collide with "ann"+1990
    assertThat(r.b().rows().get().count()).isEqualTo(3);
    assertThat(r.a().nullKeyRows()).isEqualTo(1);
  }

  @Test
  void cardinalityOnlyRevealsTheCountToTheRecipient() throws Exception {
    List<String> a = ids("k", 0, 300);
    List<String> b = ids("k", 200, 700);
    PsiOptions o = options(PsiMode.CARDINALITY, Set.of("bank_a"), KeyNormalization.DEFAULT, "id");
    TwoPartyPsi.Results r = new TwoPartyPsi(dir).run(spark, table(a), o, table(b), o);
    assertThat(r.a().intersectionSize()).isEqualTo(100);
    assertThat(r.a().rows()).isEmpty();
    assertThat(r.b().intersectionSize()).isEqualTo(-1);
    assertThat(r.b().rows()).isEmpty();
    assertThat(r.b().peerDistinctKeys()).isEqualTo(300);
  }

  @Test
  void cardinalityToBothParties() throws Exception {
    PsiOptions o = options(PsiMode.CARDINALITY, Set.of("bank_a", "bank_b"), KeyNormalization.DEFAULT, "id");
    TwoPartyPsi.Results r = new TwoPartyPsi(dir).run(spark, table(ids("k", 0, 40)), o, table(ids("k", 30, 90)), o);
    assertThat(r.a().intersectionSize()).isEqualTo(10);
    assertThat(r.b().intersectionSize()).isEqualTo(10);
  }

  @Test
  void rowsToOneRecipientOnly() throws Exception {
    PsiOptions o = options(PsiMode.ROWS, Set.of("bank_b"), KeyNormalization.DEFAULT, "id");
    List<String> a = ids("k", 0, 40);
    List<String> b = ids("k", 30, 90);
    TwoPartyPsi.Results r = new TwoPartyPsi(dir).run(spark, table(a), o, table(b), o);
    assertThat(r.a().rows()).isEmpty();
    assertThat(r.a().intersectionSize()).isEqualTo(-1);
    Set<String> inter = oracle(a, b, KeyNormalization.DEFAULT);
    assertThat(actualRows(r.b().rows())).isEqualTo(expectedRows(b, inter, KeyNormalization.DEFAULT));
  }

  @Test
  void noPlaintextKeyCrossesTheChannel() throws Exception {
    List<String> a = ids("secret-customer-", 0, 200);
    List<String> b = ids("secret-customer-", 100, 300);
    TwoPartyPsi psi = new TwoPartyPsi(dir);
    psi.run(spark, table(a), rows(), table(b), rows());
    List<byte[]> records = psi.channel.allRecords();
    assertThat(records).isNotEmpty();
    for (byte[] rec : records) {
      String text = new String(rec, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(text).doesNotContain("secret-customer-");
    }
  }

  @Test
  void missingKeyColumnFailsBeforeAnythingIsSent() {
    TwoPartyPsi psi = new TwoPartyPsi(dir);
    PsiOptions o = options(PsiMode.ROWS, Set.of("bank_a"), KeyNormalization.DEFAULT, "customer_id");
    assertThatThrownBy(() -> PsiOperator.run(spark, table(ids("a", 0, 5)), o, psi.context("bank_a")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("key column 'customer_id' is not in the input");
    assertThat(psi.channel.allRecords()).isEmpty();
  }

  @Test
  void inexactKeyTypeIsRejected() {
    TwoPartyPsi psi = new TwoPartyPsi(dir);
    StructType s = new StructType().add("score", DataTypes.DoubleType);
    Dataset<Row> in = spark.createDataFrame(List.of(RowFactory.create(1.5)), s);
    PsiOptions o = options(PsiMode.ROWS, Set.of("bank_a"), KeyNormalization.DEFAULT, "score");
    assertThatThrownBy(() -> PsiOperator.run(spark, in, o, psi.context("bank_a")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("key column 'score' has type double");
    assertThat(psi.channel.allRecords()).isEmpty();
  }

  @Test
  void forgedBatchIsRejectedNamingPeerAndStep() throws Exception {
    TwoPartyPsi psi = new TwoPartyPsi(dir);
    PsiOptions o = options(PsiMode.ROWS, Set.of("bank_a", "bank_b"), KeyNormalization.DEFAULT, "id");
    String stream = PsiProtocol.firstStream(psi.jobId, "bank_b");
    psi.channel.createStreams(List.of(stream), o.partitions());
    // Signed by bank_a's key, claiming to come from bank_b.
    byte[] forged = BatchCodec.encode(psi.jobId, stream, "bank_b", 0, 0, 32, new byte[32], 1, psi.a.identity());
    psi.channel.inject(stream, 0, forged);
    assertThatThrownBy(() -> psi.run(spark, table(ids("k", 0, 30)), o, table(ids("k", 0, 30)), o))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("bank_b")
        .hasMessageContaining("blind-1");
  }

  @Test
  void invalidCurvePointFromPeerIsRejected() throws Exception {
    TwoPartyPsi psi = new TwoPartyPsi(dir);
    PsiOptions o = options(PsiMode.ROWS, Set.of("bank_a"), KeyNormalization.DEFAULT, "id");
    String stream = PsiProtocol.firstStream(psi.jobId, "bank_b");
    psi.channel.createStreams(List.of(stream), o.partitions());
    // A misbehaving bank_b: validly signed batch holding a low-order point (u = 0) and a point
    // on the twist, announced correctly.
    byte[] payload = new byte[64];
    payload[32] = 2; // u = 2 is on the twist of curve25519
    byte[] record = BatchCodec.encode(psi.jobId, stream, "bank_b", 0, 0, 32, payload, 2, psi.b.identity());
    psi.channel.inject(stream, 0, record);
    RoundStats stats = RoundStats.fromBatches(o.partitions(),
        List.of(new SentBatch(0, 0, 2, RoundDigest.batchDigest(record), null)));
    ControlLog bLog = psi.context("bank_b").control();
    bLog.publish(ControlMessage.Type.ROUND_COMPLETE, PsiProtocol.STEP_BLIND_1, stats.toBody());
    assertThatThrownBy(() -> PsiOperator.run(spark, table(ids("k", 0, 5)), o, psi.context("bank_a")))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("bank_b")
        .hasMessageContaining("blind-1")
        .hasMessageContaining("not a valid curve point")
        .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_b"));
  }

  @Test
  void comparisonLengthGrowsWithSetSizes() {
    assertThat(PsiProtocol.comparisonBytes(0, 0)).isEqualTo(8);
    assertThat(PsiProtocol.comparisonBytes(1_000_000, 1_000_000)).isEqualTo(10);
    assertThat(PsiProtocol.comparisonBytes(1L << 40, 1L << 40)).isEqualTo(15);
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  static Set<String> set(String... s) {
    return new HashSet<>(Arrays.asList(s));
  }
}
