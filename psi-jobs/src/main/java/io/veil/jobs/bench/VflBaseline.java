package io.veil.jobs.bench;

import static org.apache.spark.sql.functions.callUDF;
import static org.apache.spark.sql.functions.col;

import io.veil.psi.KeyNormalization;
import io.veil.vfl.internal.VflRows;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
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
 * The plaintext side of {@link VflBench}, run by {@link BenchWorker} in its own JVM (like a party): joins the guest and
 * host CSV files on id, holds out exactly the rows vfl-train holds out ({@link VflRows#isTest} with
 * the same seed and test fraction), trains MLlib's {@link LogisticRegression} on the training rows
 * (every feature of both parties: the centralised model; then guest's features alone: the label
 * party without federation) and scores the held-out rows with {@link BinaryClassificationEvaluator}
 * (area under ROC). Prints its figures at the end as one JSON object on standard output.
 *
 * <pre>
 * BenchWorker plain-vfl master=local[1] guest=FILE host=FILE seed=42 testFraction=0.2
 * </pre>
 */
final class VflBaseline {
  private final BiConsumer<String, Object> figures;

  private VflBaseline(BiConsumer<String, Object> figures) {
    this.figures = figures;
  }

  /** Runs the baseline with {@link BenchWorker}'s session, recording its figures with {@code figures}. */
  static void run(SparkSession spark, Map<String, String> o, BiConsumer<String, Object> figures) {
    new VflBaseline(figures).centralised(spark, o);
  }

  private void centralised(SparkSession spark, Map<String, String> o) {
    long seed = Long.parseLong(o.get("seed"));
    double testFraction = Double.parseDouble(o.get("testFraction"));
    spark.udf().register("vfl_is_test", (UDF1<String, Boolean>) id ->
        VflRows.isTest(seed, testFraction, VflRows.sortKey(KeyNormalization.DEFAULT, id)), DataTypes.BooleanType);

    long t0 = System.nanoTime();
    Dataset<Row> guest = read(spark, o.get("guest"), "g_");
    Dataset<Row> host = read(spark, o.get("host"), "h_");
    Dataset<Row> joined = guest.join(host, "id").withColumn("test", callUDF("vfl_is_test", col("id"))).cache();
    long rows = joined.count();
    figures.accept("join_ms", (System.nanoTime() - t0) / 1_000_000);
    figures.accept("rows", rows);

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
    figures.accept("features_all", all.size());
    figures.accept("features_guest", guestFeatures.size());
    Dataset<Row> train = joined.filter(col("test").equalTo(false));
    Dataset<Row> test = joined.filter(col("test"));
    figures.accept("train_rows", train.count());
    figures.accept("test_rows", test.count());
    figures.accept("test_positives", test.filter(col("label").equalTo(1.0)).count());

    fitAndScore("all", all, train, test, true);
    fitAndScore("guest", guestFeatures, train, test, false);
    figures.accept("total_ms", (System.nanoTime() - t0) / 1_000_000);
  }

  /** Trains LR on {@code features} over {@code train} (timed), scores {@code test}; optionally fits once more. */
  private void fitAndScore(String tag, List<String> features, Dataset<Row> train, Dataset<Row> test,
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
    figures.accept(tag + "_fit_ms", fitMs);
    figures.accept(tag + "_fit_cpu_ms", fitCpuMs);
    if (warmRefit) {
      // The first fit in this JVM also pays for class loading and JIT; a second, identical fit does not.
      long t1 = System.nanoTime();
      new LogisticRegression().setLabelCol("label").setFeaturesCol("features").fit(tr);
      figures.accept(tag + "_refit_ms", (System.nanoTime() - t1) / 1_000_000);
    }
    figures.accept(tag + "_iterations", m.summary().totalIterations());
    figures.accept(tag + "_test_auc", String.format(Locale.ROOT, "%.6f", auc));
    figures.accept(tag + "_train_auc", String.format(Locale.ROOT, "%.6f", trainAuc));
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
