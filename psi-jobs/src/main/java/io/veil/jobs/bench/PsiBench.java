package io.veil.jobs.bench;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import com.fasterxml.jackson.databind.JsonNode;
import io.veil.jobs.PartyProcess;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * End-to-end PSI benchmark: two parties (each its own JVM, {@code local[1]}: one core each) and an
 * embedded broker on this machine, N x N customer ids with a given overlap. Prints wall time,
 * elements per second per core per party, peak heap and peak RSS per party.
 *
 * <pre>bin/veil bench --rows 1000000 [--overlap 0.5] [--protocol ecdh|oprf] [--partitions 8] [--heap 3g]
 *     [--jvm-options "-XX:G1HeapRegionSize=16m"] [--work-dir DIR]</pre>
 */
public final class PsiBench {
  private PsiBench() {}

  /** {@code veil bench}'s options (picocli). */
  public static final class Options {
    @Option(names = "--rows", defaultValue = "1000000", paramLabel = "N",
        description = "Distinct ids per party; default: ${DEFAULT-VALUE}.")
    int rows;

    @Option(names = "--overlap", defaultValue = "0.5", paramLabel = "F",
        description = "Share of each party's ids the other has too; default: ${DEFAULT-VALUE}.")
    double overlap;

    @Option(names = "--partitions", defaultValue = "8", paramLabel = "N",
        description = "Data-plane partitions (psi.partitions); default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--heap", defaultValue = "3g", paramLabel = "SIZE",
        description = "Maximum heap of each party JVM; default: ${DEFAULT-VALUE}.")
    String heap;

    @Option(names = "--work-dir", defaultValue = "target/veil-bench", paramLabel = "DIR",
        description = "Where inputs, keys, outputs and ledgers go (emptied first); default: ${DEFAULT-VALUE}.")
    String workDir;

    @Option(names = "--protocol", defaultValue = "ecdh", paramLabel = "P", converter = ProtocolName.class,
        description = "psi.protocol: ecdh or oprf; default: ${DEFAULT-VALUE}.")
    String protocol;

    @Option(names = "--cores", defaultValue = "1", paramLabel = "N",
        description = "Cores of each party's Spark (local[N]); elements/s/core divides by it; default: "
            + "${DEFAULT-VALUE}.")
    int cores;

    @Option(names = "--batch-rows", paramLabel = "N",
        description = "Elements per signed batch (psi.batchRows); default: the spec's default.")
    Integer batchRows;

    @Option(names = "--jvm-options", defaultValue = "", paramLabel = "OPTS",
        description = "Further options of each party JVM, separated by spaces (e.g. \"-XX:G1HeapRegionSize=16m\" or "
            + "\"-XX:+UseParallelGC\"; README, Performance); default: none.")
    String jvmOptions;

    /** {@link #jvmOptions} split on whitespace. */
    List<String> jvmOptionList() {
      return jvmOptions.isBlank() ? List.of() : List.of(jvmOptions.trim().split("\\s+"));
    }

    /** What is wrong with the options, naming the option, or null. */
    public String problem() {
      if (rows < 1) {
        return "--rows must be at least 1, not " + rows;
      }
      if (!(overlap >= 0 && overlap <= 1)) {
        return "--overlap must be between 0 and 1, not " + overlap;
      }
      if (cores < 1 || cores > 64) {
        return "--cores must be between 1 and 64, not " + cores;
      }
      if (batchRows != null && batchRows < 1) {
        return "--batch-rows must be at least 1, not " + batchRows;
      }
      for (String opt : jvmOptionList()) {
        if (!opt.startsWith("-") || opt.startsWith("-Xmx") || opt.equals("-cp") || opt.equals("-classpath")) {
          return "--jvm-options takes JVM options such as -XX:G1HeapRegionSize=16m, not '" + opt
              + "' (the heap is --heap; the classpath is the bench's own)";
        }
      }
      return BenchSupport.partyOptionsProblem(partitions, heap, 1);
    }
  }

  /** Refuses a {@code --protocol} other than ecdh or oprf before anything starts. */
  static final class ProtocolName implements picocli.CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
      if (!value.equals("ecdh") && !value.equals("oprf")) {
        throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' is not a PSI protocol; use ecdh or oprf");
      }
      return value;
    }
  }

  /** Runs the benchmark, printing its figures; returns the exit code. */
  public static int run(Options o) throws Exception {
    int n = o.rows;
    double overlap = o.overlap;
    int partitions = o.partitions;
    String heap = o.heap;
    Path work = Path.of(o.workDir).toAbsolutePath();
    io.veil.jobs.demo.PsiDemo.deleteTree(work);
    Files.createDirectories(work.resolve("data"));

    int shift = (int) Math.round(n * (1 - overlap));
    writeIds(work.resolve("data/bank_a.csv"), 0, n);
    writeIds(work.resolve("data/bank_b.csv"), shift, shift + n);
    SecureRandom rnd = new SecureRandom();
    PartySecret ka = PartySecret.generate("bank_a", rnd);
    PartySecret kb = PartySecret.generate("bank_b", rnd);
    ka.write(work.resolve("bank_a.key"));
    kb.write(work.resolve("bank_b.key"));
    String specText = io.veil.jobs.demo.PsiDemo.spec(work, ka.identity().publicKey().encoded(),
        kb.identity().publicKey().encoded(), "rows")
        .replace("name: demo-customer-overlap", "name: bench-" + n)
        .replace("partitions: 4", "partitions: " + partitions + "\n  protocol: " + o.protocol
            + (o.batchRows == null ? "" : "\n  batchRows: " + o.batchRows))
        .replace("peerTimeoutMs: 180000", "peerTimeoutMs: 3600000");
    Files.writeString(work.resolve("psi.yaml"), specText, StandardCharsets.UTF_8);
    Files.writeString(work.resolve("policy-bank_a.yaml"),
        io.veil.jobs.demo.PsiDemo.policy("bank_a", "bank_b", kb.identity().publicKey().encoded()));
    Files.writeString(work.resolve("policy-bank_b.yaml"),
        io.veil.jobs.demo.PsiDemo.policy("bank_b", "bank_a", ka.identity().publicKey().encoded()));

    try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(work.resolve("kafka"), 0).start()) {
      long t0 = System.nanoTime();
      List<PartyProcess> parties = new ArrayList<>();
      for (String p : List.of("bank_a", "bank_b")) {
        parties.add(PartyProcess.start(p, List.of("run", "--spec", work.resolve("psi.yaml").toString(),
            "--party", p, "--key", work.resolve(p + ".key").toString(),
            "--policy", work.resolve("policy-" + p + ".yaml").toString(),
            "--ledger", work.resolve("ledger-" + p + ".jsonl").toString(),
            "--bootstrap-servers", broker.bootstrapServers(), "--master", "local[" + o.cores + "]", "--output", "json"),
            heap, o.jvmOptionList(), work, System.out));
      }
      long[] peakRss = new long[2];
      while (parties.stream().anyMatch(p -> !p.hasOutcome() && isAlive(p))) {
        for (int i = 0; i < 2; i++) {
          peakRss[i] = Math.max(peakRss[i], BenchSupport.rssKiB(parties.get(i).pid()));
        }
        Thread.sleep(500);
      }
      int failures = 0;
      for (PartyProcess p : parties) {
        failures += p.await(3_600_000) == 0 ? 0 : 1;
      }
      double wallS = (System.nanoTime() - t0) / 1e9;
      if (failures > 0) {
        System.out.println("benchmark failed");
        return 1;
      }
      System.out.println();
      System.out.printf("PSI benchmark (%s): %,d x %,d ids, overlap %.0f%%, %d partitions, each party local[%d] "
          + "(%d core%s), -Xmx%s%s%n", o.protocol, n, n, overlap * 100, partitions, o.cores, o.cores,
          o.cores == 1 ? "" : "s", heap, o.jvmOptions.isBlank() ? "" : " " + o.jvmOptions.trim());
      System.out.printf("  intersection size: %s%n",
          parties.get(0).outcome().path("result").path("intersectionSize").asText("?"));
      System.out.printf("  wall time (both parties, incl. JVM/Spark start): %.1f s%n", wallS);
      for (int i = 0; i < 2; i++) {
        PartyProcess p = parties.get(i);
        JsonNode outcome = p.outcome();
        long protocolMs = outcome.path("protocolMs").asLong();
        System.out.printf("  %s: protocol %.1f s -> %,.0f elements/s/core; job %d ms; peak heap %d MiB; "
            + "peak RSS %d MiB%n", p.name(), protocolMs / 1000.0, n / (protocolMs / 1000.0) / o.cores,
            outcome.path("elapsedMs").asLong(), outcome.path("peakHeapMiB").asLong(), peakRss[i] >> 10);
      }
      if (o.protocol.equals("ecdh")) {
        printOpensslRatio(parties.stream()
            .mapToDouble(p -> n / (p.outcome().path("protocolMs").asLong() / 1000.0) / o.cores)
            .min().orElse(0));
      }
      return 0;
    }
  }

  /**
   * ECDH-PSI costs each party two X25519 multiplications per element, so {@code openssl speed
   * ecdhx25519} (one core) halved bounds its elements/s/core; prints how far the slower party is from
   * that bound, measured now, beside the parties' figures.
   */
  private static void printOpensslRatio(double elementsPerSecond) {
    OptionalDouble ops = opensslX25519PerSecond();
    if (ops.isEmpty()) {
      System.out.println("  openssl X25519 reference: not measured ('openssl speed -seconds 3 ecdhx25519' did not run)");
      return;
    }
    double bound = ops.getAsDouble() / 2;
    System.out.printf("  openssl X25519 (one core, measured now): %,.0f ops/s -> bound %,.0f elements/s/core; slower "
        + "party at %.2f of it (issue target 0.80)%n", ops.getAsDouble(), bound, elementsPerSecond / bound);
  }

  /** X25519 operations per second from {@code openssl speed}, or empty where openssl is missing or fails. */
  private static OptionalDouble opensslX25519PerSecond() {
    try {
      Process p = new ProcessBuilder("openssl", "speed", "-seconds", "3", "ecdhx25519").redirectErrorStream(true)
          .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return OptionalDouble.empty();
      }
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\(X25519\\)\\s+\\S+s\\s+([0-9.]+)").matcher(out);
      return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
    } catch (IOException e) {
      return OptionalDouble.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalDouble.empty();
    }
  }

  private static boolean isAlive(PartyProcess p) {
    return ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false);
  }

  private static void writeIds(Path file, int from, int to) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("id,segment\n");
      for (int i = from; i < to; i++) {
        w.write("CUST-" + (10_000_000 + i) + "," + (i % 7) + "\n");
      }
    }
  }
}
