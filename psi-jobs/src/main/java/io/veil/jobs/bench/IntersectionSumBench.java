package io.veil.jobs.bench;

import static io.veil.jobs.bench.BenchSupport.secs;
import static io.veil.jobs.bench.BenchSupport.timeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import io.veil.jobs.bench.BenchSupport.PartyRun;
import io.veil.jobs.bench.BenchSupport.Progress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * End-to-end benchmark of the private intersection-sum ({@code intersection-sum}, issue 14) beside the
 * plaintext join and sum of the same data.
 *
 * <ol>
 *   <li>Inputs ({@link BenchWorker} {@code gen-isum}, its own JVM): the id party's N ids (a {@code region}
 *       in 0..G-1 each when grouped) and the value party's N ids, half of them shared, each with {@code
 *       amount} (decimal(12,2), summed at scale 2).
 *   <li>The job, id party and value party each its own JVM ({@code local[2]}) over one embedded broker
 *       (in this JVM): per party the JVM wall and CPU time, the job and protocol times, and each step's
 *       time from the progress lines (logged with milliseconds); the bytes each step put on the broker.
 *   <li>The plaintext baseline in one JVM ({@link BenchWorker} {@code plain-isum}, {@code local[2]}):
 *       join on the id, count and {@code sum(amount)} (per region when grouped), write; timed; then
 *       (untimed) its result is compared with the secure output.
 * </ol>
 *
 * <pre>
 * veil isum-bench [--rows 1000000] [--groups 0] [--partitions 4] [--heap 2g] [--work-dir DIR] [--timeout-s 14400]
 * </pre>
 */
public final class IntersectionSumBench {
  static final String ID_PREFIX = "U";
  static final String GROUP_COLUMN = "region";
  static final String VALUE_COLUMN = "amount";
  private static final String ID_PARTY = "adnet";
  private static final String VALUE_PARTY = "shop";
  private static final String MASTER = "local[2]";
  /** The protocol's steps in order, and which party runs each (the party whose progress line times it). */
  private static final List<String[]> STEPS = List.of(new String[] {"blind-1", ID_PARTY},
      new String[] {"values", VALUE_PARTY}, new String[] {"blind-2", VALUE_PARTY}, new String[] {"match", ID_PARTY},
      new String[] {"sums", ID_PARTY}, new String[] {"open", VALUE_PARTY});

  private IntersectionSumBench() {}

  /** {@code veil isum-bench}'s options (picocli). */
  public static final class Options {
    @Option(names = "--rows", defaultValue = "1000000", paramLabel = "N",
        description = "Rows of each party, half of the ids shared; default: ${DEFAULT-VALUE}.")
    long rows;

    @Option(names = "--groups", defaultValue = "0", paramLabel = "G",
        description = "Groups (the id party's region column, intersectionSum.groupBy); 0: ungrouped; "
            + "default: ${DEFAULT-VALUE}.")
    int groups;

    @Option(names = "--partitions", defaultValue = "4", paramLabel = "N",
        description = "Spark partitions of each step (intersectionSum.partitions) and of the generated inputs; "
            + "default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--heap", defaultValue = "2g", paramLabel = "SIZE",
        description = "Maximum heap of each party's JVM and of the plaintext JVM; default: ${DEFAULT-VALUE}.")
    String heap;

    @Option(names = "--work-dir", defaultValue = "target/veil-isum-bench", paramLabel = "DIR",
        description = "Where the inputs, keys, spec, outputs and logs go (emptied first); default: ${DEFAULT-VALUE}.")
    String workDir;

    @Option(names = "--timeout-s", defaultValue = "14400", paramLabel = "S",
        description = "How long to wait for each JVM; default: ${DEFAULT-VALUE}.")
    long timeoutS;

    /** What is wrong with the options, naming the option, or null: checked before anything starts. */
    public String problem() {
      if (rows < 1 || rows > 100_000_000L) {
        return "--rows must be between 1 and 100,000,000, not " + rows;
      }
      if (groups < 0 || groups > 1_000_000) {
        return "--groups must be between 0 (ungrouped) and 1,000,000, not " + groups;
      }
      if (groups > rows) {
        return "--groups " + groups + " is more than --rows " + rows + "; give at most as many groups as rows";
      }
      return BenchSupport.partyOptionsProblem(partitions, heap, timeoutS);
    }
  }

  /** Ids both parties have: the value party's ids start at {@code rows / 2}. */
  static long shared(long rows) {
    return rows - rows / 2;
  }

  /** Runs the benchmark, printing its report; returns the exit code. */
  public static int run(Options o) throws Exception {
    Path work = Path.of(o.workDir).toAbsolutePath();
    io.veil.jobs.demo.PsiDemo.deleteTree(work);
    Files.createDirectories(work.resolve("logs"));
    long timeoutMs = o.timeoutS * 1000;
    SecureRandom rnd = new SecureRandom();
    List<PartySecret> keys = List.of(PartySecret.generate(ID_PARTY, rnd), PartySecret.generate(VALUE_PARTY, rnd));
    for (PartySecret k : keys) {
      k.write(work.resolve("keys/" + k.party() + ".key"));
    }
    BenchSupport.writePolicies(work, keys, "intersection-sum", List.of(ID_PARTY));
    Path logConfig = work.resolve("log4j2-ms.properties");
    BenchSupport.writeMillisLogConfig(logConfig);
    List<String> jvmOptions = List.of("-Dlog4j2.configurationFile=" + logConfig);
    Path data = work.resolve("data");
    Path secureOut = work.resolve("out/secure");

    System.out.printf(Locale.ROOT, "generating %,d rows per party (%,d ids shared, %s)...%n", o.rows, shared(o.rows),
        o.groups == 0 ? "ungrouped" : o.groups + " groups");
    JsonNode gen = worker("gen", List.of("gen-isum", "out=" + data, "rows=" + o.rows, "groups=" + o.groups,
        "partitions=" + o.partitions), o, work, jvmOptions, timeoutMs);
    if (gen == null) {
      return 1;
    }

    List<PartyRun> runs;
    Map<String, BenchSupport.TopicLog> topics;
    try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(work.resolve("kafka"), 0).start()) {
      System.out.println("embedded Kafka broker on " + broker.bootstrapServers() + "; work dir " + work);
      Path spec = work.resolve("intersection-sum.yaml");
      Files.writeString(spec, spec(o, keys, data, secureOut), StandardCharsets.UTF_8);
      System.out.printf("intersection-sum: running %s and %s (%s each)...%n", ID_PARTY, VALUE_PARTY, MASTER);
      runs = BenchSupport.runParties("isum", List.of(ID_PARTY, VALUE_PARTY), List.of(o.heap, o.heap), spec, MASTER,
          work, broker.bootstrapServers(), timeoutMs, jvmOptions);
      topics = BenchSupport.topicLogs(work.resolve("kafka"));
    }
    if (!runs.stream().allMatch(PartyRun::ok)) {
      System.out.println("intersection-sum: a party failed: " + runs.stream().map(r -> r.id() + " exit " + r.exit())
          .toList() + "; logs in " + work.resolve("logs"));
      return 1;
    }
    for (PartyRun r : runs) {
      System.out.printf("  %s: %s%n", r.id(), r.process().outcome().path("result"));
    }

    System.out.printf("plaintext: join on id and sum(%s) in one JVM (%s)...%n", VALUE_COLUMN, MASTER);
    long p0 = System.nanoTime();
    JsonNode plain = worker("plain", List.of("plain-isum", "ids=" + data.resolve("ids"),
        "values=" + data.resolve("values"), "groups=" + o.groups, "out=" + work.resolve("out/plain"),
        "secure=" + secureOut), o, work, jvmOptions, timeoutMs);
    double plainWallS = (System.nanoTime() - p0) / 1e9;
    if (plain == null) {
      return 1;
    }

    System.out.println();
    report(o, gen, runs, topics, plain, plainWallS).forEach(System.out::println);
    boolean matches = plain.path("matches").asBoolean(false);
    System.out.println(matches ? "result matches: the secure output equals the plaintext join and sum"
        : String.format(Locale.ROOT, "RESULT DIFFERS: %d group rows only in the secure output, %d only in the "
            + "plaintext one (outputs in %s)", plain.path("rows_only_secure").asLong(),
            plain.path("rows_only_plain").asLong(), work.resolve("out")));
    return matches ? 0 : 1;
  }

  /** Runs {@link BenchWorker} in its own JVM ({@link #MASTER}); its figures, or null (said) if it failed. */
  private static JsonNode worker(String name, List<String> args, Options o, Path work, List<String> jvmOptions,
      long timeoutMs) throws Exception {
    return BenchSupport.worker(name, args, MASTER, o.heap, work, jvmOptions, timeoutMs);
  }

  private static List<String> report(Options o, JsonNode gen, List<PartyRun> runs, Map<String, BenchSupport.TopicLog> topics,
      JsonNode plain, double plainWallS) {
    List<String> r = new ArrayList<>();
    PartyRun idRun = runs.get(0);
    PartyRun valueRun = runs.get(1);
    r.add(String.format(Locale.ROOT, "== isum-bench: %,d rows per party, %,d ids shared, %s, one value column "
        + "'%s' (scale 2); partitions %d; each JVM %s, -Xmx%s; one embedded broker; machine: %d cores", o.rows,
        shared(o.rows), o.groups == 0 ? "ungrouped" : o.groups + " groups", VALUE_COLUMN, o.partitions, MASTER,
        o.heap, Runtime.getRuntime().availableProcessors()));
    r.add(String.format(Locale.ROOT, "   inputs generated in %.1f s (not counted below)",
        gen.path("generate_ms").asLong() / 1000.0));
    r.add("");
    r.add("== secure job, per party (s; JVM = process start -> exit; job = elapsedMs, spec read -> receipt; "
        + "protocol = protocolMs)");
    r.add(String.format("   %-14s %8s %8s %8s %9s", "party", "JVM", "JVM CPU", "job", "protocol"));
    for (PartyRun p : runs) {
      r.add(String.format(Locale.ROOT, "   %-14s %8.1f %8.1f %8.2f %9.2f", p.id() + (p == idRun ? " (ids)"
          : " (values)"), p.wallS(), p.cpuS(), ms(p, "elapsedMs"), ms(p, "protocolMs")));
    }
    r.add("");
    r.add("== steps (s): from the running party's 'step <name>' progress line to the last record of the step's "
        + "topic on the broker (match: to the id party's next line);");
    r.add("   bytes = the step's topic's record logs, with Kafka's framing. blind-1 runs while the value party runs "
        + "values.");
    r.add(String.format("   %-8s %-7s %9s %12s", "step", "party", "time", "bytes sent"));
    Map<String, Progress[]> idSteps = BenchSupport.steps(BenchSupport.progress(idRun.process()));
    Map<String, Progress[]> valueSteps = BenchSupport.steps(BenchSupport.progress(valueRun.process()));
    long stepBytes = 0;
    for (String[] s : STEPS) {
      Progress[] lines = (s[1].equals(ID_PARTY) ? idSteps : valueSteps).get(s[0]);
      BenchSupport.TopicLog log = topics.entrySet().stream().filter(e -> e.getKey().endsWith(".isum-" + s[0]))
          .map(Map.Entry::getValue).findFirst().orElse(null);
      double t = Double.NaN;
      if (lines != null && log != null) {
        t = BenchSupport.seconds(lines[0].time(), log.lastWrite());
      } else if (lines != null && lines[1] != null) {
        t = BenchSupport.seconds(lines[0].time(), lines[1].time());
      }
      stepBytes += log == null ? 0 : log.bytes();
      r.add(String.format(Locale.ROOT, "   %-8s %-7s %9s %12s", s[0], s[1], secs(t),
          log == null ? "-" : BenchSupport.bytes(log.bytes())));
    }
    long total = topics.values().stream().mapToLong(BenchSupport.TopicLog::bytes).sum();
    r.add(String.format(Locale.ROOT, "   bytes sent: %s by %s, %s by %s (protocol steps %s; all topics with job "
        + "control %s, %.0f bytes per row of each party)", BenchSupport.bytes(sent(topics, ID_PARTY)), ID_PARTY,
        BenchSupport.bytes(sent(topics, VALUE_PARTY)), VALUE_PARTY, BenchSupport.bytes(stepBytes),
        BenchSupport.bytes(total), (double) total / (2.0 * o.rows)));
    r.add("   " + ID_PARTY + ":  " + timeline(BenchSupport.progress(idRun.process())));
    r.add("   " + VALUE_PARTY + ":   " + timeline(BenchSupport.progress(valueRun.process())));
    r.add("");
    double plainS = plain.path("plain_ms").asLong() / 1000.0;
    double jobS = Math.max(ms(idRun, "elapsedMs"), ms(valueRun, "elapsedMs"));
    double jvmS = Math.max(idRun.wallS(), valueRun.wallS());
    double protocolS = ms(idRun, "protocolMs");
    r.add(String.format(Locale.ROOT, "== plaintext (one JVM, %s): join on id + %s, write: %.2f s (CPU %.1f s); "
        + "JVM wall %.1f s; %,d ids in the intersection, sum %s, %d result row(s)", MASTER, o.groups == 0
        ? "sum(" + VALUE_COLUMN + ")" : "group by " + GROUP_COLUMN + " + sum(" + VALUE_COLUMN + ")", plainS,
        plain.path("plain_cpu_ms").asLong() / 1000.0, plainWallS, plain.path("plain_intersection").asLong(),
        plain.path("plain_sum").asText(), plain.path("plain_groups").asLong()));
    r.add(String.format(Locale.ROOT, "== secure / plaintext: protocol %.2f s / %.2f s = %.0fx; job (slower party) "
        + "%.2f s / %.2f s = %.0fx; JVM wall (slower party) %.1f s / %.1f s = %.1fx", protocolS, plainS,
        protocolS / plainS, jobS, plainS, jobS / plainS, jvmS, plainWallS, jvmS / plainWallS));
    r.add(String.format(Locale.ROOT, "   secure result: %s ids in the intersection, %s group row(s) with ids",
        idRun.figure("intersectionSize"), plain.path("secure_groups").asText()));
    return r;
  }

  private static double ms(PartyRun p, String field) {
    return BenchSupport.outcomeSeconds(p, field);
  }

  private static long sent(Map<String, BenchSupport.TopicLog> topics, String party) {
    return BenchSupport.sent(topics, party);
  }

  private static String spec(Options o, List<PartySecret> keys, Path data, Path out) {
    return "# Written by `veil isum-bench`.\nversion: 1\nname: bench-isum\noperator: intersection-sum\n"
        + "peerTimeoutMs: 3600000\nparties:\n"
        + "  - id: " + ID_PARTY + "\n    publicKey: " + keys.get(0).identity().publicKey().encoded() + "\n"
        + "    input:\n      format: parquet\n      path: " + data.resolve("ids") + "\n      keyColumns: [id]\n"
        + (o.groups > 0 ? "      columns: [" + GROUP_COLUMN + "]\n" : "")
        + "    output:\n      format: parquet\n      path: " + out + "\n"
        + "  - id: " + VALUE_PARTY + "\n    publicKey: " + keys.get(1).identity().publicKey().encoded() + "\n"
        + "    input:\n      format: parquet\n      path: " + data.resolve("values") + "\n      keyColumns: [id]\n"
        + "      columns: [" + VALUE_COLUMN + "]\n"
        + "intersectionSum:\n  idParty: " + ID_PARTY + "\n  valueParty: " + VALUE_PARTY + "\n  values:\n"
        + "    - {column: " + VALUE_COLUMN + ", scale: 2, maxAbs: 1000000}\n"
        + (o.groups > 0 ? "  groupBy: " + GROUP_COLUMN + "\n" : "")
        // every group with an intersection is released, so all of them can be compared with the plaintext
        + "  minGroupSize: 1\n  partitions: " + o.partitions + "\n";
  }
}
