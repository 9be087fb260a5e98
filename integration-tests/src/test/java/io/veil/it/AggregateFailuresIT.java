package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.it.AggregateFixture.CreditRow;
import io.veil.jobs.PartyProcess;
import io.veil.ledger.LocalLedger;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * What goes wrong in a secure aggregation, each party its own JVM over a real broker: bad input
 * (a value out of range, a group value outside the domain) fails on that party's driver naming the
 * column and nothing of it is sent, and every other party aborts; mismatched specs fail on both
 * sides before any data is sent; a party that drops out mid-round makes the result party fail with
 * a peer timeout naming it, and a re-run of every party then produces the correct report.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AggregateFailuresIT {
  private static final long RUN_MS = 300_000;
  private static final List<String> BANKS = List.of("bank_a", "bank_b", "bank_c");
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static AggregateFixture fx;
  static Map<String, List<CreditRow>> split;
  static Path badSpec;
  static Path mismatchA;
  static Path mismatchB;
  static Map<String, PartyProcess> bad;
  static Map<String, PartyProcess> mismatch;

  /** Starts the bad-input and the mismatched-specs jobs at once (independent; each test waits for its own). */
  @BeforeAll
  static void start() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    fx = new AggregateFixture(dir.resolve("work"), broker.bootstrapServers(), List.of("bank_a", "bank_b", "bank_c",
        "regulator"), 99L);
    split = fx.splitUci(BANKS, "f", 11);

    // bank_a: one LIMIT_BAL above the declared maxAbs; bank_b: one EDUCATION outside the domain.
    List<String> header = AggregateFixture.parseCsvLine(AggregateFixture.uciLines().get(0));
    Map<String, Path> inputs = new LinkedHashMap<>();
    inputs.put("bank_a", withCell("bank_a", header.indexOf("LIMIT_BAL"), "20000001"));
    inputs.put("bank_b", withCell("bank_b", header.indexOf("EDUCATION"), "9"));
    inputs.put("bank_c", fx.uciFile("bank_c", "f"));
    badSpec = fx.reportSpec("bad.yaml", "it-bad-input", inputs, "regulator", fx.work.resolve("out/bad"), 10);
    bad = fx.startAll(badSpec, List.of("bank_a", "bank_b", "bank_c", "regulator"));

    inputs.clear();
    inputs.put("bank_a", fx.uciFile("bank_a", "f"));
    inputs.put("bank_b", fx.uciFile("bank_b", "f"));
    Path out = fx.work.resolve("out/mismatch");
    mismatchA = fx.reportSpec("mismatch-a.yaml", "it-mismatch", inputs, "bank_a", out, 10);
    mismatchB = fx.reportSpec("mismatch-b.yaml", "it-mismatch", inputs, "bank_a", out, 20);
    mismatch = new LinkedHashMap<>();
    mismatch.put("bank_a", fx.start("bank_a", mismatchA));
    mismatch.put("bank_b", fx.start("bank_b", mismatchB));
  }

  @AfterAll
  static void stop() {
    for (Map<String, PartyProcess> job : java.util.Arrays.asList(bad, mismatch)) {
      if (job != null) {
        job.values().forEach(PartyProcess::close); // no-op for ended ones
      }
    }
    if (broker != null) {
      broker.close();
    }
  }

  private static Set<String> topics() throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      return admin.listTopics().names().get();
    }
  }

  /** A copy of {@code bank}'s input with cell {@code column} of its first data row replaced. */
  private static Path withCell(String bank, int column, String value) throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(fx.uciFile(bank, "f"), StandardCharsets.UTF_8));
    String[] cells = lines.get(1).split(",", -1);
    cells[column] = value;
    lines.set(1, String.join(",", cells));
    Path bad = fx.work.resolve("data/" + bank + "-bad.csv");
    Files.write(bad, lines, StandardCharsets.UTF_8);
    return bad;
  }

  @Test
  @Order(1)
  void badInputFailsOnItsDriverNamingTheColumnAndEveryOtherPartyAborts() throws Exception {
    Path out = fx.work.resolve("out/bad");
    String jobId = PsiFixture.jobId(badSpec);
    Map<String, PartyProcess> ps = AggregateFixture.awaitAll(bad, RUN_MS);
    for (PartyProcess p : ps.values()) {
      assertThat(AggregateFixture.exit(p)).as(p.name() + " exit code").isEqualTo(1);
    }
    assertThat(PsiFixture.line(ps.get("bank_a"), "veil:")).get().asString()
        .contains("Cannot aggregate bank_a's input: 1 row has a value of 'LIMIT_BAL' outside its declared range")
        .contains("Nothing was sent");
    assertThat(PsiFixture.line(ps.get("bank_b"), "veil:")).get().asString()
        .contains("Cannot aggregate bank_b's input: 1 row has a value of group column 'EDUCATION' outside its "
            + "declared domain")
        .contains("Nothing was sent");
    // Input values are personal data: never in a message.
    assertThat(AggregateFixture.text(ps.get("bank_a"))).doesNotContain("20000001");
    // The others abort, naming a party whose input failed (the details stay in its own log).
    // Which abort a party reads first (bank_a's, bank_b's, or the regulator's relaying one) is a race.
    assertThat(PsiFixture.line(ps.get("regulator"), "veil:")).get().asString()
        .contains("veil: protocol error")
        .matches("(?s).*(bank_a|bank_b) aborted it.*its input or settings failed its checks \\(the details are "
            + "in (bank_a|bank_b)'s own job log\\).*");
    assertThat(PsiFixture.line(ps.get("bank_c"), "veil:")).get().asString()
        .contains("veil: protocol error").matches("(?s).*(bank_a|bank_b|regulator) aborted it.*");
    assertThat(AggregateFixture.noOutput(out)).isTrue();
    assertThat(topics()).noneMatch(t -> t.startsWith("bank_a." + jobId) || t.startsWith("bank_b." + jobId));
  }

  @Test
  @Order(2)
  void mismatchedSpecsFailOnBothSidesBeforeAnyDataIsSent() throws Exception {
    Path out = fx.work.resolve("out/mismatch");
    Path specA = mismatchA;
    Path specB = mismatchB;
    PartyProcess a = mismatch.get("bank_a");
    PartyProcess b = mismatch.get("bank_b");
    assertThat(a.await(RUN_MS)).isEqualTo(1);
    assertThat(b.await(RUN_MS)).isEqualTo(1);
    for (PartyProcess p : List.of(a, b)) {
      assertThat(AggregateFixture.text(p)).as(p.name()).contains("the specs differ").contains("veil spec-hash");
    }
    assertThat(topics()).noneMatch(t -> t.contains(PsiFixture.jobId(specA)) || t.contains(PsiFixture.jobId(specB)));
    assertThat(AggregateFixture.noOutput(out)).isTrue();
  }

  @Test
  @Order(3)
  void droppedPartyTimesOutNamingItAndARerunSucceeds() throws Exception {
    Map<String, Path> inputs = new LinkedHashMap<>();
    BANKS.forEach(b -> inputs.put(b, fx.uciFile(b, "f")));
    Path out = fx.work.resolve("out/dropout");
    Path spec = fx.reportSpec("dropout.yaml", "it-dropout", inputs, "bank_a", out, 10, "peerTimeoutMs: 10000");
    Map<String, PartyProcess> ps = new LinkedHashMap<>();
    for (String b : BANKS) {
      ps.put(b, fx.start(b, spec));
    }
    // bank_c drops out once its masked counts are out, before the release check and its sums.
    assertThat(ps.get("bank_c").awaitLine(l -> l.contains("step agg-counts sent"), RUN_MS)).isTrue();
    ps.get("bank_c").kill();
    PartyProcess a = ps.get("bank_a");
    PartyProcess bankB = ps.get("bank_b");
    assertThat(a.await(RUN_MS)).isEqualTo(1);
    int bExit = bankB.await(RUN_MS);
    assertThat(bExit).as("bank_b ends").isNotEqualTo(-1);
    // bank_b waits for bank_c's part of its release check and times out naming it; the result party
    // bank_a stops through bank_b's abort, naming bank_c (or by its own timeout on bank_c's sums, had
    // bank_c sent its part of the check before it died).
    assertThat(PsiFixture.line(a, "veil:")).get().asString().matches("(?s).*(veil: peer timeout.*bank_c did not "
        + "send its masked vector \\(step agg-sums\\) within 10000 ms|bank_b aborted it.*stopped waiting for bank_c).*");
    if (bExit == 1) {
      assertThat(PsiFixture.line(bankB, "veil:")).get().asString().matches("(?s).*(veil: peer timeout.*bank_c did not "
          + "send its masked vector \\(step agg-check\\.bank_b\\) within 10000 ms|aborted it.*bank_c).*");
    }
    assertThat(AggregateFixture.noOutput(out)).isTrue();
    assertThat(LocalLedger.openReadOnly(fx.work.resolve("ledger-bank_a.jsonl")).entries()).isEmpty();

    // Every party runs the same job again: the report is complete and exact.
    Map<String, PartyProcess> again = fx.runAll(spec, BANKS, RUN_MS);
    for (PartyProcess p : again.values()) {
      assertThat(AggregateFixture.exit(p)).as(p.name() + " exit code on the re-run").isZero();
    }
    Map<String, long[]> expected = new HashMap<>();
    for (String b : BANKS) {
      for (CreditRow r : split.get(b)) {
        long[] acc = expected.computeIfAbsent(r.get("EDUCATION") + "|" + r.get("MARRIAGE"), k -> new long[3]);
        acc[0]++;
        acc[1] += r.get("LIMIT_BAL");
        acc[2] += r.get("BILL_AMT1");
      }
    }
    List<Map<String, String>> rows = AggregateFixture.readCsvDir(out);
    assertThat(rows).hasSize(28);
    int released = 0;
    for (Map<String, String> row : rows) {
      long[] want = expected.getOrDefault(row.get("EDUCATION") + "|" + row.get("MARRIAGE"), new long[3]);
      if (want[0] < 10) {
        assertThat(row.get("suppressed")).isEqualTo("true");
        assertThat(row.get("count")).isNull();
        continue;
      }
      released++;
      assertThat(row.get("suppressed")).isEqualTo("false");
      assertThat(Long.parseLong(row.get("count"))).isEqualTo(want[0]);
      assertThat(new BigDecimal(row.get("sum_limit_bal"))).isEqualByComparingTo(BigDecimal.valueOf(want[1]));
      assertThat(new BigDecimal(row.get("sum_bill_amt1"))).isEqualByComparingTo(BigDecimal.valueOf(want[2]));
    }
    assertThat(PsiFixture.figure(again.get("bank_a"), "releasedGroups")).isEqualTo(Integer.toString(released));
    assertThat(LocalLedger.openReadOnly(fx.work.resolve("ledger-bank_a.jsonl")).entries()).hasSize(1);
  }
}
