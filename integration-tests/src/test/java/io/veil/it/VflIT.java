package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.jobs.PartyProcess;
import io.veil.jobs.demo.DemoData;
import io.veil.psi.KeyNormalization;
import io.veil.vfl.internal.ModelTable;
import io.veil.vfl.internal.VflRows;
import io.veil.vfl.model.Loss;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vertical federated training and joint prediction on the shipped default_credit data, each party
 * its own JVM over one real Kafka broker: the federated logistic regression's test AUC is within
 * 0.005 of MLlib's centralised logistic regression on the joined rows and the same split (two
 * parties, and a label party with two feature parties); joint prediction equals the plaintext
 * composition of the parties' model parts; a model part that is not the one the spec pins is
 * refused before anything is sent; and nothing on the broker is a feature, label, Z or gradient in
 * clear.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VflIT {
  private static final long RUN_MS = 600_000;
  private static final long SEED = 42;
  private static final double AUC_BAR = 0.005;
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static AggregateFixture fx;
  static SparkSession spark;
  static double centralAuc;
  static Map<String, PartyProcess> trained;
  static List<String> guestColumns;
  static List<String> hostColumns;

  @BeforeAll
  static void start() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    fx = new AggregateFixture(dir.resolve("work"), broker.bootstrapServers(), List.of("guest", "host", "partner"),
        20261203L);
    guestColumns = copy(DemoData.GUEST, "guest.csv", null);
    hostColumns = copy(DemoData.HOST, "host.csv", null);
    // The three-party split: guest keeps y and x0..x6; partner holds guest's x7..x12.
    copy(DemoData.GUEST, "guest3.csv", List.of("id", "y", "x0", "x1", "x2", "x3", "x4", "x5", "x6"));
    copy(DemoData.GUEST, "partner.csv", List.of("id", "x7", "x8", "x9", "x10", "x11", "x12"));
    spark = SparkSession.builder().appName("vfl-it-baseline").master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();
    centralAuc = centralisedAuc();
  }

  @AfterAll
  static void stop() {
    if (trained != null) {
      trained.values().forEach(PartyProcess::close);
    }
    if (spark != null) {
      spark.stop();
    }
    if (broker != null) {
      broker.close();
    }
  }

  /** Copies a shipped CSV into the work dir, keeping {@code keep} columns (all when null); returns its header. */
  private static List<String> copy(String shipped, String file, List<String> keep) throws Exception {
    Path out = fx.work.resolve("data/" + file);
    try (BufferedReader in = DemoData.reader(Optional.empty(), shipped);
        BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      List<String> header = List.of(in.readLine().split(","));
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < header.size(); i++) {
        if (keep == null || keep.contains(header.get(i))) {
          idx.add(i);
        }
      }
      w.write(String.join(",", idx.stream().map(header::get).toList()));
      w.newLine();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] cells = line.split(",");
        w.write(String.join(",", idx.stream().map(i -> cells[i]).toList()));
        w.newLine();
      }
      return idx.stream().map(header::get).toList();
    }
  }

  private static Dataset<Row> csv(String file) {
    return spark.read().option("header", true).option("inferSchema", true).csv(fx.work.resolve("data/" + file)
        .toString()).withColumn("id", functions.col("id").cast("string"));
  }

  /** MLlib's logistic regression on the joined rows, trained and scored on vfl-train's split (seed 42, 0.2). */
  private static double centralisedAuc() {
    Dataset<Row> host = csv("host.csv");
    for (String c : hostColumns.subList(1, hostColumns.size())) {
      host = host.withColumnRenamed(c, "host_" + c);
    }
    spark.udf().register("held_out", (org.apache.spark.sql.api.java.UDF1<String, Boolean>) id ->
        VflRows.isTest(SEED, 0.2, VflRows.sortKey(KeyNormalization.DEFAULT, id)), DataTypes.BooleanType);
    Dataset<Row> joined = csv("guest.csv").join(host, "id").withColumn("test", functions.callUDF("held_out",
        functions.col("id"))).withColumn("label", functions.col("y").cast("double"));
    List<String> features = new ArrayList<>(guestColumns.subList(2, guestColumns.size()));
    hostColumns.subList(1, hostColumns.size()).forEach(c -> features.add("host_" + c));
    Dataset<Row> data = new VectorAssembler().setInputCols(features.toArray(new String[0])).setOutputCol("features")
        .transform(joined);
    var model = new LogisticRegression().fit(data.filter("NOT test"));
    return new BinaryClassificationEvaluator().evaluate(model.transform(data.filter("test")));
  }

  /** A CSV input with typed columns (CSV columns are text unless the spec's schema types them). */
  private static String input(String file, List<String> columns) {
    return "{format: csv, path: " + fx.work.resolve("data/" + file) + ", keyColumns: [id], columns: ["
        + String.join(", ", columns) + "], schema: {" + String.join(", ", columns.stream()
        .map(c -> c + ": " + (c.equals("y") ? "int" : "double")).toList()) + "}}";
  }

  private static Path trainSpec(String name, Map<String, String> inputs, String label) throws Exception {
    List<String> lines = new ArrayList<>(List.of("version: 1", "name: " + name, "operator: vfl-train",
        "peerTimeoutMs: 300000", "parties:"));
    inputs.forEach((p, in) -> {
      lines.add("  - id: " + p);
      lines.add("    publicKey: " + fx.publicKeys.get(p));
      lines.add("    input: " + in);
      lines.add("    output: {path: " + fx.work.resolve("out/" + name + "/" + p) + ", format: parquet}");
    });
    lines.addAll(List.of("vflTrain:", "  labelParty: " + label, "  labelColumn: y", "  epochs: 15",
        "  batchSize: 256", "  learningRate: 0.01", "  seed: " + SEED, "  testFraction: 0.2", "  partitions: 2"));
    return fx.writeSpec(name + ".yaml", String.join("\n", lines));
  }

  private static void assertSucceeded(Map<String, PartyProcess> ps) throws InterruptedException {
    for (PartyProcess p : ps.values()) {
      assertThat(AggregateFixture.exit(p)).as(p.name() + " exit code; its log: " + p.name()).isZero();
    }
  }

  @Test
  @Order(1)
  void twoPartyLogisticRegressionIsWithinTheBarOfCentralisedTraining() throws Exception {
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("guest", input("guest.csv", guestColumns.subList(1, guestColumns.size())));
    inputs.put("host", input("host.csv", hostColumns.subList(1, hostColumns.size())));
    trained = fx.runAll(trainSpec("vfl2", inputs, "guest"), List.of("guest", "host"), RUN_MS);
    assertSucceeded(trained);
    double auc = Double.parseDouble(PsiFixture.figure(trained.get("guest"), "testAuc"));
    assertThat(auc).as("federated test AUC %s vs centralised %s", auc, centralAuc)
        .isBetween(centralAuc - AUC_BAR, centralAuc + AUC_BAR);
    assertThat(PsiFixture.figure(trained.get("host"), "testAuc")).isNull();
    assertThat(PsiFixture.figure(trained.get("host"), "trainRows")).isEqualTo(PsiFixture.figure(trained.get("guest"),
        "trainRows"));
    for (String p : List.of("guest", "host")) {
      Path part = fx.work.resolve("out/vfl2/" + p);
      ModelTable m = ModelTable.read(spark.read().parquet(part.toString()), part.toString());
      assertThat(m.sha256()).as(p + "'s written part hashes as its receipt says")
          .isEqualTo(PsiFixture.figure(trained.get(p), "modelSha256"));
      assertThat(m.top() != null).isEqualTo(p.equals("guest"));
    }
  }

  @Test
  @Order(2)
  void jointPredictionEqualsThePlaintextCompositionAndRefusesAnotherModel() throws Exception {
    String job = trained.get("guest").outcome().path("jobId").asText();
    Map<String, ModelTable> parts = new LinkedHashMap<>();
    for (String p : List.of("guest", "host")) {
      Path part = fx.work.resolve("out/vfl2/" + p);
      parts.put(p, ModelTable.read(spark.read().parquet(part.toString()), part.toString()));
    }
    Path spec = predictSpec("vfl2-predict", job, parts.get("guest").sha256(), parts.get("host").sha256());
    Map<String, PartyProcess> ps = fx.runAll(spec, List.of("guest", "host"), RUN_MS);
    assertSucceeded(ps);
    Dataset<Row> scores = spark.read().parquet(fx.work.resolve("out/vfl2-predict/guest").toString());
    Map<String, double[]> guest = features("guest.csv", parts.get("guest").features());
    Map<String, double[]> host = features("host.csv", parts.get("host").features());
    List<Row> rows = scores.collectAsList();
    assertThat(rows).hasSize(guest.size());
    for (Row r : rows) {
      String id = r.getString(0);
      double[] z = parts.get("guest").bottom().forward(guest.get(id), 1);
      double[] zh = parts.get("host").bottom().forward(host.get(id), 1);
      for (int j = 0; j < z.length; j++) {
        z[j] += zh[j];
      }
      double expected = Loss.sigmoid(parts.get("guest").top().forward(z, 1))[0];
      assertThat(r.getDouble(1)).as("score of " + id).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6));
    }
    assertThat(Files.exists(fx.work.resolve("out/vfl2-predict/host"))).isFalse();

    // A spec pinning another model: the host refuses on its driver, before its rows are read.
    String wrong = "ab".repeat(32);
    Map<String, PartyProcess> refused = fx.runAll(predictSpec("vfl2-predict-wrong", job, parts.get("guest").sha256(),
        wrong), List.of("guest", "host"), RUN_MS);
    assertThat(AggregateFixture.exit(refused.get("host"))).isNotZero();
    assertThat(String.join("\n", refused.get("host").output())).contains("its sha256 is " + parts.get("host").sha256())
        .contains("the spec pins " + wrong);
    assertThat(AggregateFixture.exit(refused.get("guest"))).isNotZero();
    assertThat(Files.exists(fx.work.resolve("out/vfl2-predict-wrong/guest"))).isFalse();
  }

  private static Map<String, double[]> features(String file, List<String> columns) throws Exception {
    Map<String, double[]> out = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(fx.work.resolve("data/" + file));
    List<String> header = List.of(lines.get(0).split(","));
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",");
      double[] x = new double[columns.size()];
      for (int j = 0; j < x.length; j++) {
        x[j] = Double.parseDouble(cells[header.indexOf(columns.get(j))]);
      }
      out.put(cells[0], x);
    }
    return out;
  }

  private static Path predictSpec(String name, String job, String guestSha, String hostSha) throws Exception {
    List<String> lines = new ArrayList<>(List.of("version: 1", "name: " + name, "operator: vfl-predict",
        "peerTimeoutMs: 120000", "parties:",
        "  - id: guest", "    publicKey: " + fx.publicKeys.get("guest"),
        "    input: " + input("guest.csv", guestColumns.subList(2, guestColumns.size())),
        "    output: {path: " + fx.work.resolve("out/" + name + "/guest") + ", format: parquet}",
        "  - id: host", "    publicKey: " + fx.publicKeys.get("host"),
        "    input: " + input("host.csv", hostColumns.subList(1, hostColumns.size())),
        "vflPredict:", "  labelParty: guest", "  trainingJob: " + job, "  models:",
        "    guest: {path: " + fx.work.resolve("out/vfl2/guest") + ", sha256: '" + guestSha + "'}",
        "    host: {path: " + fx.work.resolve("out/vfl2/host") + ", sha256: '" + hostSha + "'}",
        "  batchSize: 1024"));
    return fx.writeSpec(name + ".yaml", String.join("\n", lines));
  }

  @Test
  @Order(3)
  void aLabelPartyWithTwoFeaturePartiesIsWithinTheBarToo() throws Exception {
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("guest", input("guest3.csv", List.of("y", "x0", "x1", "x2", "x3", "x4", "x5", "x6")));
    inputs.put("host", input("host.csv", hostColumns.subList(1, hostColumns.size())));
    inputs.put("partner", input("partner.csv", List.of("x7", "x8", "x9", "x10", "x11", "x12")));
    Map<String, PartyProcess> ps = fx.runAll(trainSpec("vfl3", inputs, "guest"), List.of("guest", "host", "partner"),
        RUN_MS);
    assertSucceeded(ps);
    double auc = Double.parseDouble(PsiFixture.figure(ps.get("guest"), "testAuc"));
    assertThat(auc).as("federated test AUC %s vs centralised %s", auc, centralAuc)
        .isBetween(centralAuc - AUC_BAR, centralAuc + AUC_BAR);
  }

  /**
   * Every data record on the broker is a signed batch whose payload is an Arrow IPC matrix of
   * int64 ring elements; read as the Kafka operator would, they look uniformly random: a clear Z
   * (fixed point 2^-24) or dL/dZ (2^-40), or a label, would be far below 2^44 in magnitude, which a
   * uniform element is with probability 2^-19. No feature value of the inputs appears as a double.
   */
  @Test
  @Order(4)
  void nothingOnTheBrokerIsAFeatureLabelZOrGradientInClear() throws Exception {
    BrokerView view = BrokerView.read(broker.bootstrapServers());
    assertThat(view.unreadable).isEmpty();
    long elements = 0;
    long small = 0;
    int streams = 0;
    try (RootAllocator allocator = new RootAllocator(Long.MAX_VALUE)) {
      for (BrokerView.DataRecord d : view.data) {
        if (!d.stream().contains(".vfl-")) {
          continue;
        }
        streams++;
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(d.payload()), allocator)) {
          VectorSchemaRoot root = reader.getVectorSchemaRoot();
          while (reader.loadNextBatch()) {
            for (FieldVector f : root.getFieldVectors()) {
              BigIntVector v = (BigIntVector) f;
              for (int i = 0; i < v.getValueCount(); i++) {
                elements++;
                if (Math.abs(v.get(i)) < (1L << 44)) {
                  small++;
                }
              }
            }
          }
        }
      }
    }
    assertThat(streams).as("vfl batches on the broker").isGreaterThan(1000);
    assertThat(elements).isGreaterThan(500_000);
    assertThat(small).as("elements of %s that could be clear values", elements).isLessThanOrEqualTo(10);

    List<byte[]> segments = AggregateFixture.segments(broker);
    Map<String, double[]> host = features("host.csv", hostColumns.subList(1, hostColumns.size()));
    int checked = 0;
    for (double[] x : host.values()) {
      for (double v : x) {
        if (Math.abs(v) > 1e-3 && checked++ < 200) {
          for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
            byte[] bytes = ByteBuffer.allocate(8).order(order).putDouble(v).array();
            assertThat(PsiEndToEndIT.contains(segments, bytes)).as("feature value " + v + " in clear").isFalse();
          }
        }
      }
    }
  }
}
