package io.veil.jobs.bench;

import static io.veil.jobs.bench.BenchSupport.outcomeSeconds;
import static io.veil.jobs.bench.BenchSupport.secs;
import static io.veil.jobs.bench.BenchSupport.timeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import io.veil.jobs.bench.BenchSupport.PartyRun;
import io.veil.jobs.bench.BenchSupport.Progress;
import io.veil.jobs.bench.BenchSupport.TopicLog;
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
 * End-to-end benchmark of the multi-lender check ({@code multi-lender}) beside the plaintext Spark
 * computation of the same result.
 *
 * <ol>
 *   <li>Inputs ({@link BenchWorker} {@code gen-mlc}, its own JVM): the lender's N applicants {@code
 *       A0..A(N-1)} (with a small {@code branch} column), and each of the K peers' L loans: peer i (from
 *       0) holds ids {@code A(o_i)..A(o_i+L-1)} with {@code o_i = (i+1) N / (2K)}, so that applicants
 *       are at 0, 1, .., K peers (and some loans are to people who did not apply), each with {@code
 *       outstanding}, a decimal(14,2) in {@code [0, 1,000,000)}; one id in 1,000 has a second loan at
 *       the same peer.
 *   <li>The job: the lender ({@code local[2]}) and each peer ({@code local[1]}, so that K+1 party JVMs
 *       do not overload a small machine) its own JVM over one embedded broker (in this JVM): per party
 *       the JVM wall and CPU time, peak resident memory, the job and protocol times; each step's time
 *       from the progress lines (logged with milliseconds) and the bytes it put on the broker, summed
 *       over the peers.
 *   <li>The plaintext baseline in one JVM ({@link BenchWorker} {@code plain-mlc}, {@code local[2]}): per
 *       peer {@code groupBy(id).sum(outstanding)}, the union over the peers with a count of 1 each,
 *       {@code groupBy(id)} and sum, left join onto the applicants, write; timed; then (untimed)
 *       compared with the lender's output row by row.
 * </ol>
 *
 * <pre>
 * veil mlc-bench [--applicants 100000] [--loans 100000] [--peers 3] [--partitions 4] [--heap 2g]
 *     [--work-dir DIR] [--timeout-s 14400]
 * </pre>
 */
public final class MultiLenderBench {
  static final String ID_PREFIX = "A";
  static final String BRANCH_COLUMN = "branch";
  static final String AMOUNT_COLUMN = "outstanding";
  static final String COUNT_COLUMN = "lenders_with_loan";
  static final String TOTAL_COLUMN = "total_" + AMOUNT_COLUMN;
  /** One peer's second loans: ids {@code j} (from the peer's offset) with {@code j % SECOND_LOAN_EVERY == 7}. */
  static final long SECOND_LOAN_EVERY = 1000;
  /**
   * The most applicants per partition: one OT extension with a peer carries at most 2^24 / 18 =
   * 932,067 cuckoo bins, the lender needs about 1.27 bins per distinct applicant, and one partition's
   * bins never span two extensions (a little headroom for uneven hash bucketing).
   */
  static final long MAX_APPLICANTS_PER_PARTITION = 700_000;
  /** The most applicants the benchmark generates. */
  static final long MAX_APPLICANTS = 50_000_000;
  private static final String LENDER = "lender";
  private static final String LENDER_MASTER = "local[2]";
  private static final String PEER_MASTER = "local[1]";
  private static final String PLAIN_MASTER = "local[2]";
  /** The protocol's data steps in order, and who sends each ({@code L}: the lender, to every peer). */
  private static final List<String[]> STEPS = List.of(new String[] {"mlc-u", "lender"},
      new String[] {"mlc-hint", "peers"}, new String[] {"mlc-eq-u", "lender"}, new String[] {"mlc-eq", "peers"},
      new String[] {"mlc-open", "lender"}, new String[] {"mlc-shares", "peers"});

  private MultiLenderBench() {}

  /** {@code veil mlc-bench}'s options (picocli). */
  public static final class Options {
    @Option(names = "--applicants", defaultValue = "100000", paramLabel = "N",
        description = "The lender's applicants (distinct ids), at most " + MAX_APPLICANTS_PER_PARTITION
            + " per partition (one OT extension's cuckoo bins); default: ${DEFAULT-VALUE}.")
    long applicants;

    @Option(names = "--loans", defaultValue = "100000", paramLabel = "N",
        description = "Distinct ids with a loan at each peer (one in 1,000 with a second loan); "
            + "default: ${DEFAULT-VALUE}.")
    long loans;

    @Option(names = "--peers", defaultValue = "3", paramLabel = "K",
        description = "Peer lenders, 2 to 8, each its own JVM; default: ${DEFAULT-VALUE}.")
    int peers;

    @Option(names = "--partitions", defaultValue = "4", paramLabel = "N",
        description = "Spark partitions (buckets) of each step (multiLender.partitions) and of the generated "
            + "inputs; default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--heap", defaultValue = "2g", paramLabel = "SIZE",
        description = "Maximum heap of each party's JVM and of the plaintext JVM; default: ${DEFAULT-VALUE}.")
    String heap;

    @Option(names = "--work-dir", defaultValue = "target/veil-mlc-bench", paramLabel = "DIR",
        description = "Where the inputs, keys, spec, outputs and logs go (emptied first); default: ${DEFAULT-VALUE}.")
    String workDir;

    @Option(names = "--timeout-s", defaultValue = "14400", paramLabel = "S",
        description = "How long to wait for each JVM; default: ${DEFAULT-VALUE}.")
    long timeoutS;

    /** What is wrong with the options, naming the option, or null: checked before anything starts. */
    public String problem() {
      if (applicants < 1 || applicants > MAX_APPLICANTS) {
        return String.format(Locale.ROOT, "--applicants must be between 1 and %,d, not %d", MAX_APPLICANTS,
            applicants);
      }
      if (partitions >= 1 && applicants > MAX_APPLICANTS_PER_PARTITION * partitions) {
        return String.format(Locale.ROOT, "--applicants %d over --partitions %d is more than %,d per partition (one "
            + "OT extension with a peer carries at most 932,067 cuckoo bins, about 1.27 per applicant, and one "
            + "partition's bins are never split): raise --partitions to at least %d", applicants, partitions,
            MAX_APPLICANTS_PER_PARTITION, (applicants + MAX_APPLICANTS_PER_PARTITION - 1)
                / MAX_APPLICANTS_PER_PARTITION);
      }
      if (loans < 1 || loans > 100_000_000L) {
        return "--loans must be between 1 and 100,000,000, not " + loans;
      }
      if (peers < 2 || peers > 8) {
        return "--peers must be between 2 and 8 (the multi-lender check's limits), not " + peers;
      }
      return BenchSupport.partyOptionsProblem(partitions, heap, timeoutS);
    }
  }

  /** Peer i's (from 0) first id: {@code (i + 1) N / (2K)}. */
  static long offset(int peer, long applicants, int peers) {
    return (peer + 1) * applicants / (2L * peers);
  }

  static String peer(int i) {
    return "peer" + (i + 1);
  }

  /** Runs the benchmark, printing its report; returns the exit code. */
  public static int run(Options o) throws Exception {
    Path work = Path.of(o.workDir).toAbsolutePath();
    io.veil.jobs.demo.PsiDemo.deleteTree(work);
    Files.createDirectories(work.resolve("logs"));
    long timeoutMs = o.timeoutS * 1000;
    SecureRandom rnd = new SecureRandom();
    List<String> ids = new ArrayList<>(List.of(LENDER));
    for (int i = 0; i < o.peers; i++) {
      ids.add(peer(i));
    }
    List<PartySecret> keys = new ArrayList<>();
    for (String id : ids) {
      PartySecret k = PartySecret.generate(id, rnd);
      k.write(work.resolve("keys/" + id + ".key"));
      keys.add(k);
    }
    BenchSupport.writePolicies(work, keys, "multi-lender", List.of(LENDER));
    Path logConfig = work.resolve("log4j2-ms.properties");
    BenchSupport.writeMillisLogConfig(logConfig);
    List<String> jvmOptions = List.of("-Dlog4j2.configurationFile=" + logConfig);
    Path data = work.resolve("data");
    Path secureOut = work.resolve("out/secure");

    System.out.printf(Locale.ROOT, "generating %,d applicants and %,d loans at each of %d peers...%n", o.applicants,
        o.loans, o.peers);
    JsonNode gen = BenchSupport.worker("gen", List.of("gen-mlc", "out=" + data, "applicants=" + o.applicants,
        "loans=" + o.loans, "peers=" + o.peers, "partitions=" + o.partitions), PLAIN_MASTER, o.heap, work, jvmOptions,
        timeoutMs);
    if (gen == null) {
      return 1;
    }

    List<PartyRun> runs;
    Map<String, TopicLog> topics;
    try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(work.resolve("kafka"), 0).start()) {
      System.out.println("embedded Kafka broker on " + broker.bootstrapServers() + "; work dir " + work);
      Path spec = work.resolve("multi-lender.yaml");
      Files.writeString(spec, spec(o, keys, data, secureOut), StandardCharsets.UTF_8);
      System.out.printf("multi-lender: running %s (%s) and %d peers (%s each)...%n", LENDER, LENDER_MASTER, o.peers,
          PEER_MASTER);
      List<String> masters = new ArrayList<>(List.of(LENDER_MASTER));
      masters.addAll(java.util.Collections.nCopies(o.peers, PEER_MASTER));
      runs = BenchSupport.runParties("mlc", ids, java.util.Collections.nCopies(ids.size(), o.heap), masters, spec,
          work, broker.bootstrapServers(), timeoutMs, jvmOptions);
      topics = BenchSupport.topicLogs(work.resolve("kafka"));
    }
    if (!runs.stream().allMatch(PartyRun::ok)) {
      System.out.println("multi-lender: a party failed: " + runs.stream().map(r -> r.id() + " exit " + r.exit())
          .toList() + "; logs in " + work.resolve("logs"));
      return 1;
    }
    for (PartyRun r : runs) {
      System.out.printf("  %s: %s%n", r.id(), r.process().outcome().path("result"));
    }

    System.out.printf("plaintext: per-peer sums, union, count and sum per id, left join in one JVM (%s)...%n",
        PLAIN_MASTER);
    StringBuilder loans = new StringBuilder();
    for (int i = 0; i < o.peers; i++) {
      loans.append(i == 0 ? "" : ",").append(data.resolve(peer(i)));
    }
    long p0 = System.nanoTime();
    JsonNode plain = BenchSupport.worker("plain", List.of("plain-mlc", "applicants=" + data.resolve(LENDER),
        "loans=" + loans, "out=" + work.resolve("out/plain"), "secure=" + secureOut), PLAIN_MASTER, o.heap, work,
        jvmOptions, timeoutMs);
    double plainWallS = (System.nanoTime() - p0) / 1e9;
    if (plain == null) {
      return 1;
    }

    System.out.println();
    report(o, gen, runs, topics, plain, plainWallS).forEach(System.out::println);
    boolean matches = plain.path("matches").asBoolean(false);
    System.out.println(matches ? "result matches: the lender's output equals the plaintext computation, row by row"
        : String.format(Locale.ROOT, "RESULT DIFFERS: %d rows only in the secure output, %d only in the plaintext "
            + "one (outputs in %s)", plain.path("rows_only_secure").asLong(), plain.path("rows_only_plain").asLong(),
            work.resolve("out")));
    return matches ? 0 : 1;
  }

  private static List<String> report(Options o, JsonNode gen, List<PartyRun> runs, Map<String, TopicLog> topics,
      JsonNode plain, double plainWallS) {
    List<String> r = new ArrayList<>();
    PartyRun lender = runs.get(0);
    List<PartyRun> peers = runs.subList(1, runs.size());
    r.add(String.format(Locale.ROOT, "== mlc-bench: %,d applicants; %d peers with %,d ids each (one in %,d with a "
        + "second loan), '%s' decimal(14,2); partitions %d; lender JVM %s, peer JVMs %s, -Xmx%s each; one embedded "
        + "broker; machine: %d cores", o.applicants, o.peers, o.loans, SECOND_LOAN_EVERY, AMOUNT_COLUMN,
        o.partitions, LENDER_MASTER, PEER_MASTER, o.heap, Runtime.getRuntime().availableProcessors()));
    r.add(String.format(Locale.ROOT, "   inputs generated in %.1f s (not counted below); plaintext: applicants at "
        + "0..%d peers: %s", gen.path("generate_ms").asLong() / 1000.0, o.peers, plain.path("plain_by_count")
        .asText()));
    r.add("");
    r.add("== secure job, per party (s; JVM = process start -> exit; job = elapsedMs, spec read -> receipt; "
        + "protocol = protocolMs; RSS = peak resident memory sampled every 100 ms)");
    r.add(String.format("   %-16s %8s %8s %8s %9s %9s", "party", "JVM", "JVM CPU", "job", "protocol", "RSS MiB"));
    for (PartyRun p : runs) {
      r.add(String.format(Locale.ROOT, "   %-16s %8.1f %8.1f %8.2f %9.2f %9d", p.id() + (p == lender ? " (" + LENDER_MASTER
          + ")" : " (" + PEER_MASTER + ")"), p.wallS(), p.cpuS(), outcomeSeconds(p, "elapsedMs"),
          outcomeSeconds(p, "protocolMs"), p.peakRssKiB() >> 10));
    }
    double cpuAll = runs.stream().mapToDouble(PartyRun::cpuS).sum();
    r.add(String.format(Locale.ROOT, "   CPU of all party JVMs: %.1f s", cpuAll));
    r.add("");
    r.add("== steps (s): from the sending party's 'step <name>' progress line (for the peers' steps the first "
        + "peer's) to the last record of the step's topics on the broker (the last peer's);");
    r.add("   bytes = the step's topics' record logs with Kafka's framing, summed over the peers (the lender's "
        + "streams are <lender>.<job>.<step>.<peer>, the peers' <peer>.<job>.<step>).");
    r.add(String.format("   %-11s %-7s %9s %13s %12s", "step", "sender", "time", "bytes sent", "per peer"));
    Map<String, Progress[]> lenderSteps = BenchSupport.steps(BenchSupport.progress(lender.process()));
    List<Map<String, Progress[]>> peerSteps = peers.stream()
        .map(p -> BenchSupport.steps(BenchSupport.progress(p.process()))).toList();
    long stepBytes = 0;
    for (String[] s : STEPS) {
      String step = s[0];
      // a whole dotted part of the name: "mlc-u" is also the end of "mlc-eq-u"
      List<TopicLog> logs = topics.entrySet().stream().filter(e -> stepOf(e.getKey()).equals(step))
          .map(Map.Entry::getValue).toList();
      long bytes = logs.stream().mapToLong(TopicLog::bytes).sum();
      java.time.LocalTime last = logs.stream().map(TopicLog::lastWrite).max(java.time.LocalTime::compareTo)
          .orElse(null);
      java.time.LocalTime first = null;
      if (s[1].equals("lender")) {
        Progress[] l = lenderSteps.get(step);
        first = l == null ? null : l[0].time();
      } else {
        for (Map<String, Progress[]> ps : peerSteps) {
          Progress[] l = ps.get(step);
          if (l != null && (first == null || l[0].time().isBefore(first))) {
            first = l[0].time();
          }
        }
      }
      double t = first != null && last != null ? BenchSupport.seconds(first, last) : Double.NaN;
      stepBytes += bytes;
      r.add(String.format(Locale.ROOT, "   %-11s %-7s %9s %13s %12s", step, s[1], secs(t),
          logs.isEmpty() ? "-" : BenchSupport.bytes(bytes), logs.isEmpty() ? "-" : BenchSupport.bytes(
              (double) bytes / o.peers)));
    }
    long total = topics.values().stream().mapToLong(TopicLog::bytes).sum();
    r.add(String.format(Locale.ROOT, "   bytes sent: %s by %s, %s by the peers (protocol steps %s; all topics with "
        + "job control %s; %.0f bytes per applicant and peer)", BenchSupport.bytes(BenchSupport.sent(topics,
        LENDER)), LENDER, BenchSupport.bytes(peers.stream().mapToLong(p -> BenchSupport.sent(topics, p.id())).sum()),
        BenchSupport.bytes(stepBytes), BenchSupport.bytes(total), (double) total / (o.applicants * (double) o.peers)));
    r.add("   " + LENDER + ": " + timeline(BenchSupport.progress(lender.process())));
    for (PartyRun p : peers) {
      r.add("   " + p.id() + ":  " + timeline(BenchSupport.progress(p.process())));
    }
    r.add("");
    double plainS = plain.path("plain_ms").asLong() / 1000.0;
    double jobS = runs.stream().mapToDouble(p -> outcomeSeconds(p, "elapsedMs")).max().orElse(0);
    double jvmS = runs.stream().mapToDouble(PartyRun::wallS).max().orElse(0);
    double protocolS = outcomeSeconds(lender, "protocolMs");
    r.add(String.format(Locale.ROOT, "== plaintext (one JVM, %s): per-peer groupBy(id).sum, union, groupBy(id) count "
        + "+ sum, left join, write: %.2f s (CPU %.1f s); JVM wall %.1f s; %,d applicants with a loan, total %s",
        PLAIN_MASTER, plainS, plain.path("plain_cpu_ms").asLong() / 1000.0, plainWallS,
        plain.path("plain_with_loans").asLong(), plain.path("plain_total").asText()));
    r.add(String.format(Locale.ROOT, "== secure / plaintext: protocol (lender) %.2f s / %.2f s = %.0fx; job (slowest "
        + "party) %.2f s / %.2f s = %.0fx; JVM wall (slowest party) %.1f s / %.1f s = %.1fx", protocolS, plainS,
        protocolS / plainS, jobS, plainS, jobS / plainS, jvmS, plainWallS, jvmS / plainWallS));
    r.add(String.format(Locale.ROOT, "   secure result: %s rows, %s applicants with a loan (lender's figures); "
        + "compared row by row: %s secure rows, %s plaintext rows", lender.figure("inputRows"),
        lender.figure("applicantsWithLoans"), plain.path("secure_rows").asText(), plain.path("plain_rows").asText()));
    return r;
  }

  /** The step of a topic name {@code [prefix]<party>.<job>.<step>[.<peer>]}: its dotted part starting {@code mlc-}. */
  static String stepOf(String topic) {
    String[] parts = topic.split("\\.");
    for (String p : parts) {
      if (p.startsWith("mlc-")) {
        return p;
      }
    }
    return "";
  }

  private static String spec(Options o, List<PartySecret> keys, Path data, Path out) {
    StringBuilder s = new StringBuilder("# Written by `veil mlc-bench`.\nversion: 1\nname: bench-mlc\n"
        + "operator: multi-lender\npeerTimeoutMs: 3600000\nparties:\n");
    s.append("  - id: ").append(LENDER).append("\n    publicKey: ").append(keys.get(0).identity().publicKey().encoded())
        .append("\n    input:\n      format: parquet\n      path: ").append(data.resolve(LENDER))
        .append("\n      keyColumns: [id]\n    output:\n      format: parquet\n      path: ").append(out).append('\n');
    for (int i = 0; i < o.peers; i++) {
      s.append("  - id: ").append(peer(i)).append("\n    publicKey: ")
          .append(keys.get(i + 1).identity().publicKey().encoded())
          .append("\n    input:\n      format: parquet\n      path: ").append(data.resolve(peer(i)))
          .append("\n      keyColumns: [id]\n      columns: [").append(AMOUNT_COLUMN).append("]\n");
    }
    s.append("multiLender:\n  lender: ").append(LENDER).append("\n  amount: {column: ").append(AMOUNT_COLUMN)
        .append(", scale: 2, maxAbs: 100000000}\n  partitions: ").append(o.partitions).append('\n');
    return s.toString();
  }
}
