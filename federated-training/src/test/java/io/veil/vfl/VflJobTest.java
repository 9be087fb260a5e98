package io.veil.vfl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.veil.InvalidInputException;
import io.veil.job.JobOutcome;
import io.veil.psi.KeyNormalization;
import io.veil.spec.JobSpec;
import io.veil.testing.JobHarness;
import io.veil.vfl.internal.ModelTable;
import io.veil.vfl.internal.VflRows;
import io.veil.vfl.model.Loss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
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
 * vfl-train and vfl-predict with every party in one JVM (in-memory channel): the federated model
 * against MLlib's centralised logistic regression on the same split, prediction against the plaintext
 * composition of the parties' model parts, and bad input refused before anything is sent.
 */
class VflJobTest {
  private static final int ROWS = 3000;
  private static final long SEED = 7;
  private static SparkSession spark;
  @TempDir static Path dir;
  /** Per row id: guest's label and features, host's features. */
  private static final Map<String, double[]> GUEST = new LinkedHashMap<>();
  private static final Map<String, double[]> HOST = new LinkedHashMap<>();

  @BeforeAll
  static void start() {
    // Four task slots: every party's tasks of one partition must run at the same time.
    spark = SparkSession.builder().appName("vfl-job-test").master("local[4]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .getOrCreate();
    Random r = new Random(11);
    for (int i = 0; i < ROWS; i++) {
      double[] g = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
      double[] h = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
      double logit = 1.5 * g[0] - g[1] + 0.8 * h[0] + 1.2 * h[1] - 0.5 * h[3] + 0.3;
      double y = r.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
      GUEST.put("c" + i, new double[] {y, g[0], g[1], g[2]});
      HOST.put("c" + i, h);
    }
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Dataset<Row> table(Map<String, double[]> rows, List<String> columns) {
    StructType schema = new StructType().add("id", DataTypes.StringType, true);
    for (String c : columns) {
      schema = schema.add(c, DataTypes.DoubleType, true);
    }
    List<Row> out = new ArrayList<>();
    rows.forEach((id, v) -> {
      Object[] cells = new Object[v.length + 1];
      cells[0] = id;
      for (int j = 0; j < v.length; j++) {
        cells[j + 1] = v[j];
      }
      out.add(RowFactory.create(cells));
    });
    return spark.createDataFrame(out, schema);
  }

  private static Dataset<Row> guest() {
    return table(GUEST, List.of("y", "g0", "g1", "g2"));
  }

  private static Dataset<Row> host() {
    return table(HOST, List.of("h0", "h1", "h2", "h3"));
  }

  private static JobSpec trainSpec(JobHarness h, Map<String, List<String>> columns, Map<String, Object> extra) {
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String id : h.ids) {
      parties.add(h.party(id, JobHarness.input(List.of("id"), columns.get(id)), JobHarness.output()));
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("labelParty", h.ids.get(0));
    section.put("labelColumn", "y");
    section.put("epochs", 6);
    section.put("batchSize", 64);
    section.put("learningRate", 0.05);
    section.put("seed", SEED);
    section.put("partitions", 2);
    section.putAll(extra);
    return h.spec("vfl-test", "vfl-train", parties, section);
  }

  private static final Map<String, List<String>> TWO = Map.of(
      "guest", List.of("y", "g0", "g1", "g2"), "host", List.of("h0", "h1", "h2", "h3"));

  /** MLlib's logistic regression on the joined rows, trained and scored on vfl-train's split. */
  private static double centralisedAuc() {
    List<Row> rows = new ArrayList<>();
    for (String id : GUEST.keySet()) {
      double[] g = GUEST.get(id);
      double[] h = HOST.get(id);
      boolean test = VflRows.isTest(SEED, 0.2, VflRows.sortKey(KeyNormalization.DEFAULT, id));
      rows.add(RowFactory.create(test, g[0], g[1], g[2], g[3], h[0], h[1], h[2], h[3]));
    }
    StructType schema = new StructType().add("test", DataTypes.BooleanType).add("label", DataTypes.DoubleType);
    for (String c : List.of("g0", "g1", "g2", "h0", "h1", "h2", "h3")) {
      schema = schema.add(c, DataTypes.DoubleType);
    }
    Dataset<Row> joined = new VectorAssembler().setInputCols(new String[] {"g0", "g1", "g2", "h0", "h1", "h2", "h3"})
        .setOutputCol("features").transform(spark.createDataFrame(rows, schema));
    var model = new LogisticRegression().fit(joined.filter("NOT test"));
    return new BinaryClassificationEvaluator().evaluate(model.transform(joined.filter("test")));
  }

  @Test
  void twoPartiesMatchCentralisedLogisticRegressionAndPredictJointly() {
    JobHarness h = new JobHarness(dir.resolve("two"), List.of("guest", "host"), 3);
    JobSpec spec = trainSpec(h, TWO, Map.of());
    Map<String, JobOutcome> out = h.run(spark, spec, Map.of("guest", guest(), "host", host()));
    double auc = Double.parseDouble(out.get("guest").result().get("testAuc"));
    double central = centralisedAuc();
    assertThat(auc).as("federated %s vs centralised %s", auc, central).isCloseTo(central,
        org.assertj.core.data.Offset.offset(0.005));
    assertThat(out.get("host").result()).doesNotContainKeys("testAuc", "trainLoss");
    assertThat(out.get("guest").result().get("trainRows")).isEqualTo(out.get("host").result().get("trainRows"));

    // Each party keeps its part; predict with both parts on new rows.
    Map<String, String> sha = new HashMap<>();
    Map<String, ModelTable> parts = new HashMap<>();
    for (String id : h.ids) {
      Path p = dir.resolve("model-" + id);
      out.get(id).output().orElseThrow().write().parquet(p.toString());
      sha.put(id, out.get(id).result().get("modelSha256"));
      parts.put(id, ModelTable.read(spark.read().parquet(p.toString()), p.toString()));
      assertEquals(sha.get(id), parts.get(id).sha256(), "the written part hashes as the receipt says");
    }
    JobHarness p = new JobHarness(dir.resolve("predict"), List.of("guest", "host"), 3);
    JobSpec predict = predictSpec(p, out.get("guest").jobId(), sha, "guest", List.of("g0", "g1", "g2"));
    Map<String, JobOutcome> scored = p.run(spark, predict, Map.of("guest", guest(), "host", host()));
    assertThat(scored.get("host").output()).isEmpty();
    List<Row> scores = scored.get("guest").output().orElseThrow().collectAsList();
    assertThat(scores).hasSize(ROWS);
    for (Row r : scores) {
      String id = r.getString(0);
      double[] g = GUEST.get(id);
      double[] z = parts.get("guest").bottom().forward(new double[] {g[1], g[2], g[3]}, 1);
      double[] zh = parts.get("host").bottom().forward(HOST.get(id), 1);
      for (int j = 0; j < z.length; j++) {
        z[j] += zh[j];
      }
      double expected = Loss.sigmoid(parts.get("guest").top().forward(z, 1))[0];
      assertThat(r.getDouble(1)).as(id).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5));
    }
  }

  private JobSpec predictSpec(JobHarness p, String trainingJob, Map<String, String> sha, String label,
      List<String> labelColumns) {
    List<Map<String, Object>> parties = new ArrayList<>();
    Map<String, Object> models = new LinkedHashMap<>();
    for (String id : p.ids) {
      parties.add(p.party(id, JobHarness.input(List.of("id"), id.equals(label) ? labelColumns : TWO.get(id)),
          id.equals(label) ? JobHarness.output() : null));
      models.put(id, Map.of("path", dir.resolve("model-" + id).toString(), "sha256", sha.get(id)));
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("labelParty", label);
    section.put("trainingJob", trainingJob);
    section.put("models", models);
    section.put("batchSize", 500);
    return p.spec("vfl-predict-test", "vfl-predict", parties, section);
  }

  @Test
  void aLabelPartyWithoutFeaturesAndTwoFeaturePartiesWithMlpModels() {
    JobHarness h = new JobHarness(dir.resolve("three"), List.of("bank", "guest", "host"), 4);
    Map<String, double[]> labels = new LinkedHashMap<>();
    Map<String, double[]> guestFeatures = new LinkedHashMap<>();
    GUEST.forEach((id, v) -> {
      labels.put(id, new double[] {v[0]});
      guestFeatures.put(id, new double[] {v[1], v[2], v[3]});
    });
    JobSpec spec = trainSpec(h, Map.of("bank", List.of("y"), "guest", List.of("g0", "g1", "g2"), "host",
        List.of("h0", "h1", "h2", "h3")), Map.of("partitions", 1, "epochs", 4, "bottom",
        Map.of("model", "mlp", "hidden", 6, "dims", 3), "top", Map.of("model", "mlp", "hidden", 4)));
    Map<String, JobOutcome> out = h.run(spark, spec, Map.of("bank", table(labels, List.of("y")),
        "guest", table(guestFeatures, List.of("g0", "g1", "g2")), "host", host()));
    double auc = Double.parseDouble(out.get("bank").result().get("testAuc"));
    assertThat(auc).isGreaterThan(centralisedAuc() - 0.02);
    assertThat(out.get("guest").result()).doesNotContainKey("testAuc");
  }

  @Test
  void noiseOnTheGradientsOrOnZCostsAccuracyAsItsBudgetSays() {
    double loose = 0;
    for (String on : List.of("gradients", "z")) {
      JobHarness h = new JobHarness(dir.resolve("noise-" + on), List.of("guest", "host"), 8);
      Map<String, Object> noise = Map.of("noise", Map.of("on", on, "epsilon", 1000, "delta", 1e-5, "clip", 5));
      JobSpec spec = trainSpec(h, TWO, Map.of("epochs", 3, "noise", noise.get("noise")));
      loose = Double.parseDouble(h.run(spark, spec, Map.of("guest", guest(), "host", host())).get("guest").result()
          .get("testAuc"));
      assertThat(loose).as("AUC with a loose budget on " + on).isGreaterThan(centralisedAuc() - 0.02);
    }
    JobHarness h = new JobHarness(dir.resolve("noise-tight"), List.of("guest", "host"), 9);
    JobSpec tight = trainSpec(h, TWO, Map.of("epochs", 3, "noise", Map.of("on", "gradients", "epsilon", 0.01,
        "delta", 1e-5, "clip", 1)));
    double auc = Double.parseDouble(h.run(spark, tight, Map.of("guest", guest(), "host", host())).get("guest")
        .result().get("testAuc"));
    assertThat(auc).as("AUC with a tight budget on the gradients").isLessThan(loose - 0.02);
  }

  @Test
  void badInputIsRefusedBeforeAnythingIsSent() {
    JobHarness h = new JobHarness(dir.resolve("bad"), List.of("guest", "host"), 5);
    JobSpec spec = trainSpec(h, TWO, Map.of("epochs", 1));
    Map<String, double[]> badLabel = new LinkedHashMap<>(GUEST);
    badLabel.put("c5", new double[] {2, 0, 0, 0});
    JobHarness.Results r = h.runAll(spark, spec, Map.of("guest", table(badLabel, List.of("y", "g0", "g1", "g2")),
        "host", host()));
    assertThat(r.error("guest")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("1 row has a label that is neither 0 nor 1").hasMessageContaining("Nothing was sent");
    assertThat(r.error("host")).isNotNull();

    Map<String, double[]> fewer = new LinkedHashMap<>(HOST);
    fewer.remove("c9");
    JobHarness h2 = new JobHarness(dir.resolve("bad2"), List.of("guest", "host"), 6);
    JobHarness.Results r2 = h2.runAll(spark, trainSpec(h2, TWO, Map.of("epochs", 1)), Map.of("guest", guest(),
        "host", table(fewer, List.of("h0", "h1", "h2", "h3"))));
    assertThat(r2.error("guest")).hasMessageContaining("not aligned").hasMessageContaining("2999 rows");

    Map<String, double[]> nullFeature = new LinkedHashMap<>(HOST);
    nullFeature.put("c1", new double[] {Double.NaN, 0, 0, 0});
    JobHarness h3 = new JobHarness(dir.resolve("bad3"), List.of("guest", "host"), 7);
    JobHarness.Results r3 = h3.runAll(spark, trainSpec(h3, TWO, Map.of("epochs", 1)), Map.of("guest", guest(),
        "host", table(nullFeature, List.of("h0", "h1", "h2", "h3"))));
    assertThat(r3.error("host")).hasMessageContaining("NaN or infinite");
  }
}
