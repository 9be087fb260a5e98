package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.jobs.PartyProcess;
import io.veil.jobs.internal.JvmFlags;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LocalLedger;
import java.io.File;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The scheduler examples in {@code cluster-configs/scheduler}, each parsed the way its scheduler
 * reads it and the command it holds run against a local job: one three-party aggregate for
 * yesterday's period, bank_a's side from the Airflow DAG (its SparkSubmitOperator, read by
 * importing the DAG file with a stand-in for Airflow's classes), bank_b's from the Oozie workflow
 * and coordinator (the Spark action and the period's EL expression), the regulator's from the
 * crontab line (run by bash, through {@code spark/submit-yarn.sh}). Each becomes a spark-submit
 * command line, run by a {@code spark-submit} that starts Spark's own {@code SparkSubmit} on the
 * cluster classpath with the deployable jar, as a cluster's does. Only the site settings change
 * (master {@code local[1]} in client mode, this machine's paths and broker): the scheduler's own
 * parts (schedule, period, arguments) are the examples' own.
 */
class SchedulerExamplesIT {
  private static final long RUN_MS = 300_000;
  private static final Path SCHEDULER = ClusterBuild.clusterConfigs().resolve("scheduler");
  private static final String JOB = "joint-report";
  private static final List<String> BANKS = List.of("bank_a", "bank_b");
  private static final List<String> ALL = List.of("bank_a", "bank_b", "regulator");
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static AggregateFixture fx;
  static Map<String, List<AggregateFixture.CreditRow>> split;
  static Path sparkSubmit;
  /** Yesterday, UTC: the period each example computes for a run today. */
  static final String PERIOD = LocalDate.now(ZoneOffset.UTC).minusDays(1).format(DateTimeFormatter.ISO_LOCAL_DATE);

  @BeforeAll
  static void setUp() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    fx = new AggregateFixture(dir.resolve("site"), broker.bootstrapServers(), ALL, 23);
    split = fx.splitUci(BANKS, "sched", 7);
    Map<String, Path> inputs = new LinkedHashMap<>();
    BANKS.forEach(b -> inputs.put(b, fx.uciFile(b, "sched")));
    fx.reportSpec(JOB + ".yaml", JOB, inputs, "regulator", fx.work.resolve("out/${period}"), 10);
    // The examples ship Kafka client files; this broker needs none (PLAINTEXT), so they are empty.
    Files.writeString(fx.work.resolve("client-sasl-scram.properties"), "", StandardCharsets.UTF_8);
    Files.write(fx.work.resolve("kafka.truststore.p12"), new byte[0]);

    String classpath = ClusterBuild.sparkClasspath();
    sparkSubmit = dir.resolve("bin/spark-submit");
    Files.createDirectories(sparkSubmit.getParent());
    Files.writeString(sparkSubmit, "#!/usr/bin/env bash\n# spark-submit: Spark's SparkSubmit on the cluster classpath\n"
        + "exec " + Path.of(System.getProperty("java.home"), "bin", "java") + " -Xmx512m "
        + String.join(" ", JvmFlags.SPARK_JAVA17) + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp '" + classpath
        + "' org.apache.spark.deploy.SparkSubmit \"$@\"\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(sparkSubmit, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  /** This machine's settings for a party, as a site would set them (the examples' names). */
  private static Map<String, String> site(String party) throws Exception {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("PARTY", party);
    s.put("VEIL_JAR", ClusterBuild.clusterJar().toString());
    s.put("SPEC", fx.work.resolve(JOB + ".yaml").toString());
    s.put("KEY_FILE", fx.work.resolve(party + ".key").toString());
    s.put("POLICY", fx.work.resolve("policy-" + party + ".yaml").toString());
    s.put("LEDGER", ledger(party).toString());
    s.put("BOOTSTRAP_SERVERS", broker.bootstrapServers());
    s.put("TOPIC_PREFIX", "veil.sched.");
    s.put("REPLICATION_FACTOR", "1");
    s.put("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT");
    s.put("KAFKA_PROPERTIES", fx.work.resolve("client-sasl-scram.properties").toString());
    s.put("KAFKA_TRUSTSTORE", fx.work.resolve("kafka.truststore.p12").toString());
    return s;
  }

  private static Path ledger(String party) {
    return fx.work.resolve("ledger/" + party + ".jsonl");
  }

  // ------------------------------------------------------------------ Airflow

  /** bank_a: the DAG's SparkSubmitOperator as the Spark provider's hook turns it into spark-submit. */
  private static PartyProcess airflow(String party) throws Exception {
    Path stub = Path.of(SchedulerExamplesIT.class.getResource("/airflow-stub/render_dag.py").toURI());
    Map<String, String> env = new LinkedHashMap<>(site(party));
    env.put("PYTHONPATH", stub.getParent().toString());
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    PartyProcess py = PartyProcess.startCommand("airflow-dag", List.of("python3", stub.toString(),
        SCHEDULER.resolve("airflow_veil_dag.py").toString(), PERIOD), env, fx.work, System.out);
    assertThat(py.await(60_000)).as("importing the DAG: " + AggregateFixture.text(py)).isZero();
    JsonNode tasks = new ObjectMapper().readTree(String.join("\n", py.stdout()));
    assertThat(tasks).hasSize(1);
    JsonNode k = tasks.get(0).path("kwargs");
    assertThat(tasks.get(0).path("dag_id").asText()).isEqualTo("veil_joint_report_" + party);
    assertThat(k.path("conn_id").asText()).as("the cluster comes from the Airflow connection").isNotEmpty();
    // The connection of this site: master local[1], client mode.
    List<String> cmd = new ArrayList<>(List.of(sparkSubmit.toString(), "--master", "local[1]"));
    k.path("conf").fields().forEachRemaining(e -> cmd.addAll(List.of("--conf", e.getKey() + "=" + e.getValue().asText())));
    cmd.addAll(List.of("--files", k.path("files").asText(), "--executor-cores", k.path("executor_cores").asText(),
        "--executor-memory", k.path("executor_memory").asText(), "--driver-memory", k.path("driver_memory").asText(),
        "--num-executors", k.path("num_executors").asText(), "--name", k.path("name").asText(),
        "--class", k.path("java_class").asText(), "--deploy-mode", "client", k.path("application").asText()));
    k.path("application_args").forEach(a -> cmd.add(a.asText()));
    assertThat(cmd).containsSubsequence("--period", PERIOD);
    return PartyProcess.startCommand("airflow:" + party, cmd, Map.of(), fx.work, System.out);
  }

  // ------------------------------------------------------------------ Oozie

  private static final Pattern EL = Pattern.compile("\\$\\{([A-Za-z][A-Za-z0-9]*)}");
  private static final Pattern PERIOD_EL = Pattern.compile("\\$\\{coord:formatTime\\(coord:dateOffset\\("
      + "coord:nominalTime\\(\\), (-?\\d+), 'DAY'\\), '([^']+)'\\)}");

  /** bank_b: the coordinator's period and the workflow's Spark action, with job.properties. */
  private static PartyProcess oozie(String party) throws Exception {
    var xml = DocumentBuilderFactory.newInstance();
    xml.setNamespaceAware(true);
    Element coord = xml.newDocumentBuilder().parse(SCHEDULER.resolve("oozie/coordinator.xml").toFile())
        .getDocumentElement();
    String periodEl = null;
    NodeList props = coord.getElementsByTagNameNS("*", "property");
    for (int i = 0; i < props.getLength(); i++) {
      Element p = (Element) props.item(i);
      if (text(p, "name").equals("period")) {
        periodEl = text(p, "value");
      }
    }
    Matcher m = PERIOD_EL.matcher(periodEl);
    assertThat(m.matches()).as("the coordinator's period: " + periodEl).isTrue();
    assertThat(coord.getAttribute("timezone")).isEqualTo("UTC");
    String period = LocalDate.now(ZoneOffset.UTC).plusDays(Integer.parseInt(m.group(1)))
        .format(DateTimeFormatter.ofPattern(m.group(2)));

    Properties jobProps = new Properties();
    jobProps.load(new StringReader(Files.readString(SCHEDULER.resolve("oozie/job.properties"))));
    Map<String, String> conf = new LinkedHashMap<>();
    jobProps.stringPropertyNames().forEach(n -> conf.put(n, jobProps.getProperty(n)));
    Map<String, String> s = site(party);
    // What this site's job.properties would say (oozie job -config ... -D...).
    conf.putAll(Map.of("sparkMaster", "local[1]", "sparkMode", "client", "veilJar", s.get("VEIL_JAR"),
        "party", party, "job", JOB, "configDir", fx.work.toString(), "ledger", s.get("LEDGER"),
        "bootstrapServers", s.get("BOOTSTRAP_SERVERS"), "topicPrefix", s.get("TOPIC_PREFIX"),
        "replicationFactor", s.get("REPLICATION_FACTOR")));
    conf.put("kafkaSecurityProtocol", s.get("KAFKA_SECURITY_PROTOCOL"));
    conf.put("period", period);
    Function<String, String> el = v -> {
      Matcher x = EL.matcher(v);
      StringBuilder b = new StringBuilder();
      while (x.find()) {
        String value = conf.get(x.group(1));
        assertThat(value).as("workflow parameter " + x.group(1)).isNotNull();
        x.appendReplacement(b, Matcher.quoteReplacement(value));
      }
      return x.appendTail(b).toString();
    };

    Element wf = xml.newDocumentBuilder().parse(SCHEDULER.resolve("oozie/workflow.xml").toFile()).getDocumentElement();
    Element spark = (Element) wf.getElementsByTagNameNS("uri:oozie:spark-action:1.0", "spark").item(0);
    assertThat(spark).as("the workflow's Spark action").isNotNull();
    List<String> cmd = new ArrayList<>(List.of(sparkSubmit.toString(), "--master", el.apply(text(spark, "master")),
        "--deploy-mode", el.apply(text(spark, "mode")), "--name", el.apply(text(spark, "name")),
        "--class", text(spark, "class")));
    for (String opt : el.apply(text(spark, "spark-opts")).trim().split("\\s+")) {
      cmd.add(opt);
    }
    for (Element f : children(spark, "file")) {
      assertThat(Path.of(el.apply(f.getTextContent().trim()))).as("a file the action ships").exists();
    }
    cmd.add(el.apply(text(spark, "jar")));
    for (Element a : children(spark, "arg")) {
      cmd.add(el.apply(a.getTextContent().trim()));
    }
    assertThat(cmd).containsSubsequence("--period", PERIOD);
    // Oozie runs the action in a directory holding the <file>s: here the site's configuration directory.
    return PartyProcess.startCommand("oozie:" + party, cmd, Map.of(), fx.work, System.out);
  }

  private static String text(Element parent, String child) {
    List<Element> c = children(parent, child);
    assertThat(c).as("<" + child + "> in <" + parent.getLocalName() + ">").hasSize(1);
    return c.get(0).getTextContent().trim();
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getLocalName().equals(name)) {
        out.add(e);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ cron

  /** Where the crontab line appends its output (relocated), once {@link #cron} read it. */
  static Path cronLog;

  /** The regulator: the crontab's job line, run by bash with the crontab's variables, as cron would. */
  private static PartyProcess cron(String party) throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    String command = null;
    for (String line : Files.readAllLines(SCHEDULER.resolve("cron.example"), StandardCharsets.UTF_8)) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher var = Pattern.compile("([A-Z_]+)=(.*)").matcher(line);
      if (var.matches()) {
        env.put(var.group(1), var.group(2));
        continue;
      }
      String[] fields = line.trim().split("\\s+", 6);
      assertThat(fields).as("a crontab line: five time fields and a command: " + line).hasSize(6);
      assertThat(command).as("one job line").isNull();
      command = fields[5];
    }
    assertThat(env).containsKeys("CRON_TZ", "PARTY", "SPEC", "VEIL_JAR");
    assertThat(env.get("CRON_TZ")).isEqualTo("UTC");
    // cron turns an unescaped % into a newline: the example must escape every one.
    assertThat(command.replace("\\%", "")).doesNotContain("%");
    command = command.replace("\\%", "%")
        .replace("/opt/veil/cluster-configs/", SCHEDULER.getParent().toAbsolutePath() + "/")
        .replace("/var/lock/", dir + "/")
        .replace("/var/log/veil/", dir + "/");
    Matcher log = Pattern.compile(">>\\s*(\\S+)").matcher(command);
    assertThat(log.find()).as("the line appends its output to a log").isTrue();
    cronLog = Path.of(log.group(1));
    env.putAll(site(party));
    env.put("MASTER", "local[1]");
    env.put("DEPLOY_MODE", "client");
    env.put("PATH", sparkSubmit.getParent() + File.pathSeparator + System.getenv("PATH"));
    env.put("TZ", env.get("CRON_TZ"));
    return PartyProcess.startCommand("cron:" + party, List.of("bash", "-c", command), env, fx.work, System.out);
  }

  @Test
  void eachSchedulersCommandRunsItsPartysSideOfTheSameLocalJobForYesterday() throws Exception {
    Files.createDirectories(ledger("bank_a").getParent());
    Map<String, PartyProcess> ps = new LinkedHashMap<>();
    ps.put("bank_a", airflow("bank_a"));
    ps.put("bank_b", oozie("bank_b"));
    ps.put("regulator", cron("regulator"));
    for (Map.Entry<String, PartyProcess> p : ps.entrySet()) {
      int exit = p.getValue().await(RUN_MS);
      String log = p.getKey().equals("regulator") ? Files.readString(cronLog) : AggregateFixture.text(p.getValue());
      assertThat(exit).as(p.getKey() + " exit code; its output:\n" + log).isZero();
    }

    // The period each scheduler computed is yesterday; the regulator's report went to that period's directory.
    for (String p : ALL) {
      List<LedgerEntry> entries = LocalLedger.openReadOnly(ledger(p)).entries();
      assertThat(entries).as(p + "'s ledger").hasSize(1);
      assertThat(entries.get(0).receipt().period()).isEqualTo(PERIOD);
      assertThat(entries.get(0).receipt().jobName()).isEqualTo(JOB);
    }
    Function<AggregateFixture.CreditRow, String> key = r -> r.get("EDUCATION") + "|" + r.get("MARRIAGE");
    List<String> sums = List.of("LIMIT_BAL", "BILL_AMT1");
    AggregateIT.assertReport(AggregateFixture.readCsvDir(fx.work.resolve("out/" + PERIOD)),
        List.of("EDUCATION", "MARRIAGE"), AggregateIT.domain(AggregateIT.range(0, 6), AggregateIT.range(0, 3)),
        AggregateIT.groupBy(AggregateIT.union(split, BANKS), key, sums), List.of("sum_limit_bal", "sum_bill_amt1"),
        10);
  }
}
