package io.veil.jobs.bench;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import com.fasterxml.jackson.databind.JsonNode;
import io.veil.jobs.PartyProcess;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Option;

/**
 * End-to-end benchmark of the aggregation operators against plaintext Spark, on this machine.
 *
 * <ol>
 *   <li>{@code aggregate}: P parties x N rows each, a group column with G values (a bucket domain
 *       {@code {from: 0, to: G, width: 1}}, or {@code --domain values} for an explicit list) and two
 *       summed columns ({@code amount}: integers up to 10^6; {@code balance}: 2 decimals up to 10^7);
 *       party_1 is the result party and a data party.
 *   <li>{@code feature-aggregate}: P' parties x N' aligned rows (same ids, each party's file in a
 *       different order) x D dims (6 decimals); party_1 learns the row-wise sum.
 * </ol>
 *
 * <p>For each: inputs are generated as parquet (a helper JVM, not timed); every party runs
 * {@code veil run} as its own JVM with {@code local[1]} (one core) on one embedded Kafka broker
 * (in this JVM); then a plaintext Spark job doing the same computation runs in its own JVM with
 * {@code --plain-master} (default {@code local[1]}: the cores of one party): read the P inputs,
 * union + groupBy + count/sum (or join on id + add the vectors), write parquet. After the timed
 * part, it checks the secure output against the plaintext one. Bytes sent per party are the sizes
 * of its data topics' logs on the broker (Kafka admin API {@code describeLogDirs}).
 *
 * <pre>
 * veil agg-bench [--rows 1000000] [--groups 10000] [--parties 3] [--dims 8] [--fa-parties 2]
 *                [--fa-rows N] [--heap 2g] [--partitions 8] [--plain-master local[1]]
 *                [--only aggregate|features] [--domain buckets|values] [--work-dir DIR]
 * </pre>
 *
 * <p>The machine has 2 cores: with more than 2 parties, the parties' JVMs share them. Each
 * party's CPU time is reported so that this can be accounted for.
 */
public final class AggregateBench {
  /** The channel's default topic prefix (KafkaChannelConfig). */
  private static final String TOPIC_PREFIX = "veil.";
  private static final int ELEMENT_BYTES = 8;
  /** The time of a progress line as the party logged it (seconds). */
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  private AggregateBench() {}

  /** Which operators to run. */
  public enum Only { both, aggregate, features }

  /** Group domains of the aggregate job. */
  public enum Domain { buckets, values }

  /** {@code veil agg-bench}'s options (picocli). */
  public static final class Options {
    @Option(names = "--rows", defaultValue = "1000000", paramLabel = "N",
        description = "Rows per party of the aggregate job; default: ${DEFAULT-VALUE}.")
    long rows;

    @Option(names = "--groups", defaultValue = "10000", paramLabel = "G",
        description = "Groups of the aggregate job's domain; default: ${DEFAULT-VALUE}.")
    int groups;

    @Option(names = "--parties", defaultValue = "3", paramLabel = "P",
        description = "Parties of the aggregate job (at least 2); default: ${DEFAULT-VALUE}.")
    int parties;

    @Option(names = "--dims", defaultValue = "8", paramLabel = "D",
        description = "Dimensions of the feature-aggregate vectors; default: ${DEFAULT-VALUE}.")
    int dims;

    @Option(names = "--fa-parties", defaultValue = "2", paramLabel = "P",
        description = "Parties of the feature-aggregate job (at least 2); default: ${DEFAULT-VALUE}.")
    int faParties;

    @Option(names = "--fa-rows", paramLabel = "N",
        description = "Aligned rows of the feature-aggregate job; default: --rows.")
    Long faRows;

    @Option(names = "--heap", defaultValue = "2g", paramLabel = "SIZE",
        description = "Maximum heap of each JVM; default: ${DEFAULT-VALUE}.")
    String heap;

    @Option(names = "--partitions", defaultValue = "8", paramLabel = "N",
        description = "Data-plane partitions of both jobs; default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--plain-master", defaultValue = "local[1]", paramLabel = "URL",
        description = "Spark master of the plaintext baseline; default: ${DEFAULT-VALUE} (the cores of one party).")
    String plainMaster;

    @Option(names = "--gen-master", defaultValue = "local[2]", paramLabel = "URL",
        description = "Spark master of the input generator (not timed); default: ${DEFAULT-VALUE}.")
    String genMaster;

    @Option(names = "--only", defaultValue = "both", paramLabel = "WHICH",
        description = "${COMPLETION-CANDIDATES}; default: ${DEFAULT-VALUE}.")
    Only only;

    @Option(names = "--domain", defaultValue = "buckets", paramLabel = "KIND",
        description = "The aggregate job's group domain: ${COMPLETION-CANDIDATES} (an explicit list); "
            + "default: ${DEFAULT-VALUE}.")
    Domain domain;

    @Option(names = "--batch-rows", paramLabel = "N", description = "batchRows of the aggregate job; default: the spec's.")
    Integer batchRows;

    @Option(names = "--fa-batch-rows", paramLabel = "N",
        description = "batchRows of the feature-aggregate job; default: the spec's.")
    Integer faBatchRows;

    @Option(names = "--timeout-s", defaultValue = "7200", paramLabel = "S",
        description = "How long to wait for each JVM; default: ${DEFAULT-VALUE}.")
    long timeoutS;

    @Option(names = "--work-dir", defaultValue = "target/veil-agg-bench", paramLabel = "DIR",
        description = "Where inputs, keys, outputs, ledgers and logs go (emptied first); default: ${DEFAULT-VALUE}.")
    String workDir;

    /** Parties of the aggregate job. */
    public int parties() {
      return parties;
    }

    /** Parties of the feature-aggregate job. */
    public int faParties() {
      return faParties;
    }
  }

  /** The benchmark's settings, resolved. */
  private record Setup(long rows, int groups, int parties, int dims, int faParties, long faRows, String heap,
      int partitions, String plainMaster, String genMaster, boolean buckets, Integer batchRows, Integer faBatchRows,
      long timeoutMs, Path work) {}

  /** One party JVM's run; its figures from the outcome it printed ({@code veil run --output json}). */
  private record PartyRun(String id, PartyProcess process, double wallS, double cpuS, long peakRssKiB, int exit) {
    JsonNode outcome() {
      return process.outcome();
    }

    /** A result figure of the job (the receipt's), e.g. {@code releasedGroups}. */
    String figure(String name) {
      return outcome().path("result").path(name).asText();
    }

    long elapsedMs() {
      return outcome().path("elapsedMs").asLong();
    }

    long protocolMs() {
      return outcome().path("protocolMs").asLong();
    }
  }

  /** Bytes and records of one topic on the broker; first and last record timestamps (ms, -1: none). */
  private record TopicSize(long bytes, long records, long firstMs, long lastMs) {}

  /** Runs the benchmark, printing its report; returns the exit code. */
  public static int run(Options options) throws Exception {
    Setup o = new Setup(options.rows, options.groups, options.parties, options.dims, options.faParties,
        options.faRows == null ? options.rows : options.faRows, options.heap, options.partitions, options.plainMaster,
        options.genMaster, options.domain == Domain.buckets, options.batchRows, options.faBatchRows,
        options.timeoutS * 1000, Path.of(options.workDir).toAbsolutePath());
    Only only = options.only;
    io.veil.jobs.demo.PsiDemo.deleteTree(o.work());
    Files.createDirectories(o.work().resolve("logs"));

    SecureRandom rnd = new SecureRandom();
    List<PartySecret> keys = new ArrayList<>();
    for (int p = 1; p <= Math.max(o.parties(), o.faParties()); p++) {
      PartySecret k = PartySecret.generate(id(p), rnd);
      k.write(o.work().resolve("keys/" + id(p) + ".key"));
      keys.add(k);
    }

    List<String> report = new ArrayList<>();
    boolean ok = true;
    try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(o.work().resolve("kafka"), 0).start()) {
      System.out.println("embedded Kafka broker on " + broker.bootstrapServers() + "; work dir " + o.work());
      if (only != Only.features) {
        ok &= aggregate(o, keys, broker.bootstrapServers(), report);
      }
      if (only != Only.aggregate) {
        ok &= features(o, keys, broker.bootstrapServers(), report);
      }
    }
    System.out.println();
    report.forEach(System.out::println);
    System.out.println(ok ? "benchmark finished" : "BENCHMARK FAILED (see above and " + o.work().resolve("logs") + ")");
    return ok ? 0 : 1;
  }

  private static String id(int p) {
    return "party_" + p;
  }

  // ---------------------------------------------------------------- aggregate

  private static boolean aggregate(Setup o, List<PartySecret> keys, String bootstrap, List<String> report)
      throws Exception {
    Path work = o.work();
    Path data = work.resolve("data/agg");
    int n = o.parties();
    System.out.printf("aggregate: generating %d x %,d rows (%,d groups)...%n", n, o.rows(), o.groups());
    PartyProcess gen = worker("gen-agg", o, List.of("master=" + o.genMaster(), "out=" + data, "rows=" + o.rows(),
        "groups=" + o.groups(), "parties=" + n));
    if (gen.await(o.timeoutMs()) != 0) {
      report.add("aggregate: data generation failed (see " + work.resolve("logs/gen-agg.log") + ")");
      return false;
    }
    List<String> ids = partyIds(n);
    Path spec = work.resolve("aggregate.yaml");
    Files.writeString(spec, aggregateSpec(o, keys, ids, data), StandardCharsets.UTF_8);
    writePolicies(work, keys, ids, "agg");

    SecureRun secure = runSecure("aggregate", "agg", ids, spec, o, bootstrap, report);
    if (secure == null) {
      return false;
    }
    List<PartyRun> runs = secure.runs();

    System.out.println("aggregate: plaintext Spark baseline...");
    List<String> inputs = ids.stream().map(p -> data.resolve(p).toString()).toList();
    PartyProcess plain = worker("plain-agg", o, List.of("master=" + o.plainMaster(), "inputs=" + String.join(",", inputs),
        "out=" + work.resolve("out/agg-plain"), "secure=" + work.resolve("out/agg-secure"),
        "buckets=" + o.buckets()));
    PlainRun baseline = awaitPlain("aggregate", "agg", plain, o, report);
    if (baseline == null) {
      return false;
    }

    PartyRun result = runs.get(0);
    report.add(String.format("== Secure aggregate: %d parties x %,d rows = %,d rows, %,d groups (%s domain), "
        + "COUNT + 2 SUMs, %d partitions", n, o.rows(), n * o.rows(), o.groups(),
        o.buckets() ? "buckets" : "values", o.partitions()));
    report.add(String.format("   each party: own JVM, local[1] (1 core), -Xmx%s; result party %s (also a data party); "
        + "one embedded broker; machine: %d cores", o.heap(), ids.get(0), Runtime.getRuntime().availableProcessors()));
    report.add(String.format("   result: %s groups, %s released; secure output vs plaintext: %s mismatching groups",
        result.figure("groups"), result.figure("releasedGroups"), plain.outcome().path("mismatches").asText()));
    long payloadPerParty = (long) o.groups() * ELEMENT_BYTES
        + Long.parseLong(result.figure("releasedGroups")) * 2 * ELEMENT_BYTES;
    partyTable(report, runs, secure.topics(), secure.jobId(), "bench-aggregate-" + o.rows(), payloadPerParty);
    footer(report, secure, baseline, plain, result, o,
        "read " + n + " parquet inputs + union + groupBy(grp).agg(count, sum, sum) + write parquet");
    report.add(String.format("   throughput: %,.0f rows/s overall (all parties' rows / result party's job time)",
        n * o.rows() / (result.elapsedMs() / 1000.0)));
    report.add("");
    return true;
  }

  private static String aggregateSpec(Setup o, List<PartySecret> keys, List<String> ids, Path data) {
    StringBuilder s = new StringBuilder();
    s.append("# Written by `veil agg-bench`.\nversion: 1\nname: bench-aggregate-").append(o.rows())
        .append("\noperator: aggregate\npeerTimeoutMs: 3600000\nparties:\n");
    for (int i = 0; i < ids.size(); i++) {
      s.append("  - id: ").append(ids.get(i)).append('\n')
          .append("    publicKey: ").append(keys.get(i).identity().publicKey().encoded()).append('\n')
          .append("    input:\n      format: parquet\n      path: ").append(data.resolve(ids.get(i))).append('\n');
      if (i == 0) {
        s.append("    output:\n      format: parquet\n      path: ").append(o.work().resolve("out/agg-secure"))
            .append('\n');
      }
    }
    s.append("aggregate:\n  resultParty: ").append(ids.get(0)).append("\n  groupBy:\n    - column: grp\n");
    if (o.buckets()) {
      s.append("      buckets: {from: 0, to: ").append(o.groups()).append(", width: 1}\n");
    } else {
      s.append("      values: [");
      for (int g = 0; g < o.groups(); g++) {
        s.append(g == 0 ? "" : ", ").append(g);
      }
      s.append("]\n");
    }
    s.append("  sums:\n")
        .append("    - column: amount\n      maxAbs: ").append(BenchWorker.AMOUNT_MAX).append('\n')
        .append("    - column: balance\n      maxAbs: ").append(BenchWorker.BALANCE_MAX).append("\n      scale: 2\n")
        .append("  minGroupSize: 10\n")
        .append("  partitions: ").append(o.partitions()).append('\n');
    if (o.batchRows() != null) {
      s.append("  batchRows: ").append(o.batchRows()).append('\n');
    }
    return s.toString();
  }

  // ---------------------------------------------------------------- feature-aggregate

  private static boolean features(Setup o, List<PartySecret> keys, String bootstrap, List<String> report)
      throws Exception {
    Path work = o.work();
    Path data = work.resolve("data/fa");
    int n = o.faParties();
    System.out.printf("feature-aggregate: generating %d x %,d rows x %d dims...%n", n, o.faRows(), o.dims());
    PartyProcess gen = worker("gen-fa", o, List.of("master=" + o.genMaster(), "out=" + data, "rows=" + o.faRows(),
        "dims=" + o.dims(), "parties=" + n));
    if (gen.await(o.timeoutMs()) != 0) {
      report.add("feature-aggregate: data generation failed (see " + work.resolve("logs/gen-fa.log") + ")");
      return false;
    }
    List<String> ids = partyIds(n);
    Path spec = work.resolve("feature-aggregate.yaml");
    Files.writeString(spec, featureSpec(o, keys, ids, data), StandardCharsets.UTF_8);
    writePolicies(work, keys, ids, "fa");

    SecureRun secure = runSecure("feature-aggregate", "fa", ids, spec, o, bootstrap, report);
    if (secure == null) {
      return false;
    }
    List<PartyRun> runs = secure.runs();

    System.out.println("feature-aggregate: plaintext Spark baseline...");
    List<String> inputs = ids.stream().map(p -> data.resolve(p).toString()).toList();
    PartyProcess plain = worker("plain-fa", o, List.of("master=" + o.plainMaster(), "inputs=" + String.join(",", inputs),
        "out=" + work.resolve("out/fa-plain"), "secure=" + work.resolve("out/fa-secure"), "dims=" + o.dims()));
    PlainRun baseline = awaitPlain("feature-aggregate", "fa", plain, o, report);
    if (baseline == null) {
      return false;
    }
    PartyRun result = runs.get(0);
    report.add(String.format("== Secure feature aggregation: %d parties x %,d aligned rows x %d dims, %d partitions",
        n, o.faRows(), o.dims(), o.partitions()));
    report.add(String.format("   each party: own JVM, local[1] (1 core), -Xmx%s; result party %s; one embedded broker; "
        + "machine: %d cores", o.heap(), ids.get(0), Runtime.getRuntime().availableProcessors()));
    report.add(String.format("   result: %s aligned rows; secure output %s rows, plaintext %s rows, %s mismatching rows",
        result.figure("alignedRows"), plain.outcome().path("secure_rows").asText(),
        plain.outcome().path("plain_rows").asText(), plain.outcome().path("mismatches").asText()));
    partyTable(report, runs, secure.topics(), secure.jobId(), "bench-features-" + o.faRows(), o.faRows() * o.dims() * ELEMENT_BYTES);
    footer(report, secure, baseline, plain, result, o, "read " + n + " parquet inputs + join on id + add the vectors + write parquet");
    report.add(String.format("   throughput: %,.0f aligned rows/s (result party's job time)",
        o.faRows() / (result.elapsedMs() / 1000.0)));
    report.add("");
    return true;
  }

  private static String featureSpec(Setup o, List<PartySecret> keys, List<String> ids, Path data) {
    StringBuilder cols = new StringBuilder();
    for (int j = 0; j < o.dims(); j++) {
      cols.append(j == 0 ? "" : ", ").append("z").append(j);
    }
    StringBuilder s = new StringBuilder();
    s.append("# Written by `veil agg-bench`.\nversion: 1\nname: bench-features-").append(o.faRows())
        .append("\noperator: feature-aggregate\npeerTimeoutMs: 3600000\nparties:\n");
    for (int i = 0; i < ids.size(); i++) {
      s.append("  - id: ").append(ids.get(i)).append('\n')
          .append("    publicKey: ").append(keys.get(i).identity().publicKey().encoded()).append('\n')
          .append("    input:\n      format: parquet\n      path: ").append(data.resolve(ids.get(i))).append('\n')
          .append("      keyColumns: [id]\n      columns: [").append(cols).append("]\n");
      if (i == 0) {
        s.append("    output:\n      format: parquet\n      path: ").append(o.work().resolve("out/fa-secure"))
            .append('\n');
      }
    }
    s.append("featureAggregate:\n  resultParty: ").append(ids.get(0)).append("\n  dims: ").append(o.dims())
        .append("\n  scale: 6\n  maxAbs: ").append(BenchWorker.FEATURE_MAX).append("\n  partitions: ")
        .append(o.partitions()).append('\n');
    if (o.faBatchRows() != null) {
      s.append("  batchRows: ").append(o.faBatchRows()).append('\n');
    }
    return s.toString();
  }

  // ---------------------------------------------------------------- common

  private static void writePolicies(Path work, List<PartySecret> keys, List<String> ids, String tag)
      throws IOException {
    for (int i = 0; i < ids.size(); i++) {
      StringBuilder s = new StringBuilder("party: " + ids.get(i) + "\npeers:\n");
      for (int j = 0; j < ids.size(); j++) {
        if (j != i) {
          s.append("  - id: ").append(ids.get(j)).append("\n    publicKey: ")
              .append(keys.get(j).identity().publicKey().encoded()).append('\n');
        }
      }
      s.append("operators: [aggregate, feature-aggregate]\noutputRecipients: [").append(ids.get(0)).append("]\n");
      Files.writeString(work.resolve("policy-" + tag + "-" + ids.get(i) + ".yaml"), s.toString(),
          StandardCharsets.UTF_8);
    }
  }

  /** Starts every party at once, samples RSS and CPU until each has printed its summary, waits for the exits. */
  private static List<PartyRun> runParties(String tag, List<String> ids, Path spec, Setup o, String bootstrap)
      throws Exception {
    Path work = o.work();
    List<PartyProcess> ps = new ArrayList<>();
    long[] start = new long[ids.size()];
    for (int i = 0; i < ids.size(); i++) {
      String p = ids.get(i);
      start[i] = System.nanoTime();
      ps.add(PartyProcess.start(p, List.of("run", "--spec", spec.toString(), "--party", p,
          "--key", work.resolve("keys/" + p + ".key").toString(),
          "--policy", work.resolve("policy-" + tag + "-" + p + ".yaml").toString(),
          "--ledger", work.resolve("ledger/" + tag + "-" + p + ".jsonl").toString(),
          "--bootstrap-servers", bootstrap, "--master", "local[1]", "--output", "json"), o.heap(), List.of(), work,
          BenchSupport.log(work, tag + "-" + p)));
    }
    int n = ids.size();
    long[] rss = new long[n];
    double[] cpu = new double[n];
    boolean[] done = new boolean[n];
    long deadline = System.currentTimeMillis() + o.timeoutMs();
    while (true) {
      boolean all = true;
      for (int i = 0; i < n; i++) {
        if (done[i]) {
          continue;
        }
        PartyProcess p = ps.get(i);
        ProcessHandle h = ProcessHandle.of(p.pid()).orElse(null);
        if (h != null && h.isAlive()) {
          rss[i] = Math.max(rss[i], BenchSupport.rssKiB(p.pid()));
          cpu[i] = h.info().totalCpuDuration().map(Duration::toNanos).orElse(0L) / 1e9;
        }
        done[i] = h == null || !h.isAlive() || p.hasOutcome();
        all &= done[i];
      }
      if (all || System.currentTimeMillis() > deadline) {
        break;
      }
      Thread.sleep(200);
    }
    List<PartyRun> runs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int exit = ps.get(i).await(Math.max(1, deadline - System.currentTimeMillis()));
      runs.add(new PartyRun(ids.get(i), ps.get(i), (System.nanoTime() - start[i]) / 1e9, cpu[i], rss[i], exit));
    }
    return runs;
  }

  /** Per party: role, times, CPU, memory, bytes on the broker. */
  private static List<String> partyIds(int n) {
    List<String> ids = new ArrayList<>();
    for (int p = 1; p <= n; p++) {
      ids.add(id(p));
    }
    return ids;
  }

  /** The parties' runs, and what the machine did meanwhile. */
  private record SecureRun(List<PartyRun> runs, double wallS, double brokerCpuS, double otherCpuS, String jobId,
      Map<String, TopicSize> topics) {}

  /** The plaintext baseline's JVM: its wall time, the machine's busy CPU meanwhile, its own timed job. */
  private record PlainRun(double wallS, double machineS, double plainS) {}

  /** Runs every party of {@code spec} and measures them; null (with the reason reported) if one failed. */
  private static SecureRun runSecure(String label, String tag, List<String> ids, Path spec, Setup o,
      String bootstrap, List<String> report) throws Exception {
    System.out.printf("%s: running %d parties...%n", label, ids.size());
    long machine0 = machineBusyTicks();
    long cpu0 = ownCpuNs();
    long t0 = System.nanoTime();
    List<PartyRun> runs = runParties(tag, ids, spec, o, bootstrap);
    double wallS = (System.nanoTime() - t0) / 1e9;
    double brokerCpuS = (ownCpuNs() - cpu0) / 1e9;
    double otherCpuS = (machineBusyTicks() - machine0) / 100.0 - brokerCpuS
        - runs.stream().mapToDouble(PartyRun::cpuS).sum();
    if (runs.stream().anyMatch(r -> r.exit() != 0)) {
      report.add(label + ": a party failed: " + runs.stream().map(r -> r.id() + " exit " + r.exit())
          .collect(Collectors.joining(", ")) + " (logs in " + o.work().resolve("logs") + ")");
      return null;
    }
    return new SecureRun(runs, wallS, brokerCpuS, otherCpuS, runs.get(0).outcome().path("jobId").asText(), topicSizes(bootstrap));
  }

  /** Waits for the plaintext baseline's JVM and measures it; null (with the reason reported) if it failed. */
  private static PlainRun awaitPlain(String label, String tag, PartyProcess plain, Setup o, List<String> report)
      throws InterruptedException {
    long p0 = System.nanoTime();
    long pm0 = machineBusyTicks();
    int plainExit = plain.await(o.timeoutMs());
    double plainWallS = (System.nanoTime() - p0) / 1e9;
    double plainMachineS = (machineBusyTicks() - pm0) / 100.0;
    if (plainExit != 0) {
      report.add(label + ": plaintext baseline failed (see " + o.work().resolve("logs/plain-" + tag + ".log") + ")");
      return null;
    }
    return new PlainRun(plainWallS, plainMachineS, plain.outcome().path("plain_ms").asLong() / 1000.0);
  }

  /** The lines both operators report after their own: machine load, timeline, comparison with plaintext. */
  private static void footer(List<String> report, SecureRun secure, PlainRun baseline, PartyProcess plain,
      PartyRun result, Setup o, String plainJob) {
    report.add(String.format("   broker (this JVM) CPU during the run: %.1f s; all parties' wall time: %.1f s; "
        + "CPU used by other processes on the machine meanwhile: %.1f s (of %.1f s available)",
        secure.brokerCpuS(), secure.wallS(), Math.max(0, secure.otherCpuS()),
        secure.wallS() * Runtime.getRuntime().availableProcessors()));
    timeline(report, secure.runs());
    report.add(String.format("   machine CPU busy during the plaintext JVM: %.1f s (all processes)", baseline.machineS()));
    comparison(report, result, secure.runs(), plain, baseline.plainS(), baseline.wallS(), o.plainMaster(), plainJob);
  }

  private static void partyTable(List<String> report, List<PartyRun> runs, Map<String, TopicSize> topics, String jobId,
      String ctlName, long payloadPerSender) {
    report.add(String.format("   %-8s %-6s %9s %9s %9s %8s %9s %9s %13s %9s %13s %10s %9s", "party", "role",
        "protocol", "job", "JVM wall", "CPU", "peak heap", "peak RSS", "sent (broker)", "records", "payload",
        "MiB/s prot", "send span (first to last record)"));
    long total = 0;
    for (int i = 0; i < runs.size(); i++) {
      PartyRun r = runs.get(i);
      String prefix = TOPIC_PREFIX + r.id() + "." + jobId + ".";
      long bytes = 0;
      long records = 0;
      long sendMs = 0;
      for (Map.Entry<String, TopicSize> t : topics.entrySet()) {
        if (t.getKey().startsWith(prefix)) {
          bytes += t.getValue().bytes();
          records += t.getValue().records();
          sendMs += t.getValue().firstMs() < 0 ? 0 : t.getValue().lastMs() - t.getValue().firstMs();
        }
      }
      total += bytes;
      double protocolS = r.protocolMs() / 1000.0;
      report.add(String.format("   %-8s %-6s %8.1fs %8.1fs %8.1fs %7.1fs %5s MiB %5d MiB %13s %9d %13s %10s  %s",
          r.id(), i == 0 ? "result" : "data", protocolS, r.elapsedMs() / 1000.0, r.wallS(), r.cpuS(),
          r.outcome().path("peakHeapMiB").asText(), r.peakRssKiB() >> 10, bytes(bytes), records,
          bytes(i == 0 ? 0 : payloadPerSender),
          bytes == 0 ? "-" : String.format("%.1f", bytes / 1048576.0 / protocolS),
          bytes == 0 ? "-" : String.format("%.1f s = %.1f MiB/s", sendMs / 1000.0,
              bytes / 1048576.0 / Math.max(0.001, sendMs / 1000.0))));
    }
    String ctl = TOPIC_PREFIX + "ctl." + ctlName;
    report.add(String.format("   (sent = sizes of the party's data topics' logs on the broker, steps %s; payload = "
        + "8-byte ring elements without framing; MiB/s prot = sent / the party's protocol time; send span = first to "
        + "last record written, summed over its steps; the result party sends no data; it read %s; "
        + "control log %s: %s)",
        topics.keySet().stream().filter(t -> t.contains("." + jobId + "."))
            .map(t -> t.substring(t.lastIndexOf('.') + 1)).distinct().sorted().collect(Collectors.joining(", ")),
        bytes(total), ctl, topics.containsKey(ctl) ? bytes(topics.get(ctl).bytes()) : "?"));
  }

  private static void comparison(List<String> report, PartyRun result, List<PartyRun> runs, PartyProcess plain,
      double plainS, double plainWallS, String plainMaster, String what) {
    double jobS = result.elapsedMs() / 1000.0;
    double maxJobS = runs.stream().mapToLong(PartyRun::elapsedMs).max().orElse(0) / 1000.0;
    double protocolS = result.protocolMs() / 1000.0;
    report.add(String.format("   plaintext Spark, one JVM, %s, -Xmx same: %s: %.1f s (session start %.1f s not "
        + "included; JVM wall %.1f s; peak heap %s MiB)", plainMaster, what, plainS,
        plain.outcome().path("session_ms").asLong() / 1000.0, plainWallS, plain.outcome().path("peak_heap_mib").asText()));
    report.add(String.format("   secure job at the result party (spec read -> receipt written, incl. reading input, "
        + "approvals, output write + commitments): %.1f s; its protocol part: %.1f s; slowest party's job: %.1f s",
        jobS, protocolS, maxJobS));
    report.add(String.format("   RATIO secure/plaintext: result party job / plaintext job = %.2fx  (protocol / "
        + "plaintext = %.2fx; JVM wall / JVM wall = %.2fx)", jobS / plainS, protocolS / plainS,
        result.wallS() / plainWallS));
    double plainCpuS = plain.outcome().path("plain_cpu_ms").asLong() / 1000.0;
    double plainJvmCpuS = plain.outcome().path("jvm_cpu_ms").asLong() / 1000.0;
    report.add(String.format("   CPU time (contention-independent): plaintext query %.1f s, plaintext JVM incl. start "
        + "%.1f s; result party JVM incl. start %.1f s (%.2fx), every party's JVMs together %.1f s (%.2fx)",
        plainCpuS, plainJvmCpuS, result.cpuS(), result.cpuS() / plainJvmCpuS,
        runs.stream().mapToDouble(PartyRun::cpuS).sum(), runs.stream().mapToDouble(PartyRun::cpuS).sum() / plainJvmCpuS));
  }

  /** A helper JVM running {@link BenchWorker}, its output in logs/. */
  private static PartyProcess worker(String mode, Setup o, List<String> args) throws IOException {
    List<String> all = new ArrayList<>();
    all.add(mode);
    all.addAll(args);
    return PartyProcess.startJava(mode, System.getProperty("java.class.path"), BenchWorker.class.getName(), all,
        o.heap(), List.of(), o.work(), BenchSupport.log(o.work(), mode));
  }

  /** Log size and record count of every topic on the broker. */
  private static Map<String, TopicSize> topicSizes(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<Integer> nodes = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
      Map<TopicPartition, Long> sizes = new HashMap<>();
      admin.describeLogDirs(nodes).allDescriptions().get().values().forEach(dirs -> dirs.values().forEach(d ->
          d.replicaInfos().forEach((tp, info) -> sizes.merge(tp, info.size(), Long::sum))));
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
      sizes.keySet().forEach(tp -> {
        latest.put(tp, OffsetSpec.latest());
        earliest.put(tp, OffsetSpec.earliest());
      });
      var ends = admin.listOffsets(latest).all().get();
      var starts = admin.listOffsets(earliest).all().get();
      Map<String, TopicSize> out = new TreeMap<>();
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1,
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        sizes.forEach((tp, bytes) -> {
          long from = starts.get(tp).offset();
          long to = ends.get(tp).offset();
          long first = to > from ? timestamp(consumer, tp, from) : -1;
          long last = to > from ? timestamp(consumer, tp, to - 1) : -1;
          out.merge(tp.topic(), new TopicSize(bytes, to - from, first, last), (x, y) -> new TopicSize(
              x.bytes() + y.bytes(), x.records() + y.records(), minTs(x.firstMs(), y.firstMs()),
              Math.max(x.lastMs(), y.lastMs())));
        });
      }
      return out;
    }
  }

  private static long minTs(long a, long b) {
    return a < 0 ? b : b < 0 ? a : Math.min(a, b);
  }

  /** The timestamp of the record at {@code offset} (its producer's create time). */
  private static long timestamp(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long offset) {
    consumer.assign(List.of(tp));
    consumer.seek(tp, offset);
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200)).records(tp)) {
        return r.timestamp();
      }
    }
    return -1;
  }

  private static String bytes(long b) {
    if (b < 1024 * 1024) {
      return String.format("%.1f KiB", b / 1024.0);
    }
    return String.format("%.2f MiB", b / 1048576.0);
  }

  /** Each party's Veil progress lines (time and message), to see where the time goes. */
  private static void timeline(List<String> report, List<PartyRun> runs) {
    for (PartyRun r : runs) {
      List<String> steps = new ArrayList<>();
      for (BenchSupport.Progress p : BenchSupport.progress(r.process())) {
        steps.add(p.time().format(CLOCK) + " " + p.message().replaceAll("(.{70}).+", "$1..."));
      }
      report.add("   " + r.id() + " log: " + String.join(" | ", steps));
    }
  }

  /** Busy CPU time of the whole machine (all cores) in clock ticks (USER_HZ, 100 on Linux), 0 if unknown. */
  private static long machineBusyTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) { // user nice system irq softirq steal
        busy += Long.parseLong(f[i]);
      }
      return busy;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static long ownCpuNs() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
