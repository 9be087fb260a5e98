package io.veil.jobs.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.veil.channel.memory.InMemoryChannel;
import io.veil.connectors.input.PartyInputs;
import io.veil.crypto.PartySecret;
import io.veil.job.JobOutcome;
import io.veil.job.JobRequest;
import io.veil.job.Leakage;
import io.veil.job.VeilJobs;
import io.veil.jobs.VeilCli;
import io.veil.ledger.LedgerReceipts;
import io.veil.ledger.chain.ChainSink;
import io.veil.ledger.chain.DevChain;
import io.veil.ledger.chain.ReceiptAnchor;
import io.veil.spark.KeyRef;
import io.veil.spec.JobSpec;
import io.veil.spec.PartyPolicy;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil report} over real runs: three banks and a regulator run a secure SUM/COUNT for three
 * periods (every party through the job runtime on its own driver thread, over the in-memory channel,
 * each writing its receipts to its own signed ledger, the regulator its output files), then the
 * regulator's report of the series is checked against the plaintext union + GROUP BY and loaded
 * in a real headless Chromium: no console error, every chart drawn, suppressed groups marked, the
 * audit trail and the leakage statement present, group keys shown as text (never markup), nothing
 * fetched, a screenshot that is not blank.
 */
class JointReportTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final List<String> BANKS = List.of("bank_a", "bank_b", "bank_c");
  private static final String REGULATOR = "regulator";
  private static final List<String> PERIODS = List.of("2026-09", "2026-10", "2026-11");
  /** A group key that is markup and a script, to show the page treats keys as text. */
  static final String HOSTILE = "</script><script>document.title='pwned'</script> & Süd";
  private static final List<String> REGIONS = List.of("north", "south", HOSTILE);
  private static final List<String> SEGMENTS = List.of("retail", "sme");
  private static final int MIN_GROUP_SIZE = 5;
  /** Rows per group (region-major, then segment) and period: some below MIN_GROUP_SIZE, varying by period. */
  private static final int[][] ROWS = {
      {40, 12, 9, 4, 15, 2},
      {44, 14, 11, 9, 18, 7},
      {47, 13, 3, 10, 16, 3}};

  @TempDir static Path dir;
  private static SparkSession spark;
  /** The regulator anchors its receipts on a Ganache dev chain, so the report shows and checks real anchors. */
  private static DevChain chain;
  private static String contract;
  private static final Map<String, PartySecret> KEYS = new LinkedHashMap<>();
  private static final List<Path> SPECS = new ArrayList<>();
  /** Per period, per group key (region, segment): {count, total_amount, defaults} of the plaintext union. */
  private static final List<Map<List<String>, BigDecimal[]>> EXPECTED = new ArrayList<>();
  private static Path regulatorLedger;
  private static final List<String> PSI_PERIODS = List.of("2026-10", "2026-11");
  private static final List<Path> PSI_SPECS = new ArrayList<>();
  private static final List<Long> PSI_EXPECTED = new ArrayList<>();
  private static final int FEATURE_ROWS = 40;
  private static Path featureSpec;
  private static long jobsMs;

  @BeforeAll
  static void runThreePeriods() throws Exception {
    spark = SparkSession.builder().appName("joint-report-test").master("local[2]")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2").config("spark.sql.adaptive.enabled", "false")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer").getOrCreate();
    SecureRandom rnd = new SecureRandom();
    List<String> all = new ArrayList<>(BANKS);
    all.add(REGULATOR);
    for (String id : all) {
      PartySecret s = PartySecret.generate(id, rnd);
      s.write(dir.resolve(id + ".key"));
      KEYS.put(id, s);
    }
    regulatorLedger = dir.resolve("veil-ledger-regulator.jsonl");
    chain = DevChain.start();
    contract = chain.deployLedger();
    InMemoryChannel channel = new InMemoryChannel("joint-report-test");
    long start = System.nanoTime();
    for (int p = 0; p < PERIODS.size(); p++) {
      String period = PERIODS.get(p);
      EXPECTED.add(writeInputs(period, ROWS[p], new Random(1000 + p)));
      Path specFile = dir.resolve("exposure-" + period + ".yaml");
      Files.writeString(specFile, specYaml(period));
      SPECS.add(specFile);
      runAll(JobSpec.read(specFile, period), all, "aggregate", List.of(REGULATOR), channel, REGULATOR);
    }
    jobsMs = (System.nanoTime() - start) / 1_000_000;
    System.out.println("JointReportTest: 3 periods of a 4-party aggregate ran in " + jobsMs + " ms");
    start = System.nanoTime();
    for (int p = 0; p < PSI_PERIODS.size(); p++) {
      String period = PSI_PERIODS.get(p);
      PSI_EXPECTED.add(writePsiInputs(period, new Random(2000 + p)));
      Path specFile = dir.resolve("overlap-" + period + ".yaml");
      Files.writeString(specFile, psiSpecYaml(period));
      PSI_SPECS.add(specFile);
      runAll(JobSpec.read(specFile, period), List.of("bank_a", "bank_b"), "psi", List.of("bank_a"), channel, null);
    }
    System.out.println("JointReportTest: 2 periods of a PSI cardinality ran in " + (System.nanoTime() - start) / 1_000_000
        + " ms");
    start = System.nanoTime();
    featureSpec = dir.resolve("vfl.yaml");
    Files.writeString(featureSpec, featureSpecYaml());
    runAll(JobSpec.read(featureSpec, null), List.of("bank_a", "bank_b"), "feature-aggregate", List.of("bank_a"),
        channel, null);
    System.out.println("JointReportTest: a feature aggregation ran in " + (System.nanoTime() - start) / 1_000_000
        + " ms");
  }

  /** A feature aggregation (no period): bank_a and bank_b hold two values for each of the same FEATURE_ROWS ids. */
  private static String featureSpecYaml() throws IOException {
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String id : List.of("bank_a", "bank_b")) {
      StringBuilder csv = new StringBuilder("id,v0,v1\n");
      Random rnd = new Random(id.hashCode());
      for (int i = 0; i < FEATURE_ROWS; i++) {
        csv.append("C").append(i).append(',').append(rnd.nextInt(100)).append(',').append(rnd.nextInt(100)).append('\n');
      }
      Path f = dir.resolve("fa-in").resolve(id + ".csv");
      Files.createDirectories(f.getParent());
      Files.writeString(f, csv, StandardCharsets.UTF_8);
      Map<String, Object> party = new LinkedHashMap<>();
      party.put("id", id);
      party.put("publicKey", KEYS.get(id).identity().publicKey().encoded());
      party.put("input", Map.of("format", "csv", "path", f.toString(), "options", Map.of("header", "true"),
          "schema", Map.of("id", "string", "v0", "double", "v1", "double"), "keyColumns", List.of("id"),
          "columns", List.of("v0", "v1")));
      if (id.equals("bank_a")) {
        party.put("output", Map.of("path", dir.resolve("fa-out").toString()));
      }
      parties.add(party);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("version", 1);
    doc.put("name", "vfl-step");
    doc.put("operator", "feature-aggregate");
    doc.put("parties", parties);
    doc.put("featureAggregate", Map.of("resultParty", "bank_a", "dims", 2, "maxAbs", 1000, "partitions", 2));
    return YAML.writeValueAsString(doc);
  }

  /**
   * Every party of {@code spec} through the runtime, each on its own driver thread, writing its own ledger;
   * {@code anchoring} (may be null) also anchors its receipts on the dev chain.
   */
  private static void runAll(JobSpec spec, List<String> parties, String operator, List<String> recipients,
      InMemoryChannel channel, String anchoring) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(parties.size());
    try {
      List<Future<JobOutcome>> runs = new ArrayList<>();
      for (String id : parties) {
        LedgerReceipts receipts = LedgerReceipts.local(dir.resolve("veil-ledger-" + id + ".jsonl"));
        if (id.equals(anchoring)) {
          receipts = receipts.withChain(chain.config(1).contractAddress(contract).build(), 30_000);
        }
        JobRequest rq = JobRequest.builder(spec, id, new KeyRef(dir.resolve(id + ".key").toString()))
            .policy(PartyPolicy.parse(policyYaml(id, parties, operator, recipients), "policy of " + id))
            .channel(channel)
            .inputReader(PartyInputs.reader(PartyInputs.Secrets.NONE))
            .receipts(receipts)
            .build();
        runs.add(pool.submit(() -> VeilJobs.run(spark, rq)));
      }
      for (Future<JobOutcome> f : runs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** bank_a's and bank_b's customer ids for a PSI period; returns the plaintext intersection size. */
  private static long writePsiInputs(String period, Random rnd) throws IOException {
    java.util.Set<Integer> a = new java.util.TreeSet<>();
    java.util.Set<Integer> b = new java.util.TreeSet<>();
    while (a.size() < 60) {
      a.add(rnd.nextInt(150));
    }
    while (b.size() < 70) {
      b.add(rnd.nextInt(150));
    }
    for (Map.Entry<String, java.util.Set<Integer>> e : Map.of("bank_a", a, "bank_b", b).entrySet()) {
      StringBuilder csv = new StringBuilder("id\n");
      e.getValue().forEach(i -> csv.append("C").append(i).append('\n'));
      Path f = dir.resolve("psi-in").resolve(period).resolve(e.getKey() + ".csv");
      Files.createDirectories(f.getParent());
      Files.writeString(f, csv, StandardCharsets.UTF_8);
    }
    return a.stream().filter(b::contains).count();
  }

  private static String psiSpecYaml(String period) throws IOException {
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String id : List.of("bank_a", "bank_b")) {
      Map<String, Object> party = new LinkedHashMap<>();
      party.put("id", id);
      party.put("publicKey", KEYS.get(id).identity().publicKey().encoded());
      party.put("input", Map.of("format", "csv", "path", dir.resolve("psi-in").resolve(period).resolve(id + ".csv")
          .toString(), "options", Map.of("header", "true"), "keyColumns", List.of("id")));
      if (id.equals("bank_a")) {
        party.put("output", Map.of("path", dir.resolve("psi-out").resolve(period).toString()));
      }
      parties.add(party);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("version", 1);
    doc.put("name", "customer-overlap");
    doc.put("period", period);
    doc.put("operator", "psi");
    doc.put("parties", parties);
    doc.put("psi", Map.of("mode", "cardinality", "recipients", List.of("bank_a"), "partitions", 2));
    return YAML.writeValueAsString(doc);
  }

  @AfterAll
  static void stopSparkAndChain() {
    if (spark != null) {
      spark.stop();
    }
    if (chain != null) {
      chain.close();
    }
  }

  /** Each bank's CSV for {@code period}; returns the plaintext union's totals per group. */
  private static Map<List<String>, BigDecimal[]> writeInputs(String period, int[] rows, Random rnd) throws IOException {
    Map<String, StringBuilder> csv = new LinkedHashMap<>();
    BANKS.forEach(b -> csv.put(b, new StringBuilder("region,segment,amount,defaulted\n")));
    Map<List<String>, BigDecimal[]> expected = new LinkedHashMap<>();
    int g = 0;
    int turn = 0;
    for (String region : REGIONS) {
      for (String segment : SEGMENTS) {
        BigDecimal[] totals = {BigDecimal.ZERO, BigDecimal.ZERO.setScale(2), BigDecimal.ZERO};
        for (int i = 0; i < rows[g]; i++) {
          BigDecimal amount = BigDecimal.valueOf(100_00 + rnd.nextInt(5_000_000), 2);
          int defaulted = rnd.nextInt(10) == 0 ? 1 : 0;
          csv.get(BANKS.get(turn++ % BANKS.size())).append(region).append(',').append(segment).append(',')
              .append(amount.toPlainString()).append(',').append(defaulted).append('\n');
          totals[0] = totals[0].add(BigDecimal.ONE);
          totals[1] = totals[1].add(amount);
          totals[2] = totals[2].add(BigDecimal.valueOf(defaulted));
        }
        expected.put(List.of(region, segment), totals);
        g++;
      }
    }
    for (Map.Entry<String, StringBuilder> e : csv.entrySet()) {
      Path f = dir.resolve("in").resolve(period).resolve(e.getKey() + ".csv");
      Files.createDirectories(f.getParent());
      Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
    }
    return expected;
  }

  /** The period's spec: each period reads and writes its own files. */
  private static String specYaml(String period) throws IOException {
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String b : BANKS) {
      Map<String, Object> input = new LinkedHashMap<>();
      input.put("format", "csv");
      input.put("path", dir.resolve("in").resolve(period).resolve(b + ".csv").toString());
      input.put("options", Map.of("header", "true"));
      input.put("schema", Map.of("region", "string", "segment", "string", "amount", "double", "defaulted", "int"));
      parties.add(Map.of("id", b, "publicKey", KEYS.get(b).identity().publicKey().encoded(), "input", input));
    }
    parties.add(Map.of("id", REGULATOR, "publicKey", KEYS.get(REGULATOR).identity().publicKey().encoded(),
        // One period's output as CSV (read back as text), the others as Parquet.
        "output", Map.of("path", dir.resolve("out").resolve(period).resolve(REGULATOR).toString(), "format",
            period.equals("2026-10") ? "csv" : "parquet")));
    Map<String, Object> agg = new LinkedHashMap<>();
    agg.put("resultParty", REGULATOR);
    agg.put("groupBy", List.of(Map.of("column", "region", "values", REGIONS),
        Map.of("column", "segment", "values", SEGMENTS)));
    agg.put("sums", List.of(Map.of("column", "amount", "maxAbs", 1_000_000, "scale", 2, "as", "total_amount"),
        Map.of("column", "defaulted", "maxAbs", 1, "scale", 0, "as", "defaults")));
    agg.put("minGroupSize", MIN_GROUP_SIZE);
    agg.put("partitions", 2);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("version", 1);
    doc.put("name", "exposure-by-region");
    doc.put("period", period);
    doc.put("operator", "aggregate");
    doc.put("parties", parties);
    doc.put("aggregate", agg);
    return YAML.writeValueAsString(doc);
  }

  private static String policyYaml(String id, List<String> parties, String operator, List<String> recipients)
      throws IOException {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("party", id);
    List<Map<String, Object>> peers = new ArrayList<>();
    for (String p : parties) {
      if (!p.equals(id)) {
        peers.add(Map.of("id", p, "publicKey", KEYS.get(p).identity().publicKey().encoded()));
      }
    }
    doc.put("peers", peers);
    doc.put("operators", List.of(operator));
    doc.put("outputRecipients", recipients);
    return YAML.writeValueAsString(doc);
  }

  private record Cli(int code, String out, String err) {}

  private static Cli veil(List<String> args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = VeilCli.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static List<String> reportArgs(Path ledger, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("report", "--ledger", ledger.toString()));
    SPECS.forEach(s -> args.addAll(List.of("--spec", s.toString())));
    args.addAll(List.of("--out", out.toString()));
    args.addAll(List.of(more));
    return args;
  }

  @Test
  void theReportHoldsTheVerifiedResultsOfEveryPeriodEqualToThePlaintextUnion() {
    JointReport r = JointReport.collect(SPECS, regulatorLedger, null,
        new JointReport.Selection(List.of("2026-09..2026-11"), false), null, () -> spark, null);
    assertThat(r.problems()).isEmpty();
    assertThat(r.verified()).isTrue();
    assertThat(r.party()).isEqualTo(REGULATOR);
    assertThat(r.periods()).extracting(JointReport.PeriodResult::period).containsExactlyElementsOf(PERIODS);
    for (int p = 0; p < PERIODS.size(); p++) {
      JointReport.PeriodResult pr = r.periods().get(p);
      assertThat(pr.outputCheck().ok()).as(pr.outputCheck().text()).isTrue();
      List<JointReport.GroupRow> groups = pr.groups().orElseThrow();
      assertThat(groups).hasSize(REGIONS.size() * SEGMENTS.size());
      int suppressed = 0;
      for (JointReport.GroupRow g : groups) {
        BigDecimal[] want = EXPECTED.get(p).get(g.keys());
        boolean small = want[0].intValue() < MIN_GROUP_SIZE;
        assertThat(g.suppressed()).as("%s %s", PERIODS.get(p), g.keys()).isEqualTo(small);
        if (small) {
          suppressed++;
          assertThat(g.values()).containsOnlyNulls();
        } else {
          for (int m = 0; m < 3; m++) {
            assertThat(g.values().get(m)).as("%s %s measure %d", PERIODS.get(p), g.keys(), m).isEqualByComparingTo(want[m]);
          }
        }
      }
      assertThat(pr.receipt().result()).containsEntry("suppressedGroups", String.valueOf(suppressed));
      assertThat(pr.approvalProblems()).isEmpty();
    }
    JobSpec spec = JobSpec.read(SPECS.get(0), PERIODS.get(0));
    assertThat(r.leakage()).isEqualTo(spec.secureOperator().leakage(spec));
  }

  @Test
  void theSeriesPageLoadsInChromiumWithEveryChartDrawnAndSuppressedGroupsMarked() throws Exception {
    Path page = dir.resolve("report").resolve("exposure.html");
    long start = System.nanoTime();
    List<String> args = reportArgs(regulatorLedger, page, "--period", "2026-09", "--period", "2026-10..2026-11");
    args.addAll(chain.cliOptions(2, dir.resolve("auditor-chain.key"), contract));
    Cli cli = veil(args);
    long renderMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(cli.code()).as(cli.err()).isZero();
    assertThat(cli.out()).contains("verified: yes").contains("periods:  2026-09, 2026-10, 2026-11");
    String html = Files.readString(page);
    Files.createDirectories(Path.of("target", "joint-report"));
    Files.copy(page, Path.of("target", "joint-report", "exposure-series.html"), StandardCopyOption.REPLACE_EXISTING);
    System.out.println("JointReportTest: veil report (3 periods) took " + renderMs + " ms, page " + html.length() / 1024
        + " KiB; " + cli.out().lines().filter(l -> l.startsWith("size:")).findFirst().orElse(""));
    // Self-contained: no external reference of any kind.
    assertThat(html).doesNotContainPattern("(?i)(src|href)\\s*=\\s*[\"']?(https?:|//)").doesNotContain("<link");
    assertThat(html).doesNotContain(HOSTILE).contains(ReportPage.esc(HOSTILE));

    int suppressedCells = 0;
    for (int p = 0; p < PERIODS.size(); p++) {
      for (BigDecimal[] t : EXPECTED.get(p).values()) {
        suppressedCells += t[0].intValue() < MIN_GROUP_SIZE ? 1 : 0;
      }
    }
    try (HeadlessChromium chromium = HeadlessChromium.start(1280, 2600)) {
      long loadStart = System.nanoTime();
      chromium.open(page);
      long loadMs = (System.nanoTime() - loadStart) / 1_000_000;
      System.out.println("JointReportTest: Chromium loaded the page in " + loadMs + " ms");
      assertThat(chromium.severeLogs()).as("console errors").isEmpty();
      assertThat(chromium.js("return document.title")).isEqualTo("Joint report: exposure-by-region");
      // Nothing was fetched: every byte is in the file.
      assertThat(chromium.js("return performance.getEntriesByType('resource').length")).isEqualTo(0L);
      // Charts: overview, then per measure (count, total_amount, defaults) the per-group bars and the trend.
      List<String> charts = List.of("chart-overview", "chart-groups-0", "chart-groups-1", "chart-groups-2",
          "chart-trend-0", "chart-trend-1", "chart-trend-2");
      assertThat(chromium.js("return document.body.getAttribute('data-charts-drawn')"))
          .isEqualTo(String.valueOf(charts.size()));
      for (String id : charts) {
        Object drawn = chromium.js("var e = document.getElementById(arguments[0]); var s = e && e.querySelector('svg');"
            + "return s ? [e.getAttribute('data-drawn'), s.querySelectorAll('path,rect,text').length, "
            + "s.getBoundingClientRect().width, s.getBoundingClientRect().height] : null", id);
        assertThat(drawn).as(id).isNotNull();
        List<?> d = (List<?>) drawn;
        assertThat(d.get(0)).as(id).isEqualTo("true");
        assertThat(((Number) d.get(1)).intValue()).as(id + " drawn elements").isGreaterThan(20);
        assertThat(((Number) d.get(2)).doubleValue()).as(id + " width").isGreaterThan(600);
        assertThat(((Number) d.get(3)).doubleValue()).as(id + " height").isGreaterThan(200);
      }
      // Every suppressed (group, period) is drawn labelled 'suppressed' in each per-group chart, and marked in the
      // trend; the tables mark the same rows.
      for (int m = 0; m < 3; m++) {
        Object labels = chromium.js("return Array.from(document.querySelectorAll('#chart-groups-' + arguments[0] + "
            + "' svg text')).filter(t => t.textContent === 'suppressed').length", m);
        assertThat(((Number) labels).intValue()).as("suppressed labels in chart-groups-" + m).isEqualTo(suppressedCells);
      }
      assertThat(chromium.js("return document.querySelectorAll('#results tr.suppressed').length"))
          .isEqualTo((long) suppressedCells);
      assertThat(chromium.js("return document.querySelectorAll('#results td.supp').length"))
          .isEqualTo((long) suppressedCells * 3);
      // Group keys are text: the hostile key is in the table and on the chart axis, and made no element.
      assertThat(chromium.js("return Array.from(document.querySelectorAll('#results td'))"
          + ".filter(td => td.textContent === arguments[0]).length", HOSTILE)).isEqualTo((long) 2 * PERIODS.size());
      assertThat((String) chromium.js("return Array.from(document.querySelectorAll('#chart-groups-0 svg text'))"
          + ".map(t => t.textContent).join('')")).contains("region=" + HOSTILE.substring(0, 20));
      assertThat(chromium.js("return document.querySelectorAll('script').length")).isEqualTo(3L);
      // Verdict, audit trail and leakage statement.
      String verdict = (String) chromium.js("return document.getElementById('verification').innerText");
      assertThat(verdict).startsWith("Verified");
      String audit = (String) chromium.js("return document.getElementById('audit').innerText");
      for (Path s : SPECS) {
        JobSpec spec = JobSpec.read(s, null);
        assertThat(audit).contains(spec.jobId()).contains(spec.contractHash());
      }
      assertThat(audit).contains("input commitment").contains("output commitment").contains("job root");
      // Each period's anchor transaction, as the outbox records it, checked on the chain.
      List<ReceiptAnchor> anchors = ChainSink.recordedAnchors(regulatorLedger);
      assertThat(anchors).hasSize(PERIODS.size());
      for (ReceiptAnchor a : anchors) {
        assertThat(a.stage()).isEqualTo(ReceiptAnchor.Stage.CONFIRMED);
        assertThat(audit).contains("confirmed, transaction " + a.txHash() + " in block " + a.blockNumber());
      }
      assertThat(audit.split("anchor check\\s+pass: ", -1)).hasSize(PERIODS.size() + 1);
      assertThat(verdict).contains("matches its anchor on the chain");
      assertThat(chromium.js("return document.querySelectorAll('#audit table.approvals tbody tr').length"))
          .isEqualTo(4L * PERIODS.size());
      assertThat(chromium.js("return Array.from(document.querySelectorAll('#audit table.approvals td:last-child'))"
          + ".every(td => td.textContent.indexOf('valid') === 0)")).isEqualTo(true);
      String leakage = (String) chromium.js("return document.getElementById('leakage').innerText");
      JobSpec spec = JobSpec.read(SPECS.get(0), PERIODS.get(0));
      for (Leakage l : spec.secureOperator().leakage(spec)) {
        assertThat(leakage).contains(l.role()).contains(l.learns());
      }
      BufferedImage shot = chromium.screenshot(Path.of("target", "joint-report", "exposure-series.png"));
      assertThat(HeadlessChromium.distinctColours(shot)).as("distinct colours in the screenshot").isGreaterThan(200);
      assertThat(HeadlessChromium.inkedShare(shot)).as("share of non-white pixels").isGreaterThan(0.08);
      assertThat(chromium.severeLogs()).as("console errors").isEmpty();
    }
  }

  @Test
  void aPsiSeriesShowsTheIntersectionSizePerPeriodWithItsAuditTrail() throws Exception {
    Path page = dir.resolve("report").resolve("overlap.html");
    List<String> args = new ArrayList<>(List.of("report", "--ledger", dir.resolve("veil-ledger-bank_a.jsonl").toString(),
        "--all-periods", "--out", page.toString()));
    PSI_SPECS.forEach(s -> args.addAll(List.of("--spec", s.toString())));
    Cli cli = veil(args);
    assertThat(cli.code()).as(cli.err()).isZero();
    assertThat(cli.out()).contains("verified: yes").contains("periods:  2026-10, 2026-11");
    Files.createDirectories(Path.of("target", "joint-report"));
    Files.copy(page, Path.of("target", "joint-report", "overlap-series.html"), StandardCopyOption.REPLACE_EXISTING);
    try (HeadlessChromium chromium = HeadlessChromium.start(1280, 1800)) {
      chromium.open(page);
      assertThat(chromium.severeLogs()).as("console errors").isEmpty();
      assertThat(chromium.js("return document.body.getAttribute('data-charts-drawn')")).isEqualTo("1");
      assertThat(chromium.js("return document.querySelectorAll('#chart-overview svg path').length > 10")).isEqualTo(true);
      String headline = (String) chromium.js("return document.getElementById('headline').innerText");
      assertThat(headline).containsPattern("intersectionSize\\s+" + PSI_EXPECTED.get(0) + "\\s+" + PSI_EXPECTED.get(1));
      String chartText = (String) chromium.js("return Array.from(document.querySelectorAll('#chart-overview svg text'))"
          + ".map(t => t.textContent).join(' ')");
      assertThat(chartText).contains("intersectionSize").contains(String.valueOf(PSI_EXPECTED.get(1)));
      String audit = (String) chromium.js("return document.getElementById('audit').innerText");
      for (int p = 0; p < PSI_PERIODS.size(); p++) {
        assertThat(audit).contains(JobSpec.read(PSI_SPECS.get(p), null).contractHash());
      }
      assertThat(audit).contains("not anchored").contains("not checked on chain");
      assertThat((String) chromium.js("return document.getElementById('leakage').innerText"))
          .contains("bank_a (recipient)").contains("the intersection size, not which keys are shared");
      BufferedImage shot = chromium.screenshot(Path.of("target", "joint-report", "overlap-series.png"));
      assertThat(HeadlessChromium.distinctColours(shot)).isGreaterThan(100);
    }
  }

  @Test
  void aFeatureAggregationWithoutPeriodShowsItsFiguresAndAuditTrail() throws Exception {
    Path page = dir.resolve("report").resolve("vfl.html");
    Cli cli = veil(List.of("report", "--ledger", dir.resolve("veil-ledger-bank_a.jsonl").toString(), "--spec",
        featureSpec.toString(), "--out", page.toString()));
    assertThat(cli.code()).as(cli.err()).isZero();
    assertThat(cli.out()).contains("verified: yes").contains("periods:  (no period)");
    try (HeadlessChromium chromium = HeadlessChromium.start(1280, 1400)) {
      chromium.open(page);
      assertThat(chromium.severeLogs()).as("console errors").isEmpty();
      assertThat(chromium.js("return document.body.getAttribute('data-charts-drawn')")).isEqualTo("1");
      assertThat((String) chromium.js("return document.getElementById('headline').innerText"))
          .containsPattern("alignedRows\\s+" + FEATURE_ROWS);
      assertThat((String) chromium.js("return document.getElementById('audit').innerText"))
          .contains(JobSpec.read(featureSpec, null).contractHash()).contains("recomputes to the commitment");
      assertThat((String) chromium.js("return document.getElementById('leakage').innerText"))
          .contains("bank_a (result party)").contains("bank_b's vectors");
    }
  }

  @Test
  void aLedgerThatDoesNotVerifyIsNeverRenderedSilently() throws IOException {
    Path tampered = dir.resolve("tampered").resolve("veil-ledger-regulator.jsonl");
    Files.createDirectories(tampered.getParent());
    String text = Files.readString(regulatorLedger);
    String first = text.lines().findFirst().orElseThrow();
    String edited = first.replaceFirst("\"releasedGroups\":\"(\\d+)\"", "\"releasedGroups\":\"99\"");
    assertThat(edited).isNotEqualTo(first);
    Files.writeString(tampered, text.replace(first, edited));
    Path page = dir.resolve("tampered").resolve("report.html");

    Cli refused = veil(reportArgs(tampered, page, "--all-periods"));
    assertThat(refused.code()).isEqualTo(VeilCli.EXIT_FAILED);
    assertThat(refused.err()).contains("Cannot render the report of job 'exposure-by-region'")
        .contains("receipt was modified after it was written").contains("--allow-unverified");
    assertThat(page).doesNotExist();

    Cli marked = veil(reportArgs(tampered, page, "--all-periods", "--allow-unverified"));
    assertThat(marked.code()).isEqualTo(VeilCli.EXIT_FAILED);
    assertThat(marked.out()).contains("verified: NO");
    assertThat(Files.readString(page)).contains("<h2>NOT VERIFIED</h2>").contains("receipt was modified")
        .doesNotContain("<h2>Verified</h2>");
  }

  @Test
  void missingLedgerSpecOrPeriodAreNamedWithTheFix() {
    Path page = dir.resolve("errors").resolve("report.html");
    Cli noLedger = veil(reportArgs(dir.resolve("nope.jsonl"), page));
    assertThat(noLedger.code()).isEqualTo(VeilCli.EXIT_USAGE);
    assertThat(noLedger.err()).contains("no ledger file").contains("--ledger");

    Cli noSpec = veil(List.of("report", "--ledger", regulatorLedger.toString(), "--spec", "nope.yaml"));
    assertThat(noSpec.code()).isEqualTo(VeilCli.EXIT_USAGE);
    assertThat(noSpec.err()).contains("no spec file nope.yaml");

    Cli noPeriod = veil(reportArgs(regulatorLedger, page, "--period", "2027-01"));
    assertThat(noPeriod.code()).isEqualTo(VeilCli.EXIT_FAILED);
    assertThat(noPeriod.err()).contains("holds no receipt of job 'exposure-by-region' period 2027-01")
        .contains("2026-09, 2026-10, 2026-11");

    Cli both = veil(reportArgs(regulatorLedger, page, "--period", "2026-09", "--all-periods"));
    assertThat(both.code()).isEqualTo(VeilCli.EXIT_USAGE);

    // A spec that is not the one the period ran with: its contract differs.
    Cli wrongSpec = veil(List.of("report", "--ledger", regulatorLedger.toString(), "--spec", SPECS.get(0).toString(),
        "--period", "2026-10", "--out", page.toString()));
    assertThat(wrongSpec.code()).isEqualTo(VeilCli.EXIT_FAILED);
    assertThat(wrongSpec.err()).contains("is for contract").contains("Pass the spec that job ran with");
    assertThat(page).doesNotExist();
  }
}
