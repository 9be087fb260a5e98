package io.veil.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.InvalidInputException;
import io.veil.psi.KeyNormalization;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.FeatureAggregateSpec;
import io.veil.testing.SparkTestSession;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
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

  private static FeatureAggregateSpec spec(String result) {
    return new FeatureAggregateSpec(result, DIMS, 4, new BigDecimal("1000"), KeyNormalization.DEFAULT, 3, 7);
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

  private Map<String, Object> run(Parties ps, Map<String, List<Row>> inputs, String result) throws Exception {
    Map<String, Callable<Object>> tasks = new LinkedHashMap<>();
    for (String id : ps.ids) {
      Dataset<Row> in = spark.createDataFrame(inputs.get(id), SCHEMA);
      AggregationContext c = ps.context(id, ps.ids, result);
      tasks.put(id, () -> {
        try {
          return FeatureAggregation.run(spark, in, spec(result), List.of("id"), List.of("a", "b", "c"), c);
        } catch (RuntimeException e) {
          return e;
        }
      });
    }
    List<Object> out = ps.run(tasks);
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < ps.ids.size(); i++) {
      m.put(ps.ids.get(i), out.get(i));
    }
    return m;
  }

  @Test
  void threePartiesGetTheRowWiseSum() throws Exception {
    List<Long> ids = new ArrayList<>();
    for (long i = 0; i < 150; i++) {
      ids.add(i * 7919 % 100_003);
    }
    Parties ps = new Parties(dir, List.of("guest", "host_1", "host_2"), 5);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      inputs.put(ps.ids.get(i), rows(ids, 100 + i));
    }
    Map<String, Object> rs = run(ps, inputs, "guest");
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
    for (String id : ps.ids) {
      assertThat(((FeatureAggregationResult) rs.get(id)).inputCommitment()).as(id)
          .contains(DatasetCommitment.compute(spark.createDataFrame(inputs.get(id), SCHEMA), new byte[16]));
    }
  }

  @Test
  void misalignedRowsStopEveryPartyBeforeAnyValueIsSent() throws Exception {
    List<Long> ids = List.of(1L, 2L, 3L, 4L, 5L);
    Parties ps = new Parties(dir, List.of("guest", "host"), 6);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    inputs.put("guest", rows(ids, 1));
    inputs.put("host", rows(List.of(1L, 2L, 3L, 4L, 6L), 2));
    Map<String, Object> rs = run(ps, inputs, "guest");
    assertThat(rs.get("guest")).isInstanceOf(InvalidInputException.class);
    assertThat(((Exception) rs.get("guest")).getMessage()).contains("host's rows are not aligned")
        .contains("different keys");
    assertThat(ps.channel.streams()).as("no data stream was even created").isEmpty();
  }

  @Test
  void duplicateKeysAndOutOfRangeValuesAreInputErrors() throws Exception {
    Parties ps = new Parties(dir, List.of("guest", "host"), 7);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    List<Row> guest = new ArrayList<>(rows(List.of(1L, 2L, 3L), 1));
    guest.add(RowFactory.create(3L, 1.0, 2.0, 3.0));
    inputs.put("guest", guest);
    List<Row> host = new ArrayList<>(rows(List.of(1L, 2L), 2));
    host.add(RowFactory.create(3L, 1.0, 5000.0, null));
    inputs.put("host", host);
    Map<String, Object> rs = run(ps, inputs, "guest");
    assertThat(((Exception) rs.get("guest")).getMessage()).contains("1 row repeats a key");
    assertThat(((Exception) rs.get("host")).getMessage()).contains("1 row has a value outside the declared range")
        .doesNotContain("5000");
  }
}
