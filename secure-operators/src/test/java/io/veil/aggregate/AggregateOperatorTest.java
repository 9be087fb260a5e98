package io.veil.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.aggregate.internal.ReleaseNotice;
import io.veil.channel.PeerAbortedException;
import io.veil.crypto.sharing.AggregationKeys;
import io.veil.crypto.sharing.PairwiseSealing;
import io.veil.job.JobOutcome;
import io.veil.job.JobRecord;
import io.veil.job.JobRequest;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.AggregateSpec;
import io.veil.spec.JobSpec;
import io.veil.testing.HostilePeer;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
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

/** Secure grouped SUM/COUNT with N parties in one JVM (through the job runtime), against a plaintext union + groupBy. */
class AggregateOperatorTest {
  private static final StructType SCHEMA = new StructType()
      .add("region", DataTypes.StringType, true)
      .add("age", DataTypes.IntegerType, true)
      .add("amount", DataTypes.DoubleType, true);
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("aggregate-test");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** The aggregate job: every party in {@code ids}, those in {@code data} with an input, the result party with an output. */
  private static JobSpec spec(JobHarness h, List<String> data, String result, int minGroupSize, double[] dp,
      List<String> regions, String... extraYaml) {
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String id : h.ids) {
      parties.add(h.party(id, data.contains(id) ? JobHarness.input(null, null) : null,
          id.equals(result) ? JobHarness.output() : null));
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("resultParty", result);
    section.put("groupBy", List.of(Map.of("column", "region", "values", regions),
        Map.of("column", "age", "buckets", Map.of("from", 20, "to", 70, "width", 10))));
    section.put("sums", List.of(Map.of("column", "amount", "scale", 2, "maxAbs", 100000, "as", "sum_amount")));
    section.put("minGroupSize", minGroupSize);
    section.put("maxRowsPerParty", 1_000_000);
    if (dp != null) {
      section.put("dp", Map.of("epsilon", dp[0], "delta", dp[1]));
    }
    section.put("partitions", 3);
    section.put("batchRows", 4);
    return h.spec("aggregate-test", "aggregate", parties, section, extraYaml);
  }

  private static List<Row> rows(long seed, int n) {
    Random r = new Random(seed);
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(RowFactory.create("r" + r.nextInt(4), 20 + r.nextInt(50), Math.round(r.nextDouble() * 2_000_000) / 100.0
          * (r.nextBoolean() ? 1 : -1)));
    }
    return out;
  }

  /** Plaintext answer: (region|bucket) -> [count, sum in cents]. */
  private static Map<String, long[]> plain(List<List<Row>> inputs) {
    Map<String, long[]> m = new HashMap<>();
    for (List<Row> in : inputs) {
      for (Row row : in) {
        int age = row.getInt(1);
        int lo = 20 + (age - 20) / 10 * 10;
        long[] acc = m.computeIfAbsent(row.getString(0) + "|[" + lo + "," + (lo + 10) + ")", k -> new long[2]);
        acc[0]++;
        acc[1] += BigDecimal.valueOf(row.getDouble(2)).movePointRight(2).longValueExact();
      }
    }
    return m;
  }

  private static Map<String, Dataset<Row>> tables(Map<String, List<Row>> inputs) {
    Map<String, Dataset<Row>> out = new LinkedHashMap<>();
    inputs.forEach((id, rows) -> out.put(id, spark.createDataFrame(rows, SCHEMA)));
    return out;
  }

  /** Runs every party; returns each party's result, in the harness's party order. */
  private static List<AggregateResult> run(JobHarness h, JobSpec spec, Map<String, List<Row>> inputs) {
    Map<String, JobOutcome> out = h.run(spark, spec, tables(inputs));
    List<AggregateResult> rs = new ArrayList<>();
    for (String id : h.ids) {
      AggregateResult r = out.get(id).details(AggregateResult.class);
      assertThat(out.get(id).output().isPresent()).as(id + "'s output").isEqualTo(r.table().isPresent());
      rs.add(r);
    }
    return rs;
  }

  private static Map<String, Row> byGroup(Dataset<Row> table) {
    Map<String, Row> m = new HashMap<>();
    for (Row r : table.collectAsList()) {
      m.put(r.getString(0) + "|" + r.getString(1), r);
    }
    return m;
  }

  @Test
  void threePartiesGetTheExactUnionGroupBy() throws Exception {
    List<String> ids = List.of("bank_a", "bank_b", "bank_c");
    JobHarness h = new JobHarness(dir, ids, 1);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    inputs.put("bank_a", rows(1, 300));
    inputs.put("bank_b", rows(2, 200));
    inputs.put("bank_c", rows(3, 1)); // a party with a single row
    JobSpec spec = spec(h, ids, "bank_a", 0, null, List.of("r0", "r1", "r2", "r3", "r9"));
    List<AggregateResult> rs = run(h, spec, inputs);

    Map<String, long[]> expected = plain(new ArrayList<>(inputs.values()));
    Map<String, Row> got = byGroup(rs.get(0).table().orElseThrow());
    assertThat(got).hasSize(5 * 5);
    for (Map.Entry<String, Row> e : got.entrySet()) {
      long[] want = expected.getOrDefault(e.getKey(), new long[2]);
      assertThat(e.getValue().getLong(2)).as(e.getKey()).isEqualTo(want[0]);
      assertThat(e.getValue().getDecimal(3)).as(e.getKey()).isEqualByComparingTo(BigDecimal.valueOf(want[1], 2));
      assertThat(e.getValue().getBoolean(4)).isFalse();
    }
    assertThat(rs.get(1).table()).isEmpty();
    assertThat(rs.get(2).table()).isEmpty();
    assertThat(rs).allSatisfy(r -> assertThat(r.released()).isEqualTo(25));
    // Each party committed to its input in the pre-aggregating scan: the commitment of the whole table.
    for (String id : ids) {
      JobRecord.CommitmentRecord c = h.receipts(id).get(0).input();
      DatasetCommitment.Commitment expectedCommitment = DatasetCommitment.compute(
          spark.createDataFrame(inputs.get(id), SCHEMA), HexFormat.of().parseHex(c.salt()));
      assertThat(c.root()).as(id).isEqualTo(expectedCommitment.rootHex());
      assertThat(c.rows()).as(id).isEqualTo(expectedCommitment.rowCount());
    }
    // What crossed the channel: masked vectors only. No per-party count appears as a ring element.
    assertNoPlainCounts(h, inputs);
  }

  /** Every 8-byte word sent must differ from every small per-party count (a masked value is uniform). */
  private static void assertNoPlainCounts(JobHarness h, Map<String, List<Row>> inputs) {
    List<byte[]> records = h.channel.allRecords();
    assertThat(records).isNotEmpty();
    long small = 0;
    for (byte[] rec : records) {
      ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i + 8 <= rec.length; i += 8) {
        long v = b.getLong(i);
        if (v >= 0 && v <= 400) {
          small++;
        }
      }
    }
    // A uniform 64-bit word is <= 400 with probability 2^-55: any such word is a leak (or a header).
    assertThat(small).isLessThanOrEqualTo(records.size() * 4L);
  }

  @Test
  void fivePartiesWithAResultPartyWithoutInputSuppressSmallGroups() throws Exception {
    List<String> ids = List.of("p1", "p2", "p3", "p4", "p5", "regulator");
    List<String> data = ids.subList(0, 5);
    JobHarness h = new JobHarness(dir, ids, 2);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    for (int i = 0; i < 5; i++) {
      inputs.put(data.get(i), rows(10 + i, 40));
    }
    inputs.get("p1").add(RowFactory.create("r9", 25, 77.5)); // a group of one row
    JobSpec spec = spec(h, data, "regulator", 10, null, List.of("r0", "r1", "r2", "r3", "r9"));
    List<AggregateResult> rs = run(h, spec, inputs);

    Map<String, long[]> expected = plain(new ArrayList<>(inputs.values()));
    Map<String, Row> got = byGroup(rs.get(5).table().orElseThrow());
    int released = 0;
    for (Map.Entry<String, Row> e : got.entrySet()) {
      long[] want = expected.getOrDefault(e.getKey(), new long[2]);
      Row r = e.getValue();
      if (want[0] >= 10) {
        released++;
        assertThat(r.getBoolean(4)).isFalse();
        assertThat(r.getLong(2)).isEqualTo(want[0]);
        assertThat(r.getDecimal(3)).isEqualByComparingTo(BigDecimal.valueOf(want[1], 2));
      } else {
        assertThat(r.getBoolean(4)).as(e.getKey()).isTrue();
        assertThat(r.isNullAt(2)).isTrue();
        assertThat(r.isNullAt(3)).isTrue();
      }
    }
    assertThat(got.get("r9|[20,30)").getBoolean(4)).isTrue();
    int rel = released;
    assertThat(rs).allSatisfy(r -> assertThat(r.released()).isEqualTo(rel));
  }

  @Test
  void aResultPartyReleasingASmallGroupIsRefusedByEveryDataPartyBeforeAnySumIsSent() throws Exception {
    List<String> ids = List.of("bank_a", "bank_b", "bank_c", "regulator");
    List<String> banks = ids.subList(0, 3);
    JobHarness h = new JobHarness(dir, ids, 4);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      inputs.put(banks.get(i), new ArrayList<>(rows(30 + i, 40)));
    }
    inputs.get("bank_b").add(RowFactory.create("r9", 25, 77.5)); // a group of one row: bank_b's
    JobSpec spec = spec(h, banks, "regulator", 10, null, List.of("r0", "r1", "r2", "r3", "r9"),
        "peerTimeoutMs: 20000");
    int groups = spec.settings(AggregateSpec.class).groups();
    try (HostilePeer regulator = HostilePeer.approve(h, spec, "regulator")) {
      regulator.commitInput(null);
      // It releases every group of the domain, the one-row group included, in a well-formed notice
      // sealed for the banks with its real keys.
      BitSet all = new BitSet(groups);
      all.set(0, groups);
      Map<String, byte[]> bankKeys = new LinkedHashMap<>();
      for (String b : banks) {
        bankKeys.put(b, AggregationKeys.derive(h.secret(b), spec.jobId()).publicKey());
      }
      PairwiseSealing sealing = PairwiseSealing.create("regulator",
          AggregationKeys.derive(h.secret("regulator"), spec.jobId()), bankKeys, spec.jobId());
      regulator.notice(AggregateOperator.STEP_RELEASE,
          ReleaseNotice.seal(sealing, banks, AggregateOperator.STEP_RELEASE, groups, all));
      regulator.done(null, null); // so that a party that does send its sums is not kept waiting
      Map<String, JobRequest> requests = new LinkedHashMap<>();
      Map<String, Dataset<Row>> tables = tables(inputs);
      for (String b : banks) {
        requests.put(b, h.request(spec, b, tables.get(b)).build());
      }
      JobHarness.Results r = JobHarness.runRequests(spark, requests);
      int refusedItself = 0;
      for (String b : banks) {
        Throwable e = r.error(b);
        assertThat(e).as(b).isInstanceOf(ProtocolException.class).hasMessageNotContaining("77.5");
        if (e instanceof PeerAbortedException) {
          // Still waiting when another bank refused (a loaded machine's timing): it stops on that abort.
          assertThat(e).as(b).hasMessageContaining("in step 'agg-release': it rejected what regulator sent");
          continue;
        }
        refusedItself++;
        assertThat(e).as(b).hasMessageContaining("Cannot send sums to regulator")
            .hasMessageContaining("whose count, added up by the data parties (step agg-check), is below the spec's "
                + "minGroupSize 10");
        assertThat(((ProtocolException) e).peer()).as(b).isEqualTo("regulator");
      }
      assertThat(refusedItself).as("the first bank to check refuses on its own").isPositive();
      assertThat(h.channel.streams()).as("no sum was sent, even masked")
          .noneMatch(st -> st.endsWith("." + AggregateOperator.STEP_SUMS));
    }
  }

  @Test
  void distributedNoiseHasTheDeclaredScale() throws Exception {
    List<String> ids = List.of("bank_a", "bank_b", "bank_c", "regulator");
    List<String> data = ids.subList(0, 3);
    JobHarness h = new JobHarness(dir, ids, 42);
    List<String> regions = IntStream.range(0, 80).mapToObj(i -> "r" + i).toList();
    JobSpec spec = spec(h, data, "regulator", 0, new double[] {4.0, 1e-6}, regions);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      inputs.put(data.get(i), rows(20 + i, 100));
    }
    List<AggregateResult> rs = run(h, spec, inputs);
    Map<String, long[]> expected = plain(new ArrayList<>(inputs.values()));
    NoisePlan plan = NoisePlan.of(spec.settings(AggregateSpec.class), data);
    double countSq = 0;
    double sumSq = 0;
    int n = 0;
    int nonZero = 0;
    for (Map.Entry<String, Row> e : byGroup(rs.get(3).table().orElseThrow()).entrySet()) {
      long[] want = expected.getOrDefault(e.getKey(), new long[2]);
      long noise = e.getValue().getLong(2) - want[0];
      double sumNoise = e.getValue().getDecimal(3).movePointRight(2).doubleValue() - want[1];
      countSq += (double) noise * noise;
      sumSq += sumNoise * sumNoise;
      n++;
      nonZero += noise != 0 ? 1 : 0;
    }
    // 400 groups: each sample standard deviation is within 15% of the declared one (about 4 sigma).
    assertThat(n).isEqualTo(400);
    assertThat(nonZero).isGreaterThan(300);
    assertThat(Math.sqrt(countSq / n)).isBetween(plan.countStdDev() * 0.85, plan.countStdDev() * 1.15);
    assertThat(Math.sqrt(sumSq / n)).isBetween(plan.sumStdDev(0) * 0.85, plan.sumStdDev(0) * 1.15);
  }

  @Test
  void aValueOutOfRangeStopsEveryPartyBeforeAnythingIsSent() throws Exception {
    List<String> ids = List.of("bank_a", "bank_b", "bank_c");
    JobHarness h = new JobHarness(dir, ids, 3);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    inputs.put("bank_a", rows(1, 20));
    inputs.put("bank_b", new ArrayList<>(rows(2, 20)));
    inputs.get("bank_b").add(RowFactory.create("r1", 30, 123456.0));
    inputs.get("bank_b").add(RowFactory.create("r7", 30, 1.0));
    inputs.get("bank_b").add(RowFactory.create("r2", 30, null));
    inputs.get("bank_b").add(RowFactory.create("r2", 80, 1.0));
    inputs.get("bank_b").add(RowFactory.create("r2", 30, 1.005));
    inputs.put("bank_c", rows(3, 20));
    JobSpec spec = spec(h, ids, "bank_a", 0, null, List.of("r0", "r1", "r2", "r3"));
    Map<String, Throwable> errors = h.runAll(spark, spec, tables(inputs)).errors();
    assertThat(errors.get("bank_b")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("1 row has a value of 'amount' outside its declared range")
        .hasMessageContaining("1 row has a value of group column 'region' outside its declared domain")
        .hasMessageContaining("1 row has a value of group column 'age' outside its declared domain (buckets "
            + "[20,30) to [60,70))")
        .hasMessageContaining("1 row has a NULL in summed column 'amount'")
        .hasMessageContaining("does not parse as the declared type, is read as NULL")
        .hasMessageContaining("1 row has a value of 'amount' with more than 2 decimal places")
        .hasMessageNotContaining("123456");
    assertThat(errors.get("bank_a")).isInstanceOf(ProtocolException.class).hasMessageContaining("bank_b aborted")
        .hasMessageContaining("input or settings failed its checks").hasMessageNotContaining("region");
    assertThat(h.channel.streams()).as("bank_b sent nothing").noneMatch(st -> st.startsWith("bank_b."));
  }

  @Test
  void aMissingColumnIsReportedFromTheSchema() {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    AggregateSpec spec = spec(h, h.ids, "bank_a", 0, null, List.of("r0")).settings(AggregateSpec.class);
    assertThatThrownBy(() -> AggregateOperator.validateSchema(
        new StructType().add("region", DataTypes.StringType).add("amount", DataTypes.StringType), spec, "bank_b"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("group column 'age' is missing")
        .hasMessageContaining("summed column 'amount' is string, not a number");
  }
}
