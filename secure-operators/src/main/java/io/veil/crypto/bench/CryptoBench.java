package io.veil.crypto.bench;

import io.veil.crypto.BlindingKey;
import io.veil.crypto.PsiCipher;
import io.veil.crypto.internal.HashToCurve25519;
import io.veil.crypto.internal.Libsodium;
import io.veil.crypto.internal.X25519Engine;
import io.veil.crypto.internal.X25519Engines;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Single-thread micro-benchmark of the PSI crypto core: X25519 per engine, RFC 9380 hash-to-curve,
 * and {@link PsiCipher} per backend. Each figure is measured after a warm-up, for about {@code
 * --seconds} seconds (default 3).
 *
 * <p>Two rates are printed: per wall-clock second, and per second of CPU time of the benchmark
 * thread. On an idle machine they agree; on a shared, busy machine the CPU-time rate is the better
 * estimate of single-core throughput.
 *
 * <pre>
 * java -cp veil-secure-operators.jar:bcprov.jar:lazysodium-java.jar:jna.jar \
 *     io.veil.crypto.bench.CryptoBench --seconds 3
 * </pre>
 */
public final class CryptoBench {
  private static final int ELEMENTS = 4096;
  private static final int BATCH = 1024;

  private final double seconds;
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private long sink;

  private CryptoBench(double seconds) {
    this.seconds = seconds;
  }

  public static void main(String[] args) {
    double seconds = 3;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--seconds") && i + 1 < args.length) {
        try {
          seconds = Double.parseDouble(args[++i]);
        } catch (NumberFormatException e) {
          seconds = -1;
        }
        if (!(seconds > 0 && seconds <= 600)) {
          usage("--seconds must be a number in (0, 600]");
          return;
        }
      } else {
        usage(args[i].equals("--help") ? null : "unknown argument: " + args[i]);
        return;
      }
    }
    new CryptoBench(seconds).run();
  }

  private static void usage(String error) {
    if (error != null) {
      System.err.println(error);
    }
    System.err.println("usage: CryptoBench [--seconds N]   (N seconds timed per figure, default 3)");
    if (error != null) {
      System.exit(2);
    }
  }

  private void run() {
    SecureRandom random = new SecureRandom();
    byte[] scalar = new byte[32];
    random.nextBytes(scalar);
    BlindingKey key = BlindingKey.fromBytes(scalar);
    byte[][] elements = new byte[ELEMENTS][];
    for (int i = 0; i < ELEMENTS; i++) {
      elements[i] = ("customer-" + i + "@example.com").getBytes(StandardCharsets.UTF_8);
    }

    System.out.printf(
        Locale.ROOT,
        "Veil crypto bench: 1 thread, Java %s (%s), %s/%s, %.1f s per figure after warm-up%n",
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        seconds);
    String nativeState =
        Libsodium.isAvailable() ? "libsodium " + Libsodium.version() : "unavailable: " + Libsodium.unavailableReason();
    System.out.printf(Locale.ROOT, "native engine: %s%n", nativeState);
    System.out.printf(Locale.ROOT, "x25519 engine picked by 'auto': %s%n%n", X25519Engines.auto().name());
    System.out.printf(
        Locale.ROOT, "%-18s %-42s %12s %10s %14s%n", "backend", "operation", "ops/s (wall)", "us/op", "ops/s (cpu)");

    List<X25519Engine> engines = new ArrayList<>();
    engines.add(X25519Engines.java());
    if (X25519Engines.nativeAvailable()) {
      engines.add(X25519Engines.nativeEngine());
    }
    if (X25519Engines.boringAvailable()) {
      engines.add(X25519Engines.boringEngine());
    }

    // X25519 per engine: k = fixed, u = previous output (a chain, so nothing can be hoisted).
    for (X25519Engine engine : engines) {
      byte[] u = new byte[32];
      u[0] = 9;
      byte[] out = new byte[32];
      measure(
          engine.name(),
          "X25519 scalar multiplication",
          1,
          () -> {
            engine.scalarMult(scalar, 0, u, 0, out, 0);
            System.arraycopy(out, 0, u, 0, 32);
            return out[0];
          });
    }

    // Hash-to-curve is pure Java whatever the engine.
    HashToCurve25519 h2c =
        HashToCurve25519.randomOracle(PsiCipher.HASH_TO_CURVE_DST.getBytes(StandardCharsets.US_ASCII));
    byte[] u = new byte[32];
    int[] next = {0};
    measure(
        "java",
        "hash-to-curve RO, u only (single)",
        1,
        () -> {
          h2c.hashToU(elements[next[0]++ & (ELEMENTS - 1)], u, 0);
          return u[0];
        });
    byte[] batchOut = new byte[32 * BATCH];
    measure(
        "java",
        "hash-to-curve RO, u only (batch " + BATCH + ")",
        BATCH,
        () -> {
          h2c.hashToUBatch(elements, BATCH, batchOut, 0);
          return batchOut[0];
        });

    for (PsiCipher.Backend backend : PsiCipher.Backend.values()) {
      if (backend == PsiCipher.Backend.AUTO || backend == PsiCipher.Backend.NATIVE && !X25519Engines.nativeAvailable()
          || backend == PsiCipher.Backend.BORINGSSL && !X25519Engines.boringAvailable()) {
        continue;
      }
      PsiCipher cipher = PsiCipher.create(key, backend);
      String name = cipher.backendName();
      byte[] point = new byte[32];
      measure(
          name,
          "PsiCipher.hashAndBlind",
          1,
          () -> {
            cipher.hashAndBlind(elements[next[0]++ & (ELEMENTS - 1)], point, 0);
            return point[0];
          });
      byte[] blinded = new byte[32 * BATCH];
      measure(
          name,
          "PsiCipher.hashAndBlindBatch (" + BATCH + ")",
          BATCH,
          () -> {
            cipher.hashAndBlindBatch(elements, BATCH, blinded);
            return blinded[0];
          });
      byte[] peer = new byte[32 * BATCH];
      cipher.hashAndBlindBatch(elements, BATCH, peer);
      byte[] doubly = new byte[32];
      measure(
          name,
          "PsiCipher.blindPeerPoint (validate+blind)",
          1,
          () -> {
            cipher.blindPeerPoint(peer, 32 * (next[0]++ & (BATCH - 1)), doubly, 0);
            return doubly[0];
          });
      byte[] doublyBatch = new byte[32 * BATCH];
      measure(
          name,
          "PsiCipher.blindPeerPoints (" + BATCH + ")",
          BATCH,
          () -> {
            cipher.blindPeerPoints(peer, BATCH, doublyBatch);
            return doublyBatch[0];
          });
    }
    measure(
        "java",
        "PsiCipher.isValidPeerPoint",
        1,
        () -> {
          byte[] p = u; // a hash output from above: valid
          return PsiCipher.isValidPeerPoint(p, 0) ? 1 : 0;
        });
    System.out.printf(Locale.ROOT, "%n(checksum %d)%n", sink);
  }

  /** One unit of work doing {@code opsPerCall} operations; returns a value to keep it live. */
  private interface Op {
    int call();
  }

  private void measure(String backend, String operation, int opsPerCall, Op op) {
    // warm-up: a third of the timed period, at least 0.5 s (JIT compilation of the hot loops)
    runFor(Math.max(0.5, seconds / 3), op);
    long[] result = runFor(seconds, op);
    double ops = (double) result[0] * opsPerCall;
    double wallRate = ops / (result[1] / 1e9);
    String cpuRate = result[2] > 0 ? String.format(Locale.ROOT, "%,14.0f", ops / (result[2] / 1e9)) : "n/a";
    System.out.printf(
        Locale.ROOT, "%-18s %-42s %,12.0f %10.2f %s%n", backend, operation, wallRate, 1e6 / wallRate, cpuRate);
  }

  private long cpuNanos() {
    return threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : 0;
  }

  /** Returns {calls, wall nanoseconds, thread CPU nanoseconds (0 if unsupported)}. */
  private long[] runFor(double periodSeconds, Op op) {
    long budget = (long) (periodSeconds * 1e9);
    long cpuStart = cpuNanos();
    long start = System.nanoTime();
    long calls = 0;
    long now;
    do {
      sink += op.call();
      calls++;
      now = System.nanoTime();
    } while (now - start < budget);
    long cpu = cpuNanos() - cpuStart;
    return new long[] {calls, now - start, cpu};
  }
}
