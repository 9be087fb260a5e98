package io.veil.job.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.job.JobOutcome;
import io.veil.spec.JobSpec;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.LongStream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
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
 * A job's Spark work is named after its protocol steps, as the Spark UI and history server show it:
 * a group per party's run, a description per step; a caller's own group (the Thrift server's
 * statement) is kept, and the thread's group and description come back when the run ends.
 */
class SparkStepsTest {
  private static SparkSession spark;
  private static final List<String[]> started = Collections.synchronizedList(new ArrayList<>());
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("SparkStepsTest");
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart e) {
        Properties p = e.properties();
        started.add(new String[] {p.getProperty("spark.jobGroup.id"), p.getProperty("spark.job.description")});
      }
    });
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** The (group, description) of every Spark job started so far, once the listener bus has caught up. */
  private static List<String[]> jobs(int atLeast) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (started.size() < atLeast && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    return List.copyOf(started);
  }

  private static Dataset<Row> ids(long from, long to) {
    List<Row> rows = new ArrayList<>();
    LongStream.range(from, to).forEach(i -> rows.add(RowFactory.create("c-" + i)));
    return spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType));
  }

  @Test
  void everyStepOfAPsiJobIsADescribedSparkJobInTheRunsGroup() throws Exception {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec spec = h.spec("named-steps", "psi", List.of(
        h.party("bank_a", JobHarness.input(List.of("id"), null), JobHarness.output()),
        h.party("bank_b", JobHarness.input(List.of("id"), null), JobHarness.output())),
        Map.of("mode", "rows", "partitions", 2, "batchRows", 16));
    started.clear();
    Map<String, JobOutcome> out;
    try (var inSpark = io.veil.psi.internal.DriverLocalLimit.set(-1)) { // small inputs' steps run on the driver
      out = h.run(spark, spec, Map.of("bank_a", ids(0, 50), "bank_b", ids(30, 90)));
    }
    assertThat(out.get("bank_a").output().orElseThrow().count()).isEqualTo(20);

    List<String[]> jobs = jobs(8);
    for (String party : List.of("bank_a", "bank_b")) {
      List<String> descriptions = jobs.stream().filter(j -> ("veil-" + spec.jobId() + "-" + party).equals(j[0]))
          .map(j -> j[1]).toList();
      String label = "Veil psi named-steps at " + party + ": ";
      assertThat(descriptions).as(party).isNotEmpty().allMatch(d -> d.startsWith(label));
      assertThat(descriptions.stream().map(d -> d.substring(label.length(), d.indexOf(" (", label.length()))))
          .as(party + "'s steps").contains("input", "blind-1", "blind-2", "match");
    }
  }

  @Test
  void aCallersGroupIsKeptAndTheThreadsPropertiesComeBack() throws Exception {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec spec = h.spec("kept-group", "psi", List.of(
        h.party("bank_a", JobHarness.input(List.of("id"), null), null),
        h.party("bank_b", JobHarness.input(List.of("id"), null), JobHarness.output())),
        Map.of("mode", "cardinality", "recipients", List.of("bank_b"), "partitions", 2, "batchRows", 16));
    var sc = spark.sparkContext();
    sc.setJobGroup("statement-7", "SELECT * FROM veil_psi(...)", true);
    started.clear();
    try (SparkSteps named = SparkSteps.open(spark, spec, "bank_a")) {
      SparkSteps.describe(spark, spec, "bank_a", "blind-1", "blinding");
      ids(0, 10).count();
    }
    assertThat(jobs(1).get(0)).containsExactly("statement-7", "Veil psi kept-group at bank_a: blind-1 (blinding)");
    assertThat(sc.getLocalProperty("spark.jobGroup.id")).isEqualTo("statement-7");
    assertThat(sc.getLocalProperty("spark.job.description")).isEqualTo("SELECT * FROM veil_psi(...)");
    assertThat(sc.getLocalProperty("spark.job.interruptOnCancel")).isEqualTo("true");

    sc.clearJobGroup();
    try (SparkSteps named = SparkSteps.open(spark, spec, "bank_a")) {
      assertThat(sc.getLocalProperty("spark.jobGroup.id")).isEqualTo("veil-" + spec.jobId() + "-bank_a");
    }
    assertThat(sc.getLocalProperty("spark.jobGroup.id")).isNull();
    assertThat(sc.getLocalProperty("spark.job.description")).isNull();
  }
}
