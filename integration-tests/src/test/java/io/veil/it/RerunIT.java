package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.jobs.PartyProcess;
import io.veil.spec.JobSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-runs of a finished job (same spec and period), every party in its own JVM over a real Kafka
 * broker, and the two attacks on them that an external review found. Before the fix a party's keys,
 * masks and noise were per job, so a re-run over a changed input reused them:
 * <ul>
 *   <li>PSI cardinality: a peer adds one chosen element to its set between two runs and sees which
 *       answer is new, learning whether the other party holds that element;
 *   <li>aggregation: after a party's input changed, the result party (and anyone reading the topics)
 *       learns the exact per-group difference between its two inputs.
 * </ul>
 * Now a finished period run again returns each party's recorded result after checking its input
 * and output against its receipt, and sends nothing; the party whose input changed is refused on its
 * driver and told to use a new period; not one record reaches the broker either way. (A re-run of
 * an unfinished job, a crash-resume, is tested over the in-memory channel in JobRuntimeTest.)
 */
class RerunIT {
  private static final long RUN_MS = 300_000;
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  private static void writeIds(Path file, IntStream ids) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "id\n" + ids.mapToObj(i -> "customer-" + i).collect(Collectors.joining("\n")) + "\n",
        StandardCharsets.UTF_8);
  }

  private static Map<String, Integer> runBoth(PsiFixture fx, Path spec, Map<String, PartyProcess> procs)
      throws Exception {
    for (String p : PsiFixture.PARTIES) {
      procs.put(p, fx.start(p, spec));
    }
    Map<String, Integer> exits = new java.util.LinkedHashMap<>();
    for (String p : PsiFixture.PARTIES) {
      exits.put(p, procs.get(p).await(RUN_MS));
    }
    return exits;
  }

  @Test
  void psiCardinalityAPeerThatAddsAnElementBetweenRunsLearnsNothing() throws Exception {
    PsiFixture fx = new PsiFixture(dir.resolve("psi"), broker.bootstrapServers());
    Path a = fx.work.resolve("data/bank_a.csv");
    Path b = fx.work.resolve("data/bank_b.csv");
    writeIds(a, IntStream.range(0, 1500));
    writeIds(b, IntStream.range(1000, 2500));
    Path spec = fx.writeSpec("rerun.yaml", "it-rerun-psi", "cardinality", Map.of());
    String jobId = JobSpec.read(spec, null).jobId();

    Map<String, PartyProcess> first = new java.util.HashMap<>();
    assertThat(runBoth(fx, spec, first)).containsValues(0, 0).doesNotContainValue(1);
    assertThat(first.get("bank_b").value("intersection size")).isEqualTo("500");
    Set<String> records = dataRecords(jobId);
    assertThat(records).isNotEmpty();

    long onTheBroker = recordCount();

    // The finished period run again (a scheduler's retry): the recorded result, nothing sent.
    Map<String, PartyProcess> again = new java.util.HashMap<>();
    assertThat(runBoth(fx, spec, again).values()).containsOnly(0);
    assertThat(again.get("bank_b").figure("intersectionSize")).isEqualTo("500");
    for (String p : PsiFixture.PARTIES) {
      assertThat(AggregateFixture.text(again.get(p))).as(p).contains("the recorded result, nothing recomputed or sent");
    }
    assertThat(recordCount()).as("not one record, not even a hello").isEqualTo(onTheBroker);

    // bank_b adds customer-7, which bank_a holds, and runs the same job again.
    writeIds(b, IntStream.concat(IntStream.range(1000, 2500), IntStream.of(7)));
    Map<String, PartyProcess> attack = new java.util.HashMap<>();
    assertThat(runBoth(fx, spec, attack)).containsEntry("bank_a", 0).containsEntry("bank_b", 1);
    assertThat(AggregateFixture.text(attack.get("bank_b")))
        .contains("bank_b's input has changed")
        .contains("A finished period's result stands; run the new data as a new period");
    assertThat(attack.get("bank_b").figure("intersectionSize")).as("bank_b learned no new answer").isNull();
    assertThat(attack.get("bank_a").figure("intersectionSize")).as("bank_a's recorded answer, no new one")
        .isEqualTo("500");
    assertThat(recordCount()).as("the refused run sent nothing").isEqualTo(onTheBroker);
    assertThat(dataRecords(jobId)).isEqualTo(records);
    assertThat(PsiFixture.outputLines(fx.output("it-rerun-psi", "bank_b"))).as("bank_b's result is the first run's")
        .containsExactly("500");

    // The fix the error names: a new period is a new job with fresh keys, and it runs.
    Map<String, PartyProcess> newPeriod = new java.util.HashMap<>();
    for (String p : PsiFixture.PARTIES) {
      newPeriod.put(p, fx.start(p, spec, "--period", "r2"));
    }
    for (String p : PsiFixture.PARTIES) {
      assertThat(newPeriod.get(p).await(RUN_MS)).as(p).isZero();
    }
    assertThat(newPeriod.get("bank_b").value("intersection size")).isEqualTo("501");
  }

  @Test
  void aggregationTheResultPartyLearnsNoDifferenceBetweenAPartysTwoInputs() throws Exception {
    List<String> banks = List.of("bank_a", "bank_b", "bank_c");
    List<String> all = List.of("bank_a", "bank_b", "bank_c", "regulator");
    AggregateFixture fx = new AggregateFixture(dir.resolve("agg"), broker.bootstrapServers(), all, 17);
    fx.splitUci(banks, "rerun", 5);
    Map<String, Path> inputs = new java.util.LinkedHashMap<>();
    banks.forEach(bk -> inputs.put(bk, fx.uciFile(bk, "rerun")));
    Path out = fx.work.resolve("out/rerun");
    Path spec = fx.reportSpec("rerun.yaml", "it-rerun-agg", inputs, "regulator", out, 10);
    String jobId = JobSpec.read(spec, null).jobId();

    Map<String, PartyProcess> first = fx.runAll(spec, all, RUN_MS);
    for (String p : all) {
      assertThat(AggregateFixture.exit(first.get(p))).as(p).isZero();
    }
    List<Map<String, String>> report = AggregateFixture.readCsvDir(out);
    Set<String> records = dataRecords(jobId);
    assertThat(records).isNotEmpty();

    // bank_c corrects one row (a different LIMIT_BAL) and the same job runs again.
    Path c = fx.uciFile("bank_c", "rerun");
    List<String> lines = new ArrayList<>(Files.readAllLines(c, StandardCharsets.UTF_8));
    String[] cells = lines.get(1).split(",", -1);
    cells[1] = Long.toString((long) Double.parseDouble(cells[1]) + 10_000);
    lines.set(1, String.join(",", cells));
    Files.write(c, lines, StandardCharsets.UTF_8);

    long onTheBroker = recordCount();
    Map<String, PartyProcess> again = fx.runAll(spec, all, RUN_MS);
    for (String p : all) {
      assertThat(AggregateFixture.exit(again.get(p))).as(p).isEqualTo(p.equals("bank_c") ? 1 : 0);
    }
    assertThat(AggregateFixture.text(again.get("bank_c"))).contains("bank_c's input has changed")
        .contains("run the new data as a new period");
    assertThat(AggregateFixture.text(again.get("regulator"))).contains("the recorded result, nothing recomputed");
    assertThat(recordCount()).as("no masked vector of the second input reached the broker").isEqualTo(onTheBroker);
    assertThat(dataRecords(jobId)).isEqualTo(records);
    assertThat(AggregateFixture.readCsvDir(out)).as("the regulator's report is the first run's").isEqualTo(report);
  }

  /** How many records the broker holds, on every topic. */
  private static long recordCount() throws Exception {
    long[] n = {0};
    BrokerView.readRecords(broker.bootstrapServers(), t -> true, (topic, offset, value) -> n[0]++);
    return n[0];
  }

  /** Every distinct record (hex) on the job's data topics: topics whose name holds the job id. */
  private static Set<String> dataRecords(String jobId) throws Exception {
    Set<String> out = new HashSet<>();
    BrokerView.readRecords(broker.bootstrapServers(), t -> t.contains(jobId),
        (topic, offset, value) -> out.add(topic + ":" + HexFormat.of().formatHex(value)));
    return out;
  }
}
