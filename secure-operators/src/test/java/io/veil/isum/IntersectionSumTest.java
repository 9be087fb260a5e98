package io.veil.isum;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.job.JobOutcome;
import io.veil.psi.KeyNormalization;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
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

/** Both sides of the intersection-sum in one JVM, through the job runtime, against a plaintext oracle. */
class IntersectionSumTest {
  private static final StructType IDS = new StructType().add("id", DataTypes.StringType, true)
      .add("region", DataTypes.StringType, true);
  private static final StructType VALUES = new StructType().add("id", DataTypes.StringType, true)
      .add("spend", DataTypes.createDecimalType(12, 2), true).add("orders", DataTypes.IntegerType, true);
  private static final AtomicInteger JOBS = new AtomicInteger();
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("IntersectionSumTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** id -> region (A), id -> (spend, orders) (B). */
  private static Dataset<Row> ids(List<String[]> rows) {
    List<Row> out = new ArrayList<>();
    rows.forEach(r -> out.add(RowFactory.create(r[0], r[1])));
    return spark.createDataFrame(out, IDS);
  }

  private static Dataset<Row> values(Map<String, long[]> rows) {
    List<Row> out = new ArrayList<>();
    rows.forEach((id, v) -> out.add(RowFactory.create(id, BigDecimal.valueOf(v[0], 2), (int) v[1])));
    return spark.createDataFrame(out, VALUES);
  }

  private static Map<String, Object> section(boolean grouped, int minGroupSize) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("idParty", "adnet");
    s.put("valueParty", "shop");
    s.put("values", List.of(Map.of("column", "spend", "scale", 2), Map.of("column", "orders")));
    if (grouped) {
      s.put("groupBy", "region");
    }
    s.put("minGroupSize", minGroupSize);
    s.put("partitions", 3);
    s.put("batchRows", 64);
    return s;
  }

  private static JobOutcome[] run(JobHarness h, Map<String, Object> section, Dataset<Row> a, Dataset<Row> b) {
    var spec = h.spec("isum-" + JOBS.incrementAndGet(), IntersectionSumOperator.NAME, List.of(
        h.party("adnet", JobHarness.input(List.of("id"), null), JobHarness.output()),
        h.party("shop", JobHarness.input(List.of("id"), null), null)), section);
    Map<String, JobOutcome> out = h.run(spark, spec, Map.of("adnet", a, "shop", b));
    return new JobOutcome[] {out.get("adnet"), out.get("shop")};
  }

  /** "group|count|spend|orders" per output row, sorted. */
  private static List<String> rows(JobOutcome a) {
    return a.output().orElseThrow().collectAsList().stream().map(r -> {
      List<String> f = new ArrayList<>();
      for (int i = 0; i < r.length(); i++) {
        Object v = r.get(i);
        f.add(v instanceof BigDecimal d ? d.stripTrailingZeros().toPlainString() : String.valueOf(v));
      }
      return String.join("|", f);
    }).sorted().toList();
  }

  /** The oracle over normalised ids: per group (or one row), the count and sums; NULL sums below the minimum. */
  private static List<String> oracle(List<String[]> a, Map<String, long[]> b, boolean grouped, int min) {
    Map<String, long[]> norm = new HashMap<>();
    b.forEach((k, v) -> norm.put(KeyNormalization.DEFAULT.apply(k), v));
    Map<String, String> groupOf = new TreeMap<>();
    for (String[] r : a) {
      if (r[0] != null) {
        groupOf.put(KeyNormalization.DEFAULT.apply(r[0]), grouped ? r[1] : "");
      }
    }
    Map<String, long[]> acc = new TreeMap<>();
    new HashSet<>(groupOf.values()).forEach(g -> acc.put(g, new long[3]));
    groupOf.forEach((id, g) -> {
      long[] v = norm.get(id);
      if (v != null) {
        long[] s = acc.get(g);
        s[0]++;
        s[1] += v[0];
        s[2] += v[1];
      }
    });
    if (!grouped && acc.isEmpty()) {
      acc.put("", new long[3]);
    }
    List<String> out = new ArrayList<>();
    acc.forEach((g, s) -> {
      boolean release = s[0] >= Math.max(1, min);
      String sums = release ? BigDecimal.valueOf(s[1], 2).stripTrailingZeros().toPlainString() + "|" + s[2]
          : "null|null";
      out.add((grouped ? g + "|" : "") + s[0] + "|" + sums);
    });
    out.sort(null);
    return out;
  }

  @Test
  void sumsOverTheIntersectionLikeThePlaintextOracleAtEverySize() {
    JobHarness h = new JobHarness(dir.resolve("sizes"), List.of("adnet", "shop"));
    Random rnd = new Random(9);
    Map<String, long[]> b = new LinkedHashMap<>();
    for (int i = 0; i < 700; i++) {
      b.put("u" + i, new long[] {rnd.nextInt(2_000_000) - 500_000, rnd.nextInt(20)});
    }
    b.put(" padded ", new long[] {1234, 1});
    List<List<String[]>> as = new ArrayList<>();
    as.add(List.of());
    as.add(List.<String[]>of(new String[] {"u7", "x"}));
    as.add(List.of(new String[] {"u8", "x"}, new String[] {"nobody", "x"}));
    List<String[]> large = new ArrayList<>(Arrays.asList(new String[] {null, "x"}, new String[] {"padded", "x"},
        new String[] {"u1", "x"}, new String[] {" u1", "x"}));
    for (int i = 0; i < 500; i++) {
      large.add(new String[] {rnd.nextBoolean() ? "u" + rnd.nextInt(1400) : "other" + i, "x"});
    }
    as.add(large);
    for (List<String[]> a : as) {
      JobOutcome[] out = run(h, section(false, 0), ids(a), values(b));
      assertThat(rows(out[0])).as("%d ids", a.size()).isEqualTo(oracle(a, b, false, 0));
      assertThat(out[1].result()).containsEntry("distinctKeys", Integer.toString(b.size()))
          .doesNotContainKey("intersectionSize");
    }
  }

  @Test
  void groupsBelowTheMinimumGetTheirCountButNoSums() {
    JobHarness h = new JobHarness(dir.resolve("groups"), List.of("adnet", "shop"));
    Map<String, long[]> b = new LinkedHashMap<>();
    for (int i = 0; i < 300; i++) {
      b.put("c" + i, new long[] {i * 101L, i % 5});
    }
    List<String[]> a = new ArrayList<>();
    for (int i = 0; i < 400; i += 2) {
      a.add(new String[] {"c" + i, i < 20 ? "north" : i < 300 ? "south" : "east"});
    }
    a.add(new String[] {"c1", "tiny"});
    JobOutcome[] out = run(h, section(true, 5), ids(a), values(b));
    assertThat(rows(out[0])).isEqualTo(oracle(a, b, true, 5));
    assertThat(rows(out[0])).contains("tiny|1|null|null");
    assertThat(out[1].result()).containsEntry("sumsOpened", "4");
  }

  @Test
  void noPlaintextIdOrValueCrossesTheChannel() {
    JobHarness h = new JobHarness(dir.resolve("wire"), List.of("adnet", "shop"));
    Map<String, long[]> b = Map.of("secret-id-1", new long[] {987654321, 7}, "secret-id-2", new long[] {5, 3});
    List<String[]> a = List.of(new String[] {"secret-id-1", "x"}, new String[] {"other-id", "x"});
    run(h, section(false, 0), ids(a), values(b));
    Set<String> needles = Set.of("secret-id-1", "secret-id-2", "other-id");
    h.channel.allRecords().forEach(r -> {
      String text = new String(r, java.nio.charset.StandardCharsets.ISO_8859_1);
      needles.forEach(n -> assertThat(text).doesNotContain(n));
    });
  }

  @Test
  void badValuesAndRepeatedIdsFailBeforeAnythingIsSent() {
    JobHarness h = new JobHarness(dir.resolve("bad"), List.of("adnet", "shop"));
    List<String[]> a = List.<String[]>of(new String[] {"a", "x"});
    Dataset<Row> repeated = spark.createDataFrame(List.of(RowFactory.create("a", new BigDecimal("1.00"), 1),
        RowFactory.create(" a", new BigDecimal("2.00"), 1)), VALUES);
    var spec = h.spec("isum-bad-1", IntersectionSumOperator.NAME, List.of(
        h.party("adnet", JobHarness.input(List.of("id"), null), JobHarness.output()),
        h.party("shop", JobHarness.input(List.of("id"), null), null)), section(false, 0));
    assertThat(h.runAll(spark, spec, Map.of("adnet", ids(a), "shop", repeated)).error("shop"))
        .hasMessageContaining("1 rows repeat an id");
    Dataset<Row> nullValue = spark.createDataFrame(List.of(RowFactory.create("a", null, 1)), VALUES);
    var spec2 = h.spec("isum-bad-2", IntersectionSumOperator.NAME, List.of(
        h.party("adnet", JobHarness.input(List.of("id"), null), JobHarness.output()),
        h.party("shop", JobHarness.input(List.of("id"), null), null)), section(false, 0));
    assertThat(h.runAll(spark, spec2, Map.of("adnet", ids(a), "shop", nullValue)).error("shop"))
        .hasMessageContaining("NULL in value column 'spend'");
    // Nothing reached a data stream.
    assertThat(h.channel.streams().stream().mapToInt(st -> h.channel.records(st).size()).sum()).isZero();
  }

  @Test
  void aValuePartyThatNeverComesStopsTheIdPartyNamingItBeforeAnythingIsSent() {
    JobHarness h = new JobHarness(dir.resolve("lonely"), List.of("adnet", "shop"));
    var spec = h.spec("isum-lonely", IntersectionSumOperator.NAME, List.of(
        h.party("adnet", JobHarness.input(List.of("id"), null), JobHarness.output()),
        h.party("shop", JobHarness.input(List.of("id"), null), null)), section(false, 0), "peerTimeoutMs: 1500");
    Dataset<Row> a = ids(List.<String[]>of(new String[] {"a", "x"}, new String[] {"b", "y"}));
    JobHarness.Results r = JobHarness.runRequests(spark, Map.of("adnet", h.request(spec, "adnet", a).build()));
    assertThat(r.error("adnet")).isInstanceOf(io.veil.PeerTimeoutException.class).hasMessageContaining("shop");
    assertThat(h.channel.streams().stream().mapToInt(st -> h.channel.records(st).size()).sum()).isZero();
  }
}
