package io.veil.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.PolicyRefusedException;
import io.veil.channel.memory.InMemoryChannel;
import io.veil.job.JobRecord;
import io.veil.psi.KeyNormalization;
import io.veil.testing.JobHarness;
import io.veil.testing.MemoryComponents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Veil's Spark SQL functions in one JVM: each party its own SparkSession (its own {@code
 * spark.veil.*} settings and temporary views), the jobs through the real runtime over an in-memory
 * channel. The Thrift server and spark-sql integration tests run the same over Kafka, one JVM per party.
 */
class VeilSqlFunctionsTest {
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder()
        .appName("VeilSqlFunctionsTest")
        .master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.warehouse.dir", dir.resolve("warehouse").toString())
        .config("spark.sql.extensions", VeilSqlExtensions.class.getName())
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** One party's session: its id, key, policy, the spec directory and the shared in-memory channel. */
  private static SparkSession session(JobHarness h, Path specDir, String channel, String id, String policyYaml)
      throws Exception {
    SparkSession s = spark.newSession();
    Path policy = specDir.resolveSibling("policy-" + id + "-" + UUID.randomUUID() + ".yaml");
    Files.writeString(policy, policyYaml);
    s.sql("SET spark.veil.party.id=" + id);
    s.conf().set("spark.veil.party.key-file", h.key(id).path());
    s.conf().set("spark.veil.party.policy-file", policy.toString());
    s.conf().set("spark.veil.sql.spec-dir", specDir.toString());
    s.conf().set("spark.veil.test.memory-channel", channel);
    return s;
  }

  private static Path specDir(String name, String yaml) throws Exception {
    Path d = Files.createDirectories(dir.resolve("specs-" + UUID.randomUUID()));
    Files.writeString(d.resolve(name + ".yaml"), yaml);
    return d;
  }

  private static Map<String, Object> sqlInput(List<String> keys, List<String> columns) {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("format", "sql");
    if (keys != null) {
      in.put("keyColumns", keys);
    }
    if (columns != null) {
      in.put("columns", columns);
    }
    return in;
  }

  /** Runs each party's query on its own thread; returns each party's rows (or throws the first error). */
  private static Map<String, List<Row>> runAll(Map<SparkSession, String> queries) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(queries.size());
    try {
      Map<String, Future<List<Row>>> fs = new LinkedHashMap<>();
      queries.forEach((s, q) -> fs.put(s.conf().get("spark.veil.party.id"), pool.submit(() -> s.sql(q).collectAsList())));
      Map<String, List<Row>> out = new LinkedHashMap<>();
      for (Map.Entry<String, Future<List<Row>>> f : fs.entrySet()) {
        out.put(f.getKey(), f.getValue().get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static List<String> strings(List<Row> rows) {
    return rows.stream().map(r -> r.mkString("|")).sorted().collect(Collectors.toList());
  }

  private PsiSetup psi(String channel, String extraPolicyA) throws Exception {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    Map<String, Object> section = Map.of("mode", "rows", "partitions", 2, "batchRows", 16);
    List<Map<String, Object>> parties = List.of(
        h.party("bank_a", sqlInput(List.of("id"), List.of("segment")),
            Map.of("format", "table", "table", "overlap_a_" + channel.replace('-', '_'))),
        h.party("bank_b", sqlInput(List.of("nid"), List.of()),
            Map.of("format", "table", "table", "overlap_b_" + channel.replace('-', '_'))));
    String yaml = h.specYaml("overlap", "psi", parties, section);
    Path specs = specDir("overlap", yaml);
    var spec = h.spec("overlap", "psi", parties, section);
    SparkSession a = session(h, specs, channel, "bank_a", JobHarness.acceptingPolicyYaml(spec, "bank_a", extraPolicyA));
    SparkSession b = session(h, specs, channel, "bank_b", JobHarness.acceptingPolicyYaml(spec, "bank_b"));
    a.sql("SELECT * FROM VALUES (' C1', 'retail', 'secret-a'), ('c2', 'sme', 'secret-b'), ('C3', 'retail', 'x'), "
        + "(NULL, 'retail', 'y') AS t(id, segment, salary)").createOrReplaceTempView("customers");
    b.sql("SELECT * FROM VALUES ('C1', 7), ('C3 ', 8), ('C9', 9) AS t(nid, score)").createOrReplaceTempView("clients");
    return new PsiSetup(h, a, b);
  }

  private record PsiSetup(JobHarness h, SparkSession a, SparkSession b) {}

  @Test
  void showAndDescribeListEveryFunctionWithUsageAndAnExample() {
    List<String> names = spark.sql("SHOW FUNCTIONS LIKE 'veil*'").collectAsList().stream().map(r -> r.getString(0))
        .toList();
    assertThat(names).contains("veil_job", "veil_psi", "veil_aggregate", "veil_feature_aggregate", "veil_normalize",
        "veil_key");
    String psi = spark.sql("DESCRIBE FUNCTION EXTENDED veil_psi").collectAsList().stream().map(r -> r.getString(0))
        .collect(Collectors.joining("\n"));
    assertThat(psi).contains("veil_psi(spec_name [, input [, period]])", "Examples:", "SELECT * FROM veil_psi(");
    String norm = spark.sql("DESCRIBE FUNCTION EXTENDED veil_normalize").collectAsList().stream()
        .map(r -> r.getString(0)).collect(Collectors.joining("\n"));
    assertThat(norm).contains("veil_normalize(key [, trim [, case]])", "Examples:");
  }

  @Test
  void scalarHelpersAreExactlyPsisNormalisationAndEncoding() {
    Row r = spark.sql("SELECT veil_normalize('  Ab-12 '), veil_normalize('  Ab-12 ', true, 'lower'), "
        + "veil_normalize(' Ab ', false, 'upper'), veil_normalize(CAST(NULL AS STRING)), veil_normalize(42), "
        + "hex(veil_key('ab', 7)), veil_key('x', NULL), hex(veil_key(DATE'2026-11-05'))").first();
    assertThat(r.getString(0)).isEqualTo(KeyNormalization.DEFAULT.apply("  Ab-12 "));
    assertThat(r.getString(1)).isEqualTo("ab-12");
    assertThat(r.getString(2)).isEqualTo(" AB ");
    assertThat(r.isNullAt(3)).isTrue();
    assertThat(r.getString(4)).isEqualTo("42");
    assertThat(r.getString(5)).isEqualTo(HexFormat.of().withUpperCase().formatHex(
        KeyNormalization.DEFAULT.encode(org.apache.spark.sql.RowFactory.create("ab", "7"))));
    assertThat(r.isNullAt(6)).isTrue();
    assertThat(r.getString(7)).isEqualTo("000000" + "0A" + HexFormat.of().withUpperCase()
        .formatHex("2026-11-05".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> spark.sql("SELECT veil_normalize('a', true, 'title')").collect())
        .hasMessageContaining("case must be 'none', 'lower' or 'upper'");
  }

  @Test
  void psiFromSqlReturnsEachPartysMatchingRowsAndWritesItsTable() throws Exception {
    String channel = "sql-psi-" + UUID.randomUUID().toString().substring(0, 8);
    PsiSetup p = psi(channel, "");
    // Planning runs nothing: no record on the channel, no receipt.
    p.a().sql("EXPLAIN SELECT * FROM veil_psi('overlap', 'customers')").collect();
    assertThat(new InMemoryChannel(channel).allRecords()).isEmpty();

    Map<String, List<Row>> out = runAll(Map.of(
        p.a(), "SELECT id, segment FROM veil_psi('overlap', 'customers') WHERE segment = 'retail'",
        // The same call twice in one query is one job, run once.
        p.b(), "SELECT x.* FROM veil_psi('overlap', 'SELECT nid, score FROM clients WHERE score > 0') x JOIN "
            + "veil_psi('overlap', 'SELECT nid, score FROM clients WHERE score > 0') y ON x.nid = y.nid"));
    // Keys are trimmed on both sides; only the spec's columns come through (salary and score never do).
    assertThat(strings(out.get("bank_a"))).containsExactly(" C1|retail", "C3|retail");
    assertThat(strings(out.get("bank_b"))).containsExactly("C1", "C3 ");
    // Written where the spec says (a catalog table), with every matching row, and committed in the receipt.
    assertThat(strings(p.a().sql("SELECT * FROM overlap_a_" + channel.replace('-', '_')).collectAsList()))
        .containsExactly(" C1|retail", "C3|retail");
    List<JobRecord> receipts = MemoryComponents.receipts(channel, "bank_a");
    assertThat(receipts).hasSize(1);
    assertThat(MemoryComponents.receipts(channel, "bank_b")).hasSize(1);
    assertThat(receipts.get(0).outputLocation()).isEqualTo("table overlap_a_" + channel.replace('-', '_'));
  }

  @Test
  void aggregateFromSqlOverThreePartiesEqualsTheUnionGroupBy() throws Exception {
    String channel = "sql-agg-" + UUID.randomUUID().toString().substring(0, 8);
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b", "bank_c"));
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("resultParty", "bank_a");
    section.put("groupBy", List.of(Map.of("column", "region", "values", List.of("n", "s"))));
    section.put("sums", List.of(Map.of("column", "amount", "maxAbs", 1000)));
    section.put("minGroupSize", 2);
    section.put("partitions", 2);
    List<Map<String, Object>> parties = List.of(
        h.party("bank_a", sqlInput(null, null), Map.of("format", "table", "table", "agg_" + channel.replace('-', '_'))),
        h.party("bank_b", sqlInput(null, null), null),
        h.party("bank_c", sqlInput(null, null), null));
    Path specs = specDir("exposure", h.specYaml("exposure", "aggregate", parties, section));
    var spec = h.spec("exposure", "aggregate", parties, section);
    Map<SparkSession, String> queries = new LinkedHashMap<>();
    String[] data = {"('n', 10), ('n', 5), ('s', 1)", "('n', 7), ('s', 2)", "('s', 100)"};
    String[] ids = {"bank_a", "bank_b", "bank_c"};
    for (int i = 0; i < 3; i++) {
      SparkSession s = session(h, specs, channel, ids[i], JobHarness.acceptingPolicyYaml(spec, ids[i]));
      s.sql("SELECT * FROM VALUES " + data[i] + " AS t(region, amount)").createOrReplaceTempView("loans");
      queries.put(s, "SELECT * FROM veil_aggregate('exposure', 'loans')");
    }
    Map<String, List<Row>> out = runAll(queries);
    assertThat(strings(out.get("bank_a"))).containsExactly("n|3|22|false", "s|3|103|false");
    // A data party without an output gets one row describing the job and its receipt.
    Row b = out.get("bank_b").get(0);
    assertThat(b.getAs("party").toString()).isEqualTo("bank_b");
    assertThat(b.getAs("operator").toString()).isEqualTo("aggregate");
    assertThat(b.<Long>getAs("input_rows")).isEqualTo(2L);
    assertThat(b.getAs("receipt_hash").toString()).hasSize(64);
  }

  @Test
  void badCallsFailWhileTheQueryIsPlannedAndSendNothing() throws Exception {
    String channel = "sql-bad-" + UUID.randomUUID().toString().substring(0, 8);
    PsiSetup p = psi(channel, "");
    SparkSession a = p.a();
    assertThatThrownBy(() -> a.sql("SELECT * FROM veil_psi('no-such-spec', 'customers')"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("no spec in").hasMessageContaining(
            "has that name");
    assertThatThrownBy(() -> a.sql("SELECT * FROM veil_aggregate('overlap', 'customers')"))
        .hasMessageContaining("that spec runs operator 'psi'. Call veil_psi or veil_job");
    assertThatThrownBy(() -> a.sql("SELECT * FROM veil_psi('overlap')"))
        .hasMessageContaining("input is named in SQL (format sql). Give a table or a query");
    assertThatThrownBy(() -> a.sql("SELECT * FROM veil_psi('overlap', 'no_such_table')"))
        .hasMessageContaining("Cannot open the input of bank_a ('no_such_table')");
    assertThatThrownBy(() -> a.sql("SELECT * FROM veil_psi('overlap', 'SELECT segment FROM customers')"))
        .hasMessageContaining("key column 'id' is missing");
    assertThatThrownBy(() -> a.sql("SELECT * FROM veil_psi('overlap', concat('custom', 'ers'), rand())"))
        .hasMessageContaining("must be a literal");
    assertThatThrownBy(() -> a.sql("SELECT * FROM veil_psi()")).hasMessageContaining("call veil_psi(spec_name");
    SparkSession anonymous = a.newSession();
    anonymous.conf().set("spark.veil.sql.spec-dir", a.conf().get("spark.veil.sql.spec-dir"));
    assertThatThrownBy(() -> anonymous.sql("SELECT * FROM veil_job('overlap', 'x')"))
        .hasMessageContaining("veil.party.id");
    assertThat(new InMemoryChannel(channel).allRecords()).isEmpty();
  }

  @Test
  void aPolicyWithInputPathsChecksTheTablesTheSqlInputReads() throws Exception {
    String channel = "sql-paths-" + UUID.randomUUID().toString().substring(0, 8);
    PsiSetup p = psi(channel, "inputPaths: [crm.]");
    p.a().sql("CREATE TABLE IF NOT EXISTS hr_people_" + channel.replace('-', '_') + " USING parquet AS "
        + "SELECT 'C1' AS id, 'retail' AS segment");
    assertThatThrownBy(() -> p.a().sql("SELECT * FROM veil_psi('overlap', 'SELECT * FROM hr_people_"
        + channel.replace('-', '_') + "')").collect())
        .isInstanceOf(PolicyRefusedException.class)
        .hasMessageContaining("table read by the SQL input 'default.hr_people_")
        .hasMessageContaining("is outside 'inputPaths' [crm.]");
    assertThat(new InMemoryChannel(channel).allRecords()).isEmpty();
  }
}
