package io.veil.jobs.demo;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import com.fasterxml.jackson.databind.JsonNode;
import io.veil.jobs.PartyProcess;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import picocli.CommandLine.Option;

/**
 * The joint-report demo: three banks split the rows of the UCI credit-card table (seeded), and a
 * regulator learns {@code COUNT(*), SUM(LIMIT_BAL), SUM(BILL_AMT1), SUM(default) GROUP BY
 * EDUCATION, MARRIAGE} over their union, each party its own Spark JVM over an embedded Kafka
 * broker. The result is checked against the plaintext union + groupBy.
 */
public final class ReportDemo {
  static final List<String> BANKS = List.of("bank_a", "bank_b", "bank_c");
  static final String REGULATOR = "regulator";
  private static final int MIN_GROUP_SIZE = 10;

  private ReportDemo() {}

  /** {@code veil demo report}'s options (picocli). */
  public static final class Options {
    @Option(names = "--min-group-size", defaultValue = "" + MIN_GROUP_SIZE, paramLabel = "N",
        description = "Groups with fewer rows are suppressed (no sums revealed); default: ${DEFAULT-VALUE}.")
    int minGroupSize;

    @Option(names = "--work-dir", defaultValue = "target/veil-demo-report", paramLabel = "DIR",
        description = "Where inputs, keys, spec, outputs and ledgers go (emptied first); default: ${DEFAULT-VALUE}.")
    String workDir;

    @Option(names = "--timeout-s", defaultValue = "600", paramLabel = "S",
        description = "How long to wait for the parties; default: ${DEFAULT-VALUE}.")
    long timeoutS;

    @Option(names = "--data-dir", paramLabel = "DIR",
        description = "Read the plain UCI_Credit_Card.csv from DIR instead of the copy shipped with Veil.")
    String dataDir;
  }

  /** Runs the demo; returns the exit code (0: the report matches the plaintext union + groupBy). */
  public static int run(Options options, PrintStream out) {
    return PsiDemo.guarded(out, () -> demo(options, out));
  }

  private static int demo(Options o, PrintStream out) throws IOException, InterruptedException {
    Optional<Path> data = DemoData.dataDir(Optional.ofNullable(o.dataDir), DemoData.UCI);
    Path work = Path.of(o.workDir).toAbsolutePath();
    long timeoutMs = o.timeoutS * 1000;
    int minGroupSize = o.minGroupSize;
    PsiDemo.deleteTree(work);
    Files.createDirectories(work.resolve("data"));

    out.println("Veil demo: three banks report exposure by education and marital status to a regulator "
        + "(secure SUM/COUNT over Kafka)");
    Map<String, long[]> expected;
    try (BufferedReader in = DemoData.reader(data, DemoData.UCI)) {
      expected = split(in, work.resolve("data"), 7);
    }

    SecureRandom rnd = new SecureRandom();
    Map<String, String> keys = new LinkedHashMap<>();
    List<String> all = new ArrayList<>(BANKS);
    all.add(REGULATOR);
    for (String p : all) {
      PartySecret s = PartySecret.generate(p, rnd);
      s.write(work.resolve("keys/" + p + ".key"));
      keys.put(p, s.identity().publicKey().encoded());
    }
    Files.writeString(work.resolve("report.yaml"), spec(work, keys, minGroupSize), StandardCharsets.UTF_8);
    for (String p : all) {
      Files.writeString(work.resolve("policy-" + p + ".yaml"), policy(p, keys), StandardCharsets.UTF_8);
    }

    try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(work.resolve("kafka"), 0).start()) {
      out.println("embedded Kafka broker (KRaft) on " + broker.bootstrapServers());
      List<PartyProcess> parties = PsiDemo.startParties(all, work, work.resolve("report.yaml"),
          broker.bootstrapServers(), "512m", p -> List.of(), out);
      if (!PsiDemo.allSucceed(parties, timeoutMs, out)) {
        return 1;
      }
      JsonNode regulator = parties.get(parties.size() - 1).outcome();
      Map<String, String[]> got = readOutput(work.resolve("out/" + REGULATOR));
      out.println();
      out.println("Regulator's report (EDUCATION, MARRIAGE, count, sum_limit_bal, sum_bill_amt1, sum_default):");
      int mismatches = 0;
      int suppressed = 0;
      for (Map.Entry<String, String[]> e : got.entrySet()) {
        String[] r = e.getValue();
        long[] want = expected.getOrDefault(e.getKey(), new long[4]);
        boolean isSuppressed = Boolean.parseBoolean(r[6]);
        boolean ok;
        if (isSuppressed) {
          suppressed++;
          ok = want[0] < minGroupSize;
          out.printf("  %s %s  suppressed (fewer than %d rows)%n", r[0], r[1], minGroupSize);
        } else {
          ok = want[0] == Long.parseLong(r[2]) && new BigDecimal(r[3]).longValueExact() == want[1]
              && new BigDecimal(r[4]).longValueExact() == want[2] && new BigDecimal(r[5]).longValueExact() == want[3];
          out.printf("  %s %s  %6s %16s %14s %6s%n", r[0], r[1], r[2], r[3], r[4], r[5]);
        }
        if (!ok) {
          mismatches++;
        }
      }
      out.println();
      out.println("Summary");
      out.println("  groups:             " + got.size() + " (" + suppressed + " suppressed)");
      out.println("  job id:             " + regulator.path("jobId").asText());
      out.println("  regulator output:   " + regulator.path("output").asText("(none)"));
      for (PartyProcess p : parties) {
        out.println("  " + String.format("%-10s", p.name()) + "receipt: " + PsiDemo.receipt(p.outcome()));
      }
      out.println("  HTML report:        bin/veil report --ledger " + work.resolve("ledger/" + REGULATOR + ".jsonl")
          + " --spec " + work.resolve("report.yaml") + " --out " + work.resolve("report.html"));
      out.println(mismatches == 0 ? "  report matches the plaintext union + groupBy"
          : "  " + mismatches + " GROUPS DO NOT MATCH THE PLAINTEXT UNION + GROUPBY");
      return mismatches == 0 ? 0 : 1;
    }
  }

  /**
   * Splits the table's rows (read from {@code in}, header first) among the banks (seeded) into CSV
   * files in {@code dir} with the original header; returns the plaintext answer:
   * "EDUCATION|MARRIAGE" to [count, LIMIT_BAL, BILL_AMT1, default].
   */
  static Map<String, long[]> split(BufferedReader in, Path dir, long seed) throws IOException {
    Map<String, long[]> expected = new TreeMap<>();
    Random r = new Random(seed);
    List<BufferedWriter> writers = new ArrayList<>();
    try {
      String header = in.readLine();
      List<String> cols = List.of(header.replace("\"", "").split(","));
      int edu = cols.indexOf("EDUCATION");
      int mar = cols.indexOf("MARRIAGE");
      int lim = cols.indexOf("LIMIT_BAL");
      int bill = cols.indexOf("BILL_AMT1");
      int def = cols.indexOf("default.payment.next.month");
      for (String b : BANKS) {
        BufferedWriter w = Files.newBufferedWriter(dir.resolve(b + ".csv"), StandardCharsets.UTF_8);
        w.write(header);
        w.newLine();
        writers.add(w);
      }
      String line;
      while ((line = in.readLine()) != null) {
        String[] f = line.split(",");
        BufferedWriter w = writers.get(r.nextInt(BANKS.size()));
        w.write(line);
        w.newLine();
        long[] acc = expected.computeIfAbsent(f[edu] + "|" + f[mar], k -> new long[4]);
        acc[0]++;
        acc[1] += new BigDecimal(f[lim]).longValueExact();
        acc[2] += new BigDecimal(f[bill]).longValueExact();
        acc[3] += new BigDecimal(f[def]).longValueExact();
      }
    } finally {
      for (BufferedWriter w : writers) {
        w.close();
      }
    }
    return expected;
  }

  /** The regulator's CSV output: "EDUCATION|MARRIAGE" to its fields. */
  static Map<String, String[]> readOutput(Path dir) throws IOException {
    Map<String, String[]> out = new TreeMap<>();
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".csv")).sorted().toList()) {
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        for (String l : lines.subList(1, lines.size())) {
          String[] r = l.split(",", -1);
          out.put(r[0] + "|" + r[1], r);
        }
      }
    }
    return out;
  }

  static String spec(Path work, Map<String, String> keys, int minGroupSize) {
    StringBuilder parties = new StringBuilder();
    for (String b : BANKS) {
      parties.append(String.join("\n",
          "  - id: " + b,
          "    publicKey: " + keys.get(b),
          "    input:",
          "      format: csv",
          "      path: " + work.resolve("data/" + b + ".csv"),
          "      options: {header: \"true\"}",
          "      schema: {EDUCATION: int, MARRIAGE: int, LIMIT_BAL: double, BILL_AMT1: double, "
              + "default.payment.next.month: int}",
          ""));
    }
    return String.join("\n",
        "# Written by `veil demo report`: three banks report to a regulator.",
        "version: 1",
        "name: demo-exposure-report",
        "operator: aggregate",
        "peerTimeoutMs: 180000",
        "parties:",
        parties + "  - id: " + REGULATOR,
        "    publicKey: " + keys.get(REGULATOR),
        "    output:",
        "      path: " + work.resolve("out/" + REGULATOR),
        "      format: csv",
        "aggregate:",
        "  resultParty: " + REGULATOR,
        "  groupBy:",
        "    - {column: EDUCATION, values: [0, 1, 2, 3, 4, 5, 6]}",
        "    - {column: MARRIAGE, values: [0, 1, 2, 3]}",
        "  sums:",
        "    - {column: LIMIT_BAL, maxAbs: 10000000, as: sum_limit_bal}",
        "    - {column: BILL_AMT1, maxAbs: 10000000, as: sum_bill_amt1}",
        "    - {column: default.payment.next.month, maxAbs: 1, as: sum_default}",
        "  minGroupSize: " + minGroupSize,
        "  partitions: 2",
        "");
  }

  static String policy(String me, Map<String, String> keys) {
    StringBuilder peers = new StringBuilder();
    keys.forEach((p, k) -> {
      if (!p.equals(me)) {
        peers.append("  - id: ").append(p).append("\n    publicKey: ").append(k).append('\n');
      }
    });
    return "party: " + me + "\npeers:\n" + peers + "operators: [aggregate]\noutputRecipients: [" + REGULATOR + "]\n"
        + "minGroupSize: " + MIN_GROUP_SIZE + "\n";
  }
}
