package io.veil.it;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import io.veil.jobs.PartyProcess;
import io.veil.jobs.demo.DemoData;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Parties of aggregate and feature-aggregate jobs set up on disk: keys generated from a seeded
 * generator (so a spec with relative paths gives the same job id, masks and DP noise on every run),
 * one policy per party allowing every other party, jobs started as separate JVMs with `veil run
 * --output json` (outcomes read with {@link PsiFixture#figure} and {@link PartyProcess#outcome()}).
 * Also reads the UCI credit table, splits it among parties, and parses CSV outputs.
 */
final class AggregateFixture {
  static final String LABEL = "default.payment.next.month";
  final Path work;
  final String bootstrap;
  final List<String> parties;
  final Map<String, String> publicKeys = new LinkedHashMap<>();

  AggregateFixture(Path work, String bootstrap, List<String> parties, long keySeed) throws IOException {
    this.work = work;
    this.bootstrap = bootstrap;
    this.parties = List.copyOf(parties);
    Files.createDirectories(work.resolve("data"));
    SecureRandom rnd;
    try {
      rnd = SecureRandom.getInstance("SHA1PRNG");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    rnd.setSeed(keySeed);
    for (String p : parties) {
      PartySecret s = PartySecret.generate(p, rnd);
      s.write(work.resolve(p + ".key"));
      publicKeys.put(p, s.identity().publicKey().encoded());
    }
    for (String p : parties) {
      List<String> lines = new ArrayList<>(List.of("party: " + p, "peers:"));
      for (String peer : parties) {
        if (!peer.equals(p)) {
          lines.add("  - id: " + peer);
          lines.add("    publicKey: " + publicKeys.get(peer));
        }
      }
      lines.add("operators: [psi, aggregate, feature-aggregate, vfl-train, vfl-predict]");
      lines.add("outputRecipients: [" + String.join(", ", parties) + "]");
      lines.add("");
      Files.writeString(work.resolve("policy-" + p + ".yaml"), String.join("\n", lines), StandardCharsets.UTF_8);
    }
  }

  /**
   * Replaces the policies of two of the parties with ones allowing each other only, only {@code
   * operator}, with {@code recipient} the only output recipient.
   */
  void writePairPolicies(String a, String b, String operator, String recipient) throws IOException {
    writeGroupPolicies(List.of(a, b), operator, recipient);
  }

  /**
   * Replaces the policies of {@code group} with ones allowing each other only, only {@code operator},
   * with {@code recipient} the only output recipient.
   */
  void writeGroupPolicies(List<String> group, String operator, String recipient) throws IOException {
    for (String p : group) {
      List<String> lines = new ArrayList<>(List.of("party: " + p, "peers:"));
      group.stream().filter(q -> !q.equals(p)).forEach(q -> lines.addAll(List.of("  - id: " + q,
          "    publicKey: " + publicKeys.get(q))));
      lines.addAll(List.of("operators: [" + operator + "]", "outputRecipients: [" + recipient + "]", ""));
      Files.writeString(work.resolve("policy-" + p + ".yaml"), String.join("\n", lines), StandardCharsets.UTF_8);
    }
  }

  /** One party of a spec's {@code parties} list: {@code input} and {@code output} are the lines of those blocks (indented here), or null. */
  String party(String id, List<String> input, List<String> output) {
    List<String> l = new ArrayList<>(List.of("  - id: " + id, "    publicKey: " + publicKeys.get(id)));
    if (input != null) {
      l.add("    input:");
      input.forEach(x -> l.add("      " + x));
    }
    if (output != null) {
      l.add("    output:");
      output.forEach(x -> l.add("      " + x));
    }
    return String.join("\n", l);
  }

  Path writeSpec(String file, String yaml) throws IOException {
    Path spec = work.resolve(file);
    Files.writeString(spec, yaml.endsWith("\n") ? yaml : yaml + "\n", StandardCharsets.UTF_8);
    return spec;
  }

  /**
   * A report over UCI-shaped CSV inputs: COUNT(*), SUM(LIMIT_BAL), SUM(BILL_AMT1) GROUP BY
   * EDUCATION [0..6], MARRIAGE [0..3]. {@code inputs}: data party to its CSV file, in spec order;
   * the result party is added at the end when it has no input. {@code extra}: top-level lines.
   */
  Path reportSpec(String file, String name, Map<String, Path> inputs, String resultParty, Path out, int minGroupSize,
      String... extra) throws IOException {
    List<String> lines = new ArrayList<>(List.of("version: 1", "name: " + name, "operator: aggregate"));
    lines.addAll(List.of(extra));
    lines.add("parties:");
    String schema = "schema: {EDUCATION: int, MARRIAGE: int, LIMIT_BAL: double, BILL_AMT1: double}";
    List<String> output = List.of("path: " + out, "format: csv");
    inputs.forEach((p, path) -> lines.add(party(p, List.of("format: csv", "path: " + path, schema),
        p.equals(resultParty) ? output : null)));
    if (!inputs.containsKey(resultParty)) {
      lines.add(party(resultParty, null, output));
    }
    lines.addAll(List.of(
        "aggregate:",
        "  resultParty: " + resultParty,
        "  groupBy:",
        "    - {column: EDUCATION, values: [0, 1, 2, 3, 4, 5, 6]}",
        "    - {column: MARRIAGE, values: [0, 1, 2, 3]}",
        "  sums:",
        "    - {column: LIMIT_BAL, maxAbs: 10000000}",
        "    - {column: BILL_AMT1, maxAbs: 10000000}",
        "  minGroupSize: " + minGroupSize,
        "  partitions: 2"));
    return writeSpec(file, String.join("\n", lines));
  }

  PartyProcess start(String party, Path spec) throws IOException {
    List<String> args = List.of("run",
        "--spec", spec.toString(),
        "--party", party,
        "--key", work.resolve(party + ".key").toString(),
        "--policy", work.resolve("policy-" + party + ".yaml").toString(),
        "--ledger", work.resolve("ledger-" + party + ".jsonl").toString(),
        "--bootstrap-servers", bootstrap,
        "--master", "local[1]",
        "--output", "json");
    return PartyProcess.start(party, args, "512m", List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), work,
        System.out);
  }

  /** Starts every listed party on {@code spec}; returns the running processes. */
  Map<String, PartyProcess> startAll(Path spec, List<String> who) throws IOException {
    Map<String, PartyProcess> ps = new LinkedHashMap<>();
    for (String p : who) {
      ps.put(p, start(p, spec));
    }
    return ps;
  }

  /** Waits for every process to end (killing those still running after {@code timeoutMs}); returns them. */
  static Map<String, PartyProcess> awaitAll(Map<String, PartyProcess> ps, long timeoutMs) throws InterruptedException {
    for (PartyProcess p : ps.values()) {
      p.await(timeoutMs);
    }
    return ps;
  }

  /** Starts every listed party on {@code spec}, waits for all; returns the processes (ended). */
  Map<String, PartyProcess> runAll(Path spec, List<String> who, long timeoutMs) throws Exception {
    return awaitAll(startAll(spec, who), timeoutMs);
  }

  static int exit(PartyProcess p) throws InterruptedException {
    return p.await(1000);
  }

  // ---- the UCI credit table ----

  /** One row of the UCI table: its values by column name (all integers in this file). */
  record CreditRow(String line, Map<String, Long> values) {
    long get(String column) {
      Long v = values.get(column);
      if (v == null) {
        throw new IllegalArgumentException("no column " + column);
      }
      return v;
    }
  }

  /** The header line and rows of the UCI table (the copy shipped with Veil). */
  static List<String> uciLines() throws IOException {
    try (BufferedReader in = DemoData.reader(Optional.empty(), DemoData.UCI)) {
      return in.lines().toList();
    }
  }

  static List<CreditRow> parseUci(List<String> lines) {
    String[] header = parseCsvLine(lines.get(0)).toArray(String[]::new);
    List<CreditRow> rows = new ArrayList<>();
    for (String l : lines.subList(1, lines.size())) {
      String[] cells = l.split(",", -1);
      Map<String, Long> m = new LinkedHashMap<>();
      for (int i = 0; i < header.length; i++) {
        m.put(header[i], (long) Double.parseDouble(cells[i]));
      }
      rows.add(new CreditRow(l, m));
    }
    return rows;
  }

  /**
   * Splits the UCI rows among {@code banks} at random (seeded): writes data/&lt;bank&gt;-&lt;tag&gt;.csv (with
   * the header) and returns each bank's rows.
   */
  Map<String, List<CreditRow>> splitUci(List<String> banks, String tag, long seed) throws IOException {
    List<String> lines = uciLines();
    List<CreditRow> rows = parseUci(lines);
    Random rnd = new Random(seed);
    Map<String, List<CreditRow>> split = new LinkedHashMap<>();
    banks.forEach(b -> split.put(b, new ArrayList<>()));
    for (CreditRow r : rows) {
      split.get(banks.get(rnd.nextInt(banks.size()))).add(r);
    }
    for (String b : banks) {
      try (BufferedWriter w = Files.newBufferedWriter(uciFile(b, tag), StandardCharsets.UTF_8)) {
        w.write(lines.get(0));
        w.newLine();
        for (CreditRow r : split.get(b)) {
          w.write(r.line());
          w.newLine();
        }
      }
    }
    return split;
  }

  Path uciFile(String bank, String tag) {
    return work.resolve("data/" + bank + "-" + tag + ".csv");
  }

  // ---- outputs ----

  /** Rows of a CSV output directory written by Spark (header line first in each part file), as column -> cell (null for an empty cell). */
  static List<Map<String, String>> readCsvDir(Path dir) throws IOException {
    List<Map<String, String>> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(x -> x.getFileName().toString().startsWith("part-")).sorted().toList()) {
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
          continue;
        }
        List<String> header = parseCsvLine(lines.get(0));
        for (String l : lines.subList(1, lines.size())) {
          List<String> cells = parseCsvLine(l);
          Map<String, String> row = new LinkedHashMap<>();
          for (int i = 0; i < header.size(); i++) {
            String c = i < cells.size() ? cells.get(i) : null;
            row.put(header.get(i), c == null || c.isEmpty() ? null : c);
          }
          out.add(row);
        }
      }
    }
    return out;
  }

  /** One CSV line with double-quoted cells; an unquoted empty cell is returned as "". */
  static List<String> parseCsvLine(String line) {
    List<String> cells = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted) {
        if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (ch == '"') {
          quoted = false;
        } else {
          cur.append(ch);
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        cells.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(ch);
      }
    }
    cells.add(cur.toString());
    return cells;
  }

  static boolean noOutput(Path dir) throws IOException {
    return readCsvDir(dir).isEmpty();
  }

  // ---- the broker's log ----

  /** Every Kafka log segment of the broker, as bytes. */
  static List<byte[]> segments(EmbeddedKafkaBroker broker) throws IOException {
    List<byte[]> segments = new ArrayList<>();
    for (Path d : broker.logDirs()) {
      try (Stream<Path> files = Files.walk(d)) {
        for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
          segments.add(Files.readAllBytes(f));
        }
      }
    }
    return segments;
  }

  static byte[] littleEndian(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (8 * i));
    }
    return b;
  }

  static String text(PartyProcess p) {
    return String.join("\n", p.output());
  }
}
