package io.veil.jobs.bench;

import static org.apache.spark.sql.functions.callUDF;
import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veil.psi.KeyNormalization;
import io.veil.vfl.internal.VflRows;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;

/**
 * The plaintext side of {@link VflBench}, run as its own JVM (like a party): joins the guest and
 * host CSV files on id, holds out exactly the rows vfl-train holds out ({@link VflRows#isTest} with
 * the same seed and test fraction), trains MLlib's {@link LogisticRegression} on the training rows
 * (every feature of both parties: the centralised model; then guest's features alone: the label
 * party without federation) and scores the held-out rows with {@link BinaryClassificationEvaluator}
 * (area under ROC). Prints its figures at the end as one JSON object on standard output.
 *
 * <pre>
 * VflWorker master=local[1] guest=FILE host=FILE seed=42 testFraction=0.2
 * </pre>
 */
public final class VflWorker {
  private static final Map<String, Object> FIGURES = new LinkedHashMap<>();

  private VflWorker() {}

  public static void main(String[] argv) {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "classpath:io/veil/jobs/veil-cli-log4j2.properties");
    }
    Map<String, String> o = new LinkedHashMap<>();
    for (String a : argv) {
      int eq = a.indexOf('=');
      o.put(a.substring(0, eq), a.substring(eq + 1));
    }
    long s0 = System.nanoTime();
    SparkSession spark = SparkSession.builder().appName("veil-vfl-bench-worker").master(o.get("master"))
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();
    FIGURES.put("session_ms", (System.nanoTime() - s0) / 1_000_000);
    int code = 0;
    try {
      centralised(spark, o);
    } catch (RuntimeException e) {
      e.printStackTrace();
      code = 1;
    } finally {
      spark.stop();
    }
    try {
      System.out.println(new ObjectMapper().writeValueAsString(FIGURES));
    } catch (JsonProcessingException e) {
      e.printStackTrace();
      code = 1;
    }
    System.out.flush();
    System.exit(code);
  }

  private static void centralised(SparkSession spark, Map<String, String> o) {
    long seed = Long.parseLong(o.get("seed"));
    double testFraction = Double.parseDouble(o.get("testFraction"));
    spark.udf().register("vfl_is_test", (UDF1<String, Boolean>) id ->
        VflRows.isTest(seed, testFraction, VflRows.sortKey(KeyNormalization.DEFAULT, id)), DataTypes.BooleanType);

    long t0 = System.nanoTime();
    Dataset<Row> guest = read(spark, o.get("guest"), "g_");
    Dataset<Row> host = read(spark, o.get("host"), "h_");
    Dataset<Row> joined = guest.join(host, "id").withColumn("test", callUDF("vfl_is_test", col("id"))).cache();
    long rows = joined.count();
    FIGURES.put("join_ms", (System.nanoTime() - t0) / 1_000_000);
    FIGURES.put("rows", rows);

    List<String> guestFeatures = new ArrayList<>();
    List<String> all = new ArrayList<>();
    for (String c : joined.columns()) {
      if (c.startsWith("g_x")) {
        guestFeatures.add(c);
      }
      if (c.startsWith("g_x") || c.startsWith("h_x")) {
        all.add(c);
      }
    }
    FIGURES.put("features_all", all.size());
    FIGURES.put("features_guest", guestFeatures.size());
    Dataset<Row> train = joined.filter(col("test").equalTo(false));
    Dataset<Row> test = joined.filter(col("test"));
    FIGURES.put("train_rows", train.count());
    FIGURES.put("test_rows", test.count());
    FIGURES.put("test_positives", test.filter(col("label").equalTo(1.0)).count());

    fitAndScore("all", all, train, test, true);
    fitAndScore("guest", guestFeatures, train, test, false);
    FIGURES.put("total_ms", (System.nanoTime() - t0) / 1_000_000);
  }

  /** Trains LR on {@code features} over {@code train} (timed), scores {@code test}; optionally fits once more. */
  private static void fitAndScore(String tag, List<String> features, Dataset<Row> train, Dataset<Row> test,
      boolean warmRefit) {
    VectorAssembler va = new VectorAssembler().setInputCols(features.toArray(String[]::new)).setOutputCol("features");
    Dataset<Row> tr = va.transform(train).select("features", "label").cache();
    tr.count(); // materialise outside the timed fit
    Dataset<Row> te = va.transform(test).select("features", "label");
    long c0 = cpuNs();
    long t0 = System.nanoTime();
    LogisticRegressionModel m = new LogisticRegression().setLabelCol("label").setFeaturesCol("features").fit(tr);
    long fitMs = (System.nanoTime() - t0) / 1_000_000;
    long fitCpuMs = (cpuNs() - c0) / 1_000_000;
    double auc = new BinaryClassificationEvaluator().setLabelCol("label").setRawPredictionCol("rawPrediction")
        .setMetricName("areaUnderROC").evaluate(m.transform(te));
    double trainAuc = new BinaryClassificationEvaluator().setLabelCol("label").setRawPredictionCol("rawPrediction")
        .setMetricName("areaUnderROC").evaluate(m.transform(tr));
    FIGURES.put(tag + "_fit_ms", fitMs);
    FIGURES.put(tag + "_fit_cpu_ms", fitCpuMs);
    if (warmRefit) {
      // The first fit in this JVM also pays for class loading and JIT; a second, identical fit does not.
      long t1 = System.nanoTime();
      new LogisticRegression().setLabelCol("label").setFeaturesCol("features").fit(tr);
      FIGURES.put(tag + "_refit_ms", (System.nanoTime() - t1) / 1_000_000);
    }
    FIGURES.put(tag + "_iterations", m.summary().totalIterations());
    FIGURES.put(tag + "_test_auc", String.format(Locale.ROOT, "%.6f", auc));
    FIGURES.put(tag + "_train_auc", String.format(Locale.ROOT, "%.6f", trainAuc));
    tr.unpersist();
  }

  /** A party's CSV file: id as a string (as vfl-train keys it), every other column as double, prefixed. */
  private static Dataset<Row> read(SparkSession spark, String path, String prefix) {
    Dataset<Row> d = spark.read().option("header", "true").csv(path);
    List<Column> cols = new ArrayList<>();
    for (String c : d.columns()) {
      if (c.equals("id")) {
        cols.add(col("id"));
      } else if (c.equals("y")) {
        cols.add(col("y").cast("double").as("label"));
      } else {
        cols.add(col(c).cast("double").as(prefix + c));
      }
    }
    return d.select(cols.toArray(Column[]::new));
  }

  private static long cpuNs() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }
}
