package io.veil.crypto.bench;

import io.veil.crypto.ot.BaseOt;
import io.veil.crypto.ot.CuckooHash;
import io.veil.crypto.ot.KkrtOprf;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Locale;

/**
 * Single-thread benchmark of the OT-based PSI core: {@value KkrtOprf#BASE_OT_COUNT} base OTs
 * ({@link BaseOt}), the KKRT16 OPRF ({@link KkrtOprf}) for 2^n rows in one bucket and spread over
 * several buckets, the receiver's cuckoo table ({@link CuckooHash}), and the bytes each side sends
 * in a PSI. Every figure is one timed run after an untimed warm-up run at 1/16 of the size (JIT).
 *
 * <p>Wall-clock and thread-CPU times are both printed; on a shared, busy machine the CPU time is
 * the better estimate of single-core cost.
 *
 * <pre>
 * java -cp veil-secure-operators.jar:bcprov.jar io.veil.crypto.bench.OtBench --log2n 20 --buckets 8
 * </pre>
 */
public final class OtBench {
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private long sink;

  private OtBench() {}

  public static void main(String[] args) {
    int log2n = 20;
    int buckets = 8;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("--log2n") || a.equals("--buckets")) && i + 1 < args.length) {
        int v;
        try {
          v = Integer.parseInt(args[++i]);
        } catch (NumberFormatException e) {
          v = -1;
        }
        if (a.equals("--log2n") && (v < 4 || v > 23)) {
          usage("--log2n must be an integer in [4, 23]");
          return;
        }
        if (a.equals("--buckets") && (v < 1 || v > 1024)) {
          usage("--buckets must be an integer in [1, 1024]");
          return;
        }
        if (a.equals("--log2n")) {
          log2n = v;
        } else {
          buckets = v;
        }
      } else {
        usage(a.equals("--help") ? null : "unknown argument: " + a);
        return;
      }
    }
    new OtBench().run(log2n, buckets);
  }

  private static void usage(String error) {
    if (error != null) {
      System.err.println(error);
    }
    System.err.println("usage: OtBench [--log2n N] [--buckets B]   (2^N OPRF rows, default 20; B buckets, default 8)");
    if (error != null) {
      System.exit(2);
    }
  }

  /** A timed step's wall and thread-CPU nanoseconds. */
  private record Timing(long wallNanos, long cpuNanos) {
    Timing plus(Timing o) {
      return new Timing(wallNanos + o.wallNanos, cpuNanos + o.cpuNanos);
    }
  }

  private interface Step {
    void run();
  }

  private long cpu() {
    return threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : 0;
  }

  private Timing time(Step step) {
    long c0 = cpu();
    long w0 = System.nanoTime();
    step.run();
    return new Timing(System.nanoTime() - w0, cpu() - c0);
  }

  private static void print(String what, Timing t, long elements) {
    String rate = elements > 0 ? String.format(Locale.ROOT, "%,14.0f", elements / (t.cpuNanos / 1e9)) : String.format("%14s", "");
    System.out.printf(Locale.ROOT, "%-58s %10.3f %10.3f %s%n", what, t.wallNanos / 1e9, t.cpuNanos / 1e9, rate);
  }

  private void run(int log2n, int buckets) {
    int n = 1 << log2n;
    System.out.printf(
        Locale.ROOT,
        "Veil OT bench: 1 thread, Java %s (%s), %s/%s, %d cores visible; n = 2^%d = %,d; %d buckets%n%n",
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        Runtime.getRuntime().availableProcessors(),
        log2n,
        n,
        buckets);
    System.out.printf(Locale.ROOT, "%-58s %10s %10s %14s%n", "step", "wall s", "cpu s", "elements/s cpu");

    SecureRandom random = new SecureRandom();
    byte[] senderSeed = new byte[32];
    byte[] receiverSeed = new byte[32];
    random.nextBytes(senderSeed);
    random.nextBytes(receiverSeed);
    boolean[] s = new boolean[KkrtOprf.BASE_OT_COUNT];
    for (int j = 0; j < s.length; j++) {
      s[j] = random.nextBoolean();
    }

    // Base OTs: warm up once, then time each side's work.
    baseOts(senderSeed, receiverSeed, s);
    BaseOt.Sender[] otSender = new BaseOt.Sender[1];
    BaseOt.Receiver otReceiver = new BaseOt.Receiver(receiverSeed, s);
    byte[][] first = new byte[1][];
    byte[][] reply = new byte[1][];
    byte[][][][] pairs = new byte[1][][][];
    Timing tFirst = time(() -> {
      otSender[0] = new BaseOt.Sender(senderSeed, KkrtOprf.BASE_OT_COUNT);
      first[0] = otSender[0].firstMessage();
    });
    Timing tReply = time(() -> reply[0] = otReceiver.reply(first[0]));
    Timing tKeys = time(() -> pairs[0] = otSender[0].keys(reply[0]));
    print(KkrtOprf.BASE_OT_COUNT + " base OTs: OT sender, A = aG", tFirst, 0);
    print(KkrtOprf.BASE_OT_COUNT + " base OTs: OT receiver, reply (B_i, keys)", tReply, KkrtOprf.BASE_OT_COUNT);
    print(KkrtOprf.BASE_OT_COUNT + " base OTs: OT sender, keys (validate B_i)", tKeys, KkrtOprf.BASE_OT_COUNT);
    print(KkrtOprf.BASE_OT_COUNT + " base OTs: total", tFirst.plus(tReply).plus(tKeys), KkrtOprf.BASE_OT_COUNT);
    System.out.printf(
        Locale.ROOT, "  base-OT bytes: sender -> receiver %d, receiver -> sender %,d%n",
        first[0].length, reply[0].length);

    KkrtOprf.Receiver receiver = KkrtOprf.Receiver.fromBaseOt(pairs[0]);
    KkrtOprf.Sender sender = new KkrtOprf.Sender(s, otReceiver.keys());
    int outBytes = KkrtOprf.MAX_OUTPUT_BYTES;
    byte[][] inputs = new byte[n][];
    for (int i = 0; i < n; i++) {
      inputs[i] = ("customer-" + i + "@example.com").getBytes(StandardCharsets.UTF_8);
    }

    // Warm-up at 1/16 of the size.
    oneBucket(receiver, sender, java.util.Arrays.copyOf(inputs, Math.max(64, n / 16)), outBytes, 0, null);

    System.out.println();
    oneBucket(receiver, sender, inputs, outBytes, 1, "1 bucket of 2^" + log2n);

    int per = (n + buckets - 1) / buckets;
    Timing enc = new Timing(0, 0);
    Timing setup = new Timing(0, 0);
    Timing eval = new Timing(0, 0);
    for (int b = 0; b < buckets; b++) {
      int from = Math.min(n, b * per);
      int to = Math.min(n, from + per);
      Timing[] t = oneBucket(receiver, sender, java.util.Arrays.copyOfRange(inputs, from, to), outBytes, 100 + b, null);
      enc = enc.plus(t[0]);
      setup = setup.plus(t[1]);
      eval = eval.plus(t[2]);
    }
    String label = buckets + " buckets of 2^" + log2n + "/" + buckets + " (sum)";
    print("OPRF receiver encode, " + label, enc, n);
    print("OPRF sender expand U (PRG + transpose), " + label, setup, n);
    print("OPRF sender eval x 2^" + log2n + ", " + label, eval, n);
    print("OPRF sender expand + eval, " + label, setup.plus(eval), n);

    // PSI sizing: the receiver's cuckoo table for n items, and the bytes each side sends.
    System.out.println();
    CuckooHash[] table = new CuckooHash[1];
    byte[] cuckooSeed = new byte[32];
    random.nextBytes(cuckooSeed);
    CuckooHash.build(cuckooSeed, java.util.Arrays.copyOf(inputs, Math.max(1, n / 16)));
    Timing tCuckoo = time(() -> table[0] = CuckooHash.build(cuckooSeed, inputs));
    print("cuckoo table, " + n + " items -> " + table[0].binCount() + " bins", tCuckoo, n);
    CuckooHash.HashFunctions h = table[0].hashFunctions();
    int[] bins = new int[3];
    Timing tSimple = time(() -> {
      for (byte[] x : inputs) {
        h.bins(x, bins);
        sink += bins[0];
      }
    });
    print("sender simple hashing (3 bins per item), " + n + " items", tSimple, n);
    int psiOutBits = 40 + ceilLog2(table[0].binCount()) + ceilLog2(3L * n);
    int psiOutBytes = (psiOutBits + 7) / 8;
    long uRows = (long) n * KkrtOprf.ROW_BYTES;
    long uPsi = (long) table[0].binCount() * KkrtOprf.ROW_BYTES;
    long senderPsi = 3L * n * psiOutBytes;
    System.out.printf(Locale.ROOT, "%nbytes sent (n = %,d per side):%n", n);
    System.out.printf(Locale.ROOT, "  receiver U for 2^%d OPRF rows:           %,15d bytes (%.1f MiB)%n", log2n, uRows, uRows / 1048576.0);
    System.out.printf(
        Locale.ROOT, "  receiver U for the PSI table (%,d bins): %,15d bytes (%.1f MiB)%n",
        table[0].binCount(), uPsi, uPsi / 1048576.0);
    System.out.printf(
        Locale.ROOT, "  sender 3 n outputs of %d bytes (40 + log2 bins + log2 3n = %d bits): %,d bytes (%.1f MiB)%n",
        psiOutBytes, psiOutBits, senderPsi, senderPsi / 1048576.0);
    System.out.printf(Locale.ROOT, "%n(checksum %d)%n", sink);
  }

  private static int ceilLog2(long v) {
    return 64 - Long.numberOfLeadingZeros(v - 1);
  }

  private void baseOts(byte[] senderSeed, byte[] receiverSeed, boolean[] s) {
    BaseOt.Sender os = new BaseOt.Sender(senderSeed, s.length);
    BaseOt.Receiver or = new BaseOt.Receiver(receiverSeed, s);
    sink += os.keys(or.reply(os.firstMessage()))[0][0][0];
  }

  /** Encode, expand and eval (each row on its own input) one bucket; prints unless label is null. */
  private Timing[] oneBucket(
      KkrtOprf.Receiver receiver, KkrtOprf.Sender sender, byte[][] inputs, int outBytes, int bucket, String label) {
    int m = inputs.length;
    KkrtOprf.Encoded[] enc = new KkrtOprf.Encoded[1];
    KkrtOprf.Evaluator[] ev = new KkrtOprf.Evaluator[1];
    Timing tEnc = time(() -> enc[0] = receiver.encode(bucket, inputs, outBytes));
    Timing tSetup = time(() -> ev[0] = sender.evaluator(bucket, enc[0].u(), m, outBytes));
    byte[] out = new byte[outBytes];
    Timing tEval = time(() -> {
      for (int i = 0; i < m; i++) {
        ev[0].eval(i, inputs[i], out, 0);
        sink += out[0];
      }
    });
    // Check a few rows, so a broken build cannot report figures.
    for (int i = 0; i < m; i += Math.max(1, m / 7)) {
      if (!java.util.Arrays.equals(ev[0].eval(i, inputs[i]), enc[0].output(i))) {
        throw new IllegalStateException("OPRF outputs differ at row " + i);
      }
    }
    if (label != null) {
      print("OPRF receiver encode (PRG, transpose, code, hash), " + label, tEnc, m);
      print("OPRF sender expand U (PRG + transpose), " + label, tSetup, m);
      print("OPRF sender eval x " + m + ", " + label, tEval, m);
      print("OPRF sender expand + eval, " + label, tSetup.plus(tEval), m);
    }
    return new Timing[] {tEnc, tSetup, tEval};
  }
}
