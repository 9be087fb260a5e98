package io.veil.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import io.veil.jobs.PartyProcess;
import io.veil.jobs.bench.BenchSupport.PartyRun;
import io.veil.jobs.demo.DemoData;
import io.veil.vfl.internal.ArrowMatrix;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import picocli.CommandLine.Option;

/**
 * End-to-end benchmark of vertical federated training ({@code vfl-train}) against centralised
 * MLlib logistic regression, on the demo data (default credit, 30,000 rows: guest holds the label
 * and 13 features, host 10 features).
 *
 * <ol>
 *   <li>Two vfl-train runs, guest and host each its own JVM with {@code local[1]}, over one embedded
 *       Kafka broker (in this JVM): bottom linear d=1 / top logistic (federated LR), then bottom
 *       mlp (hidden 8, d=4) / top mlp (hidden 8).
 *   <li>One plaintext JVM ({@link BenchWorker} {@code plain-vfl}, {@code local[1]}): joins the two files on id, holds
 *       out the same rows as vfl-train ({@code VflRows.isTest}, same seed and test fraction), trains
 *       MLlib LR on all 23 features (centralised) and on guest's 13 alone, and scores the held-out
 *       rows (area under ROC).
 *   <li>A table of test AUCs, per party per epoch time and bytes, and the processes' wall times.
 *   <li>An in-process micro-measurement of the Arrow IPC codec of vfl ({@link ArrowMatrix}) against
 *       the raw little-endian codec of feature aggregation ({@code io.veil.aggregate.internal.LongCodec})
 *       on a feature-aggregation block (1024 rows x 8 dims of longs).
 * </ol>
 *
 * <pre>
 * veil vfl-bench [--epochs 15] [--batch-size 256] [--learning-rate 0.01] [--partitions 2] [--seed 42]
 *                [--heap 2g] [--work-dir DIR] [--timeout-s 3600]
 * </pre>
 */
public final class VflBench {
  private static final String GUEST = "guest";
  private static final String HOST = "host";
  private static final String TEST_FRACTION = "0.2";
  /** The quality bar: federated LR's test AUC within this of centralised MLlib LR's. */
  private static final double AUC_BAR = 0.005;
  private static final int CODEC_ROWS = 1024;
  private static final int CODEC_DIMS = 8;
  private static final int CODEC_WARMUP = 5_000;
  private static final int CODEC_ITERATIONS = 5_000;
  private static final int CODEC_ROUNDS = 5;

  private VflBench() {}

  /** {@code veil vfl-bench}'s options (picocli). */
  public static final class Options {
    @Option(names = "--epochs", defaultValue = "15", paramLabel = "N",
        description = "Training epochs of both federated runs; default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "N",
        description = "Mini-batch rows (one exchange each); default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--learning-rate", defaultValue = "0.01", paramLabel = "X",
        description = "Optimizer step size (adam); default: ${DEFAULT-VALUE}.")
    String learningRate;

    @Option(names = "--partitions", defaultValue = "2", paramLabel = "N",
        description = "Spark partitions of the training rows (model copies averaged per epoch); "
            + "default: ${DEFAULT-VALUE}.")
    int partitions;

    /** What is wrong with the options, naming the option, or null: checked before anything starts. */
    public String problem() {
      if (epochs < 1 || batchSize < 1 || partitions < 1) {
        return "--epochs, --batch-size and --partitions must be at least 1";
      }
      try {
        if (!(Double.parseDouble(learningRate) > 0)) {
          return "--learning-rate must be a number above 0, not " + learningRate;
        }
      } catch (NumberFormatException e) {
        return "--learning-rate must be a number above 0, not " + learningRate;
      }
      return null;
    }

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
        description = "Seed of the train/test split, initial weights and batch order; default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--heap", defaultValue = "2g", paramLabel = "SIZE",
        description = "Maximum heap of each party's JVM and of the plaintext JVM; default: ${DEFAULT-VALUE}.")
    String heap;

    @Option(names = "--work-dir", defaultValue = "target/veil-vfl-bench", paramLabel = "DIR",
        description = "Where inputs, keys, specs, models, ledgers and logs go (emptied first); "
            + "default: ${DEFAULT-VALUE}.")
    String workDir;

    @Option(names = "--timeout-s", defaultValue = "3600", paramLabel = "S",
        description = "How long to wait for each JVM; default: ${DEFAULT-VALUE}.")
    long timeoutS;
  }

  /** One federated configuration. */
  private record Config(String tag, String title, String bottom, String top) {}

  private static final List<Config> CONFIGS = List.of(
      new Config("lr", "federated LR (bottom linear d=1, top logistic)", "{model: linear, dims: 1}",
          "{model: logistic}"),
      new Config("mlp", "federated MLP (bottom mlp h=8 d=4, top mlp h=8)", "{model: mlp, hidden: 8, dims: 4}",
          "{model: mlp, hidden: 8}"));

  /** Runs the benchmark, printing its report; returns the exit code. */
  public static int run(Options o) throws Exception {
    Path work = Path.of(o.workDir).toAbsolutePath();
    io.veil.jobs.demo.PsiDemo.deleteTree(work);
    Files.createDirectories(work.resolve("logs"));
    Files.createDirectories(work.resolve("data"));
    long timeoutMs = o.timeoutS * 1000;
    Path guestCsv = work.resolve("data/guest.csv");
    Path hostCsv = work.resolve("data/host.csv");
    copy(DemoData.GUEST, guestCsv);
    copy(DemoData.HOST, hostCsv);

    SecureRandom rnd = new SecureRandom();
    List<PartySecret> keys = List.of(PartySecret.generate(GUEST, rnd), PartySecret.generate(HOST, rnd));
    for (PartySecret k : keys) {
      k.write(work.resolve("keys/" + k.party() + ".key"));
    }
    BenchSupport.writePolicies(work, keys, "vfl-train", List.of(GUEST, HOST));

    List<String> report = new ArrayList<>();
    System.out.printf("codec: Arrow IPC vs raw, %d x %d longs...%n", CODEC_ROWS, CODEC_DIMS);
    try {
      codec(report);
    } catch (Exception | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }

    List<List<PartyRun>> federated = new ArrayList<>();
    try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(work.resolve("kafka"), 0).start()) {
      System.out.println("embedded Kafka broker on " + broker.bootstrapServers() + "; work dir " + work);
      for (Config c : CONFIGS) {
        Path spec = work.resolve("vfl-" + c.tag() + ".yaml");
        Files.writeString(spec, spec(o, c, keys, guestCsv, hostCsv, work), StandardCharsets.UTF_8);
        System.out.printf("%s: running guest and host...%n", c.title());
        List<PartyRun> runs = BenchSupport.runParties(c.tag(), List.of(GUEST, HOST), List.of(o.heap, o.heap), spec,
            "local[1]", work, broker.bootstrapServers(), timeoutMs, List.of());
        if (runs.stream().anyMatch(r -> r.exit() != 0 || !r.process().hasOutcome())) {
          System.out.println(c.title() + ": a party failed: " + runs.stream().map(r -> r.id() + " exit " + r.exit())
              .toList() + "; logs in " + work.resolve("logs"));
          return 1;
        }
        for (PartyRun r : runs) {
          System.out.printf("  %s: %s%n", r.id(), r.process().outcome().path("result"));
        }
        federated.add(runs);
      }
    }

    System.out.println("centralised MLlib LR (plaintext JVM, local[1])...");
    long p0 = System.nanoTime();
    PartyProcess plain = PartyProcess.startJava("plain", System.getProperty("java.class.path"),
        BenchWorker.class.getName(), List.of("plain-vfl", "master=local[1]", "guest=" + guestCsv, "host=" + hostCsv,
            "seed=" + o.seed, "testFraction=" + TEST_FRACTION), o.heap, List.of(), work, BenchSupport.log(work, "plain"));
    int plainExit = plain.await(timeoutMs);
    double plainWallS = (System.nanoTime() - p0) / 1e9;
    if (plainExit != 0 || !plain.hasOutcome()) {
      System.out.println("plaintext baseline failed (exit " + plainExit + "); see " + work.resolve("logs/plain.log"));
      return 1;
    }
    JsonNode p = plain.outcome();
    System.out.println("  plain: " + p);

    double central = p.path("all_test_auc").asDouble();
    double guestOnly = p.path("guest_test_auc").asDouble();
    System.out.println();
    report.add(0, String.format(Locale.ROOT, "== vfl-bench: default credit, %s aligned rows (%s train / %s test, "
        + "testFraction %s, seed %d); guest: label + %d features, host: %d features", p.path("rows").asText(),
        p.path("train_rows").asText(), p.path("test_rows").asText(), TEST_FRACTION, o.seed,
        p.path("features_guest").asInt(), p.path("features_all").asInt() - p.path("features_guest").asInt()));
    report.add(1, String.format(Locale.ROOT, "   federated: epochs %d, batch %d, adam lr %s, partitions %d; each "
        + "party its own JVM, local[1], -Xmx%s; one embedded broker; machine: %d cores", o.epochs, o.batchSize,
        o.learningRate, o.partitions, o.heap, Runtime.getRuntime().availableProcessors()));
    report.add(2, String.format(Locale.ROOT, "   split check: vfl-train trainRows/testRows %s/%s (LR), %s/%s (MLP); "
        + "plaintext %s/%s", federated.get(0).get(0).figure("trainRows"), federated.get(0).get(0).figure("testRows"),
        federated.get(1).get(0).figure("trainRows"), federated.get(1).get(0).figure("testRows"),
        p.path("train_rows").asText(), p.path("test_rows").asText()));
    report.add(3, "");

    report.add("== Test AUC (held-out rows, same split for every model)");
    report.add(String.format("   %-50s %9s %16s", "model", "test AUC", "vs centralised"));
    for (int i = 0; i < CONFIGS.size(); i++) {
      double auc = federated.get(i).get(0).number("testAuc");
      report.add(String.format(Locale.ROOT, "   %-50s %9.4f %+16.4f   (final train loss %s)", CONFIGS.get(i).title(),
          auc, auc - central, federated.get(i).get(0).figure("trainLoss")));
    }
    report.add(String.format(Locale.ROOT, "   %-50s %9.4f %16s   (%s iterations)",
        "centralised MLlib LR (" + p.path("features_all").asInt() + " features)", central, "-",
        p.path("all_iterations").asText()));
    report.add(String.format(Locale.ROOT, "   %-50s %9.4f %+16.4f   (%s iterations; federation adds %+.4f)",
        "guest-only MLlib LR (" + p.path("features_guest").asInt() + " features)", guestOnly, guestOnly - central,
        p.path("guest_iterations").asText(), central - guestOnly));
    double lrDiff = federated.get(0).get(0).number("testAuc") - central;
    report.add(String.format(Locale.ROOT, "   quality bar |federated LR - centralised| <= %.3f: %s (%.4f)", AUC_BAR,
        Math.abs(lrDiff) <= AUC_BAR ? "MET" : "NOT MET", Math.abs(lrDiff)));
    report.add("");

    report.add("== Cost per party (epoch time = trainMs / epochs; bytes = the operator's bytesSent/bytesReceived "
        + "figures / epochs, which include the one scoring pass)");
    report.add(String.format("   %-5s %-6s %12s %12s %14s %14s %10s %10s %9s", "run", "party", "epoch time",
        "train time", "sent/epoch", "received/epoch", "job", "JVM wall", "JVM CPU"));
    for (int i = 0; i < CONFIGS.size(); i++) {
      for (PartyRun r : federated.get(i)) {
        double epochs = r.number("epochs");
        report.add(String.format(Locale.ROOT, "   %-5s %-6s %10.0f ms %10.1f s %14s %14s %8.1f s %8.1f s %7.1f s",
            CONFIGS.get(i).tag(), r.id(), r.number("trainMs") / epochs, r.number("trainMs") / 1000.0,
            BenchSupport.bytes(r.number("bytesSent") / epochs), BenchSupport.bytes(r.number("bytesReceived") / epochs),
            r.process().outcome().path("elapsedMs").asLong() / 1000.0, r.wallS(), r.cpuS()));
      }
    }
    report.add("   (job = the party's spec read -> receipt written, incl. input commitment and alignment, scoring "
        + "and model output; JVM wall = process start -> exit)");
    report.add(String.format(Locale.ROOT, "   centralised MLlib LR (one JVM, local[1]): fit %d ms (first fit in the "
        + "JVM, CPU %d ms, %s L-BFGS iterations, %s features), same fit again (warm) %d ms; guest-only fit %d ms; "
        + "read + join + split %d ms; JVM wall %.1f s (Spark session %.1f s)", p.path("all_fit_ms").asLong(),
        p.path("all_fit_cpu_ms").asLong(), p.path("all_iterations").asText(), p.path("features_all").asText(),
        p.path("all_refit_ms").asLong(), p.path("guest_fit_ms").asLong(), p.path("join_ms").asLong(), plainWallS,
        p.path("session_ms").asLong() / 1000.0));
    report.add(String.format(Locale.ROOT, "   RATIO federated training (guest trainMs) / centralised fit (first; "
        + "warm): LR %.1fx; %.1fx, MLP %.1fx; %.1fx", federated.get(0).get(0).number("trainMs")
        / p.path("all_fit_ms").asDouble(), federated.get(0).get(0).number("trainMs")
        / p.path("all_refit_ms").asDouble(), federated.get(1).get(0).number("trainMs")
        / p.path("all_fit_ms").asDouble(), federated.get(1).get(0).number("trainMs")
        / p.path("all_refit_ms").asDouble()));
    report.add("");
    report.forEach(System.out::println);
    System.out.println("benchmark finished");
    return 0;
  }

  private static void copy(String dataset, Path target) throws IOException {
    try (InputStream in = DemoData.open(dataset)) {
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String spec(Options o, Config c, List<PartySecret> keys, Path guestCsv, Path hostCsv, Path work) {
    StringBuilder s = new StringBuilder();
    s.append("# Written by `veil vfl-bench`.\nversion: 1\nname: bench-vfl-").append(c.tag())
        .append("\noperator: vfl-train\npeerTimeoutMs: 3600000\nparties:\n");
    party(s, keys.get(0), guestCsv, "y", 13, work.resolve("out/" + c.tag() + "-" + GUEST));
    party(s, keys.get(1), hostCsv, null, 10, work.resolve("out/" + c.tag() + "-" + HOST));
    s.append("vflTrain:\n  labelParty: ").append(GUEST).append("\n  labelColumn: y\n  bottom: ").append(c.bottom())
        .append("\n  top: ").append(c.top()).append("\n  epochs: ").append(o.epochs).append("\n  batchSize: ")
        .append(o.batchSize).append("\n  learningRate: ").append(o.learningRate).append("\n  seed: ").append(o.seed)
        .append("\n  testFraction: ").append(TEST_FRACTION).append("\n  partitions: ").append(o.partitions)
        .append('\n');
    return s.toString();
  }

  private static void party(StringBuilder s, PartySecret key, Path csv, String label, int features, Path out) {
    List<String> cols = new ArrayList<>();
    StringBuilder schema = new StringBuilder("{id: string");
    if (label != null) {
      cols.add(label);
      schema.append(", ").append(label).append(": int");
    }
    for (int j = 0; j < features; j++) {
      cols.add("x" + j);
      schema.append(", x").append(j).append(": double");
    }
    schema.append('}');
    s.append("  - id: ").append(key.party()).append('\n')
        .append("    publicKey: ").append(key.identity().publicKey().encoded()).append('\n')
        .append("    input:\n      format: csv\n      path: ").append(csv).append('\n')
        .append("      keyColumns: [id]\n      columns: [").append(String.join(", ", cols)).append("]\n")
        .append("      schema: ").append(schema).append('\n')
        .append("    output:\n      format: parquet\n      path: ").append(out).append('\n');
  }

  // ---------------------------------------------------------------- codec micro-measurement

  /**
   * Encode + decode of one feature-aggregation block (1024 x 8 longs) with vfl's Arrow IPC codec and
   * with feature aggregation's raw codec (LongCodec.encode, then addInto a zeroed block: what its
   * receiver does). After {@link #CODEC_WARMUP} warm-up iterations of each, {@link #CODEC_ROUNDS}
   * timed rounds of {@link #CODEC_ITERATIONS} iterations; the median round is reported.
   */
  private static void codec(List<String> report) throws Throwable {
    Class<?> c = Class.forName("io.veil.aggregate.internal.LongCodec");
    Method enc = c.getDeclaredMethod("encode", long[].class);
    Method add = c.getDeclaredMethod("addInto", long[].class, byte[].class);
    enc.setAccessible(true);
    add.setAccessible(true);
    MethodHandle rawEncode = MethodHandles.lookup().unreflect(enc);
    MethodHandle rawAddInto = MethodHandles.lookup().unreflect(add);

    int n = CODEC_ROWS * CODEC_DIMS;
    long[] block = new long[n];
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < n; i++) {
      block[i] = r.nextLong();
    }
    byte[] arrowBytes = ArrowMatrix.encode("z", block, CODEC_ROWS, CODEC_DIMS);
    byte[] rawBytes = (byte[]) rawEncode.invokeExact(block);
    long[] back = new long[n];
    rawAddInto.invokeExact(back, rawBytes);
    if (!Arrays.equals(block, ArrowMatrix.decode(arrowBytes, "z", CODEC_ROWS, CODEC_DIMS))
        || !Arrays.equals(block, back)) {
      throw new IllegalStateException("a codec did not round-trip the block");
    }

    long sink = 0;
    for (int i = 0; i < CODEC_WARMUP; i++) {
      sink += arrow(block) + raw(block, rawEncode, rawAddInto);
    }
    double[] arrowS = new double[CODEC_ROUNDS];
    double[] rawS = new double[CODEC_ROUNDS];
    for (int round = 0; round < CODEC_ROUNDS; round++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < CODEC_ITERATIONS; i++) {
        sink += arrow(block);
      }
      arrowS[round] = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      for (int i = 0; i < CODEC_ITERATIONS; i++) {
        sink += raw(block, rawEncode, rawAddInto);
      }
      rawS[round] = (System.nanoTime() - t0) / 1e9;
    }
    Arrays.sort(arrowS);
    Arrays.sort(rawS);
    double mb = (double) n * Long.BYTES * CODEC_ITERATIONS / 1e6;
    double arrowMbS = mb / arrowS[CODEC_ROUNDS / 2];
    double rawMbS = mb / rawS[CODEC_ROUNDS / 2];
    report.add(String.format(Locale.ROOT, "== Codec: one feature-aggregation block, %d rows x %d dims of longs "
        + "(%d KiB of values); encode + decode, in this JVM, %,d warm-up iterations of each, then %d rounds of %,d; "
        + "median round (MB = 10^6 bytes of values)", CODEC_ROWS, CODEC_DIMS, n * Long.BYTES / 1024, CODEC_WARMUP,
        CODEC_ROUNDS, CODEC_ITERATIONS));
    report.add(String.format(Locale.ROOT, "   Arrow IPC (ArrowMatrix.encode/decode): %8.1f MB/s  (%.1f us per block, "
        + "%,d bytes on the wire)", arrowMbS, arrowS[CODEC_ROUNDS / 2] / CODEC_ITERATIONS * 1e6, arrowBytes.length));
    report.add(String.format(Locale.ROOT, "   raw LE (LongCodec.encode/addInto):      %8.1f MB/s  (%.1f us per block, "
        + "%,d bytes on the wire)", rawMbS, rawS[CODEC_ROUNDS / 2] / CODEC_ITERATIONS * 1e6, rawBytes.length));
    report.add(String.format(Locale.ROOT, "   raw / Arrow: %.1fx (checksum %d)", rawMbS / arrowMbS, sink & 0xff));
    report.add("");
  }

  private static long arrow(long[] block) {
    byte[] b = ArrowMatrix.encode("z", block, CODEC_ROWS, CODEC_DIMS);
    long[] out = ArrowMatrix.decode(b, "z", CODEC_ROWS, CODEC_DIMS);
    return out[out.length - 1] + b.length;
  }

  private static long raw(long[] block, MethodHandle encode, MethodHandle addInto) throws Throwable {
    byte[] b = (byte[]) encode.invokeExact(block);
    long[] out = new long[block.length];
    addInto.invokeExact(out, b);
    return out[out.length - 1] + b.length;
  }
}
