package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.jobs.PartyProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Veil on YARN and HDFS, as a Hadoop cluster runs it: a MiniDFSCluster and a MiniYARNCluster in
 * this JVM (127.0.0.1), a real Kafka broker, and each party submitted with {@code spark-submit
 * --master yarn} ({@code org.apache.spark.deploy.SparkSubmit} on the Spark classpath of
 * cluster-configs, the deployable jar, {@code spark.yarn.jars=local:...} so nothing is uploaded but
 * the application's files): bank_a in {@code --deploy-mode cluster} (its driver in a YARN
 * container, its ledger on HDFS), bank_b in {@code --deploy-mode client} (its driver here, its
 * ledger a local file). Inputs and outputs are on HDFS. The intersection equals the plaintext join,
 * both ledgers verify with {@code veil verify} (bank_a's read from hdfs://), and the same input is
 * then run with {@code --master local[2]} for the wall-time comparison in the README.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class YarnIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Ids per party; {@code -Dveil.yarn-it.rows=N} for the README's timing runs. */
  private static final int ROWS = Integer.getInteger("veil.yarn-it.rows", 2_000);
  @TempDir static Path dir;
  static MiniDFSCluster dfs;
  static MiniYARNCluster yarn;
  static EmbeddedKafkaBroker broker;
  static PsiFixture fx;
  static String hdfs;
  static Path hadoopConfDir;
  static Path yarnTestDir;
  static String sparkClasspath;
  static Path jar;
  static Set<String> expected;
  static final Map<String, Long> wallMs = new LinkedHashMap<>();
  static final Map<String, String> inDriver = new LinkedHashMap<>();

  @BeforeAll
  static void startClusters() throws Exception {
    long t0 = System.nanoTime();
    Configuration dfsConf = new Configuration();
    dfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("dfs").toString());
    dfsConf.setInt("dfs.replication", 1);
    dfs = new MiniDFSCluster.Builder(dfsConf).numDataNodes(1).build();
    dfs.waitActive();
    hdfs = "hdfs://127.0.0.1:" + dfs.getNameNodePort();

    YarnConfiguration yc = new YarnConfiguration();
    yc.set("fs.defaultFS", hdfs);
    yc.setInt("dfs.replication", 1);
    // The CapacityScheduler needs its queues (BUILD-NOTES); one queue with all the capacity.
    yc.set("yarn.scheduler.capacity.root.queues", "default");
    yc.set("yarn.scheduler.capacity.root.default.capacity", "100");
    // Both parties' application masters (one of them a cluster-mode driver) at once: by default the
    // CapacityScheduler gives AMs 10 % of the queue, and the second party would wait in ACCEPTED until the
    // first gave up on it.
    yc.set("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
    // Small containers on a shared 2-core machine: the NodeManager offers 6 GiB and 8 vcores.
    yc.setInt("yarn.nodemanager.resource.memory-mb", 6144);
    yc.setInt("yarn.nodemanager.resource.cpu-vcores", 8);
    yc.setInt("yarn.scheduler.minimum-allocation-mb", 128);
    yc.setInt("yarn.scheduler.maximum-allocation-mb", 2048);
    yc.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
    yc.setBoolean("yarn.nodemanager.pmem-check-enabled", false);
    yc.setFloat("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", 99.9f);
    String testName = "veil-yarn-it-" + ProcessHandle.current().pid();
    yarn = new MiniYARNCluster(testName, 1, 1, 1);
    yarn.init(yc);
    yarn.start();
    yarnTestDir = Path.of(yarn.getNodeManager(0).getConfig().get(YarnConfiguration.NM_LOG_DIRS).split(",")[0]
        .replaceFirst("^file:", ""));
    long deadline = System.currentTimeMillis() + 30_000;
    while (yarn.getConfig().get(YarnConfiguration.RM_ADDRESS, "").endsWith(":0")
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }

    // The client configuration spark-submit reads from HADOOP_CONF_DIR (and ships to the containers):
    // the running clusters' addresses, without the minicluster's topology class, which Spark's jars do not
    // have (the AM exits with ClassNotFoundException StaticMapping otherwise; BUILD-NOTES).
    Configuration client = new Configuration(yarn.getConfig());
    client.set("fs.defaultFS", hdfs);
    client.unset("net.topology.node.switch.mapping.impl");
    hadoopConfDir = Files.createDirectories(dir.resolve("hadoop-conf"));
    for (String site : List.of("core-site.xml", "hdfs-site.xml", "yarn-site.xml")) {
      try (OutputStream out = Files.newOutputStream(hadoopConfDir.resolve(site))) {
        client.writeXml(out);
      }
    }

    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    fx = new PsiFixture(dir.resolve("work"), broker.bootstrapServers());
    expected = writeInputs();

    jar = ClusterBuild.clusterJar();
    sparkClasspath = ClusterBuild.sparkClasspath();
    System.out.printf("YarnIT: HDFS %s, YARN RM %s, Kafka %s up in %d ms%n", hdfs,
        yarn.getConfig().get(YarnConfiguration.RM_ADDRESS), broker.bootstrapServers(),
        (System.nanoTime() - t0) / 1_000_000);
  }

  @AfterAll
  static void stopClusters() throws Exception {
    if (!wallMs.isEmpty()) {
      System.out.println("YarnIT wall times (" + ROWS + " ids per party, spark-submit start to exit):");
      wallMs.forEach((k, v) -> System.out.printf("  %-40s %6.1f s  (in the driver: %s)%n", k, v / 1000.0,
          inDriver.getOrDefault(k, "?")));
    }
    if (broker != null) {
      broker.close();
    }
    if (yarn != null) {
      yarn.stop();
    }
    if (dfs != null) {
      dfs.shutdown();
    }
  }

  /** Writes each party's ids to HDFS (a seeded 70 % sample of 0..N, each) and returns their intersection. */
  static Set<String> writeInputs() throws IOException {
    FileSystem fs = dfs.getFileSystem();
    java.util.Random rnd = new java.util.Random(7);
    Map<String, Set<String>> ids = new LinkedHashMap<>();
    for (String p : PsiFixture.PARTIES) {
      Set<String> mine = new TreeSet<>();
      while (mine.size() < ROWS) {
        mine.add("C" + (100_000 + rnd.nextInt((int) (ROWS / 0.7))));
      }
      ids.put(p, mine);
      StringBuilder csv = new StringBuilder("id,segment\n");
      int i = 0;
      for (String id : mine) {
        csv.append(id).append(',').append(p).append('-').append(i++ % 5).append('\n');
      }
      try (FSDataOutputStream out = fs.create(new org.apache.hadoop.fs.Path("/data/" + p + ".csv"))) {
        out.write(csv.toString().getBytes(StandardCharsets.UTF_8));
      }
    }
    Set<String> inter = new HashSet<>(ids.get("bank_a"));
    inter.retainAll(ids.get("bank_b"));
    return inter;
  }

  /** A PSI spec over the HDFS inputs, each party's output at hdfs:///out/{name}/{party}. */
  static Path writeSpec(String name) throws IOException {
    List<String> lines = new ArrayList<>(List.of("version: 1", "name: " + name, "operator: psi", "parties:"));
    for (String p : PsiFixture.PARTIES) {
      lines.addAll(List.of(
          "  - id: " + p,
          "    publicKey: " + fx.publicKeys.get(p),
          "    input: {format: csv, path: '" + hdfs + "/data/" + p + ".csv', keyColumns: [id]}",
          "    output: {format: csv, path: '" + hdfs + "/out/" + name + "/" + p + "'}"));
    }
    lines.addAll(List.of("psi:", "  mode: rows", "  recipients: [bank_a, bank_b]", "  partitions: 2",
        "peerTimeoutMs: 180000", ""));
    Path spec = fx.work.resolve(name + ".yaml");
    Files.writeString(spec, String.join("\n", lines), StandardCharsets.UTF_8);
    return spec;
  }

  /**
   * {@code spark-submit [sparkArgs] --class io.veil.jobs.VeilCli <deployable jar> run ...}, started
   * in the work directory with {@code HADOOP_CONF_DIR} set and on the classpath, as
   * {@code bin/spark-submit} does.
   */
  static PartyProcess submit(String party, List<String> sparkArgs, Path spec, String ledger) throws IOException {
    List<String> args = new ArrayList<>(sparkArgs);
    args.addAll(List.of(
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.sql.shuffle.partitions=2",
        "--class", "io.veil.jobs.VeilCli", jar.toString(),
        "run",
        "--spec", spec.getFileName().toString(),
        "--party", party,
        "--key", party + ".key",
        "--policy", "policy-" + party + ".yaml",
        "--ledger", ledger,
        "--bootstrap-servers", broker.bootstrapServers(),
        "--output", "json"));
    return PartyProcess.startJava(party, hadoopConfDir + java.io.File.pathSeparator + sparkClasspath,
        "org.apache.spark.deploy.SparkSubmit", args, "512m", List.of(), fx.work, System.out,
        Map.of("HADOOP_CONF_DIR", hadoopConfDir.toString()));
  }

  /** spark-submit's options for YARN: Spark's jars from the local disk, small containers, 127.0.0.1. */
  static List<String> yarnArgs(String deployMode, String party, Path spec) {
    String javaHome = System.getProperty("java.home");
    String localJars = Arrays.stream(sparkClasspath.split(java.io.File.pathSeparator))
        .filter(j -> j.endsWith(".jar")).map(j -> "local:" + j).collect(Collectors.joining(","));
    List<String> a = new ArrayList<>(List.of(
        "--master", "yarn", "--deploy-mode", deployMode,
        "--name", "veil-psi-" + party,
        "--files", String.join(",", fx.work.resolve(party + ".key").toString(),
            fx.work.resolve("policy-" + party + ".yaml").toString(), spec.toString()),
        "--num-executors", "1", "--executor-cores", "1", "--executor-memory", "512m",
        "--conf", "spark.executor.memoryOverhead=256m",
        "--conf", "spark.yarn.jars=" + localJars,
        "--conf", "spark.yarn.maxAppAttempts=1",
        "--conf", "spark.yarn.am.memory=256m", "--conf", "spark.yarn.am.memoryOverhead=192m",
        "--conf", "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome,
        "--conf", "spark.executorEnv.JAVA_HOME=" + javaHome,
        "--conf", "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=127.0.0.1",
        "--conf", "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1"));
    if (deployMode.equals("cluster")) {
      a.addAll(List.of("--driver-memory", "640m", "--conf", "spark.driver.memoryOverhead=256m"));
    } else {
      a.addAll(List.of("--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1"));
    }
    return a;
  }

  /** The driver's standard output of a cluster-mode application, from the NodeManager's container logs. */
  static List<String> clusterDriverStdout(PartyProcess submitter) throws IOException {
    Pattern app = Pattern.compile("(application_\\d+_\\d+)");
    String appId = submitter.output().stream().map(app::matcher).filter(Matcher::find).map(m -> m.group(1))
        .findFirst().orElseThrow(() -> new AssertionError("spark-submit printed no application id"));
    String amContainer = "container_" + appId.substring("application_".length()) + "_01_000001";
    try (Stream<Path> files = Files.walk(yarnTestDir)) {
      Optional<Path> stdout = files.filter(f -> f.getFileName().toString().equals("stdout")
          && f.getParent().getFileName().toString().equals(amContainer)).findFirst();
      assertThat(stdout).as("the driver container's stdout under " + yarnTestDir).isPresent();
      return Files.readAllLines(stdout.get(), StandardCharsets.UTF_8);
    }
  }

  /** The job's own figures: whole job and protocol phase, as the driver measured them. */
  static String inDriver(JsonNode outcome) {
    return String.format("job %.1f s, protocol %.1f s", outcome.path("elapsedMs").asLong() / 1000.0,
        outcome.path("protocolMs").asLong() / 1000.0);
  }

  static JsonNode lastJson(List<String> lines) throws IOException {
    for (int i = lines.size() - 1; i >= 0; i--) {
      String l = lines.get(i).strip();
      if (l.startsWith("{") && l.endsWith("}")) {
        return JSON.readTree(l);
      }
    }
    throw new AssertionError("no JSON outcome in " + lines);
  }

  /** First column of every row of a CSV output directory on HDFS (headers skipped). */
  static Set<String> hdfsOutputIds(String dirUri) throws IOException {
    FileSystem fs = dfs.getFileSystem();
    Set<String> ids = new HashSet<>();
    for (FileStatus st : fs.listStatus(new org.apache.hadoop.fs.Path(dirUri))) {
      if (!st.getPath().getName().startsWith("part-")) {
        continue;
      }
      try (var in = fs.open(st.getPath())) {
        List<String> rows = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        rows.stream().skip(1).forEach(r -> ids.add(r.split(",", 2)[0]));
      }
    }
    return ids;
  }

  /** {@code veil verify} from the deployable jar on Spark's classpath, as an auditor runs it. */
  static PartyProcess verify(String ledger, String party) throws IOException {
    return PartyProcess.startJava("verify-" + party, jar + java.io.File.pathSeparator + sparkClasspath,
        "io.veil.jobs.VeilCli", List.of("verify", "--ledger", ledger, "--signer", fx.publicKeys.get(party)),
        "384m", List.of(), fx.work, System.out, Map.of("HADOOP_CONF_DIR", hadoopConfDir.toString()));
  }

  @Test
  @Order(1)
  void aPsiWithOnePartyInClusterModeAndOneInClientModeOnYarnEqualsThePlaintextJoin() throws Exception {
    Path spec = writeSpec("yarn-it");
    String ledgerA = hdfs + "/veil/ledger/bank_a.jsonl";
    String ledgerB = fx.work.resolve("ledger-bank_b.jsonl").toString();
    long start = System.nanoTime();
    PartyProcess a = submit("bank_a", yarnArgs("cluster", "bank_a", spec), spec, ledgerA);
    PartyProcess b = submit("bank_b", yarnArgs("client", "bank_b", spec), spec, ledgerB);
    int exitB = b.await(300_000);
    wallMs.put("yarn, bank_b --deploy-mode client", (System.nanoTime() - start) / 1_000_000);
    int exitA = a.await(300_000);
    wallMs.put("yarn, bank_a --deploy-mode cluster", (System.nanoTime() - start) / 1_000_000);
    assertThat(exitB).as("bank_b (client mode) exit").isZero();
    assertThat(exitA).as("bank_a (cluster mode) spark-submit exit").isZero();
    assertThat(a.output()).anyMatch(l -> l.contains("final status: SUCCEEDED"));

    JsonNode outA = lastJson(clusterDriverStdout(a));
    JsonNode outB = b.outcome();
    inDriver.put("yarn, bank_a --deploy-mode cluster", inDriver(outA));
    inDriver.put("yarn, bank_b --deploy-mode client", inDriver(outB));
    assertThat(outA.path("status").asText()).isEqualTo("succeeded");
    assertThat(outB.path("status").asText()).isEqualTo("succeeded");
    assertThat(outA.path("result").path("intersectionSize").asLong()).isEqualTo(expected.size());
    assertThat(outB.path("result").path("intersectionSize").asLong()).isEqualTo(expected.size());
    assertThat(outA.path("receipt").path("jobRoot").asText())
        .isEqualTo(outB.path("receipt").path("jobRoot").asText());
    assertThat(outA.path("receipt").path("location").asText()).isEqualTo(ledgerA);

    // Outputs are on HDFS, and are exactly the plaintext join.
    assertThat(hdfsOutputIds(hdfs + "/out/yarn-it/bank_a")).isEqualTo(expected);
    assertThat(hdfsOutputIds(hdfs + "/out/yarn-it/bank_b")).isEqualTo(expected);

    // Each ledger verifies; bank_a's is read from HDFS (its driver's container is gone).
    assertThat(dfs.getFileSystem().exists(new org.apache.hadoop.fs.Path("/veil/ledger/bank_a.jsonl"))).isTrue();
    for (Map.Entry<String, String> e : Map.of("bank_a", ledgerA, "bank_b", ledgerB).entrySet()) {
      PartyProcess v = verify(e.getValue(), e.getKey());
      assertThat(v.await(120_000)).as("veil verify of " + e.getValue()).isZero();
      assertThat(v.output()).anyMatch(l -> l.contains("PASS"));
    }
  }

  @Test
  @Order(2)
  void theSameInputInLocalModeForTheWallTimeComparison() throws Exception {
    Path spec = writeSpec("local-it");
    long start = System.nanoTime();
    List<String> local = List.of("--master", "local[2]", "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1", "--driver-memory", "768m");
    PartyProcess a = submitLocal("bank_a", local, spec);
    PartyProcess b = submitLocal("bank_b", local, spec);
    int exitA = a.await(300_000);
    long msA = (System.nanoTime() - start) / 1_000_000;
    int exitB = b.await(300_000);
    long msB = (System.nanoTime() - start) / 1_000_000;
    wallMs.put("local[2], bank_a", msA);
    wallMs.put("local[2], bank_b", msB);
    assertThat(exitA).isZero();
    assertThat(exitB).isZero();
    inDriver.put("local[2], bank_a", inDriver(a.outcome()));
    inDriver.put("local[2], bank_b", inDriver(b.outcome()));
    assertThat(hdfsOutputIds(hdfs + "/out/local-it/bank_a")).isEqualTo(expected);
  }

  @Test
  @Order(3)
  void aLedgerOnAnObjectStoreIsRefusedByTheClusterModeDriverBeforeAnythingIsSent() throws Exception {
    Path spec = writeSpec("yarn-refused");
    String s3 = "s3a://bank-a-receipts/veil/ledger/bank_a.jsonl";
    PartyProcess a = submit("bank_a", yarnArgs("cluster", "bank_a", spec), spec, s3);
    assertThat(a.await(180_000)).as("spark-submit exit").isNotZero();
    assertThat(a.output()).anyMatch(l -> l.contains("final status: FAILED"));
    JsonNode out = lastJson(clusterDriverStdout(a));
    assertThat(out.path("status").asText()).isEqualTo("failed");
    assertThat(out.path("error").asText()).isEqualTo("invalid-input");
    assertThat(out.path("message").asText()).contains(s3, "'s3a' file system cannot append", "hdfs://",
        "--deploy-mode client");
    // Refused while the job was being built: not even its control topic exists.
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
        Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
      assertThat(admin.listTopics().names().get()).isNotEmpty().noneMatch(t -> t.contains("yarn-refused"));
    }
  }

  static PartyProcess submitLocal(String party, List<String> sparkArgs, Path spec) throws IOException {
    return submit(party, sparkArgs, spec, fx.work.resolve("ledger-local-" + party + ".jsonl").toString());
  }
}
