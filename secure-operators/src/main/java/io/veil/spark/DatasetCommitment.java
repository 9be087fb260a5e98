package io.veil.spark;

import io.veil.crypto.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
    Hasher hasher = new Hasher(salt, -1);
    // Each task hashes its rows and ships one packed array of 32-byte hashes per bucket, not one
    // record per row.
    JavaPairRDD<Integer, byte[]> packed = table.javaRDD().mapPartitionsToPair(rows -> {
      Hasher h = hasher.fresh();
      rows.forEachRemaining(h::add);
      return h.packed().iterator();
    });
    // At most 16 tasks for the 256 buckets; a small table (a report) needs no more than it has.
    int reducers = Math.max(1, Math.min(16, packed.getNumPartitions()));
    List<Tuple2<Integer, Tuple2<Long, byte[]>>> buckets = packed.groupByKey(reducers)
        .mapToPair(b -> new Tuple2<>(b._1(), bucketDigest(b._2()))).collect();
    Map<Integer, Tuple2<Long, byte[]>> digests = new HashMap<>();
    buckets.forEach(b -> digests.put(b._1(), b._2()));
    return root(digests, salt);
  }

  /**
   * Hashes the rows of one task into packed per-bucket arrays of 32-byte row hashes. Serializable
   * with its salt; {@link #fresh()} gives each task its own buffers.
   */
  public static final class Hasher implements Serializable {
    private static final long serialVersionUID = 1L;
    private final byte[] salt;
    private final int columns;
    private transient ByteArrayOutputStream[] byBucket;

    /**
     * @param salt the commitment's salt
     * @param columns how many leading columns of each row are committed (-1: all)
     */
    public Hasher(byte[] salt, int columns) {
      this.salt = salt.clone();
      this.columns = columns;
    }

    /** A hasher with the same salt and empty buffers. */
    public Hasher fresh() {
      return new Hasher(salt, columns);
    }

    public void add(Row row) {
      addHash(hash(row));
    }

    /** The row's 32-byte hash (over the committed columns), without adding it. */
    public byte[] hash(Row row) {
      return rowHash(salt, row, columns < 0 ? row.length() : columns);
    }

    /** Adds a row hash made by {@link #hash} (possibly by another hasher with the same salt). */
    public void addHash(byte[] h) {
      if (byBucket == null) {
        byBucket = new ByteArrayOutputStream[BUCKETS];
      }
      int b = h[0] & 0xff;
      if (byBucket[b] == null) {
        byBucket[b] = new ByteArrayOutputStream();
      }
      byBucket[b].writeBytes(h);
    }

    /** The commitment to the rows this hasher saw: all of a table's, when one hasher saw them all. */
    public Commitment commitment() {
      Map<Integer, Tuple2<Long, byte[]>> digests = new HashMap<>();
      packed().forEach(t -> digests.put(t._1(), bucketDigest(List.of(t._2()))));
      return root(digests, salt);
    }

    /** (bucket, packed row hashes) for every non-empty bucket. */
    public List<Tuple2<Integer, byte[]>> packed() {
      List<Tuple2<Integer, byte[]>> out = new ArrayList<>();
      for (int b = 0; byBucket != null && b < BUCKETS; b++) {
        if (byBucket[b] != null) {
          out.add(new Tuple2<>(b, byBucket[b].toByteArray()));
        }
      }
      return out;
    }
  }

  /**
   * Packed row hashes of one bucket, from any number of tasks: (rows, digest of the sorted hashes).
   * The hashes are sorted in place in one array ({@link ByteArrays#sortedOrder}), not as one object
   * each.
   */
  public static Tuple2<Long, byte[]> bucketDigest(Iterable<byte[]> packed) {
    List<byte[]> chunks = new ArrayList<>();
    int bytes = 0;
    for (byte[] chunk : packed) {
      chunks.add(chunk);
      bytes = Math.addExact(bytes, chunk.length);
    }
    byte[] flat = new byte[bytes];
    int at = 0;
    for (byte[] chunk : chunks) {
      System.arraycopy(chunk, 0, flat, at, chunk.length);
      at += chunk.length;
    }
    int count = bytes / HASH_BYTES;
    MessageDigest md = Sha256.newDigest();
    for (int i : ByteArrays.sortedOrder(flat, HASH_BYTES, count)) {
      md.update(flat, i * HASH_BYTES, HASH_BYTES);
    }
    return new Tuple2<>((long) count, md.digest());
  }

  /** The commitment from every non-empty bucket's {@link #bucketDigest} (bucket 0..255). */
  public static Commitment root(Map<Integer, Tuple2<Long, byte[]>> buckets, byte[] salt) {
    MessageDigest root = Sha256.newDigest();
    root.update(ALGORITHM.getBytes(StandardCharsets.UTF_8));
    byte[] empty = Sha256.newDigest().digest();
    long count = 0;
    for (int b = 0; b < BUCKETS; b++) {
      Tuple2<Long, byte[]> d = buckets.get(b);
      root.update(d == null ? empty : d._2());
      count += d == null ? 0 : d._1();
    }
    return new Commitment(count, HexFormat.of().formatHex(root.digest()), HexFormat.of().formatHex(salt));
  }

  static byte[] rowHash(byte[] salt, Row row) {
    return rowHash(salt, row, row.length());
  }

  private static byte[] rowHash(byte[] salt, Row row, int columns) {
    return ROW_ENCODER.get().hash(salt, row, columns);
  }

  private static final ThreadLocal<RowEncoder> ROW_ENCODER = ThreadLocal.withInitial(RowEncoder::new);

  /**
   * The canonical row encoding of the class comment, written into one reused buffer and hashed in
   * one call with a reused digest: {@code salt}, then per column {@code 0x00} for NULL, else {@code
   * 0x01}, the 4-byte big-endian length and the value's bytes (a binary value as it is, a decimal
   * in plain notation, anything else as {@code String.valueOf}, in UTF-8). Integers are written as
   * their decimal digits directly, the bytes {@code String.valueOf} gives. One per thread.
   */
  private static final class RowEncoder {
    private static final int MAX_KEPT_BYTES = 1 << 20;
    private final MessageDigest md = Sha256.newDigest();
    private byte[] buf = new byte[256];
    private int len;

    byte[] hash(byte[] salt, Row row, int columns) {
      len = 0;
      put(salt);
      for (int i = 0; i < columns; i++) {
        Object v = row.get(i);
        if (v == null) {
          room(1);
          buf[len++] = 0;
        } else if (v instanceof String str) {
          value(str.getBytes(StandardCharsets.UTF_8));
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
          decimal(((Number) v).longValue());
        } else if (v instanceof byte[] raw) {
          value(raw);
        } else if (v instanceof BigDecimal d) {
          value(d.toPlainString().getBytes(StandardCharsets.UTF_8));
        } else {
          value(String.valueOf(v).getBytes(StandardCharsets.UTF_8));
        }
      }
      md.update(buf, 0, len);
      if (buf.length > MAX_KEPT_BYTES) {
        buf = new byte[256]; // a huge row's buffer is not kept for the thread's lifetime
      }
      return md.digest();
    }

    private void value(byte[] b) {
      header(b.length);
      put(b);
    }

    private void header(int length) {
      room(5);
      buf[len] = 1;
      buf[len + 1] = (byte) (length >>> 24);
      buf[len + 2] = (byte) (length >>> 16);
      buf[len + 3] = (byte) (length >>> 8);
      buf[len + 4] = (byte) length;
      len += 5;
    }

    private void put(byte[] b) {
      room(b.length);
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
    }

    /** {@code String.valueOf(n)} in ASCII, with its header. */
    private void decimal(long n) {
      if (n == Long.MIN_VALUE) {
        value(Long.toString(n).getBytes(StandardCharsets.US_ASCII));
        return;
      }
      long m = Math.abs(n);
      int digits = 1;
      for (long t = m; t >= 10; t /= 10) {
        digits++;
      }
      int length = digits + (n < 0 ? 1 : 0);
      header(length);
      room(length);
      int at = len + length;
      do {
        buf[--at] = (byte) ('0' + (int) (m % 10));
        m /= 10;
      } while (m != 0);
      if (n < 0) {
        buf[--at] = '-';
      }
      len += length;
    }

    private void room(int more) {
      if (len + more > buf.length) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
      }
    }
  }
}
