package io.veil.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.job.JobRecord;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.JobSpec;
import io.veil.testing.HostilePeer;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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

/** Feature aggregation with N parties in one JVM, against the plaintext row-wise sum. */
class FeatureAggregationTest {
  private static final int DIMS = 3;
  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.LongType, true)
      .add("a", DataTypes.DoubleType, true)
      .add("b", DataTypes.DoubleType, true)
      .add("c", DataTypes.DoubleType, true);
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("feature-aggregation-test");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static JobSpec spec(JobHarness h, String result) {
    return spec(h, result, List.of("id"));
  }

  private static JobSpec spec(JobHarness h, String result, List<String> keys) {
    return spec(h, result, keys, Map.of());
  }

  private static JobSpec spec(JobHarness h, String result, List<String> keys, Map<String, Object> settings) {
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String id : h.ids) {
      parties.add(h.party(id, JobHarness.input(keys, List.of("a", "b", "c")),
          id.equals(result) ? JobHarness.output() : null));
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("resultParty", result);
    section.put("dims", DIMS);
    section.put("scale", 4);
    section.put("maxAbs", 1000);
    section.put("partitions", 3);
    section.put("batchRows", 7);
    section.putAll(settings);
    return h.spec("features-test", "feature-aggregate", parties, section);
  }

  /** The same ids at every party, each in its own order, with random values at scale 4. */
  private static List<Row> rows(List<Long> ids, long seed) {
    Random r = new Random(seed);
    List<Long> order = new ArrayList<>(ids);
    Collections.shuffle(order, r);
    List<Row> out = new ArrayList<>();
    for (long id : order) {
      out.add(RowFactory.create(id, v(r), v(r), v(r)));
    }
    return out;
  }

  private static double v(Random r) {
    return Math.round((r.nextDouble() * 2 - 1) * 9_990_000) / 10_000.0;
  }

  /** Runs every party; each party's {@link FeatureAggregationResult} or error. */
  private static Map<String, Object> run(JobHarness h, Map<String, List<Row>> inputs, String result) {
    return run(h, inputs, spec(h, result));
  }

  private static Map<String, Object> run(JobHarness h, Map<String, List<Row>> inputs, JobSpec spec) {
    Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
    inputs.forEach((id, rows) -> tables.put(id, spark.createDataFrame(rows, SCHEMA)));
    JobHarness.Results r = h.runAll(spark, spec, tables);
    Map<String, Object> m = new LinkedHashMap<>();
    for (String id : h.ids) {
      m.put(id, r.errors().containsKey(id) ? r.error(id)
          : r.outcomes().get(id).details(FeatureAggregationResult.class));
    }
    return m;
  }

  @Test
  void threePartiesGetTheRowWiseSum() throws Exception {
    List<Long> ids = new ArrayList<>();
    for (long i = 0; i < 150; i++) {
      ids.add(i * 7919 % 100_003);
    }
    JobHarness h = new JobHarness(dir, List.of("guest", "host_1", "host_2"), 5);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      inputs.put(h.ids.get(i), rows(ids, 100 + i));
    }
    Map<String, Object> rs = run(h, inputs, "guest");
    FeatureAggregationResult guest = (FeatureAggregationResult) rs.get("guest");
    assertThat(guest.rows()).isEqualTo(150);
    Map<Long, BigDecimal[]> expected = new HashMap<>();
    for (List<Row> in : inputs.values()) {
      for (Row row : in) {
        BigDecimal[] acc = expected.computeIfAbsent(row.getLong(0),
            k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO});
        for (int j = 0; j < DIMS; j++) {
          acc[j] = acc[j].add(BigDecimal.valueOf(row.getDouble(1 + j)));
        }
      }
    }
    List<Row> z = guest.z().orElseThrow().collectAsList();
    assertThat(z).hasSize(150);
    for (Row row : z) {
      BigDecimal[] want = expected.get(Long.parseLong(row.getString(0)));
      for (int j = 0; j < DIMS; j++) {
        assertThat(row.getDecimal(1 + j)).isEqualByComparingTo(want[j]);
      }
    }
    assertThat(((FeatureAggregationResult) rs.get("host_1")).z()).isEmpty();
    // Each party committed to its input in the scan that encoded it: the commitment of the whole table.
    for (String id : h.ids) {
      JobRecord.CommitmentRecord c = h.receipts(id).get(0).input();
      assertThat(c.root()).as(id).isEqualTo(DatasetCommitment.compute(spark.createDataFrame(inputs.get(id), SCHEMA),
          HexFormat.of().parseHex(c.salt())).rootHex());
    }
  }

  /**
   * Sums of 19 digits (past the 18 that fit Parquet's long decimals, with 2 x maxAbs 4e18 at scale 0):
   * the result party's decimals hold them exactly, negative ones too.
   */
  @Test
  void sumsOfNineteenDigitsComeBackExactly() throws Exception {
    List<Long> ids = List.of(3L, 1L, 4L, 15L, 92L, 65L);
    JobHarness h = new JobHarness(dir, List.of("guest", "host"), 5);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    Map<Long, BigDecimal[]> expected = new HashMap<>();
    for (int p = 0; p < 2; p++) {
      List<Row> rows = new ArrayList<>();
      for (long id : ids) {
        // m * 10^17 for |m| <= 40 is an exact double; the largest sums reach 8e18.
        double[] v = {(id % 2 == 0 ? 40 : -40) * 1e17, ((id + p) % 30) * 1e17, -(id % 7) * 1e17 - 16};
        rows.add(RowFactory.create(id, v[0], v[1], v[2]));
        BigDecimal[] acc = expected.computeIfAbsent(id, k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO,
            BigDecimal.ZERO});
        for (int j = 0; j < DIMS; j++) {
          acc[j] = acc[j].add(new BigDecimal(v[j]));
        }
      }
      inputs.put(h.ids.get(p), rows);
    }
    Map<String, Object> rs = run(h, inputs, spec(h, "guest", List.of("id"),
        Map.of("scale", 0, "maxAbs", new BigDecimal("4000000000000000000"))));
    if (rs.get("guest") instanceof Exception e) {
      throw e;
    }
    FeatureAggregationResult guest = (FeatureAggregationResult) rs.get("guest");
    assertThat(guest.z().orElseThrow().schema().fields()[1].dataType().simpleString()).isEqualTo("decimal(19,0)");
    List<Row> z = guest.z().orElseThrow().collectAsList();
    assertThat(z).hasSize(ids.size());
    for (Row row : z) {
      BigDecimal[] want = expected.get(Long.parseLong(row.getString(0)));
      for (int j = 0; j < DIMS; j++) {
        assertThat(row.getDecimal(1 + j)).isEqualByComparingTo(want[j]);
      }
    }
    assertThat(z.stream().map(r -> r.getDecimal(1).abs().toPlainString().length()).max(Integer::compare))
        .contains(19);
  }

  /**
   * A key of two columns, one of them non-ASCII text: the result party's rows carry both key cells
   * as given, with the sums of that key's rows (blocks of 7 rows are cut and joined with their keys).
   */
  @Test
  void aTwoColumnKeyComesBackCellByCell() throws Exception {
    StructType schema = new StructType()
        .add("branch", DataTypes.StringType, true)
        .add("id", DataTypes.LongType, true)
        .add("a", DataTypes.DoubleType, true)
        .add("b", DataTypes.DoubleType, true)
        .add("c", DataTypes.DoubleType, true);
    String[] branches = {"Zürich", "東京 本店", "Lyon"};
    JobHarness h = new JobHarness(dir, List.of("guest", "host"), 5);
    Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
    Map<String, BigDecimal[]> expected = new HashMap<>();
    for (int p = 0; p < 2; p++) {
      Random r = new Random(300 + p);
      List<Row> rows = new ArrayList<>();
      for (long id = 0; id < 40; id++) {
        // The same id under two branches is two keys.
        for (int b = 0; b < 2; b++) {
          String branch = branches[(int) ((id + b) % branches.length)];
          Row row = RowFactory.create(branch, id, v(r), v(r), v(r));
          rows.add(row);
          BigDecimal[] acc = expected.computeIfAbsent(branch + "|" + id,
              k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO});
          for (int j = 0; j < DIMS; j++) {
            acc[j] = acc[j].add(BigDecimal.valueOf(row.getDouble(2 + j)));
          }
        }
      }
      Collections.shuffle(rows, r);
      tables.put(h.ids.get(p), spark.createDataFrame(rows, schema));
    }
    JobHarness.Results results = h.runAll(spark, spec(h, "guest", List.of("branch", "id")), tables);
    assertThat(results.errors()).isEmpty();
    List<Row> z = results.outcomes().get("guest").details(FeatureAggregationResult.class).z().orElseThrow()
        .collectAsList();
    assertThat(z).hasSize(80);
    for (Row row : z) {
      BigDecimal[] want = expected.get(row.getString(0) + "|" + row.getString(1));
      assertThat(want).as(row.toString()).isNotNull();
      for (int j = 0; j < DIMS; j++) {
        assertThat(row.getDecimal(2 + j)).isEqualByComparingTo(want[j]);
      }
    }
  }

  @Test
  void misalignedRowsStopEveryPartyBeforeAnyValueIsSent() throws Exception {
    List<Long> ids = List.of(1L, 2L, 3L, 4L, 5L);
    JobHarness h = new JobHarness(dir, List.of("guest", "host"), 6);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    inputs.put("guest", rows(ids, 1));
    inputs.put("host", rows(List.of(1L, 2L, 3L, 4L, 6L), 2));
    Map<String, Object> rs = run(h, inputs, "guest");
    assertThat(rs.get("guest")).isInstanceOf(InvalidInputException.class);
    assertThat(((Exception) rs.get("guest")).getMessage()).contains("host's rows are not aligned")
        .contains("different keys");
    assertThat(h.channel.streams()).as("no data stream was even created").isEmpty();
  }

  @Test
  void anAlignmentCheckNotSealedForThisPartyIsAProtocolErrorNamingItsSender() throws Exception {
    JobHarness h = new JobHarness(dir, List.of("guest", "host"), 9);
    JobSpec spec = spec(h, "guest");
    try (HostilePeer host = HostilePeer.approve(h, spec, "host")) {
      host.commitInput("ab".repeat(32));
      // The alignment check in the clear, as anyone reading the topic could have written it.
      host.notice(FeatureAggregation.STEP_ALIGN, ByteBuffer.allocate(8 + 64).putLong(3)
          .put("00".repeat(32).getBytes(StandardCharsets.US_ASCII)).array());
      JobHarness.Results r = JobHarness.runRequests(spark, Map.of("guest", h.request(spec, "guest",
          spark.createDataFrame(rows(List.of(1L, 2L, 3L), 1), SCHEMA)).build()));
      assertThat(r.error("guest")).isInstanceOf(ProtocolException.class)
          .hasMessageContaining("Cannot accept host's alignment check");
      assertThat(((ProtocolException) r.error("guest")).peer()).isEqualTo("host");
      assertThat(((ProtocolException) r.error("guest")).step()).isEqualTo(FeatureAggregation.STEP_ALIGN);
      assertThat(h.channel.streams()).as("nothing was sent").isEmpty();
    }
  }

  @Test
  void duplicateKeysAndOutOfRangeValuesAreInputErrors() throws Exception {
    // One faulty party per job: its peer may stop first on its abort, so each job checks the error
    // of the party whose input is wrong (and that its peer learns only that it failed its checks).
    List<Row> guest = new ArrayList<>(rows(List.of(1L, 2L, 3L), 1));
    guest.add(RowFactory.create(3L, 1.0, 2.0, 3.0));
    Map<String, Object> rs = run(new JobHarness(dir, List.of("guest", "host"), 7),
        Map.of("guest", guest, "host", rows(List.of(1L, 2L, 3L), 2)), "guest");
    assertThat(((Exception) rs.get("guest")).getMessage()).contains("1 row repeats a key");
    assertThat(((Exception) rs.get("host")).getMessage()).contains("guest aborted it")
        .doesNotContain("repeats");

    List<Row> host = new ArrayList<>(rows(List.of(1L, 2L), 2));
    host.add(RowFactory.create(3L, 1.0, 5000.0, null));
    rs = run(new JobHarness(dir, List.of("guest", "host"), 8),
        Map.of("guest", rows(List.of(1L, 2L, 3L), 1), "host", host), "guest");
    assertThat(((Exception) rs.get("host")).getMessage()).contains("1 row has a value outside the declared range")
        .doesNotContain("5000");
    assertThat(((Exception) rs.get("guest")).getMessage()).contains("host aborted it")
        .doesNotContain("declared range");
  }
}
