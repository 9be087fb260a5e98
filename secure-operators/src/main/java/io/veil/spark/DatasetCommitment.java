package io.veil.spark;

import io.veil.crypto.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * A binding, order-independent commitment to a table: every row is encoded canonically and hashed
 * with a salt (SHA-256(salt | row)); row hashes are spread over 256 buckets by their first byte;
 * each bucket's sorted hashes are hashed; the root is SHA-256 over the 256 bucket digests. The
 * same rows in any order and any partitioning give the same root; any added, removed or changed
 * row changes it. Computed by executors; the driver only collects 256 digests.
 *
 * <p>Without the salt the root reveals nothing useful about the rows (it is a hash of salted
 * hashes); with the salt and the table, anyone can recompute it ({@code veil verify}).
 */
public final class DatasetCommitment {
  public static final String ALGORITHM = "veil-rowset-sha256/v1";
  private static final int BUCKETS = 256;
  private static final int HASH_BYTES = 32;

  private DatasetCommitment() {}

  /**
   * @param rows the committed rows
   * @param rowCount number of rows (returned for the receipt)
   * @param rootHex commitment
   * @param saltHex the salt
   */
  public record Commitment(long rowCount, String rootHex, String saltHex) implements Serializable {}

  public static Commitment compute(Dataset<Row> table, byte[] salt) {
    byte[] s = salt.clone();
    // Each task hashes its rows and ships one packed array of 32-byte hashes per bucket, not one
    // record per row.
    JavaPairRDD<Integer, byte[]> packed = table.javaRDD().mapPartitionsToPair(rows -> {
      ByteArrayOutputStream[] byBucket = new ByteArrayOutputStream[BUCKETS];
      while (rows.hasNext()) {
        byte[] h = rowHash(s, rows.next());
        int b = h[0] & 0xff;
        if (byBucket[b] == null) {
          byBucket[b] = new ByteArrayOutputStream();
        }
        byBucket[b].writeBytes(h);
      }
      List<Tuple2<Integer, byte[]>> out = new ArrayList<>();
      for (int b = 0; b < BUCKETS; b++) {
        if (byBucket[b] != null) {
          out.add(new Tuple2<>(b, byBucket[b].toByteArray()));
        }
      }
      return out.iterator();
    });
    List<Tuple2<Integer, Tuple2<Long, byte[]>>> buckets = packed.groupByKey(16).mapToPair(b -> {
      List<byte[]> list = new ArrayList<>();
      for (byte[] chunk : b._2()) {
        for (int at = 0; at < chunk.length; at += HASH_BYTES) {
          list.add(Arrays.copyOfRange(chunk, at, at + HASH_BYTES));
        }
      }
      list.sort(Arrays::compareUnsigned);
      MessageDigest md = Sha256.newDigest();
      list.forEach(md::update);
      return new Tuple2<>(b._1(), new Tuple2<>((long) list.size(), md.digest()));
    }).collect();
    byte[][] digests = new byte[BUCKETS][];
    long count = 0;
    for (Tuple2<Integer, Tuple2<Long, byte[]>> b : buckets) {
      digests[b._1()] = b._2()._2();
      count += b._2()._1();
    }
    MessageDigest root = Sha256.newDigest();
    root.update(ALGORITHM.getBytes(StandardCharsets.UTF_8));
    byte[] empty = Sha256.newDigest().digest();
    for (byte[] d : digests) {
      root.update(d == null ? empty : d);
    }
    return new Commitment(count, HexFormat.of().formatHex(root.digest()), HexFormat.of().formatHex(s));
  }

  static byte[] rowHash(byte[] salt, Row row) {
    MessageDigest md = Sha256.newDigest();
    md.update(salt);
    for (int i = 0; i < row.length(); i++) {
      Object v = row.get(i);
      byte[] b;
      if (v == null) {
        md.update((byte) 0);
        continue;
      } else if (v instanceof byte[] raw) {
        b = raw;
      } else if (v instanceof BigDecimal d) {
        b = d.toPlainString().getBytes(StandardCharsets.UTF_8);
      } else {
        b = String.valueOf(v).getBytes(StandardCharsets.UTF_8);
      }
      md.update((byte) 1);
      md.update(new byte[] {(byte) (b.length >>> 24), (byte) (b.length >>> 16), (byte) (b.length >>> 8),
          (byte) b.length});
      md.update(b);
    }
    return md.digest();
  }

}
