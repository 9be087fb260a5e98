package io.veil.blacklist.internal;

import io.veil.crypto.BlindingKey;
import io.veil.crypto.Oprf;
import io.veil.crypto.PsiCipher;
import io.veil.spark.KeyRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/** Executor-side pieces of the holder's store and of a querier's copy; they hold no key material. */
public final class StoreTasks {
  /** One encoded id of the holder's store. */
  public static final StructType ENTRY_SCHEMA = new StructType()
      .add("key", DataTypes.BinaryType, false)
      .add("reason", DataTypes.StringType, true)
      .add("tag", DataTypes.BinaryType, false)
      .add("payload", DataTypes.BinaryType, false)
      .add("added", DataTypes.LongType, false)
      .add("removed", DataTypes.LongType, true);

  private static final int CHUNK = 1024;

  private StoreTasks() {}

  /** The holder's long-lived key of list {@code list}, version {@code keyVersion}. */
  public static BlindingKey listKey(KeyRef key, String list, int keyVersion) {
    return BlindingKey.fromBytes(key.resolve().deriveJobSecret("blacklist/" + list, "oprf-key/v" + keyVersion,
        BlindingKey.KEY_BYTES));
  }

  /** Encodes (key, reason) rows into entries added in {@code version}. */
  public static final class Encode implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    private final KeyRef key;
    private final String list;
    private final int keyVersion;
    private final long version;
    private final boolean withReasons;

    public Encode(KeyRef key, String list, int keyVersion, long version, boolean withReasons) {
      this.key = key;
      this.list = list;
      this.keyVersion = keyVersion;
      this.version = version;
      this.withReasons = withReasons;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      PsiCipher cipher = PsiCipher.create(listKey(key, list, keyVersion));
      List<Row> out = new ArrayList<>();
      byte[][] ids = new byte[CHUNK][];
      String[] reasons = new String[CHUNK];
      byte[] points = new byte[CHUNK * PsiCipher.POINT_BYTES];
      byte[] point = new byte[PsiCipher.POINT_BYTES];
      while (rows.hasNext()) {
        int n = 0;
        while (n < CHUNK && rows.hasNext()) {
          Row r = rows.next();
          ids[n] = r.getAs(0);
          reasons[n++] = r.isNullAt(1) ? null : r.getString(1);
        }
        cipher.hashAndBlindBatch(ids, n, points);
        for (int i = 0; i < n; i++) {
          System.arraycopy(points, i * PsiCipher.POINT_BYTES, point, 0, PsiCipher.POINT_BYTES);
          byte[] output = Oprf.output(ids[i], point);
          out.add(RowFactory.create(ids[i], reasons[i], ListCodec.tag(output),
              withReasons ? ListCodec.seal(output, reasons[i]) : new byte[0], version, null));
        }
      }
      return out.iterator();
    }
  }

  /**
   * Writes the (tag, payload) rows of {@code records} as the 256 bucket files of a {@link ListIndex}
   * in {@code dir}, from Spark tasks; returns the buckets' summaries in bucket order.
   */
  public static List<BucketSummary> writeIndex(Dataset<Row> records, FileSystem fs, Path dir, int payloadBytes) {
    int tasks = Math.max(1, Math.min(ListIndex.BUCKETS, records.sparkSession().sparkContext().defaultParallelism()));
    String target = fs.makeQualified(dir).toString();
    JavaPairRDD<Integer, byte[]> byBucket = records.javaRDD().mapToPair(r -> {
      byte[] tag = r.getAs(0);
      byte[] payload = r.getAs(1);
      byte[] rec = new byte[tag.length + payload.length];
      System.arraycopy(tag, 0, rec, 0, tag.length);
      System.arraycopy(payload, 0, rec, tag.length, payload.length);
      return new Tuple2<>(tag[0] & 0xff, rec);
    });
    List<BucketSummary> out = new ArrayList<>(byBucket
        .partitionBy(new BucketPartitioner(tasks))
        .mapPartitionsWithIndex((task, it) -> writeBuckets(target, task, tasks, payloadBytes, it), true)
        .collect());
    out.sort(Comparator.comparingInt(BucketSummary::bucket));
    return out;
  }

  /** Writes every bucket b with b % tasks == task from the (bucket, record) pairs of one partition. */
  private static Iterator<BucketSummary> writeBuckets(String dir, int task, int tasks, int payloadBytes,
      Iterator<Tuple2<Integer, byte[]>> it) {
    int stride = ListIndex.TAG_BYTES + payloadBytes;
    List<java.io.ByteArrayOutputStream> packed = new ArrayList<>();
    int[] counts = new int[ListIndex.BUCKETS];
    for (int b = 0; b < ListIndex.BUCKETS; b++) {
      packed.add(b % tasks == task ? new java.io.ByteArrayOutputStream() : null);
    }
    while (it.hasNext()) {
      Tuple2<Integer, byte[]> t = it.next();
      if (t._2().length != stride) {
        throw new IllegalStateException("a record of " + t._2().length + " bytes in an index of " + stride);
      }
      packed.get(t._1()).writeBytes(t._2());
      counts[t._1()]++;
    }
    try {
      Path path = new Path(dir);
      FileSystem fs = path.getFileSystem(new Configuration());
      List<BucketSummary> out = new ArrayList<>();
      for (int b = task; b < ListIndex.BUCKETS; b += tasks) {
        out.add(ListIndex.writeBucket(fs, path, b, payloadBytes, packed.get(b).toByteArray(), counts[b]));
      }
      return out.iterator();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the list index " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Sends bucket b to partition b % tasks. */
  public static final class BucketPartitioner extends org.apache.spark.Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;

    public BucketPartitioner(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      return (Integer) key % partitions;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof BucketPartitioner p && p.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return partitions;
    }
  }
}
