package io.veil.spark;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * An input scan as the aggregate operator makes it (every column committed, then the group and
 * summed columns read), through the {@code Row}s Spark makes of its rows and through its internal
 * rows ({@link DatasetCommitment.Hasher#internal}), in one {@code local[1]} JVM: wall seconds per
 * pass, alternating, so that the cold first pass and the warm ones both show. The first scan of a
 * pass warms what both share (Parquet's reader, the JIT), so run it both ways round: {@code rows}
 * first (the default) and {@code internal} first. The input is 1M rows shaped as {@code veil
 * agg-bench} makes them (an int group, a long amount, a double balance), written as Parquet to the
 * given directory when it does not exist.
 *
 * <pre>
 * mvn -o -q -pl secure-operators test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -Xmx2g $(cat psi-jobs/target/classes/io/veil/jobs/spark-java17.flags) \
 *     -cp secure-operators/target/classes:secure-operators/target/test-classes:$(cat /tmp/cp.txt) \
 *     io.veil.spark.InternalRowScanBench /tmp/veil-scan-bench [rows|internal]
 * </pre>
 */
public final class InternalRowScanBench {
  private InternalRowScanBench() {}

  public static void main(String[] args) {
    String dir = args.length > 0 ? args[0] : "target/veil-scan-bench";
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").getOrCreate();
    if (!new java.io.File(dir).exists()) {
      spark.range(0, 1_000_000, 1, 1).selectExpr("CAST(pmod(hash(id, 1), 10000) AS INT) AS grp",
              "CAST(pmod(hash(id, 2), 1000001) AS BIGINT) AS amount",
              "CAST(pmod(hash(id, 3), 1000000000) AS DOUBLE) / 100.0 AS balance")
          .write().parquet(dir);
    }
    Dataset<Row> input = spark.read().parquet(dir);
    Dataset<Row> scan = input.selectExpr("*", "grp", "amount", "balance");
    int committed = input.schema().size();
    byte[] salt = new byte[16];
    salt[0] = 1;
    DatasetCommitment.Hasher rows = new DatasetCommitment.Hasher(salt, committed);
    DatasetCommitment.Hasher internal = rows.internal(scan.schema());
    boolean internalFirst = args.length > 1 && args[1].equals("internal");
    for (int pass = 1; pass <= 6; pass++) {
      double[] s = internalFirst ? new double[] {internalPass(scan, internal), rowPass(scan, rows)}
          : new double[] {rowPass(scan, rows), internalPass(scan, internal)};
      System.out.printf(Locale.ROOT, "pass %d: Rows %.2f s, internal rows %.2f s%n", pass,
          s[internalFirst ? 1 : 0], s[internalFirst ? 0 : 1]);
    }
    spark.stop();
  }

  /** Hashes one row and returns the sum of its group and summed cells (read as the scan reads them). */
  private interface Reader<T> extends Serializable {
    double read(DatasetCommitment.Hasher h, T row);
  }

  private static double rowPass(Dataset<Row> scan, DatasetCommitment.Hasher rows) {
    return pass(scan.javaRDD(), rows, (h, r) -> {
      h.add(r);
      return r.getInt(3) + r.getLong(4) + r.getDouble(5);
    });
  }

  private static double internalPass(Dataset<Row> scan, DatasetCommitment.Hasher internal) {
    return pass(scan.queryExecution().toRdd().toJavaRDD(), internal, (DatasetCommitment.Hasher h, InternalRow r) -> {
      h.add(r);
      return r.getInt(3) + r.getLong(4) + r.getDouble(5);
    });
  }

  private static <T> double pass(JavaRDD<T> rows, DatasetCommitment.Hasher hasher, Reader<T> reader) {
    long t0 = System.nanoTime();
    long n = rows.mapPartitions(it -> {
      DatasetCommitment.Hasher h = hasher.fresh();
      long count = 0;
      double sink = 0;
      while (it.hasNext()) {
        sink += reader.read(h, it.next());
        count++;
      }
      return List.of(sink == 0.5 ? -1 : count).iterator();
    }).reduce(Long::sum);
    return seconds(t0, n);
  }

  private static double seconds(long t0, long rows) {
    if (rows != 1_000_000) {
      throw new IllegalStateException(rows + " rows scanned where 1,000,000 were expected");
    }
    return (System.nanoTime() - t0) / 1e9;
  }
}
