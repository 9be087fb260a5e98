package io.veil.jobs.bench;

import static io.veil.jobs.bench.BenchSupport.secs;
import static io.veil.jobs.bench.BenchSupport.timeline;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import io.veil.jobs.PartyProcess;
import io.veil.jobs.bench.BenchSupport.PartyRun;
import io.veil.jobs.bench.BenchSupport.Progress;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * End-to-end benchmark of the blacklist lookup ({@code blacklist-lookup}, issue 14): a holder with a
 * large list (reason codes on) and a querier with a few ids, half of them listed.
 *
 * <ol>
 *   <li>The holder's one-off encoding of the list ({@code BlacklistStore.refresh}) in a holder JVM
 *       ({@link BenchWorker} {@code bl-encode}, {@code local[2]}: alone on the machine), timed.
 *   <li>Three jobs, holder and querier each its own JVM ({@code local[1]}) over one embedded broker
 *       (in this JVM): {@code full} (the querier has no copy yet: the whole list is sent), {@code
 *       none} (the copy is up to date: the per-query time) and {@code one} (the same with one id).
 *   <li>The low-latency form: the holder's {@code veil blacklist serve} and a querier JVM ({@link
 *       SessionProbe}) with one session: 50 single-id requests, then 10 requests of the whole query.
 *   <li>A table: per job and party the JVM wall time, the job time ({@code elapsedMs}), the protocol
 *       time ({@code protocolMs}) and the steps' own times from the progress lines (logged with
 *       milliseconds); the store's and the copy's sizes on disk.
 * </ol>
 *
 * <pre>
 * veil blacklist-bench [--list-ids 10000000] [--query-ids 1000] [--partitions 4] [--heap 2g]
 *                      [--work-dir DIR] [--timeout-s 7200]
 * </pre>
 */
public final class BlacklistBench {
  static final String LISTED_PREFIX = "ID-";
  static final long ID_BASE = 100_000_000L;
  private static final String HOLDER = "bureau";
  private static final String QUERIER = "lender";
  private static final String LIST = "bench-list";
  /** The goal for one query job with the copy up to date. */
  private static final double GOAL_S = 2.0;

  private BlacklistBench() {}

  /** {@code veil blacklist-bench}'s options (picocli). */
  public static final class Options {
    @Option(names = "--list-ids", defaultValue = "10000000", paramLabel = "N",
        description = "Ids on the holder's list (each with a reason code); default: ${DEFAULT-VALUE}.")
    long listIds;

    @Option(names = "--query-ids", defaultValue = "1000", paramLabel = "N",
        description = "Ids the querier asks about, half of them listed; default: ${DEFAULT-VALUE}.")
    int queryIds;

    @Option(names = "--partitions", defaultValue = "4", paramLabel = "N",
        description = "Spark partitions of the list's encoding, the copy's update and the query "
            + "(blacklist.partitions); default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--heap", defaultValue = "2g", paramLabel = "SIZE",
        description = "Maximum heap of each party's JVM; default: ${DEFAULT-VALUE}.")
    String heap;

    @Option(names = "--work-dir", defaultValue = "target/veil-blacklist-bench", paramLabel = "DIR",
        description = "Where the list, keys, specs, store, copy, outputs and logs go (emptied first); "
            + "default: ${DEFAULT-VALUE}.")
    String workDir;

    @Option(names = "--timeout-s", defaultValue = "7200", paramLabel = "S",
        description = "How long to wait for each JVM; default: ${DEFAULT-VALUE}.")
    long timeoutS;

    /** What is wrong with the options, naming the option, or null: checked before anything starts. */
    public String problem() {
      if (listIds < 1 || listIds > 2_000_000_000L) {
        return "--list-ids must be between 1 and 2,000,000,000, not " + listIds;
      }
      if (queryIds < 1 || queryIds > 10_000_000) {
        return "--query-ids must be between 1 and 10,000,000, not " + queryIds;
      }
      if (listedQueries(queryIds) > listIds) {
        return "--query-ids " + queryIds + " asks about " + listedQueries(queryIds) + " listed ids but --list-ids is "
            + listIds + "; give at most " + 2 * listIds + " query ids";
      }
      return BenchSupport.partyOptionsProblem(partitions, heap, timeoutS);
    }
  }

  /** How many of {@code queryIds} are listed: half, and the one id of a single-id query. */
  static int listedQueries(int queryIds) {
    return (queryIds + 1) / 2;
  }

  /** One query job: its tag, what it measures, and its query file. */
  private record Job(String tag, String title, int ids, Path queries) {}

  /** Runs the benchmark, printing its report; returns the exit code. */
  public static int run(Options o) throws Exception {
    Path work = Path.of(o.workDir).toAbsolutePath();
    io.veil.jobs.demo.PsiDemo.deleteTree(work);
    Files.createDirectories(work.resolve("logs"));
    Files.createDirectories(work.resolve("data"));
    long timeoutMs = o.timeoutS * 1000;
    SecureRandom rnd = new SecureRandom();
    List<PartySecret> keys = List.of(PartySecret.generate(HOLDER, rnd), PartySecret.generate(QUERIER, rnd));
    for (PartySecret k : keys) {
      k.write(work.resolve("keys/" + k.party() + ".key"));
    }
    BenchSupport.writePolicies(work, keys, "blacklist-lookup", List.of(QUERIER));
    Path logConfig = work.resolve("log4j2-ms.properties");
    BenchSupport.writeMillisLogConfig(logConfig);
    List<String> jvmOptions = List.of("-Dlog4j2.configurationFile=" + logConfig);
    Path list = work.resolve("data/list");
    Path store = work.resolve("store");
    Path copy = work.resolve("copy");

    List<Job> jobs = List.of(
        new Job("full", "first job: copy sync full + query", o.queryIds, queries(work, "queries", o.queryIds, o)),
        new Job("none", "query, copy up to date (sync none)", o.queryIds, work.resolve("data/queries.csv")),
        new Job("one", "one id, copy up to date (sync none)", 1, queries(work, "one", 1, o)));

    System.out.printf(Locale.ROOT, "holder: generating a %,d-id list and encoding it once (local[2])...%n", o.listIds);
    long e0 = System.nanoTime();
    PartyProcess encoder = PartyProcess.startJava("encode", System.getProperty("java.class.path"),
        BenchWorker.class.getName(), List.of("bl-encode", "master=local[2]", "out=" + list, "ids=" + o.listIds,
            "partitions=" + Math.max(2, o.partitions), "store=" + store, "list=" + LIST,
            "key=" + work.resolve("keys/" + HOLDER + ".key")), o.heap, jvmOptions, work,
        BenchSupport.log(work, "encode"));
    int encodeExit = encoder.await(timeoutMs);
    double encodeWallS = (System.nanoTime() - e0) / 1e9;
    if (encodeExit != 0 || !encoder.hasOutcome()) {
      System.out.println("the list's encoding failed (exit " + encodeExit + "); see " + work.resolve("logs/encode.log"));
      return 1;
    }
    var enc = encoder.outcome();
    System.out.println("  encode: " + enc);
    long storeBytes = BenchSupport.sizeOnDisk(store);

    List<List<PartyRun>> done = new ArrayList<>();
    com.fasterxml.jackson.databind.JsonNode session;
    try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(work.resolve("kafka"), 0).start()) {
      System.out.println("embedded Kafka broker on " + broker.bootstrapServers() + "; work dir " + work);
      for (Job j : jobs) {
        Path spec = work.resolve("blacklist-" + j.tag() + ".yaml");
        Files.writeString(spec, spec(o, j, keys, list, store, copy, work), StandardCharsets.UTF_8);
        System.out.printf("%s: running %s and %s...%n", j.title(), HOLDER, QUERIER);
        List<PartyRun> runs = BenchSupport.runParties(j.tag(), List.of(HOLDER, QUERIER), List.of(o.heap, o.heap),
            spec, "local[1]", work, broker.bootstrapServers(), timeoutMs, jvmOptions);
        if (!runs.stream().allMatch(PartyRun::ok)) {
          System.out.println(j.title() + ": a party failed: " + runs.stream().map(r -> r.id() + " exit " + r.exit())
              .toList() + "; logs in " + work.resolve("logs"));
          return 1;
        }
        for (PartyRun r : runs) {
          System.out.printf("  %s: %s%n", r.id(), r.process().outcome().path("result"));
        }
        done.add(runs);
      }
      session = session(o, work, broker.bootstrapServers(), timeoutMs, jvmOptions);
      if (session == null) {
        return 1;
      }
    }
    long copyBytes = BenchSupport.sizeOnDisk(copy);
    List<String> report = report(o, jobs, done, enc, encodeWallS, storeBytes, copyBytes);
    report.add(String.format(Locale.ROOT, "== 5. low-latency form (veil blacklist serve at %s, one BlacklistClient "
        + "session at %s, each its own JVM; the copy up to date): session opened in %.1f ms; one id per request: "
        + "median %.1f ms (min %.1f, max %.1f, %d requests); %,d ids per request: median %.1f ms (min %.1f, max "
        + "%.1f, %d requests)", HOLDER, QUERIER, session.path("open_ms").asDouble(),
        session.path("one_id_median_ms").asDouble(), session.path("one_id_min_ms").asDouble(),
        session.path("one_id_max_ms").asDouble(), session.path("singles").asInt(),
        session.path("batch_ids").asInt(), session.path("batch_median_ms").asDouble(),
        session.path("batch_min_ms").asDouble(), session.path("batch_max_ms").asDouble(),
        session.path("batch_rounds").asInt()));
    double oneS = session.path("one_id_median_ms").asDouble() / 1000;
    double batchS = session.path("batch_median_ms").asDouble() / 1000;
    report.add(String.format(Locale.ROOT, "== goal (low-latency form): a query under %.0f s: %,d ids %.3f s %s, 1 id "
        + "%.3f s %s", GOAL_S, session.path("batch_ids").asInt(), batchS, batchS < GOAL_S ? "MET" : "NOT MET", oneS,
        oneS < GOAL_S ? "MET" : "NOT MET"));
    System.out.println();
    report.forEach(System.out::println);
    boolean correct = session.path("batch_listed").asLong() == listedQueries(o.queryIds);
    for (int i = 0; i < jobs.size(); i++) {
      PartyRun q = done.get(i).get(1);
      correct &= q.number("listed") == listedQueries(jobs.get(i).ids()) && q.number("queries") == jobs.get(i).ids();
    }
    System.out.println(correct ? "benchmark finished" : "benchmark finished, but a job found a wrong number of "
        + "listed ids (see the table)");
    return correct ? 0 : 1;
  }

  private static List<String> report(Options o, List<Job> jobs, List<List<PartyRun>> done,
      com.fasterxml.jackson.databind.JsonNode enc, double encodeWallS, long storeBytes, long copyBytes) {
    List<String> report = new ArrayList<>();
    long encodeMs = enc.path("encode_ms").asLong();
    report.add(String.format(Locale.ROOT, "== blacklist-bench: list %,d ids (reason codes on), query %,d ids (%,d "
        + "listed), partitions %d; each party its own JVM, local[1], -Xmx%s; one embedded broker; machine: %d cores",
        o.listIds, o.queryIds, listedQueries(o.queryIds), o.partitions, o.heap,
        Runtime.getRuntime().availableProcessors()));
    report.add("");
    report.add(String.format(Locale.ROOT, "== 1. one-off encoding (holder, BlacklistStore.refresh, local[2]): %,d ids "
        + "in %.1f s = %,.0f ids/s (%,.0f ids/s per core; CPU %.1f s); list generation %.1f s; encode JVM wall "
        + "%.1f s", enc.path("records").asLong(), encodeMs / 1000.0, enc.path("records").asLong() / (encodeMs / 1000.0),
        enc.path("records").asLong() / (encodeMs / 1000.0) / 2, enc.path("encode_cpu_ms").asLong() / 1000.0,
        enc.path("generate_ms").asLong() / 1000.0, encodeWallS));
    report.add(String.format(Locale.ROOT, "   holder's store on disk: %s (%.1f bytes/id); querier's copy on disk: %s "
        + "(%.1f bytes/id)", BenchSupport.bytes(storeBytes), (double) storeBytes / o.listIds,
        BenchSupport.bytes(copyBytes), (double) copyBytes / o.listIds));
    report.add("");
    report.add("== 2-4. jobs (times in s; JVM = process start -> exit; job = elapsedMs, spec read -> receipt; "
        + "protocol = protocolMs, approvals in -> operator end;");
    report.add("   sync = querier's 'step sync' -> 'step query'; query = querier's 'step query' -> result line "
        + "(blind, send, holder answers, unblind, look up); answer = holder's 'step answer' -> 'answered')");
    report.add(String.format("   %-38s %-7s %5s %9s %7s %7s %9s %8s %8s %8s %8s", "job", "party", "ids", "sync",
        "listed", "JVM", "JVM CPU", "job", "protocol", "sync", "query"));
    for (int i = 0; i < jobs.size(); i++) {
      for (PartyRun r : done.get(i)) {
        boolean querier = r.id().equals(QUERIER);
        List<Progress> p = BenchSupport.progress(r.process());
        String sync = querier ? secs(between(p, "step sync:", "step query:")) : secs(between(p, "step sync:",
            "step answer:"));
        String query = querier ? secs(between(p, "step query:", " distinct ids are on list"))
            : secs(between(p, "step answer:", "answered "));
        report.add(String.format(Locale.ROOT, "   %-38s %-7s %5d %9s %7s %7.1f %9.1f %8.2f %8.2f %8s %8s",
            jobs.get(i).title(), r.id(), jobs.get(i).ids(), r.figure("syncMode") + "/" + r.figure("syncRecords"),
            querier ? r.figure("listed") : "-", r.wallS(), r.cpuS(),
            r.process().outcome().path("elapsedMs").asLong() / 1000.0,
            r.process().outcome().path("protocolMs").asLong() / 1000.0, sync, query + (querier ? "" : "*")));
      }
    }
    report.add("   (* holder: its answer step)");
    report.add("");
    PartyRun none = done.get(1).get(1);
    PartyRun one = done.get(2).get(1);
    double noneJob = none.process().outcome().path("elapsedMs").asLong() / 1000.0;
    double oneJob = one.process().outcome().path("elapsedMs").asLong() / 1000.0;
    report.add(String.format(Locale.ROOT, "== goal: a query with the copy up to date under %.0f s (querier's job time): "
        + "%,d ids %.2f s %s, 1 id %.2f s %s", GOAL_S, jobs.get(1).ids(), noneJob, noneJob < GOAL_S ? "MET" : "NOT MET",
        oneJob, oneJob < GOAL_S ? "MET" : "NOT MET"));
    for (int i = 1; i < jobs.size(); i++) {
      PartyRun q = done.get(i).get(1);
      double job = q.process().outcome().path("elapsedMs").asLong() / 1000.0;
      double protocol = q.process().outcome().path("protocolMs").asLong() / 1000.0;
      List<Progress> p = BenchSupport.progress(q.process());
      double sync = between(p, "step sync:", "step query:");
      double query = between(p, "step query:", " distinct ids are on list");
      report.add(String.format(Locale.ROOT, "   %s: JVM %.1f s = JVM and Spark start, spec and policy checks %.1f s "
          + "+ job %.2f s; job = runtime (approvals, input commitment, output, receipt) %.2f s + protocol %.2f s; "
          + "protocol = sync step %s s + query step %s s + copy-state/sync notices and the rest %s s",
          jobs.get(i).title(), q.wallS(), q.wallS() - job, job, job - protocol, protocol, secs(sync), secs(query),
          secs(protocol - (Double.isNaN(sync) ? 0 : sync) - query)));
    }
    report.add("   querier's progress (job none): " + timeline(BenchSupport.progress(none.process())));
    report.add("   holder's progress (job none):  " + timeline(BenchSupport.progress(done.get(1).get(0).process())));
    report.add("");
    return report;
  }

  /**
   * The low-latency phase: the holder's {@code veil blacklist serve} on the copy-up-to-date spec and
   * a {@link SessionProbe} querier JVM; returns the probe's figures, or null (reported) on failure.
   */
  private static com.fasterxml.jackson.databind.JsonNode session(Options o, Path work, String bootstrap,
      long timeoutMs, List<String> jvmOptions) throws Exception {
    Path spec = work.resolve("blacklist-none.yaml");
    Path ids = work.resolve("data/session-ids.txt");
    List<String> lines = Files.readAllLines(work.resolve("data/queries.csv"), StandardCharsets.UTF_8);
    Files.write(ids, lines.subList(1, lines.size()).stream().map(l -> l.substring(l.indexOf(',') + 1)).toList(),
        StandardCharsets.UTF_8);
    System.out.println("low-latency form: " + HOLDER + " serves, " + QUERIER + " checks in one session...");
    try (PartyProcess serve = PartyProcess.start("serve", List.of("blacklist", "serve", "--spec", spec.toString(),
        "--party", HOLDER, "--key", work.resolve("keys/" + HOLDER + ".key").toString(),
        "--policy", work.resolve("policy-" + HOLDER + ".yaml").toString(),
        "--ledger", work.resolve("ledger/session-" + HOLDER + ".jsonl").toString(),
        "--bootstrap-servers", bootstrap), o.heap, jvmOptions, work, BenchSupport.log(work, "session-serve"))) {
      if (!serve.awaitLine(l -> l.contains("serving list"), timeoutMs)) {
        System.out.println("the lookup service did not start; see " + work.resolve("logs/session-serve.log"));
        return null;
      }
      String settings = String.join(";", "veil.job.spec=" + spec, "veil.party.id=" + QUERIER,
          "veil.party.key-file=" + work.resolve("keys/" + QUERIER + ".key"),
          "veil.party.policy-file=" + work.resolve("policy-" + QUERIER + ".yaml"),
          "veil.ledger.path=" + work.resolve("ledger/session-" + QUERIER + ".jsonl"),
          "veil.channel.bootstrap.servers=" + bootstrap);
      PartyProcess probe = PartyProcess.startJava("probe", System.getProperty("java.class.path"),
          SessionProbe.class.getName(), List.of("settings=" + settings, "ids=" + ids, "singles=50", "rounds=10"),
          o.heap, jvmOptions, work, BenchSupport.log(work, "session-probe"));
      int exit = probe.await(timeoutMs);
      serve.terminate(30_000);
      if (exit != 0 || !probe.hasOutcome()) {
        System.out.println("the low-latency session failed (exit " + exit + "); see "
            + work.resolve("logs/session-probe.log"));
        return null;
      }
      System.out.println("  session: " + probe.outcome());
      return probe.outcome();
    }
  }

  /** Seconds from the first line starting with (containing) {@code from} to the next containing {@code to}, or NaN. */
  private static double between(List<Progress> lines, String from, String to) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).message().contains(from)) {
        for (int j = i + 1; j < lines.size(); j++) {
          if (lines.get(j).message().contains(to)) {
            return Duration.between(lines.get(i).time(), lines.get(j).time()).toMillis() / 1000.0;
          }
        }
      }
    }
    return Double.NaN;
  }

  /** The id of list row {@code i}: {@code BenchWorker bl-encode} writes the list with the same ids. */
  static String listedId(long i) {
    return LISTED_PREFIX + (ID_BASE + i);
  }

  /** A query file: {@link #listedQueries} ids spread over the list, the others not listed. */
  private static Path queries(Path work, String name, int n, Options o) throws IOException {
    Path file = work.resolve("data/" + name + ".csv");
    int listed = listedQueries(n);
    long step = Math.max(1, o.listIds / listed);
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("application_id,nid\n");
      for (int i = 0; i < n; i++) {
        w.write("A" + i + "," + (i < listed ? listedId(i * step + step / 2) : "NO-" + i) + "\n");
      }
    }
    return file;
  }

  private static String spec(Options o, Job j, List<PartySecret> keys, Path list, Path store, Path copy, Path work) {
    return "# Written by `veil blacklist-bench`.\nversion: 1\nname: bench-blacklist-" + j.tag()
        + "\noperator: blacklist-lookup\npeerTimeoutMs: 3600000\nparties:\n"
        + "  - id: " + HOLDER + "\n    publicKey: " + keys.get(0).identity().publicKey().encoded() + "\n"
        + "    input:\n      format: parquet\n      path: " + list + "\n      keyColumns: [id]\n"
        + "      columns: [reason]\n"
        + "  - id: " + QUERIER + "\n    publicKey: " + keys.get(1).identity().publicKey().encoded() + "\n"
        + "    input:\n      format: csv\n      path: " + j.queries() + "\n      keyColumns: [nid]\n"
        + "      columns: [application_id, nid]\n      schema: {application_id: string, nid: string}\n"
        + "    output:\n      format: parquet\n      path: " + work.resolve("out/" + j.tag()) + "\n"
        + "blacklist:\n  holder: " + HOLDER + "\n  querier: " + QUERIER + "\n  list: " + LIST
        + "\n  reasonColumn: reason\n  store: " + store + "\n  copy: " + copy + "\n  partitions: " + o.partitions
        + "\n";
  }
}
