package io.veil.spark;

import io.veil.crypto.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Tuple2;

/**
 * A binding, order-independent commitment to a table: every row is encoded canonically and hashed
 * with a salt (SHA-256(salt | row)); row hashes are spread over 256 buckets by their first byte;
 * each bucket's sorted hashes are hashed; the root is SHA-256 over the algorithm's name and the
 * 256 bucket digests. The same rows in any order and any partitioning give the same root; any
 * added, removed or changed row changes it. Computed by executors; the driver only collects 256
 * digests.
 *
 * <p>Without the salt the root reveals nothing useful about the rows (it is a hash of salted
 * hashes); with the salt and the table, anyone can recompute it ({@code veil verify}).
 *
 * <p><b>Row encoding.</b> The salt, then per column {@code 0x00} for NULL, else {@code 0x01}, the
 * 4-byte big-endian length and the value's bytes. {@value #ALGORITHM}, written into every new
 * receipt, takes a value's bytes from the value alone, whatever the JVM, its version or its time
 * zone:
 *
 * <ul>
 *   <li>a string in UTF-8; a binary value as it is; an integer as its decimal digits; a decimal in
 *       plain notation ({@link BigDecimal#toPlainString}); a boolean as {@code true} or {@code false};
 *   <li>a double (float) as its IEEE-754 bits, 8 (4) bytes big-endian, NaN as the canonical NaN;
 *   <li>a timestamp ({@code java.sql.Timestamp} or {@code Instant}) as Spark holds it, microseconds
 *       since the epoch (8 bytes; Spark's conversion to {@code java.sql.Timestamp} moves a timestamp
 *       before 1582 with the JVM's time zone, and is undone); a date ({@code java.sql.Date} or {@code
 *       LocalDate}) as its epoch day (8 bytes);
 *   <li>a struct, as its fields encoded as columns are; an array, as its elements in order; a map,
 *       as its entries (key, then value, each encoded as a column) in the unsigned order of their
 *       encodings, so a map's iteration order does not matter;
 *   <li>anything else as {@code String.valueOf}, in UTF-8.
 * </ul>
 *
 * <p>{@value #ALGORITHM_V1}, the first algorithm, wrote every value that is not a string, binary,
 * integer or decimal as {@code String.valueOf}: a double's text changed with JDK 19 (JDK-4511638,
 * {@code 1.0E23} was {@code 9.999999999999999E22}), a timestamp's follows the JVM's time zone and a
 * nested value's the Scala version, so a verifier on another JVM could fail to recompute a root.
 * Receipts that name it are still verified with it ({@link #compute(Dataset, byte[], String)}).
 */
public final class DatasetCommitment {
  /** The algorithm of every new commitment; receipts name it. */
  public static final String ALGORITHM = "veil-rowset-sha256/v2";
  /** The first algorithm (see the class comment), still recomputed for receipts that name it. */
  public static final String ALGORITHM_V1 = "veil-rowset-sha256/v1";
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

  /** The commitment to {@code table} under {@link #ALGORITHM}. */
  public static Commitment compute(Dataset<Row> table, byte[] salt) {
    return compute(table, salt, ALGORITHM);
  }

  /** Whether this build recomputes commitments of {@code algorithm} ({@link #ALGORITHM} or {@link #ALGORITHM_V1}). */
  public static boolean known(String algorithm) {
    return ALGORITHM.equals(algorithm) || ALGORITHM_V1.equals(algorithm);
  }

  /** The algorithms this build recomputes, newest first, as messages name them: "v2, v1". */
  public static String knownAlgorithms() {
    return ALGORITHM + ", " + ALGORITHM_V1;
  }

  /**
   * The commitment to {@code table} under {@code algorithm}, as a receipt names it.
   *
   * @throws IllegalArgumentException for an algorithm this build does not know ({@link #known})
   */
  public static Commitment compute(Dataset<Row> table, byte[] salt, String algorithm) {
    Hasher hasher = new Hasher(salt, -1, algorithm);
    // Each task hashes its rows and ships one packed array of 32-byte hashes per bucket, not one
    // record per row. Under v2, Spark's internal rows are hashed as they are, without making a Row
    // of each (the same hashes, see Hasher#internal).
    Hasher internal = hasher.v1 ? null : hasher.internal(table.schema());
    JavaPairRDD<Integer, byte[]> packed = hasher.v1
        ? table.javaRDD().mapPartitionsToPair(rows -> packTask(hasher, rows, Hasher::add))
        : table.queryExecution().toRdd().toJavaRDD().mapPartitionsToPair(rows -> packTask(internal, rows, Hasher::add));
    // At most 16 tasks for the 256 buckets; a small table (a report) needs no more than it has.
    int reducers = Math.max(1, Math.min(16, packed.getNumPartitions()));
    List<Tuple2<Integer, Tuple2<Long, byte[]>>> buckets = packed.groupByKey(reducers)
        .mapToPair(b -> new Tuple2<>(b._1(), bucketDigest(b._2()))).collect();
    Map<Integer, Tuple2<Long, byte[]>> digests = new HashMap<>();
    buckets.forEach(b -> digests.put(b._1(), b._2()));
    return root(digests, salt, algorithm);
  }

  /** One task's rows hashed into packed per-bucket arrays ({@link Hasher#packed}). */
  private static <T> Iterator<Tuple2<Integer, byte[]>> packTask(Hasher hasher, Iterator<T> rows,
      BiConsumer<Hasher, T> add) {
    Hasher h = hasher.fresh();
    rows.forEachRemaining(r -> add.accept(h, r));
    return h.packed().iterator();
  }

  /**
   * Hashes the rows of one task into packed per-bucket arrays of 32-byte row hashes. Serializable
   * with its salt; {@link #fresh()} gives each task its own buffers.
   */
  public static final class Hasher implements Serializable {
    private static final long serialVersionUID = 1L;
    private final byte[] salt;
    private final int columns;
    private final boolean v1;
    private final InternalCells cells; // null: the hasher takes Rows only
    private transient ByteArrayOutputStream[] byBucket;

    /**
     * A hasher under {@link #ALGORITHM}.
     *
     * @param salt the commitment's salt
     * @param columns how many leading columns of each row are committed (-1: all)
     */
    public Hasher(byte[] salt, int columns) {
      this(salt, columns, ALGORITHM);
    }

    private Hasher(byte[] salt, int columns, String algorithm) {
      this(salt, columns, algorithm, null);
    }

    private Hasher(byte[] salt, int columns, String algorithm, InternalCells cells) {
      if (!known(algorithm)) {
        throw new IllegalArgumentException("commitment algorithm '" + algorithm + "' is not one this build of Veil "
            + "recomputes (" + knownAlgorithms() + "); verify with the Veil release that wrote it");
      }
      this.salt = salt.clone();
      this.columns = columns;
      this.v1 = ALGORITHM_V1.equals(algorithm);
      this.cells = cells;
    }

    private String algorithm() {
      return v1 ? ALGORITHM_V1 : ALGORITHM;
    }

    /** A hasher with the same salt and algorithm and empty buffers. */
    public Hasher fresh() {
      return new Hasher(salt, columns, algorithm(), cells == null ? null : cells.fresh());
    }

    /**
     * This hasher for Spark's internal rows of {@code schema} ({@code Dataset.queryExecution().toRdd()}),
     * which it hashes to exactly the bytes {@link #hash(Row)} gives for the {@code Row} Spark would
     * make of each, without making it. Call on the driver, with the session that made the rows
     * active: its settings decide some of Spark's conversions ({@link InternalCells}).
     *
     * @throws IllegalStateException for {@link #ALGORITHM_V1}, which is recomputed from Rows only
     */
    public Hasher internal(StructType schema) {
      if (v1) {
        throw new IllegalStateException(ALGORITHM_V1 + " is recomputed from Rows only");
      }
      int n = columns < 0 ? schema.length() : columns;
      DataType[] types = new DataType[n];
      for (int i = 0; i < n; i++) {
        types[i] = schema.fields()[i].dataType();
      }
      return new Hasher(salt, columns, algorithm(), new InternalCells(types));
    }

    public void add(Row row) {
      addHash(hash(row));
    }

    /** Adds an internal row of the schema given to {@link #internal}. */
    public void add(InternalRow row) {
      addHash(hash(row));
    }

    /** The row's 32-byte hash (over the committed columns), without adding it. */
    public byte[] hash(Row row) {
      return ROW_ENCODER.get().hash(salt, row, columns < 0 ? row.length() : columns, v1);
    }

    /** An internal row's 32-byte hash: the same as {@link #hash(Row)} of its {@code Row}. */
    public byte[] hash(InternalRow row) {
      if (cells == null) {
        throw new IllegalStateException("this hasher takes Rows; make one for internal rows with internal(schema)");
      }
      return ROW_ENCODER.get().hash(salt, row, cells);
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
      return root(digests, salt, algorithm());
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

  /** The commitment under {@link #ALGORITHM} from every non-empty bucket's {@link #bucketDigest} (bucket 0..255). */
  public static Commitment root(Map<Integer, Tuple2<Long, byte[]>> buckets, byte[] salt) {
    return root(buckets, salt, ALGORITHM);
  }

  private static Commitment root(Map<Integer, Tuple2<Long, byte[]>> buckets, byte[] salt, String algorithm) {
    MessageDigest root = Sha256.newDigest();
    root.update(algorithm.getBytes(StandardCharsets.UTF_8));
    byte[] empty = Sha256.newDigest().digest();
    long count = 0;
    for (int b = 0; b < BUCKETS; b++) {
      Tuple2<Long, byte[]> d = buckets.get(b);
      root.update(d == null ? empty : d._2());
      count += d == null ? 0 : d._1();
    }
    return new Commitment(count, HexFormat.of().formatHex(root.digest()), HexFormat.of().formatHex(salt));
  }

  /** One row's hash under {@code algorithm} ({@link #known}), all columns. */
  static byte[] rowHash(byte[] salt, Row row, String algorithm) {
    return new Hasher(salt, -1, algorithm).hash(row);
  }

  private static final ThreadLocal<RowEncoder> ROW_ENCODER = ThreadLocal.withInitial(RowEncoder::new);

  /**
   * The canonical row encoding of the class comment, written into one reused buffer and hashed in
   * one call with a reused digest. Integers are written as their decimal digits directly, the bytes
   * {@code String.valueOf} gives. One per thread.
   */
  private static final class RowEncoder {
    private static final int MAX_KEPT_BYTES = 1 << 20;
    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);
    private final MessageDigest md = Sha256.newDigest();
    private byte[] buf = new byte[256];
    private int len;

    byte[] hash(byte[] salt, Row row, int columns, boolean v1) {
      len = 0;
      put(salt);
      for (int i = 0; i < columns; i++) {
        cell(row.get(i), v1);
      }
      return digest();
    }

    private byte[] digest() {
      md.update(buf, 0, len);
      if (buf.length > MAX_KEPT_BYTES) {
        buf = new byte[256]; // a huge row's buffer is not kept for the thread's lifetime
      }
      return md.digest();
    }

    byte[] hash(byte[] salt, InternalRow row, InternalCells cells) {
      len = 0;
      put(salt);
      for (int i = 0; i < cells.types.length; i++) {
        internalCell(row, i, cells);
      }
      return digest();
    }

    /** Cell {@code i} of an internal row, as {@link #cell} writes the value Spark converts it to. */
    private void internalCell(InternalRow row, int i, InternalCells cells) {
      if (row.isNullAt(i)) {
        room(1);
        buf[len++] = 0;
        return;
      }
      switch (cells.kinds[i]) {
        case InternalCells.STRING -> utf8(row.getUTF8String(i));
        case InternalCells.LONG -> decimal(row.getLong(i));
        case InternalCells.INT -> decimal(row.getInt(i));
        case InternalCells.SHORT -> decimal(row.getShort(i));
        case InternalCells.BYTE -> decimal(row.getByte(i));
        case InternalCells.BINARY -> value(row.getBinary(i));
        case InternalCells.DECIMAL -> {
          DecimalType t = (DecimalType) cells.types[i];
          plainDecimal(row.getDecimal(i, t.precision(), t.scale()));
        }
        case InternalCells.DOUBLE -> fixed(Double.doubleToLongBits(row.getDouble(i)), 8);
        case InternalCells.FLOAT -> fixed(Float.floatToIntBits(row.getFloat(i)), 4);
        case InternalCells.BOOLEAN -> value(row.getBoolean(i) ? TRUE : FALSE);
        case InternalCells.TIMESTAMP -> fixed(cells.timestampMicros(row.getLong(i)), 8);
        case InternalCells.DATE -> fixed(cells.epochDay(row.getInt(i)), 8);
        default -> cell(cells.external(i, row.get(i, cells.types[i])), false);
      }
    }

    /** A string's UTF-8 bytes as {@code String.getBytes} gives them from the string Spark makes of it. */
    private void utf8(UTF8String s) {
      int n = s.numBytes();
      header(n);
      room(n);
      s.writeToMemory(buf, Platform.BYTE_ARRAY_OFFSET + len);
      for (int j = len; j < len + n; j++) {
        if (buf[j] < 0) { // not ASCII: decoding replaces malformed bytes, so take the decoded string's
          len -= 5;
          value(s.toString().getBytes(StandardCharsets.UTF_8));
          return;
        }
      }
      len += n;
    }

    /** {@link BigDecimal#toPlainString} of a Spark decimal, from its unscaled long when it has one. */
    private void plainDecimal(Decimal d) {
      int scale = d.scale();
      if (d.precision() > Decimal.MAX_LONG_DIGITS() || scale < 0) {
        value(d.toJavaBigDecimal().toPlainString().getBytes(StandardCharsets.US_ASCII));
        return;
      }
      long unscaled = d.toUnscaledLong();
      long m = Math.abs(unscaled); // at most 18 digits: no overflow
      int digits = 1;
      for (long t = m; t >= 10; t /= 10) {
        digits++;
      }
      // toPlainString: [-] digits, with a point before the last `scale` of them and zeros in front
      // when there are not more digits than the scale ("0.05").
      int intDigits = Math.max(digits - scale, 1);
      int length = (unscaled < 0 ? 1 : 0) + intDigits + (scale > 0 ? 1 + scale : 0);
      header(length);
      room(length);
      int at = len + length;
      for (int k = 0; k < scale; k++) {
        buf[--at] = (byte) ('0' + (int) (m % 10));
        m /= 10;
      }
      if (scale > 0) {
        buf[--at] = '.';
      }
      for (int k = 0; k < intDigits; k++) {
        buf[--at] = (byte) ('0' + (int) (m % 10));
        m /= 10;
      }
      if (unscaled < 0) {
        buf[--at] = '-';
      }
      len += length;
    }

    private void cell(Object v, boolean v1) {
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
      } else if (v1) {
        value(String.valueOf(v).getBytes(StandardCharsets.UTF_8));
      } else if (v instanceof Double d) {
        fixed(Double.doubleToLongBits(d), 8);
      } else if (v instanceof Float f) {
        fixed(Float.floatToIntBits(f), 4);
      } else if (v instanceof java.sql.Timestamp t) { // before java.sql.Date: both are java.util.Dates
        // Spark's microseconds: it made t by rebasing them into this JVM's zone (before 1582, the
        // instant moves with the zone), and undoes that here.
        fixed(DateTimeUtils.fromJavaTimestamp(t), 8);
      } else if (v instanceof Instant t) {
        fixed(DateTimeUtils.instantToMicros(t), 8);
      } else if (v instanceof java.sql.Date d) {
        fixed(d.toLocalDate().toEpochDay(), 8);
      } else if (v instanceof LocalDate d) {
        fixed(d.toEpochDay(), 8);
      } else if (v instanceof Row r) {
        int at = open();
        for (int i = 0; i < r.length(); i++) {
          cell(r.get(i), false);
        }
        close(at);
      } else if (v instanceof scala.collection.Seq<?> seq) {
        int at = open();
        for (scala.collection.Iterator<?> it = seq.iterator(); it.hasNext(); ) {
          cell(it.next(), false);
        }
        close(at);
      } else if (v instanceof scala.collection.Map<?, ?> map) {
        int at = open();
        int from = len;
        List<int[]> entries = new ArrayList<>(); // each entry's encoding [start, end) in buf, to be sorted
        for (scala.collection.Iterator<?> it = map.iterator(); it.hasNext(); ) {
          Tuple2<?, ?> e = (Tuple2<?, ?>) it.next();
          int start = len;
          cell(e._1(), false);
          cell(e._2(), false);
          entries.add(new int[] {start, len});
        }
        byte[] written = java.util.Arrays.copyOfRange(buf, from, len);
        entries.sort((a, b) -> java.util.Arrays.compareUnsigned(written, a[0] - from, a[1] - from,
            written, b[0] - from, b[1] - from));
        len = from;
        for (int[] e : entries) {
          System.arraycopy(written, e[0] - from, buf, len, e[1] - e[0]);
          len += e[1] - e[0];
        }
        close(at);
      } else {
        value(String.valueOf(v).getBytes(StandardCharsets.UTF_8));
      }
    }

    /** A nested value's header, its length filled in by {@link #close}. */
    private int open() {
      header(0);
      return len - 4;
    }

    private void close(int lengthAt) {
      int length = len - lengthAt - 4;
      buf[lengthAt] = (byte) (length >>> 24);
      buf[lengthAt + 1] = (byte) (length >>> 16);
      buf[lengthAt + 2] = (byte) (length >>> 8);
      buf[lengthAt + 3] = (byte) length;
    }

    /** The low {@code bytes} bytes of {@code x}, big-endian, with their header. */
    private void fixed(long x, int bytes) {
      header(bytes);
      room(bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        buf[len++] = (byte) (x >>> (8 * i));
      }
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
