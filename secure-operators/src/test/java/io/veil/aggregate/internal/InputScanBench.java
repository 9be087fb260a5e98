package io.veil.aggregate.internal;

import io.veil.spark.DatasetCommitment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Constructor;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The per-row work of feature aggregation's input step that Veil writes itself, on one thread, in
 * CPU seconds per pass: row hashes of the input commitment under {@code veil-rowset-sha256/v1} and
 * v2, and the key-set digest as {@code BigInteger}s ({@link FeatureRows#addDigests} of {@link
 * FeatureRows#keyDigest}, its definition) and as {@link FeatureRows.KeyDigestSum}. Rows are shaped
 * as {@code veil agg-bench --only features} makes them: a long id and 8 six-decimal doubles. Five
 * passes each, alternating, so the first (cold) and the warm figures both show.
 *
 * <pre>
 * mvn -o -q -pl secure-operators test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -Xmx3g -cp secure-operators/target/classes:secure-operators/target/test-classes:$(cat /tmp/cp.txt) \
 *     io.veil.aggregate.internal.InputScanBench [rows]
 * </pre>
 */
public final class InputScanBench {
  private InputScanBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    Random r = new Random(1);
    Row[] rows = new Row[n];
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      Object[] v = new Object[9];
      v[0] = (long) i;
      for (int j = 1; j < 9; j++) {
        v[j] = (r.nextInt(2_000_000_001) - 1_000_000_000) / 1e6;
      }
      rows[i] = RowFactory.create(v);
      keys[i] = Long.toString(i);
    }
    byte[] salt = new byte[16];
    salt[0] = 1;
    String job = "0123456789abcdef0123456789abcdef";
    Constructor<DatasetCommitment.Hasher> hasher = DatasetCommitment.Hasher.class.getDeclaredConstructor(
        byte[].class, int.class, String.class); // the algorithm-naming constructor is the verifier's, not public
    hasher.setAccessible(true);
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    System.out.printf(Locale.ROOT, "%,d rows (a long and 8 doubles), CPU seconds of this thread per pass%n", n);
    for (int pass = 1; pass <= 5; pass++) {
      StringBuilder line = new StringBuilder("pass " + pass + ":");
      for (String algorithm : new String[] {DatasetCommitment.ALGORITHM_V1, DatasetCommitment.ALGORITHM}) {
        DatasetCommitment.Hasher h = hasher.newInstance(salt, -1, algorithm);
        long t0 = cpu.getCurrentThreadCpuTime();
        for (Row row : rows) {
          h.add(row);
        }
        line.append(String.format(Locale.ROOT, "  row hashes %s %.2f s", algorithm, seconds(cpu, t0)));
      }
      long t0 = cpu.getCurrentThreadCpuTime();
      BigInteger definition = BigInteger.ZERO;
      for (String k : keys) {
        definition = FeatureRows.addDigests(definition, FeatureRows.keyDigest(job, k));
      }
      line.append(String.format(Locale.ROOT, "  key digest BigInteger %.2f s", seconds(cpu, t0)));
      t0 = cpu.getCurrentThreadCpuTime();
      FeatureRows.KeyDigestSum sum = new FeatureRows.KeyDigestSum(job);
      for (String k : keys) {
        sum.add(k);
      }
      line.append(String.format(Locale.ROOT, "  KeyDigestSum %.2f s", seconds(cpu, t0)));
      if (!sum.value().equals(definition)) {
        throw new AssertionError("KeyDigestSum differs from the definition");
      }
      System.out.println(line);
    }
  }

  private static double seconds(ThreadMXBean cpu, long from) {
    return (cpu.getCurrentThreadCpuTime() - from) / 1e9;
  }
}
