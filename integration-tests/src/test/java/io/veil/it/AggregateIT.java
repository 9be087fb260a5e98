package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.aggregate.NoisePlan;
import io.veil.channel.ControlMessage;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.it.AggregateFixture.CreditRow;
import io.veil.jobs.PartyProcess;
import io.veil.jobs.demo.DemoData;
import io.veil.spec.JobSpec;
import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secure aggregation end to end, each party its own JVM over one real Kafka broker: grouped
 * SUM/COUNT over 3 and 5 banks equal the plaintext union + GROUP BY (small groups suppressed), no
 * per-bank figure crosses the broker in the clear, DP noise has the declared scale, and a
 * PSI-aligned feature aggregation equals the plaintext row-wise sum.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AggregateIT {
  private static final long RUN_MS = 300_000;
  private static final List<String> BANKS3 = List.of("bank_a", "bank_b", "bank_c");
  private static final List<String> BANKS5 = List.of("bank_a", "bank_b", "bank_c", "bank_d", "bank_e");
  private static final List<String> EXPOSURE_SUMS = List.of("LIMIT_BAL", "BILL_AMT1", AggregateFixture.LABEL);
  private static final List<String> DP_SUMS = List.of(AggregateFixture.LABEL, "PAY_0");
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static AggregateFixture fx;
  static Map<String, List<CreditRow>> split3;
  static Map<String, List<CreditRow>> split5;
  static Map<String, List<CreditRow>> splitDp;
  static Path exposureSpec;
  static Path dpSpec;
  static Map<String, PartyProcess> exposure;
  static Map<String, PartyProcess> five;
  static Map<String, PartyProcess> dp;
  static Map<String, PartyProcess> psi;

  /**
   * Writes every job's inputs and spec and starts the four independent jobs at once (13 party
   * JVMs; each test then waits for its own): a party spends much of its time waiting for its peers,
   * so overlapping the jobs keeps the class's wall time down.
   */
  @BeforeAll
  static void start() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    List<String> parties = new ArrayList<>(BANKS5);
    parties.addAll(List.of("regulator", "guest", "host"));
    fx = new AggregateFixture(dir.resolve("work"), broker.bootstrapServers(), parties, 20241122L);
    exposureSpec = writeExposureSpec();
    Path fiveSpec = writeFiveSpec();
    dpSpec = writeDpSpec();
    Path psiSpec = writePsiSpec();
    List<String> exposureParties = new ArrayList<>(BANKS3);
    exposureParties.add("regulator");
    exposure = fx.startAll(exposureSpec, exposureParties);
    five = fx.startAll(fiveSpec, BANKS5);
    dp = fx.startAll(dpSpec, List.of("bank_a", "bank_b"));
    psi = fx.startAll(psiSpec, List.of("guest", "host"));
  }

  @AfterAll
  static void stop() {
    for (Map<String, PartyProcess> job : java.util.Arrays.asList(exposure, five, dp, psi)) {
      if (job != null) {
        job.values().forEach(PartyProcess::close); // no-op for ended ones
      }
    }
    if (broker != null) {
      broker.close();
    }
  }

  /** Plaintext GROUP BY: group key (labels joined by '|') -> [count, sum of each column...]. */
  static Map<String, long[]> groupBy(List<CreditRow> rows, Function<CreditRow, String> key, List<String> sums) {
    Map<String, long[]> out = new HashMap<>();
    for (CreditRow r : rows) {
      long[] acc = out.computeIfAbsent(key.apply(r), k -> new long[sums.size() + 1]);
      acc[0]++;
      for (int i = 0; i < sums.size(); i++) {
        acc[i + 1] += r.get(sums.get(i));
      }
    }
    return out;
  }

  static List<CreditRow> union(Map<String, List<CreditRow>> split, List<String> banks) {
    List<CreditRow> all = new ArrayList<>();
    banks.forEach(b -> all.addAll(split.get(b)));
    return all;
  }

  /** Asserts every party exited 0. */
  static void assertSucceeded(Map<String, PartyProcess> ps) throws InterruptedException {
    for (PartyProcess p : ps.values()) {
      assertThat(AggregateFixture.exit(p)).as(p.name() + " exit code").isZero();
    }
  }

  /**
   * Asserts an aggregate output against the plaintext: every group of the domain once; groups under
   * {@code minGroupSize} suppressed with NULL count and sums; all others exact.
   */
  static void assertReport(List<Map<String, String>> out, List<String> groupColumns, List<String> domain,
      Map<String, long[]> expected, List<String> sumOutputs, int minGroupSize) {
    assertThat(out).hasSize(domain.size());
    Map<String, Map<String, String>> byGroup = new HashMap<>();
    for (Map<String, String> row : out) {
      String key = String.join("|", groupColumns.stream().map(row::get).toList());
      assertThat(byGroup.put(key, row)).as("group " + key + " reported twice").isNull();
    }
    assertThat(byGroup.keySet()).containsExactlyInAnyOrderElementsOf(domain);
    for (String g : domain) {
      Map<String, String> row = byGroup.get(g);
      long[] want = expected.getOrDefault(g, new long[sumOutputs.size() + 1]);
      if (want[0] < minGroupSize) {
        assertThat(row.get("suppressed")).as("suppressed of " + g).isEqualTo("true");
        assertThat(row.get("count")).as("count of suppressed " + g).isNull();
        for (String s : sumOutputs) {
          assertThat(row.get(s)).as(s + " of suppressed " + g).isNull();
        }
      } else {
        assertThat(row.get("suppressed")).as("suppressed of " + g).isEqualTo("false");
        assertThat(Long.parseLong(row.get("count"))).as("count of " + g).isEqualTo(want[0]);
        for (int i = 0; i < sumOutputs.size(); i++) {
          assertThat(new BigDecimal(row.get(sumOutputs.get(i)))).as(sumOutputs.get(i) + " of " + g)
              .isEqualByComparingTo(BigDecimal.valueOf(want[i + 1]));
        }
      }
    }
  }

  static List<String> domain(List<String> first, List<String> second) {
    List<String> d = new ArrayList<>();
    for (String a : first) {
      for (String b : second) {
        d.add(a + "|" + b);
      }
    }
    return d;
  }

  static List<String> range(int from, int toInclusive) {
    List<String> l = new ArrayList<>();
    for (int i = from; i <= toInclusive; i++) {
      l.add(Integer.toString(i));
    }
    return l;
  }

  static List<String> csvInput(Path path, String schema) {
    return List.of("format: csv", "path: " + path, "schema: {" + schema + "}");
  }

  /** Three banks and a regulator (no input): the joint report of the annotated example spec. */
  static Path writeExposureSpec() throws IOException {
    split3 = fx.splitUci(BANKS3, "uci3", 3);
    String schema = "EDUCATION: int, MARRIAGE: int, LIMIT_BAL: double, BILL_AMT1: double, "
        + AggregateFixture.LABEL + ": int";
    List<String> parties = new ArrayList<>();
    for (String b : BANKS3) {
      parties.add(fx.party(b, csvInput(fx.uciFile(b, "uci3"), schema), null));
    }
    Path out = fx.work.resolve("out/exposure");
    parties.add(fx.party("regulator", null, List.of("path: " + out, "format: csv")));
    return fx.writeSpec("exposure.yaml", String.join("\n",
        "version: 1",
        "name: it-exposure",
        "operator: aggregate",
        "peerTimeoutMs: 300000",
        "parties:",
        String.join("\n", parties),
        "aggregate:",
        "  resultParty: regulator",
        "  groupBy:",
        "    - column: EDUCATION",
        "      values: [0, 1, 2, 3, 4, 5, 6]",
        "    - column: MARRIAGE",
        "      values: [0, 1, 2, 3]",
        "  sums:",
        "    - {column: LIMIT_BAL, maxAbs: 10000000, as: sum_limit_bal}",
        "    - {column: BILL_AMT1, maxAbs: 10000000, scale: 0, as: sum_bill_amt1}",
        "    - {column: " + AggregateFixture.LABEL + ", maxAbs: 1, as: sum_default}",
        "  minGroupSize: 10",
        "  partitions: 4"));
  }

  @Test
  @Order(1)
  void threeBanksReportToARegulatorExactlyAndNothingPerBankCrossesTheBrokerInTheClear() throws Exception {
    List<String> sums = EXPOSURE_SUMS;
    Map<String, List<CreditRow>> split = split3;
    Path spec = exposureSpec;
    Path out = fx.work.resolve("out/exposure");
    Map<String, PartyProcess> ps = AggregateFixture.awaitAll(exposure, RUN_MS);
    assertSucceeded(ps);

    Function<CreditRow, String> key = r -> r.get("EDUCATION") + "|" + r.get("MARRIAGE");
    Map<String, long[]> expected = groupBy(union(split, BANKS3), key, sums);
    List<String> domain = domain(range(0, 6), range(0, 3));
    assertReport(AggregateFixture.readCsvDir(out), List.of("EDUCATION", "MARRIAGE"), domain, expected,
        List.of("sum_limit_bal", "sum_bill_amt1", "sum_default"), 10);
    long released = domain.stream().filter(g -> expected.getOrDefault(g, new long[1])[0] >= 10).count();
    // The dataset has groups below 10 rows (EDUCATION 0, MARRIAGE 0, ...) besides empty ones.
    assertThat(released).isBetween(10L, 27L);
    assertThat(expected.values()).anyMatch(v -> v[0] > 0 && v[0] < 10);
    assertThat(ps.values().stream().map(PsiFixture::jobRoot).distinct().toList())
        .as("all four receipts agree on the job root").hasSize(1).doesNotContainNull();
    assertThat(PsiFixture.figure(ps.get("regulator"), "groups")).isEqualTo("28");
    assertThat(PsiFixture.figure(ps.get("regulator"), "releasedGroups")).isEqualTo(Long.toString(released));
    // The regulator's joint report of this job (`veil report` in its own JVM, as bin/veil runs it): written, verified,
    // one row per group of the domain, the suppressed ones marked.
    Path page = fx.work.resolve("report/it-exposure.html");
    PartyProcess report = PartyProcess.start("report", List.of("report", "--ledger",
        fx.work.resolve("ledger-regulator.jsonl").toString(), "--spec", spec.toString(), "--out", page.toString(),
        "--master", "local[1]"), "768m", List.of(), fx.work, System.out);
    assertThat(report.await(180_000)).as(String.join("\n", report.output())).isZero();
    assertThat(String.join("\n", report.stdout())).contains("verified: yes");
    String html = Files.readString(page);
    assertThat(html).contains("<h2>Verified</h2>").contains("id=\"chart-groups-0\"")
        .contains(PsiFixture.jobId(spec));
    assertThat(html.split("<tr class=\"suppressed\">", -1)).hasSize(domain.size() - (int) released + 1);
    for (String b : BANKS3) {
      assertThat(ps.get(b).outcome().path("inputRows").asLong()).as(b).isEqualTo(split.get(b).size());
      assertThat(PsiFixture.figure(ps.get(b), "releasedGroups")).as(b).isEqualTo(Long.toString(released));
      assertThat(ps.get(b).outcome().path("output").isNull()).as(b + " has no output").isTrue();
      // Sums of suppressed groups are never sent, even masked: 3 sums per released group only.
      assertThat(PsiFixture.line(ps.get(b), "step agg-sums sent")).as(b).get().asString()
          .contains("step agg-sums sent " + released * 3 + " masked elements");
      assertThat(PsiFixture.line(ps.get(b), "step agg-counts sent")).as(b).get().asString()
          .contains("step agg-counts sent 28 masked elements");
    }

    // The broker operator's view, read as that operator would (README, leakage table: the domain
    // size, the number of data parties and of released groups, timing; not which groups were
    // released): every record is a control message or a signed batch of 8-byte ring words; every
    // number it can read is the domain size (counts), the released count (release check) or three
    // sums per released group; no notice holds the release list in clear.
    String jobId = PsiFixture.jobId(spec);
    BrokerView view = BrokerView.read(broker.bootstrapServers());
    assertThat(view.unreadable).isEmpty();
    assertThat(view.kinds(jobId)).contains("Notice")
        .isSubsetOf("Hello", "Heartbeat", "InputCommitted", "RoundComplete", "Notice", "Done");
    assertThat(view.dataOf(jobId)).isNotEmpty().allSatisfy(d -> assertThat(d.elementBytes()).isEqualTo(8));
    assertThat(view.announcedTotals(jobId)).isSubsetOf((long) domain.size(), released, released * 3);
    assertThat(Set.copyOf(view.elementsPerStream(jobId).values()))
        .isSubsetOf((long) domain.size(), released, released * 3);
    java.util.BitSet releaseList = new java.util.BitSet();
    for (int g = 0; g < domain.size(); g++) {
      if (expected.getOrDefault(domain.get(g), new long[1])[0] >= 10) {
        releaseList.set(g);
      }
    }
    List<byte[]> notices = view.controlOf(jobId).stream().filter(m -> m.body() instanceof ControlMessage.Notice)
        .map(m -> ((ControlMessage.Notice) m.body()).payload()).toList();
    assertThat(notices).isNotEmpty();
    assertThat(PsiEndToEndIT.contains(notices, releaseList.toByteArray())).as("the release list in clear").isFalse();

    // The broker's log: it holds the masked vectors (the scan sees them) ...
    List<byte[]> segments = AggregateFixture.segments(broker);
    for (String b : BANKS3) {
      List<String> steps = new ArrayList<>(List.of("agg-counts", "agg-sums"));
      BANKS3.stream().filter(other -> !other.equals(b)).forEach(other -> steps.add("agg-check." + other));
      for (String step : steps) {
        assertThat(PsiEndToEndIT.contains(segments, (b + "." + jobId + "." + step).getBytes(StandardCharsets.UTF_8)))
            .as(b + " " + step + " batches in the log").isTrue();
      }
    }
    // ... but no bank's per-group figure in the clear (8-byte little-endian as in the ring, or as text):
    // only the large sums, which cannot turn up by chance.
    List<Long> secrets = new ArrayList<>();
    for (String b : BANKS3) {
      for (long[] v : groupBy(split.get(b), key, sums).values()) {
        for (int i = 1; i <= 2; i++) {
          if (Math.abs(v[i]) >= 10_000_000L) {
            secrets.add(v[i]);
          }
        }
      }
    }
    assertThat(secrets).hasSizeGreaterThan(20);
    for (long s : secrets) {
      assertThat(PsiEndToEndIT.contains(segments, AggregateFixture.littleEndian(s))).as("LE long " + s).isFalse();
      assertThat(PsiEndToEndIT.contains(segments, Long.toString(s).getBytes(StandardCharsets.US_ASCII)))
          .as("text " + s).isFalse();
    }
  }

  /** Five banks, bank_e also the result party. */
  static Path writeFiveSpec() throws IOException {
    split5 = fx.splitUci(BANKS5, "uci5", 5);
    String schema = "SEX: int, EDUCATION: int, LIMIT_BAL: double, PAY_AMT1: double";
    List<String> parties = new ArrayList<>();
    Path out = fx.work.resolve("out/five");
    for (String b : BANKS5) {
      parties.add(fx.party(b, csvInput(fx.uciFile(b, "uci5"), schema),
          b.equals("bank_e") ? List.of("path: " + out, "format: csv") : null));
    }
    return fx.writeSpec("five.yaml", String.join("\n",
        "version: 1",
        "name: it-five",
        "operator: aggregate",
        "peerTimeoutMs: 300000",
        "parties:",
        String.join("\n", parties),
        "aggregate:",
        "  resultParty: bank_e",
        "  groupBy:",
        "    - {column: SEX, values: [1, 2]}",
        "    - {column: EDUCATION, values: [0, 1, 2, 3, 4, 5, 6]}",
        "  sums:",
        "    - {column: LIMIT_BAL, maxAbs: 10000000}",
        "    - {column: PAY_AMT1, maxAbs: 10000000, as: paid}",
        "  minGroupSize: 10",
        "  partitions: 2"));
  }

  @Test
  @Order(2)
  void fiveBanksReportEqualsThePlaintext() throws Exception {
    List<String> sums = List.of("LIMIT_BAL", "PAY_AMT1");
    Map<String, List<CreditRow>> split = split5;
    Path out = fx.work.resolve("out/five");
    Map<String, PartyProcess> ps = AggregateFixture.awaitAll(five, RUN_MS);
    assertSucceeded(ps);
    Map<String, long[]> expected = groupBy(union(split, BANKS5), r -> r.get("SEX") + "|" + r.get("EDUCATION"), sums);
    assertReport(AggregateFixture.readCsvDir(out), List.of("SEX", "EDUCATION"), domain(range(1, 2), range(0, 6)),
        expected, List.of("sum_limit_bal", "paid"), 10);
    assertThat(PsiFixture.figure(ps.get("bank_e"), "groups")).isEqualTo("14");
  }

  /**
   * Two banks with DP noise. Relative paths (resolved in the parties' working directory) and seeded
   * keys: the same job id, hence the same noise, on every run, which makes the test on it a
   * fixed-seed statistical test.
   */
  static Path writeDpSpec() throws IOException {
    List<String> banks = List.of("bank_a", "bank_b");
    splitDp = fx.splitUci(banks, "dp", 7);
    String schema = "SEX: int, MARRIAGE: int, AGE: int, PAY_0: int, " + AggregateFixture.LABEL + ": int";
    List<String> parties = new ArrayList<>();
    for (String b : banks) {
      parties.add(fx.party(b, List.of("format: csv", "path: data/" + b + "-dp.csv", "schema: {" + schema + "}"),
          b.equals("bank_a") ? List.of("path: out/dp", "format: csv") : null));
    }
    return fx.writeSpec("dp.yaml", String.join("\n",
        "version: 1",
        "name: it-dp",
        "operator: aggregate",
        "peerTimeoutMs: 300000",
        "parties:",
        String.join("\n", parties),
        "aggregate:",
        "  resultParty: bank_a",
        "  groupBy:",
        "    - {column: SEX, values: [1, 2]}",
        "    - {column: MARRIAGE, values: [0, 1, 2, 3]}",
        "    - {column: AGE, buckets: {from: 20, to: 80, width: 1}}",
        "  sums:",
        "    - {column: " + AggregateFixture.LABEL + ", maxAbs: 1, scale: 0, as: defaults}",
        "    - {column: PAY_0, maxAbs: 10, scale: 0, as: pay0}",
        "  minGroupSize: 0",
        "  dp: {epsilon: 1.0, delta: 1.0e-6}",
        "  partitions: 2"));
  }

  @Test
  @Order(3)
  void dpNoiseIsThereWithTheDeclaredScale() throws Exception {
    Map<String, PartyProcess> ps = AggregateFixture.awaitAll(dp, RUN_MS);
    assertSucceeded(ps);

    JobSpec js = JobSpec.read(dpSpec, null);
    NoisePlan plan = NoisePlan.of(js.settings(io.veil.spec.AggregateSpec.class), js.dataParties());
    List<String> sumNames = DP_SUMS;
    Map<String, long[]> exact = groupBy(union(splitDp, List.of("bank_a", "bank_b")),
        r -> r.get("SEX") + "|" + r.get("MARRIAGE") + "|[" + r.get("AGE") + "," + (r.get("AGE") + 1) + ")", sumNames);
    List<Map<String, String>> out = AggregateFixture.readCsvDir(fx.work.resolve("out/dp"));
    assertThat(out).hasSize(2 * 4 * 60);
    List<String> outputs = List.of("count", "defaults", "pay0");
    List<double[]> noise = new ArrayList<>();
    outputs.forEach(o -> noise.add(new double[out.size()]));
    int i = 0;
    for (Map<String, String> row : out) {
      assertThat(row.get("suppressed")).isEqualTo("false");
      long[] want = exact.getOrDefault(row.get("SEX") + "|" + row.get("MARRIAGE") + "|" + row.get("AGE"), new long[3]);
      for (int c = 0; c < outputs.size(); c++) {
        noise.get(c)[i] = new BigDecimal(row.get(outputs.get(c))).longValueExact() - want[c];
      }
      i++;
    }
    assertThat(exact.keySet()).allSatisfy(k -> assertThat(k).matches("[12]\\|[0-3]\\|\\[\\d\\d,\\d\\d\\)"));
    double[] declared = {plan.countStdDev(), plan.sumStdDev(0), plan.sumStdDev(1)};
    for (int c = 0; c < outputs.size(); c++) {
      double[] n = noise.get(c);
      long nonZero = java.util.Arrays.stream(n).filter(x -> x != 0).count();
      double mean = java.util.Arrays.stream(n).average().orElseThrow();
      double var = java.util.Arrays.stream(n).map(x -> (x - mean) * (x - mean)).sum() / (n.length - 1);
      double std = Math.sqrt(var);
      String what = outputs.get(c) + ": declared std " + declared[c] + ", empirical " + std + ", mean " + mean;
      System.out.println("DP noise " + what);
      assertThat(declared[c]).as(what).isGreaterThan(2);
      assertThat(nonZero).as(what).isGreaterThan((long) (0.8 * n.length));
      assertThat(std / declared[c]).as(what).isBetween(0.8, 1.25);
      assertThat(Math.abs(mean)).as(what).isLessThan(4 * declared[c] / Math.sqrt(n.length));
    }
  }

  /** A real PSI job between guest and host on 70% samples of the shipped files. */
  static Path writePsiSpec() throws IOException {
    DemoData.sample(DemoData.GUEST, fx.work.resolve("data/guest.csv"), 0.7, 1);
    DemoData.sample(DemoData.HOST, fx.work.resolve("data/host.csv"), 0.7, 2);
    List<String> parties = new ArrayList<>();
    for (String p : List.of("guest", "host")) {
      parties.add(fx.party(p, List.of("format: csv", "path: " + fx.work.resolve("data/" + p + ".csv"),
          "keyColumns: [id]"), List.of("path: " + fx.work.resolve("out/fa-psi/" + p), "format: csv")));
    }
    return fx.writeSpec("fa-psi.yaml", String.join("\n",
        "version: 1",
        "name: it-fa-psi",
        "operator: psi",
        "peerTimeoutMs: 300000",
        "parties:",
        String.join("\n", parties),
        "psi:",
        "  mode: rows",
        "  recipients: [guest, host]",
        "  partitions: 2"));
  }

  @Test
  @Order(4)
  void psiAlignedFeatureAggregationEqualsThePlaintextRowSum() throws Exception {
    // 1. The PSI job (started with the others).
    assertSucceeded(AggregateFixture.awaitAll(psi, RUN_MS));

    // 2. Each party's Z_i = X_i W_i (private seeded W_i, 4 dims) over its own PSI output rows.
    Map<String, Map<String, BigDecimal[]>> z = new HashMap<>();
    long seed = 100;
    for (String p : List.of("guest", "host")) {
      List<Map<String, String>> rows = AggregateFixture.readCsvDir(fx.work.resolve("out/fa-psi/" + p));
      assertThat(rows).as(p + " PSI output").hasSizeGreaterThan(10_000);
      List<String> features = rows.get(0).keySet().stream().filter(c -> c.matches("x\\d+")).toList();
      assertThat(features).hasSize(p.equals("guest") ? 13 : 10);
      Random rnd = new Random(seed++);
      BigDecimal[][] w = new BigDecimal[features.size()][4];
      for (BigDecimal[] wr : w) {
        for (int k = 0; k < 4; k++) {
          wr[k] = BigDecimal.valueOf(rnd.nextGaussian());
        }
      }
      Map<String, BigDecimal[]> mine = new TreeMap<>();
      Path file = fx.work.resolve("data/z-" + p + ".csv");
      try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        out.write("id,z0,z1,z2,z3");
        out.newLine();
        for (Map<String, String> r : rows) {
          BigDecimal[] zr = new BigDecimal[4];
          StringBuilder line = new StringBuilder(r.get("id"));
          for (int k = 0; k < 4; k++) {
            BigDecimal s = BigDecimal.ZERO;
            for (int j = 0; j < features.size(); j++) {
              s = s.add(new BigDecimal(r.get(features.get(j))).multiply(w[j][k]));
            }
            zr[k] = s.setScale(6, RoundingMode.HALF_EVEN);
            line.append(',').append(zr[k].toPlainString());
          }
          assertThat(mine.put(r.get("id"), zr)).isNull();
          out.write(line.toString());
          out.newLine();
        }
      }
      z.put(p, mine);
    }
    assertThat(z.get("guest").keySet()).isEqualTo(z.get("host").keySet());

    // 3. Feature aggregation: only guest learns Z = Z_guest + Z_host, row by row.
    List<String> parties = new ArrayList<>();
    Path out = fx.work.resolve("out/fa/guest");
    for (String p : List.of("guest", "host")) {
      parties.add(fx.party(p, List.of("format: csv", "path: " + fx.work.resolve("data/z-" + p + ".csv"),
          "keyColumns: [id]", "columns: [z0, z1, z2, z3]", "schema: {z0: double, z1: double, z2: double, z3: double}"),
          p.equals("guest") ? List.of("path: " + out, "format: csv") : null));
    }
    Path faSpec = fx.writeSpec("fa.yaml", String.join("\n",
        "version: 1",
        "name: it-fa",
        "operator: feature-aggregate",
        "parties:",
        String.join("\n", parties),
        "featureAggregate:",
        "  resultParty: guest",
        "  dims: 4",
        "  scale: 6",
        "  maxAbs: 1000000",
        "  partitions: 2",
        "  batchRows: 1024"));
    Map<String, PartyProcess> ps = fx.runAll(faSpec, List.of("guest", "host"), RUN_MS);
    assertSucceeded(ps);
    int n = z.get("guest").size();
    assertThat(PsiFixture.figure(ps.get("guest"), "alignedRows")).isEqualTo(Integer.toString(n));
    assertThat(PsiFixture.figure(ps.get("host"), "alignedRows")).isEqualTo(Integer.toString(n));
    List<Map<String, String>> rows = AggregateFixture.readCsvDir(out);
    assertThat(rows).hasSize(n);
    Map<String, Map<String, String>> byId = new LinkedHashMap<>();
    rows.forEach(r -> byId.put(r.get("id"), r));
    assertThat(byId.keySet()).isEqualTo(z.get("guest").keySet());
    for (Map.Entry<String, Map<String, String>> e : byId.entrySet()) {
      BigDecimal[] g = z.get("guest").get(e.getKey());
      BigDecimal[] h = z.get("host").get(e.getKey());
      for (int k = 0; k < 4; k++) {
        BigDecimal got = new BigDecimal(e.getValue().get("z" + k));
        assertThat(got.scale()).as("scale of z" + k).isLessThanOrEqualTo(6);
        assertThat(got).as("z" + k + " of id " + e.getKey()).isEqualByComparingTo(g[k].add(h[k]));
      }
    }
    assertThat(AggregateFixture.noOutput(fx.work.resolve("out/fa/host"))).isTrue();
  }
}
