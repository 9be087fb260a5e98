package io.veil.psi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.channel.BatchCodec;
import io.veil.channel.RoundDigest;
import io.veil.channel.RoundStats;
import io.veil.channel.SentBatch;
import io.veil.job.JobOutcome;
import io.veil.job.JobRecord;
import io.veil.job.VeilJobs;
import io.veil.psi.internal.DriverLocalLimit;
import io.veil.psi.internal.OprfPsiProtocol;
import io.veil.psi.internal.PsiProtocol;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.JobSpec;
import io.veil.testing.HostilePeer;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Both sides of PSI in one JVM, through the job runtime over an in-memory channel, against a plaintext join. */
class PsiOperatorTest {
  private static final List<String> PARTIES = List.of("bank_a", "bank_b");
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

  /** The settings of one PSI job as the tests vary them. */
  private record Psi(String mode, List<String> recipients, KeyNormalization norm, int partitions, int batchRows,
      String protocol) {
    Psi(String mode, List<String> recipients, KeyNormalization norm, int partitions, int batchRows) {
      this(mode, recipients, norm, partitions, batchRows, null);
    }

    Psi oprf() {
      return protocol("oprf");
    }

    Psi protocol(String p) {
      return new Psi(mode, recipients, norm, partitions, batchRows, p);
    }
  }

  private static Psi options(PsiMode mode, Set<String> recipients, KeyNormalization norm) {
    return new Psi(mode.name().toLowerCase(Locale.ROOT), recipients.stream().sorted().toList(), norm, 3, 50);
  }

  private static Psi rows() {
    return options(PsiMode.ROWS, Set.of("bank_a", "bank_b"), KeyNormalization.DEFAULT);
  }

  /** Both parties' PSI job: each party's key columns, keeping every column, both with an output. */
  private static JobSpec spec(JobHarness h, Psi o, List<String> keysA, List<String> keysB) {
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("mode", o.mode());
    section.put("recipients", o.recipients());
    section.put("normalize", Map.of("trim", o.norm().trim(), "case", o.norm().caseMode().name().toLowerCase(Locale.ROOT)));
    section.put("partitions", o.partitions());
    section.put("batchRows", o.batchRows());
    if (o.protocol() != null) {
      section.put("protocol", o.protocol());
    }
    return h.spec("psi-test", "psi", List.of(
        h.party("bank_a", JobHarness.input(keysA, null), JobHarness.output()),
        h.party("bank_b", JobHarness.input(keysB, null), JobHarness.output())), section);
  }

  /** Runs both parties; returns their PSI results (bank_a, bank_b). */
  private static PsiResult[] run(JobHarness h, JobSpec spec, Dataset<Row> a, Dataset<Row> b) {
    Map<String, JobOutcome> out = h.run(spark, spec, Map.of("bank_a", a, "bank_b", b));
    return new PsiResult[] {out.get("bank_a").details(PsiResult.class), out.get("bank_b").details(PsiResult.class)};
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

  private void check(List<String> a, List<String> b, Psi o) throws Exception {
    JobHarness h = new JobHarness(dir, PARTIES);
    PsiResult[] r = run(h, spec(h, o, List.of("id"), List.of("id")), table(a), table(b));
    Set<String> inter = oracle(a, b, o.norm());
    assertThat(r[0].intersectionSize()).isEqualTo(inter.size());
    assertThat(r[1].intersectionSize()).isEqualTo(inter.size());
    assertThat(actualRows(r[0].rows())).isEqualTo(expectedRows(a, inter, o.norm()));
    assertThat(actualRows(r[1].rows())).isEqualTo(expectedRows(b, inter, o.norm()));
    assertThat(r[0].peerDistinctKeys()).isEqualTo(r[1].distinctKeys());
    assertThat(r[1].peerDistinctKeys()).isEqualTo(r[0].distinctKeys());
    // Both sides computed the same round digests, and recorded them in their receipts.
    assertThat(r[0].rounds()).containsExactlyInAnyOrderElementsOf(r[1].rounds());
    assertThat(h.receipts("bank_a").get(0).rounds()).containsExactlyInAnyOrderElementsOf(
        h.receipts("bank_b").get(0).rounds());
    // Each party committed to its whole input, NULL keys and duplicates included, in the scan that
    // keyed it: the commitment `veil verify` and a re-run recompute from the table.
    Map<String, List<String>> inputs = Map.of("bank_a", a, "bank_b", b);
    for (String id : PARTIES) {
      JobRecord.CommitmentRecord in = h.receipts(id).get(0).input();
      DatasetCommitment.Commitment want = DatasetCommitment.compute(table(inputs.get(id)),
          HexFormat.of().parseHex(in.salt()));
      assertThat(in.root()).as(id).isEqualTo(want.rootHex());
      assertThat(in.rows()).as(id).isEqualTo(inputs.get(id).size());
    }
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

  // ------------------------------------------------------------------ protocol: oprf (KKRT16)

  @ParameterizedTest(name = "oprf, size {0}")
  @ValueSource(ints = {0, 1, 2, 1000})
  void oprfMatchesPlaintextJoinForSmallSizes(int n) throws Exception {
    check(ids("c", 0, n), ids("c", n / 2, n / 2 + n), rows().oprf());
  }

  @Test
  void oprfWithEmptyDisjointAndEqualSets() throws Exception {
    check(List.of(), ids("c", 0, 10), rows().oprf());
    check(ids("c", 0, 10), List.of(), rows().oprf());
    check(ids("a", 0, 50), ids("b", 0, 50), rows().oprf());
    check(ids("x", 0, 50), ids("x", 0, 50), rows().oprf());
  }

  @Test
  void oprfWithDuplicatesNullsAndNormalisation() throws Exception {
    List<String> a = Arrays.asList("Alice", " alice ", "BOB", null, "carol", "carol", null, "dave\t");
    List<String> b = Arrays.asList("ALICE", "bob ", null, "Dave", "erin", "erin");
    Psi o = options(PsiMode.ROWS, Set.of("bank_a", "bank_b"), new KeyNormalization(true,
        KeyNormalization.CaseMode.LOWER)).oprf();
    check(a, b, o);
    check(a, b, rows().oprf());
  }

  @Test
  void oprfLargeSetsAcrossPartitionsInSpark() throws Exception {
    int n = 30_000;
    List<String> a = ids("cust-", 0, n);
    List<String> b = new ArrayList<>(ids("cust-", n / 3, n / 3 + n));
    java.util.Collections.shuffle(b, new Random(7));
    try (var inSpark = DriverLocalLimit.set(-1)) {
      check(a, b, new Psi("rows", List.of("bank_a", "bank_b"), KeyNormalization.DEFAULT, 8, 4096, "oprf"));
    }
  }

  @ParameterizedTest(name = "{0} in Spark, size {1}")
  @CsvSource({"ecdh, 0", "ecdh, 1", "ecdh, 1000", "oprf, 0", "oprf, 1", "oprf, 1000"})
  void inSparkMatchesPlaintextJoin(String protocol, int n) throws Exception {
    try (var inSpark = DriverLocalLimit.set(-1)) {
      check(ids("c", 0, n), ids("c", n / 2, n / 2 + n), rows().protocol(protocol));
      check(Arrays.asList("Alice", " alice ", null, "bob", "bob"), Arrays.asList("alice", null, "bob"),
          rows().protocol(protocol));
    }
  }

  /**
   * In Spark, the matched keys are broadcast to the joins that pick the matched rows (ECDH also the
   * peer's hashes to its match, in both modes); beyond the broadcast limit Spark sorts both sides.
   * Same rows, counts, digests and commitments either way.
   */
  @ParameterizedTest(name = "{0}, broadcast joins: {1}")
  @CsvSource({"ecdh, true", "ecdh, false", "oprf, true", "oprf, false"})
  void matchedRowsAreTheSameWithOrWithoutBroadcastJoins(String protocol, boolean broadcast) throws Exception {
    List<String> a = ids("c", 0, 3000);
    List<String> b = ids("c", 1000, 4000);
    try (var inSpark = DriverLocalLimit.set(-1);
        var sortMerge = broadcast ? null : DriverLocalLimit.withoutBroadcastJoins()) {
      check(a, b, rows().protocol(protocol));
      if (!protocol.equals("ecdh")) {
        return; // cardinality mode is ECDH's only
      }
      Psi cardinality = options(PsiMode.CARDINALITY, Set.of("bank_a", "bank_b"), KeyNormalization.DEFAULT)
          .protocol(protocol);
      JobHarness h = new JobHarness(dir, PARTIES);
      PsiResult[] r = run(h, spec(h, cardinality, List.of("id"), List.of("id")), table(a), table(b));
      assertThat(r[0].intersectionSize()).isEqualTo(2000);
      assertThat(r[1].intersectionSize()).isEqualTo(2000);
      assertThat(r[0].rounds()).containsExactlyInAnyOrderElementsOf(r[1].rounds());
    }
  }

  /**
   * A party that runs the steps on its driver and one that runs them in Spark send the same
   * messages: each way round (the receiver small, then the sender small), the result and both
   * parties' round digests agree.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"ecdh", "oprf"})
  void onTheDriverAndInSparkInterwork(String protocol) throws Exception {
    List<String> small = ids("k", 0, 60);
    List<String> large = ids("k", 30, 600);
    try (var limit = DriverLocalLimit.set(100)) {
      check(small, large, rows().protocol(protocol));
      check(large, small, rows().protocol(protocol));
    }
  }

  /** ECDH in cardinality mode, answered shuffled: on the driver, in Spark, and one party each way. */
  @Test
  void cardinalityOnTheDriverAndInSpark() throws Exception {
    List<String> small = ids("k", 0, 60);
    List<String> large = ids("k", 30, 600);
    Psi both = options(PsiMode.CARDINALITY, Set.of("bank_a", "bank_b"), KeyNormalization.DEFAULT);
    for (long limit : new long[] {1_000, -1, 100}) {
      try (var l = DriverLocalLimit.set(limit)) {
        for (List<List<String>> sides : List.of(List.of(small, large), List.of(large, small))) {
          JobHarness h = new JobHarness(dir, PARTIES);
          PsiResult[] r = run(h, spec(h, both, List.of("id"), List.of("id")), table(sides.get(0)), table(sides.get(1)));
          assertThat(r[0].intersectionSize()).as("limit %d", limit).isEqualTo(30);
          assertThat(r[1].intersectionSize()).as("limit %d", limit).isEqualTo(30);
          assertThat(r[0].rounds()).containsExactlyInAnyOrderElementsOf(r[1].rounds());
        }
      }
    }
  }

  /**
   * A small input is read to the driver as it is keyed and committed to; one Spark estimates as
   * larger (here: any) is read in Spark and only its keys are collected; one with more rows than the
   * limit falls back to Spark after the bounded read. Each way the result, the round digests and
   * the input commitment are those of the other ways.
   */
  /** The matched rows the driver picked are read by one small task (broadcast), not shipped inside it. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"ecdh", "oprf"})
  void matchedRowsOfASmallInputAreOnePartition(String protocol) throws Exception {
    JobHarness h = new JobHarness(dir, PARTIES);
    PsiResult[] r = run(h, spec(h, rows().protocol(protocol), List.of("id"), List.of("id")), table(ids("k", 0, 300)),
        table(ids("k", 100, 400)));
    for (PsiResult x : r) {
      assertThat(x.rows().orElseThrow().javaRDD().getNumPartitions()).isEqualTo(1);
      assertThat(x.rows().orElseThrow().count()).isEqualTo(200);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"ecdh", "oprf"})
  void readsSmallInputsToTheDriverAndOthersInSpark(String protocol) throws Exception {
    List<String> a = Arrays.asList("Alice", " alice ", null, "bob", "bob", "carol");
    List<String> b = Arrays.asList("alice", null, "bob", "dave");
    check(a, b, rows().protocol(protocol));
    try (var readInSpark = DriverLocalLimit.set(100, 0)) {
      check(a, b, rows().protocol(protocol));
    }
    try (var fewRows = DriverLocalLimit.set(5)) {
      check(a, b, rows().protocol(protocol)); // a: 6 rows, more than 5 (read in Spark); b: 4 rows (on the driver)
    }
  }

  @Test
  void oprfToOneRecipientEitherWay() throws Exception {
    List<String> a = ids("k", 0, 40);
    List<String> b = ids("k", 30, 90);
    Set<String> inter = oracle(a, b, KeyNormalization.DEFAULT);
    for (String recipient : PARTIES) {
      JobHarness h = new JobHarness(dir, PARTIES);
      Psi o = options(PsiMode.ROWS, Set.of(recipient), KeyNormalization.DEFAULT).oprf();
      PsiResult[] r = run(h, spec(h, o, List.of("id"), List.of("id")), table(a), table(b));
      int me = PARTIES.indexOf(recipient);
      assertThat(actualRows(r[me].rows())).isEqualTo(expectedRows(me == 0 ? a : b, inter, KeyNormalization.DEFAULT));
      assertThat(r[1 - me].rows()).as("the other party is not a recipient").isEmpty();
      assertThat(r[1 - me].intersectionSize()).isEqualTo(-1);
      assertThat(r[1 - me].rounds()).as("nothing comes back to the OPRF sender")
          .noneMatch(x -> x.step().equals(OprfPsiProtocol.STEP_MATCHED));
    }
  }

  @Test
  void oprfSendsNoPlaintextKey() throws Exception {
    List<String> a = ids("secret-customer-", 0, 200);
    List<String> b = ids("secret-customer-", 100, 300);
    JobHarness h = new JobHarness(dir, PARTIES);
    run(h, spec(h, rows().oprf(), List.of("id"), List.of("id")), table(a), table(b));
    List<byte[]> records = h.channel.allRecords();
    assertThat(records).isNotEmpty();
    for (byte[] rec : records) {
      assertThat(new String(rec, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("secret-customer-");
    }
  }

  @Test
  void oprfRefusesAnInvalidBaseOtMessage() throws Exception {
    JobHarness h = new JobHarness(dir, PARTIES);
    JobSpec spec = spec(h, rows().oprf(), List.of("id"), List.of("id"));
    // bank_a, the OPRF receiver, is hostile: its base-OT message has the length of a compressed
    // point but is not the encoding of one.
    try (HostilePeer a = HostilePeer.approve(h, spec, "bank_a")) {
      a.commitInput("ab".repeat(32));
      a.notice(OprfPsiProtocol.STEP_BASE_OT, new byte[33]);
      assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_b", table(ids("k", 0, 5))).build()))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("bank_a")
          .hasMessageContaining("base-OT message")
          .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_a"));
    }
  }

  @Test
  void oprfRefusesAMalformedKeyCount() throws Exception {
    JobHarness h = new JobHarness(dir, PARTIES);
    JobSpec spec = spec(h, rows().oprf(), List.of("id"), List.of("id"));
    // bank_a, the OPRF receiver, runs a well-formed base-OT message, then announces its number of keys
    // in 3 bytes instead of 8.
    try (HostilePeer a = HostilePeer.approve(h, spec, "bank_a")) {
      a.commitInput("ab".repeat(32));
      a.notice(OprfPsiProtocol.STEP_BASE_OT, new io.veil.crypto.ot.KkrtSetup.BaseSender(new byte[32]).firstMessage());
      a.notice(OprfPsiProtocol.NOTICE_KEYS, new byte[3]);
      assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_b", table(ids("k", 0, 5))).build()))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("Cannot read bank_a's number of keys")
          .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_a"));
    }
  }

  @Test
  void oprfSenderRefusesMoreCorrectionRowsThanOneOtExtensionCarries() throws Exception {
    JobHarness h = new JobHarness(dir, PARTIES);
    Psi o = rows().oprf();
    JobSpec spec = spec(h, o, List.of("id"), List.of("id"));
    int partitions = o.partitions();
    // bank_a, the OPRF receiver, runs the base OTs and announces a count, then a round of more than
    // 2^24 correction rows; bank_b refuses it before evaluating anything.
    try (HostilePeer a = HostilePeer.approve(h, spec, "bank_a")) {
      a.commitInput("ab".repeat(32));
      a.notice(OprfPsiProtocol.STEP_BASE_OT, new io.veil.crypto.ot.KkrtSetup.BaseSender(new byte[32]).firstMessage());
      a.notice(OprfPsiProtocol.NOTICE_KEYS, java.nio.ByteBuffer.allocate(8).putLong(14_000_000L).array());
      long[] batches = new long[partitions];
      long[] elements = new long[partitions];
      byte[][] digests = new byte[partitions][32];
      Arrays.fill(batches, 1);
      Arrays.fill(elements, (io.veil.crypto.ot.KkrtOprf.MAX_ROWS + partitions) / partitions);
      a.announce(OprfPsiProtocol.STEP_U, new RoundStats(batches, elements, digests));
      assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_b", table(ids("k", 0, 5))).build()))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("Cannot accept bank_a's correction rows").hasMessageContaining("2^24")
          .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_a"));
    }
  }

  @Test
  void largeSetsMatchPlaintextJoin() throws Exception {
    int n = 100_000;
    Random rnd = new Random(7);
    List<String> a = ids("cust-", 0, n);
    List<String> b = new ArrayList<>(ids("cust-", n / 3, n / 3 + n));
    java.util.Collections.shuffle(b, rnd);
    Psi o = new Psi("rows", List.of("bank_a", "bank_b"), KeyNormalization.DEFAULT, 8, 4096);
    JobHarness h = new JobHarness(dir, PARTIES);
    PsiResult[] r;
    try (var inSpark = DriverLocalLimit.set(-1)) {
      r = run(h, spec(h, o, List.of("id"), List.of("id")), table(a), table(b));
    }
    assertThat(r[0].intersectionSize()).isEqualTo(n - n / 3);
    assertThat(r[0].rows().get().count()).isEqualTo(n - n / 3);
    assertThat(r[1].rows().get().count()).isEqualTo(n - n / 3);
    assertThat(r[0].comparisonBytes()).isEqualTo(PsiProtocol.comparisonBytes(n, n));
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
    Psi o = options(PsiMode.ROWS, Set.of("bank_a", "bank_b"), lower);
    check(a, b, o);
    JobHarness h = new JobHarness(dir, PARTIES);
    PsiResult[] r = run(h, spec(h, o, List.of("id"), List.of("id")), table(a), table(b));
    assertThat(r[0].nullKeyRows()).isEqualTo(2);
    assertThat(r[0].inputRows()).isEqualTo(8);
    assertThat(r[0].distinctKeys()).isEqualTo(4); // alice, bob, carol, dave
    assertThat(r[1].distinctKeys()).isEqualTo(4); // alice, bob, dave, erin
    assertThat(r[0].intersectionSize()).isEqualTo(3);
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
    JobHarness h = new JobHarness(dir, PARTIES);
    PsiResult[] r = run(h, spec(h, rows(), List.of("name", "year"), List.of("nm", "yr")), a, b);
    assertThat(r[0].intersectionSize()).isEqualTo(3);
    assertThat(r[0].rows().get().collectAsList().stream().map(x -> x.getDouble(2)).sorted().toList())
        .containsExactly(1.0, 2.0, 3.0); // "ann1"+990 must not collide with "ann"+1990
    assertThat(r[1].rows().get().count()).isEqualTo(3);
    assertThat(r[0].nullKeyRows()).isEqualTo(1);
  }

  @Test
  void cardinalityOnlyRevealsTheCountToTheRecipient() throws Exception {
    List<String> a = ids("k", 0, 300);
    List<String> b = ids("k", 200, 700);
    JobHarness h = new JobHarness(dir, PARTIES);
    JobSpec spec = spec(h, options(PsiMode.CARDINALITY, Set.of("bank_a"), KeyNormalization.DEFAULT), List.of("id"),
        List.of("id"));
    Map<String, JobOutcome> out = h.run(spark, spec, Map.of("bank_a", table(a), "bank_b", table(b)));
    PsiResult ra = out.get("bank_a").details(PsiResult.class);
    PsiResult rb = out.get("bank_b").details(PsiResult.class);
    assertThat(ra.intersectionSize()).isEqualTo(100);
    assertThat(ra.rows()).isEmpty();
    assertThat(out.get("bank_a").output().orElseThrow().collectAsList()).containsExactly(RowFactory.create(100L));
    assertThat(rb.intersectionSize()).isEqualTo(-1);
    assertThat(rb.rows()).isEmpty();
    assertThat(out.get("bank_b").output()).isEmpty();
    assertThat(rb.peerDistinctKeys()).isEqualTo(300);
  }

  @Test
  void cardinalityToBothParties() throws Exception {
    JobHarness h = new JobHarness(dir, PARTIES);
    Psi o = options(PsiMode.CARDINALITY, Set.of("bank_a", "bank_b"), KeyNormalization.DEFAULT);
    PsiResult[] r = run(h, spec(h, o, List.of("id"), List.of("id")), table(ids("k", 0, 40)), table(ids("k", 30, 90)));
    assertThat(r[0].intersectionSize()).isEqualTo(10);
    assertThat(r[1].intersectionSize()).isEqualTo(10);
  }

  @Test
  void rowsToOneRecipientOnly() throws Exception {
    Psi o = options(PsiMode.ROWS, Set.of("bank_b"), KeyNormalization.DEFAULT);
    List<String> a = ids("k", 0, 40);
    List<String> b = ids("k", 30, 90);
    JobHarness h = new JobHarness(dir, PARTIES);
    PsiResult[] r = run(h, spec(h, o, List.of("id"), List.of("id")), table(a), table(b));
    assertThat(r[0].rows()).isEmpty();
    assertThat(r[0].intersectionSize()).isEqualTo(-1);
    Set<String> inter = oracle(a, b, KeyNormalization.DEFAULT);
    assertThat(actualRows(r[1].rows())).isEqualTo(expectedRows(b, inter, KeyNormalization.DEFAULT));
  }

  @Test
  void noPlaintextKeyCrossesTheChannel() throws Exception {
    List<String> a = ids("secret-customer-", 0, 200);
    List<String> b = ids("secret-customer-", 100, 300);
    JobHarness h = new JobHarness(dir, PARTIES);
    run(h, spec(h, rows(), List.of("id"), List.of("id")), table(a), table(b));
    List<byte[]> records = h.channel.allRecords();
    assertThat(records).isNotEmpty();
    for (byte[] rec : records) {
      String text = new String(rec, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(text).doesNotContain("secret-customer-");
    }
  }

  @Test
  void missingKeyColumnFailsBeforeAnythingIsSent() {
    JobHarness h = new JobHarness(dir, PARTIES);
    JobSpec spec = spec(h, rows(), List.of("customer_id"), List.of("id"));
    assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_a", table(ids("a", 0, 5))).build()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("key column 'customer_id' is missing");
    assertThat(h.channel.allRecords()).isEmpty();
  }

  @Test
  void inexactKeyTypeIsRejected() {
    JobHarness h = new JobHarness(dir, PARTIES);
    StructType s = new StructType().add("score", DataTypes.DoubleType);
    Dataset<Row> in = spark.createDataFrame(List.of(RowFactory.create(1.5)), s);
    JobSpec spec = spec(h, rows(), List.of("score"), List.of("id"));
    assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_a", in).build()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("key column 'score' has type double");
    assertThat(h.channel.allRecords()).isEmpty();
  }

  @Test
  void forgedBatchIsRejectedNamingPeerAndStep() {
    JobHarness h = new JobHarness(dir, PARTIES);
    JobSpec spec = spec(h, rows(), List.of("id"), List.of("id"));
    String stream = PsiProtocol.firstStream(spec.jobId(), "bank_b");
    h.channel.createStreams(List.of(stream), 3);
    // Signed by bank_a's key, claiming to come from bank_b.
    byte[] forged = BatchCodec.encode(spec.jobId(), stream, "bank_b", 0, 0, 32, new byte[32], 1,
        h.secret("bank_a").identity());
    h.channel.inject(stream, 0, forged);
    JobHarness.Results r = h.runAll(spark, spec, Map.of("bank_a", table(ids("k", 0, 30)), "bank_b",
        table(ids("k", 0, 30))));
    assertThat(r.error("bank_a"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("bank_b")
        .hasMessageContaining("blind-1")
        .hasMessageContaining("is not signed by bank_b's key");
    assertThat(r.error("bank_b")).isInstanceOf(ProtocolException.class)
        .hasMessageContaining("bank_a aborted it in step 'blind-1': it rejected what bank_b sent");
  }

  @Test
  void invalidCurvePointFromAHostilePeerIsRejected() throws Exception {
    JobHarness h = new JobHarness(dir, PARTIES);
    JobSpec spec = spec(h, options(PsiMode.ROWS, Set.of("bank_a"), KeyNormalization.DEFAULT), List.of("id"),
        List.of("id"));
    String stream = PsiProtocol.firstStream(spec.jobId(), "bank_b");
    // A misbehaving bank_b: it approves, commits, and announces a validly signed batch holding a
    // low-order point (u = 0) and a point on the twist (u = 2).
    try (HostilePeer b = HostilePeer.approve(h, spec, "bank_b")) {
      b.commitInput("ab".repeat(32));
      h.channel.createStreams(List.of(stream), 3);
      byte[] payload = new byte[64];
      payload[32] = 2;
      byte[] record = BatchCodec.encode(spec.jobId(), stream, "bank_b", 0, 0, 32, payload, 2,
          h.secret("bank_b").identity());
      h.channel.inject(stream, 0, record);
      b.announce(PsiProtocol.STEP_BLIND_1, RoundStats.fromBatches(3,
          List.of(new SentBatch(0, 0, 2, RoundDigest.batchDigest(record), null))));
      assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_a", table(ids("k", 0, 5))).build()))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("bank_b")
          .hasMessageContaining("blind-1")
          .hasMessageContaining("not a valid curve point")
          .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_b"));
      assertThat(b.abortOf("bank_a")).as("bank_a told bank_b, and only the kind of failure")
          .hasValueSatisfying(a -> assertThat(a.text("bank_a")).isEqualTo("it rejected what bank_b sent"));
    }
  }

  @Test
  void aFloodOfValidlySignedBatchesFailsTheJobAtTheFirstOneBeyondTheAnnouncedCount() throws Exception {
    JobHarness h = new JobHarness(dir, PARTIES);
    JobSpec spec = spec(h, options(PsiMode.ROWS, Set.of("bank_a"), KeyNormalization.DEFAULT), List.of("id"),
        List.of("id"));
    String stream = PsiProtocol.firstStream(spec.jobId(), "bank_b");
    // A hostile bank_b announces two batches in partition 0, then floods it with validly signed
    // batches numbered beyond them.
    try (HostilePeer b = HostilePeer.approve(h, spec, "bank_b")) {
      b.commitInput("ab".repeat(32));
      h.channel.createStreams(List.of(stream), 3);
      byte[] first = BatchCodec.encode(spec.jobId(), stream, "bank_b", 0, 0, 32, new byte[32], 1,
          h.secret("bank_b").identity());
      h.channel.inject(stream, 0, first);
      for (int seq = 2; seq < 5_002; seq++) {
        h.channel.inject(stream, 0, BatchCodec.encode(spec.jobId(), stream, "bank_b", 0, seq, 32, new byte[32], 1,
            h.secret("bank_b").identity()));
      }
      b.announce(PsiProtocol.STEP_BLIND_1, RoundStats.fromBatches(3, List.of(
          new SentBatch(0, 0, 1, RoundDigest.batchDigest(first), null),
          new SentBatch(0, 1, 1, new byte[32], null))));
      assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_a", table(ids("k", 0, 5))).build()))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("Cannot accept data from bank_b in step 'blind-1'")
          .hasMessageContaining("partition 0 of stream '" + stream + "'")
          .hasMessageContaining("a batch with sequence number 2, beyond the 2 batches bank_b announced")
          .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_b"));
      assertThat(b.abortOf("bank_a")).hasValueSatisfying(
          a -> assertThat(a.text("bank_a")).isEqualTo("it rejected what bank_b sent"));
    }
  }

  @Test
  void anOversizedRecordFailsTheJobBeforeItIsVerified() throws Exception {
    JobHarness h = new JobHarness(dir, PARTIES);
    JobSpec spec = spec(h, options(PsiMode.ROWS, Set.of("bank_a"), KeyNormalization.DEFAULT), List.of("id"),
        List.of("id"));
    String stream = PsiProtocol.firstStream(spec.jobId(), "bank_b");
    try (HostilePeer b = HostilePeer.approve(h, spec, "bank_b")) {
      b.commitInput("ab".repeat(32));
      h.channel.createStreams(List.of(stream), 3);
      byte[] honest = BatchCodec.encode(spec.jobId(), stream, "bank_b", 0, 0, 32, new byte[32], 1,
          h.secret("bank_b").identity());
      h.channel.inject(stream, 0, new byte[8 << 20]); // 8 MiB, unsigned
      h.channel.inject(stream, 0, honest);
      b.announce(PsiProtocol.STEP_BLIND_1, RoundStats.fromBatches(3, List.of(
          new SentBatch(0, 0, 1, RoundDigest.batchDigest(honest), null))));
      assertThatThrownBy(() -> VeilJobs.run(spark, h.request(spec, "bank_a", table(ids("k", 0, 5))).build()))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("Cannot accept data from bank_b in step 'blind-1'")
          .hasMessageContaining("holds a record of 8388608 bytes, larger than the")
          .hasMessageNotContaining("signed")
          .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_b"));
    }
  }

  @Test
  void oprfRefusesValuesThatAreNotSorted() throws Exception {
    JobHarness h = new JobHarness(dir, PARTIES);
    JobSpec spec = spec(h, options(PsiMode.ROWS, Set.of("bank_a"), KeyNormalization.DEFAULT).oprf(), List.of("id"),
        List.of("id"));
    // bank_b, the OPRF sender, runs the base OTs honestly, then sends its PRF values out of order: an honest
    // sender sorts them, so their order tells the receiver nothing about which key gave which value.
    try (HostilePeer b = HostilePeer.approve(h, spec, "bank_b")) {
      b.commitInput("ab".repeat(32));
      java.util.concurrent.CompletableFuture<JobOutcome> a = java.util.concurrent.CompletableFuture.supplyAsync(
          () -> VeilJobs.run(spark, h.request(spec, "bank_a", table(ids("k", 0, 5))).build()));
      byte[] first = ((io.veil.channel.ControlMessage.Notice) awaitBody(b, a, m -> m instanceof
          io.veil.channel.ControlMessage.Notice n && n.step().equals(OprfPsiProtocol.STEP_BASE_OT))).payload();
      io.veil.crypto.ot.BaseOt.Receiver ot = new io.veil.crypto.ot.BaseOt.Receiver(new byte[32], new boolean[512]);
      b.notice(OprfPsiProtocol.STEP_BASE_OT + "-reply", ot.reply(first));
      RoundStats u = ((io.veil.channel.ControlMessage.RoundComplete) awaitBody(b, a, m -> m instanceof
          io.veil.channel.ControlMessage.RoundComplete r && r.step().equals(OprfPsiProtocol.STEP_U))).stats();
      int ell = Math.min(16, PsiProtocol.comparisonBytes(u.totalElements(), 3));
      String stream = "bank_b." + spec.jobId() + "." + OprfPsiProtocol.STEP_VALUES;
      h.channel.createStreams(List.of(stream), 3);
      byte[] payload = new byte[3 * ell];
      payload[0] = 3;
      payload[ell] = 2;
      payload[2 * ell] = 1;
      byte[] record = BatchCodec.encode(spec.jobId(), stream, "bank_b", 0, 0, ell, payload, 3,
          h.secret("bank_b").identity());
      h.channel.inject(stream, 0, record);
      b.announce(OprfPsiProtocol.STEP_VALUES, RoundStats.fromBatches(3,
          List.of(new SentBatch(0, 0, 3, RoundDigest.batchDigest(record), null))));
      assertThatThrownBy(a::join).hasCauseInstanceOf(ProtocolException.class)
          .cause().hasMessageContaining("bank_b").hasMessageContaining("not in ascending order")
          .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_b"));
    }
  }

  /** Waits (up to a minute) for bank_a to publish a control message whose body {@code wanted} accepts. */
  private static io.veil.channel.ControlMessage.Body awaitBody(HostilePeer b, java.util.concurrent.Future<?> job,
      java.util.function.Predicate<io.veil.channel.ControlMessage.Body> wanted) throws Exception {
    long end = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < end) {
      for (io.veil.channel.ControlMessage m : b.messagesOf("bank_a")) {
        if (wanted.test(m.body())) {
          return m.body();
        }
      }
      if (job.isDone()) {
        job.get(); // bank_a ended early: show why
      }
      Thread.sleep(50);
    }
    throw new AssertionError("bank_a did not publish the awaited message");
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
