package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import io.veil.jobs.PartyProcess;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Veil from SQL as analysts use it, each party its own JVM over one real Kafka broker, inputs and
 * outputs in Hive tables (an embedded Derby metastore per party): first through the Spark Thrift
 * server and the Hive JDBC driver, as a BI tool connects; then through the {@code spark-sql} shell
 * running a SQL file. Each runs a two-party PSI and a three-party aggregate, checked against the
 * plaintext join and union + GROUP BY. Every party JVM is what a cluster runs: Spark's classpath
 * (with Hive and the Thrift server) plus the deployable Veil jar, started through SparkSubmit.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SqlSurfaceIT {
  private static final List<String> BANKS = List.of("bank_a", "bank_b", "bank_c");
  private static final List<String> REGIONS = List.of("east", "north", "south", "west");
  private static final int MIN_GROUP = 3;
  private static final long RUN_MS = 300_000;
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static Path specs;
  static final Map<String, Path> keys = new LinkedHashMap<>();
  static final Map<String, String> publicKeys = new LinkedHashMap<>();
  /** bank_a's customers (id, segment; one id NULL), bank_b's clients (nid, score), everyone's loans (region, amount). */
  static final List<String[]> customers = new ArrayList<>();
  static final List<String[]> clients = new ArrayList<>();
  static final Map<String, List<String[]>> loans = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    SecureRandom rnd = new SecureRandom();
    for (String b : BANKS) {
      PartySecret s = PartySecret.generate(b, rnd);
      keys.put(b, dir.resolve(b + ".key"));
      s.write(keys.get(b));
      publicKeys.put(b, s.identity().publicKey().encoded());
    }
    Random r = new Random(20261202L);
    for (int i = 0; i < 400; i++) {
      String id = "CUST-" + HexFormat.of().formatHex(longBytes(r.nextLong()));
      customers.add(new String[] {id, List.of("retail", "sme", "corporate").get(r.nextInt(3))});
      if (i % 3 == 0) {
        clients.add(new String[] {id, Integer.toString(r.nextInt(1000))});
      }
    }
    customers.add(new String[] {null, "retail"});
    for (int i = 0; i < 150; i++) {
      clients.add(new String[] {"CUST-" + HexFormat.of().formatHex(longBytes(r.nextLong())), "1"});
    }
    for (String b : BANKS) {
      List<String[]> rows = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        rows.add(new String[] {REGIONS.get(r.nextInt(3)), Integer.toString(r.nextInt(10_000))});
      }
      loans.put(b, rows);
    }
    loans.get("bank_c").add(new String[] {"west", "4242"}); // one row: below the minimum group size
    specs = Files.createDirectories(dir.resolve("specs"));
    Files.writeString(specs.resolve("overlap.yaml"), overlapSpec());
    Files.writeString(specs.resolve("exposure.yaml"), exposureSpec());
    for (String b : BANKS) {
      Files.writeString(dir.resolve("policy-" + b + ".yaml"), policy(b));
    }
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  private static byte[] longBytes(long v) {
    return java.nio.ByteBuffer.allocate(8).putLong(v).array();
  }

  private static String overlapSpec() {
    return """
        version: 1
        name: overlap
        operator: psi
        peerTimeoutMs: 300000
        parties:
          - id: bank_a
            publicKey: %s
            input: {format: sql, keyColumns: [id], columns: [segment]}
            output: {format: table, table: veil_out.overlap}
          - id: bank_b
            publicKey: %s
            input: {format: sql, keyColumns: [nid], columns: []}
            output: {format: table, table: veil_out.overlap}
        psi: {mode: rows, partitions: 2, batchRows: 256}
        """.formatted(publicKeys.get("bank_a"), publicKeys.get("bank_b"));
  }

  private static String exposureSpec() {
    StringBuilder y = new StringBuilder("""
        version: 1
        name: exposure
        operator: aggregate
        peerTimeoutMs: 300000
        parties:
        """);
    for (String b : BANKS) {
      y.append("  - id: ").append(b).append("\n    publicKey: ").append(publicKeys.get(b))
          .append("\n    input: {format: table, table: crm.loans}\n");
      if (b.equals("bank_a")) {
        y.append("    output: {format: table, table: veil_out.exposure}\n");
      }
    }
    y.append("aggregate:\n  resultParty: bank_a\n  groupBy: [{column: region, values: ").append(REGIONS)
        .append("}]\n  sums: [{column: amount, maxAbs: 100000, as: sum_amount}]\n  minGroupSize: ").append(MIN_GROUP)
        .append("\n  partitions: 2\n");
    return y.toString();
  }

  /** Each bank's policy: its peers, both operators, and column rules for every column the jobs use. */
  private static String policy(String me) {
    StringBuilder y = new StringBuilder("party: " + me + "\npeers:\n");
    BANKS.stream().filter(b -> !b.equals(me)).forEach(b -> y.append("  - {id: ").append(b).append(", publicKey: ")
        .append(publicKeys.get(b)).append("}\n"));
    y.append("operators: [psi, aggregate]\noutputRecipients: [bank_a, bank_b]\nminGroupSize: ").append(MIN_GROUP)
        .append("\ninputPaths: [crm.]\ncolumnRules:\n")
        .append("  - {column: id, allow: [join-key]}\n")
        .append("  - {column: nid, allow: [join-key]}\n")
        .append("  - {column: segment, allow: [output], peers: [bank_b]}\n")
        .append("  - {column: region, allow: [group-by]}\n")
        .append("  - {column: amount, allow: [aggregate]}\n");
    return y.toString();
  }

  /** The party's CSV files and the SQL that loads them into Hive tables (a real Hive SerDe table per file). */
  private static List<String> setupSql(String bank, Path work) throws IOException {
    List<String> sql = new ArrayList<>(List.of("CREATE DATABASE IF NOT EXISTS crm", "CREATE DATABASE IF NOT EXISTS veil_out"));
    sql.addAll(table(work, "crm.loans", "region STRING, amount INT", loans.get(bank)));
    if (bank.equals("bank_a")) {
      sql.addAll(table(work, "crm.customers", "id STRING, segment STRING", customers));
      sql.add("CREATE TABLE IF NOT EXISTS crm.shared_customers (id STRING, segment STRING) STORED AS PARQUET");
    }
    if (bank.equals("bank_b")) {
      sql.addAll(table(work, "crm.clients", "nid STRING, score INT", clients));
    }
    return sql;
  }

  private static List<String> table(Path work, String name, String columns, List<String[]> rows) throws IOException {
    Path csv = work.resolve(name + ".csv");
    Files.write(csv, rows.stream().map(r -> Stream.of(r).map(v -> v == null ? "\\N" : v)
        .collect(Collectors.joining(","))).toList(), StandardCharsets.UTF_8);
    return List.of("CREATE TABLE IF NOT EXISTS " + name + " (" + columns + ") ROW FORMAT DELIMITED FIELDS TERMINATED "
        + "BY ',' STORED AS TEXTFILE", "LOAD DATA LOCAL INPATH '" + csv + "' OVERWRITE INTO TABLE " + name);
  }

  /** The party's JVM as a cluster runs it: SparkSubmit with Spark's classpath and the Veil jar beside it. */
  private static PartyProcess sparkSubmit(String bank, Path work, String mainClass, List<String> mainArgs)
      throws IOException {
    Path jar = ClusterBuild.clusterJar();
    String classpath = jar + java.io.File.pathSeparator + ClusterBuild.sparkClasspath();
    List<String> args = new ArrayList<>(List.of("--master", "local[2]", "--name", "veil-sql-" + bank,
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=4",
        "--conf", "spark.sql.warehouse.dir=" + work.resolve("warehouse"),
        // The one setting that enables Veil's SQL functions; the rest is this party's identity and the channel.
        "--conf", "spark.sql.extensions=io.veil.sql.VeilSqlExtensions",
        "--conf", "spark.veil.party.id=" + bank,
        "--conf", "spark.veil.party.key-file=" + keys.get(bank),
        "--conf", "spark.veil.party.policy-file=" + dir.resolve("policy-" + bank + ".yaml"),
        "--conf", "spark.veil.sql.spec-dir=" + specs,
        "--conf", "spark.veil.ledger.path=" + work.resolve("ledger.jsonl"),
        "--conf", "spark.veil.channel.bootstrap.servers=" + broker.bootstrapServers(),
        "--class", mainClass, "spark-internal"));
    args.addAll(mainArgs);
    return PartyProcess.startJava(bank, classpath, "org.apache.spark.deploy.SparkSubmit", args, "768m", List.of(),
        work, System.out);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Runs each call on its own thread (every party's statement blocks until the job ends) and returns the results. */
  private static <T> Map<String, T> concurrently(Map<String, Callable<T>> calls) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(calls.size());
    try {
      Map<String, Future<T>> fs = new LinkedHashMap<>();
      calls.forEach((k, c) -> fs.put(k, pool.submit(c)));
      Map<String, T> out = new LinkedHashMap<>();
      for (Map.Entry<String, Future<T>> f : fs.entrySet()) {
        out.put(f.getKey(), f.getValue().get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static List<List<String>> query(Connection c, String sql) throws SQLException {
    List<List<String>> rows = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          Object v = rs.getObject(i);
          row.add(v instanceof BigDecimal d ? d.toPlainString() : String.valueOf(v));
        }
        rows.add(row);
      }
    }
    return rows;
  }

  // ---- the plaintext oracle ----

  private static Set<String> clientIds() {
    return clients.stream().map(r -> r[0]).collect(Collectors.toSet());
  }

  /** bank_a's rows whose id bank_b also has, as "id|segment", sorted. */
  private static List<String> expectedOverlapA() {
    Set<String> b = clientIds();
    return customers.stream().filter(r -> r[0] != null && b.contains(r[0])).map(r -> r[0] + "|" + r[1]).sorted()
        .toList();
  }

  private static List<String> expectedOverlapB() {
    Set<String> a = customers.stream().map(r -> r[0]).collect(Collectors.toSet());
    return clients.stream().map(r -> r[0]).filter(a::contains).sorted().toList();
  }

  /** SELECT region, count(*), sum(amount) FROM (union of the banks' loans) GROUP BY region, small groups suppressed. */
  private static List<String> expectedExposure() {
    Map<String, long[]> g = new TreeMap<>();
    REGIONS.forEach(r -> g.put(r, new long[2]));
    loans.values().forEach(rows -> rows.forEach(r -> {
      g.get(r[0])[0]++;
      g.get(r[0])[1] += Long.parseLong(r[1]);
    }));
    List<String> out = new ArrayList<>();
    g.forEach((region, v) -> out.add(v[0] >= MIN_GROUP ? region + "|" + v[0] + "|" + v[1] + "|false"
        : region + "|null|null|true"));
    return out;
  }

  private static List<String> joined(List<List<String>> rows) {
    return rows.stream().map(r -> String.join("|", r)).sorted().toList();
  }

  // ---- the tests ----

  @Test
  @Order(1)
  void aBiToolRunsPsiAndAnAggregateThroughEachPartysThriftServer() throws Exception {
    Map<String, PartyProcess> servers = new LinkedHashMap<>();
    Map<String, Integer> ports = new LinkedHashMap<>();
    try {
      for (String b : BANKS) {
        Path work = Files.createDirectories(dir.resolve("thrift-" + b));
        int port;
        do {
          port = freePort(); // the first server may not have bound its port yet
        } while (ports.containsValue(port));
        ports.put(b, port);
        servers.put(b, sparkSubmit(b, work, "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2", List.of(
            "--hiveconf", "hive.server2.thrift.port=" + ports.get(b),
            "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1")));
      }
      Map<String, Connection> jdbc = new LinkedHashMap<>();
      for (String b : BANKS) {
        jdbc.put(b, connect(servers.get(b), ports.get(b)));
        try (Statement s = jdbc.get(b).createStatement()) {
          for (String sql : setupSql(b, dir.resolve("thrift-" + b))) {
            s.execute(sql);
          }
        }
      }
      // Errors reach the BI tool as SQL errors that say what is wrong, before anything is sent.
      assertThatThrownBy(() -> query(jdbc.get("bank_a"), "SELECT * FROM veil_psi('no-such-job', 'crm.customers')"))
          .isInstanceOf(SQLException.class).hasMessageContaining("Cannot find job spec 'no-such-job'");
      assertThat(query(jdbc.get("bank_a"), "SHOW FUNCTIONS LIKE 'veil*'").stream().map(r -> r.get(0)).toList())
          .contains("veil_psi", "veil_aggregate", "veil_feature_aggregate", "veil_job", "veil_normalize", "veil_key");

      Map<String, List<List<String>>> psi = concurrently(Map.of(
          "bank_a", () -> {
            try (Statement s = jdbc.get("bank_a").createStatement()) {
              s.execute("INSERT INTO crm.shared_customers SELECT * FROM veil_psi('overlap', 'crm.customers')");
            }
            return query(jdbc.get("bank_a"), "SELECT id, segment FROM crm.shared_customers");
          },
          "bank_b", () -> query(jdbc.get("bank_b"),
              "SELECT * FROM veil_psi('overlap', 'SELECT nid, score FROM crm.clients WHERE nid IS NOT NULL')")));
      assertThat(joined(psi.get("bank_a"))).isEqualTo(expectedOverlapA());
      assertThat(joined(psi.get("bank_b"))).isEqualTo(expectedOverlapB());
      // The spec's output (a Hive table) holds the same rows, and the receipt was written.
      assertThat(joined(query(jdbc.get("bank_a"), "SELECT * FROM veil_out.overlap"))).isEqualTo(expectedOverlapA());
      assertThat(dir.resolve("thrift-bank_a/ledger.jsonl")).exists();

      Map<String, List<List<String>>> agg = concurrently(Map.of(
          "bank_a", () -> query(jdbc.get("bank_a"),
              "SELECT region, count, sum_amount, suppressed FROM veil_aggregate('exposure')"),
          "bank_b", () -> query(jdbc.get("bank_b"), "SELECT party, operator FROM veil_aggregate('exposure')"),
          "bank_c", () -> query(jdbc.get("bank_c"), "SELECT party, operator FROM veil_job('exposure')")));
      assertThat(joined(agg.get("bank_a"))).isEqualTo(expectedExposure());
      assertThat(joined(agg.get("bank_b"))).containsExactly("bank_b|aggregate");
      assertThat(joined(agg.get("bank_c"))).containsExactly("bank_c|aggregate");
      assertThat(joined(query(jdbc.get("bank_a"), "SELECT region, count, sum_amount, suppressed FROM "
          + "veil_out.exposure"))).isEqualTo(expectedExposure());
      for (Connection c : jdbc.values()) {
        c.close();
      }
    } finally {
      servers.values().forEach(PartyProcess::close);
    }
    for (PartyProcess p : servers.values()) {
      p.await(30_000);
    }
    assertNoKeyOrAmountOnTheBroker();
  }

  private static Connection connect(PartyProcess server, int port) throws Exception {
    long deadline = System.currentTimeMillis() + 240_000;
    SQLException last = null;
    while (System.currentTimeMillis() < deadline) {
      if (server.hasEnded()) {
        throw new AssertionError(server.name() + "'s Thrift server stopped:\n" + AggregateFixture.text(server));
      }
      try {
        return DriverManager.getConnection("jdbc:hive2://127.0.0.1:" + port + "/default", "analyst", "");
      } catch (SQLException e) {
        last = e;
        Thread.sleep(1_000);
      }
    }
    throw new AssertionError(server.name() + "'s Thrift server did not accept connections in time:\n"
        + AggregateFixture.text(server), last);
  }

  @Test
  @Order(2)
  void theSparkSqlShellRunsTheSameFromASqlFile() throws Exception {
    String period = "2026-12"; // a new period: a new job of the same agreed specs
    Map<String, List<String>> scripts = new LinkedHashMap<>();
    scripts.put("bank_a", List.of(
        "CREATE TABLE crm.shared AS SELECT * FROM veil_psi('overlap', 'crm.customers', '" + period + "')",
        "SELECT concat_ws('|', region, coalesce(cast(count AS STRING), 'null'), coalesce(cast(sum_amount AS STRING), "
            + "'null'), cast(suppressed AS STRING)) FROM veil_aggregate('exposure', NULL, '" + period + "')",
        "SELECT concat('shared=', count(*)) FROM crm.shared"));
    scripts.put("bank_b", List.of(
        "SELECT concat('matched=', count(*)) FROM veil_psi('overlap', 'crm.clients', '" + period + "')",
        "SELECT concat('party=', party) FROM veil_aggregate('exposure', NULL, '" + period + "')"));
    scripts.put("bank_c", List.of(
        "SELECT concat('party=', party) FROM veil_aggregate('exposure', NULL, '" + period + "')"));
    Map<String, PartyProcess> shells = new LinkedHashMap<>();
    try {
      for (String b : BANKS) {
        Path work = Files.createDirectories(dir.resolve("cli-" + b));
        List<String> sql = new ArrayList<>(setupSql(b, work));
        sql.addAll(scripts.get(b));
        Path file = work.resolve(b + ".sql");
        Files.writeString(file, sql.stream().map(s -> s + ";\n").collect(Collectors.joining()));
        shells.put(b, sparkSubmit(b, work, "org.apache.spark.sql.hive.thriftserver.SparkSQLCLIDriver",
            List.of("-f", file.toString())));
      }
      for (PartyProcess p : shells.values()) {
        assertThat(p.await(RUN_MS)).as(p.name() + ":\n" + AggregateFixture.text(p)).isZero();
      }
    } finally {
      shells.values().forEach(PartyProcess::close);
    }
    List<String> a = shells.get("bank_a").stdout();
    assertThat(a.stream().filter(l -> REGIONS.stream().anyMatch(r -> l.startsWith(r + "|"))).sorted().toList())
        .isEqualTo(expectedExposure());
    assertThat(a).contains("shared=" + expectedOverlapA().size());
    assertThat(shells.get("bank_b").stdout()).contains("matched=" + expectedOverlapB().size(), "party=bank_b");
    assertThat(shells.get("bank_c").stdout()).contains("party=bank_c");
    assertNoKeyOrAmountOnTheBroker();
  }

  /** Only blinded keys and masked sums crossed the broker: no customer id is in its log. */
  private static void assertNoKeyOrAmountOnTheBroker() throws IOException {
    List<byte[]> segments = AggregateFixture.segments(broker);
    assertThat(PsiEndToEndIT.contains(segments, "overlap".getBytes(StandardCharsets.UTF_8)))
        .as("the scan reads the jobs' records").isTrue();
    for (String[] c : customers.subList(0, 60)) {
      assertThat(PsiEndToEndIT.contains(segments, c[0].getBytes(StandardCharsets.UTF_8))).as(c[0]).isFalse();
    }
  }
}
