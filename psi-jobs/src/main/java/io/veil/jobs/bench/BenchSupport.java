package io.veil.jobs.bench;

import io.veil.crypto.PartySecret;
import io.veil.jobs.PartyProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the party benchmarks share: policies, party JVMs with their wall and CPU times and peak memory,
 * worker JVMs, logs, progress lines, topic sizes.
 */
final class BenchSupport {
  /** A Veil progress line of a party's log: time (seconds, or milliseconds with {@link #writeMillisLogConfig}). */
  private static final Pattern PROGRESS = Pattern.compile(
      "^(\\d\\d:\\d\\d:\\d\\d(?:\\.\\d{3})?) INFO  (\\w+): Veil job \\w+(?: \\([^)]*\\))?: (.*)$");

  /** The step named by a progress line of {@code OperatorContext.beginStep}. */
  private static final Pattern STEP = Pattern.compile("step ([\\w-]+): ");

  private BenchSupport() {}

  /** One party JVM's run; {@code peakRssKiB} is the largest resident memory sampled (0 off Linux). */
  record PartyRun(String id, PartyProcess process, double wallS, double cpuS, long peakRssKiB, int exit) {
    String figure(String name) {
      return process.outcome().path("result").path(name).asText();
    }

    double number(String name) {
      return Double.parseDouble(figure(name));
    }

    boolean ok() {
      return exit == 0 && process.hasOutcome();
    }
  }

  /** One progress line: when, and what. */
  record Progress(LocalTime time, String message) {}

  /** Writes {@code policy-<party>.yaml} for each party: every other party a peer, {@code operator} allowed. */
  static void writePolicies(Path work, List<PartySecret> keys, String operator, List<String> recipients)
      throws IOException {
    for (PartySecret me : keys) {
      StringBuilder s = new StringBuilder("party: " + me.party() + "\npeers:\n");
      for (PartySecret k : keys) {
        if (k != me) {
          s.append("  - id: ").append(k.party()).append("\n    publicKey: ")
              .append(k.identity().publicKey().encoded()).append('\n');
        }
      }
      s.append("operators: [").append(operator).append("]\noutputRecipients: [")
          .append(String.join(", ", recipients)).append("]\n");
      Files.writeString(work.resolve("policy-" + me.party() + ".yaml"), s.toString(), StandardCharsets.UTF_8);
    }
  }

  /** {@link #runParties(String, List, List, List, Path, Path, String, long, List)} with one master for every party. */
  static List<PartyRun> runParties(String tag, List<String> ids, List<String> heaps, Path spec, String master,
      Path work, String bootstrap, long timeoutMs, List<String> jvmOptions) throws Exception {
    return runParties(tag, ids, heaps, java.util.Collections.nCopies(ids.size(), master), spec, work, bootstrap,
        timeoutMs, jvmOptions);
  }

  /**
   * Starts every party of {@code spec} at once ({@code veil run --output json}, keys in {@code
   * keys/<party>.key}, policies from {@link #writePolicies}), samples their CPU and resident memory
   * until each has ended, and waits for the exits. Logs go to {@code logs/<tag>-<party>.log}.
   *
   * @param heaps each party's maximum heap, in the order of {@code ids}
   * @param masters each party's Spark master, in the order of {@code ids}
   */
  static List<PartyRun> runParties(String tag, List<String> ids, List<String> heaps, List<String> masters,
      Path spec, Path work, String bootstrap, long timeoutMs, List<String> jvmOptions) throws Exception {
    List<PartyProcess> ps = new ArrayList<>();
    long[] start = new long[ids.size()];
    long[] end = new long[ids.size()];
    for (int i = 0; i < ids.size(); i++) {
      String p = ids.get(i);
      start[i] = System.nanoTime();
      ps.add(PartyProcess.start(p, List.of("run", "--spec", spec.toString(), "--party", p,
          "--key", work.resolve("keys/" + p + ".key").toString(),
          "--policy", work.resolve("policy-" + p + ".yaml").toString(),
          "--ledger", work.resolve("ledger/" + tag + "-" + p + ".jsonl").toString(),
          "--bootstrap-servers", bootstrap, "--master", masters.get(i), "--output", "json"), heaps.get(i), jvmOptions, work,
          log(work, tag + "-" + p)));
    }
    double[] cpu = new double[ids.size()];
    long[] rss = new long[ids.size()];
    long deadline = System.currentTimeMillis() + timeoutMs;
    boolean all = false;
    while (!all && System.currentTimeMillis() < deadline) {
      all = true;
      for (int i = 0; i < ids.size(); i++) {
        if (end[i] != 0) {
          continue;
        }
        ProcessHandle h = ProcessHandle.of(ps.get(i).pid()).orElse(null);
        if (h != null && h.isAlive()) {
          cpu[i] = h.info().totalCpuDuration().map(Duration::toNanos).orElse(0L) / 1e9;
          rss[i] = Math.max(rss[i], rssKiB(h.pid()));
          all = false;
        } else {
          end[i] = System.nanoTime();
        }
      }
      Thread.sleep(100);
    }
    List<PartyRun> runs = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      int exit = ps.get(i).await(Math.max(1, deadline - System.currentTimeMillis()));
      long e = end[i] != 0 ? end[i] : System.nanoTime();
      runs.add(new PartyRun(ids.get(i), ps.get(i), (e - start[i]) / 1e9, cpu[i], rss[i], exit));
    }
    return runs;
  }

  /**
   * Runs {@link BenchWorker} in its own JVM ({@code master=<master>} put after the mode), logging to {@code
   * logs/<name>.log}; its figures, or null (said on standard output) if it failed.
   */
  static com.fasterxml.jackson.databind.JsonNode worker(String name, List<String> args, String master, String heap,
      Path work, List<String> jvmOptions, long timeoutMs) throws Exception {
    List<String> a = new ArrayList<>(args);
    a.add(1, "master=" + master);
    PartyProcess p = PartyProcess.startJava(name, System.getProperty("java.class.path"), BenchWorker.class.getName(),
        a, heap, jvmOptions, work, log(work, name));
    int exit = p.await(timeoutMs);
    if (exit != 0 || !p.hasOutcome()) {
      System.out.println(name + " failed (exit " + exit + "); see " + work.resolve("logs/" + name + ".log"));
      return null;
    }
    return p.outcome();
  }

  /** A field of a party's outcome ({@code elapsedMs}, {@code protocolMs}), in seconds. */
  static double outcomeSeconds(PartyRun p, String field) {
    return p.process().outcome().path(field).asLong() / 1000.0;
  }

  /** Bytes on the topics {@code party} writes ({@code <prefix><party>.<job>...}). */
  static long sent(Map<String, TopicLog> topics, String party) {
    return topics.entrySet().stream().filter(e -> e.getKey().contains(party + "."))
        .mapToLong(e -> e.getValue().bytes()).sum();
  }

  /**
   * What is wrong with the options every party-JVM benchmark has, naming the option, or null: {@code
   * --partitions} in [1, 4096], {@code --heap} a JVM heap size, {@code --timeout-s} at least 1.
   */
  static String partyOptionsProblem(int partitions, String heap, long timeoutS) {
    if (partitions < 1 || partitions > 4096) {
      return "--partitions must be between 1 and 4096, not " + partitions;
    }
    if (!heap.matches("\\d+[kKmMgG]?")) {
      return "--heap must be a JVM heap size such as 2g or 1500m, not " + heap;
    }
    if (timeoutS < 1) {
      return "--timeout-s must be at least 1";
    }
    return null;
  }

  /** The resident memory of process {@code pid} in KiB, from {@code /proc}; 0 if it is gone or not on Linux. */
  static long rssKiB(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("\\D", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // process gone or not Linux
    }
    return 0;
  }

  /** A log file under {@code work/logs}. */
  static PrintStream log(Path work, String name) throws IOException {
    return new PrintStream(Files.newOutputStream(work.resolve("logs/" + name + ".log")), true, StandardCharsets.UTF_8);
  }

  /**
   * Writes the CLI's logging configuration with millisecond timestamps to {@code file}; pass {@code
   * -Dlog4j2.configurationFile=<file>} to the party JVMs to time steps shorter than a second.
   */
  static void writeMillisLogConfig(Path file) throws IOException {
    try (var in = BenchSupport.class.getResourceAsStream("/io/veil/jobs/veil-cli-log4j2.properties")) {
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      Files.writeString(file, s.replace("%d{HH:mm:ss}", "%d{HH:mm:ss.SSS}"), StandardCharsets.UTF_8);
    }
  }

  /** A party's Veil progress lines, in order. */
  static List<Progress> progress(PartyProcess p) {
    List<Progress> out = new ArrayList<>();
    for (String l : p.output()) {
      Matcher m = PROGRESS.matcher(l);
      if (m.matches()) {
        out.add(new Progress(LocalTime.parse(m.group(1)), m.group(3)));
      }
    }
    return out;
  }

  /**
   * Each step's first progress line ({@code step <name>: ...}, what {@code OperatorContext.beginStep}
   * logs) and the party's next line (null for the last), by step name.
   */
  static Map<String, Progress[]> steps(List<Progress> lines) {
    Map<String, Progress[]> out = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = STEP.matcher(lines.get(i).message());
      if (m.lookingAt()) {
        out.putIfAbsent(m.group(1), new Progress[] {lines.get(i), i + 1 < lines.size() ? lines.get(i + 1) : null});
      }
    }
    return out;
  }

  /** Seconds from {@code a} to {@code b}. */
  static double seconds(LocalTime a, LocalTime b) {
    return Duration.between(a, b).toMillis() / 1000.0;
  }

  /** Each progress line's time after the first, and its message cut short. */
  static String timeline(List<Progress> lines) {
    List<String> out = new ArrayList<>();
    for (Progress p : lines) {
      out.add(String.format(Locale.ROOT, "+%.3f %s", Duration.between(lines.get(0).time(), p.time()).toMillis()
          / 1000.0, p.message().replaceAll("(.{50}).+", "$1...")));
    }
    return String.join(" | ", out);
  }

  /** Seconds with milliseconds, or "-" for NaN. */
  static String secs(double s) {
    return Double.isNaN(s) ? "-" : String.format(Locale.ROOT, "%.3f", s);
  }

  /** What one topic holds on an embedded broker: bytes of its record logs, and when one was last written. */
  record TopicLog(long bytes, LocalTime lastWrite) {}

  /**
   * The record logs ({@code *.log} segments, not the preallocated indexes) of each topic of an embedded
   * broker whose log directory is {@code kafkaDir}: the bytes sent through it (with Kafka's batch framing)
   * and the time its last record was appended (the files' modification time, on the clock of the progress
   * lines). Read it before the broker deletes anything.
   */
  static Map<String, TopicLog> topicLogs(Path kafkaDir) throws IOException {
    Map<String, TopicLog> out = new TreeMap<>();
    if (!Files.exists(kafkaDir)) {
      return out;
    }
    try (Stream<Path> s = Files.walk(kafkaDir)) {
      for (Path f : s.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().endsWith(".log")).toList()) {
        String dir = f.getParent().getFileName().toString();
        if (dir.matches(".+-\\d+") && !dir.startsWith("__")) {
          TopicLog t = new TopicLog(Files.size(f), LocalTime.ofInstant(Files.getLastModifiedTime(f).toInstant(),
              ZoneId.systemDefault()));
          out.merge(dir.replaceAll("-\\d+$", ""), t, (a, b) -> new TopicLog(a.bytes() + b.bytes(),
              a.lastWrite().isAfter(b.lastWrite()) ? a.lastWrite() : b.lastWrite()));
        }
      }
    }
    return out;
  }

  /** Bytes of the files under {@code dir} (0 if absent). */
  static long sizeOnDisk(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      long total = 0;
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        total += Files.size(f);
      }
      return total;
    }
  }

  static String bytes(double b) {
    if (b < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }
    return String.format(Locale.ROOT, "%.2f MiB", b / 1048576.0);
  }
}
