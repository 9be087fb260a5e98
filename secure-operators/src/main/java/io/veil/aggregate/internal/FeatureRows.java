package io.veil.aggregate.internal;

import io.veil.crypto.Sha256;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.psi.KeyNormalization;
import io.veil.spark.DatasetCommitment;
import io.veil.spark.PackedShuffle;
import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/** Executor side of feature aggregation: row encoding, alignment digest, and cutting into blocks. */
public final class FeatureRows {
  public static final int OK = 0;
  public static final int NULL_KEY = 1;
  public static final int NULL_VALUE = 2;
  public static final int OUT_OF_RANGE = 3;
  public static final int INEXACT = 4;

  private FeatureRows() {}

  /**
   * One encoded input row. {@code sortKey} is the normalised key encoding read as ISO-8859-1, so
   * that string order is unsigned byte order: every party sorts the same keys the same way. A
   * plain class, not a record (Kryo).
   */
  public static class Encoded implements Serializable {
    private static final long serialVersionUID = 1L;
    public String sortKey;
    public String[] keyText;
    public long[] values;
    public int problem;
    /** The input row's commitment hash (all its columns), until the tally pass has used it. */
    public byte[] rowHash;

    /** For Kryo, and for operators that extend the row with their own values (vfl's rows). */
    public Encoded() {}

    Encoded(String sortKey, String[] keyText, long[] values, int problem) {
      this.sortKey = sortKey;
      this.keyText = keyText;
      this.values = values;
      this.problem = problem;
    }
  }

  /**
   * Encodes Spark's internal rows of (the input's {@code committed} columns..., key columns as
   * strings..., value columns...), each with its commitment hash over the input's columns.
   */
  public static final class Encode implements Function<InternalRow, Encoded> {
    private static final long serialVersionUID = 1L;
    private final KeyNormalization normalization;
    private final int keys;
    private final FixedPoint format;
    private final boolean keepKeyText;
    private final DatasetCommitment.Hasher hasher;
    private final int committed;
    private final DataType[] valueTypes;

    /**
     * @param schema the rows' schema
     * @param hasher hashes the committed columns of internal rows ({@link DatasetCommitment.Hasher#internal})
     */
    public Encode(KeyNormalization normalization, int keys, FixedPoint format, boolean keepKeyText,
        DatasetCommitment.Hasher hasher, StructType schema, int committed) {
      this.normalization = normalization;
      this.keys = keys;
      this.format = format;
      this.keepKeyText = keepKeyText;
      this.hasher = hasher;
      this.committed = committed;
      this.valueTypes = Arrays.stream(schema.fields()).skip(committed + keys).map(StructField::dataType)
          .toArray(DataType[]::new);
    }

    @Override
    public Encoded call(InternalRow row) {
      Encoded e = encode(row);
      e.rowHash = hasher.hash(row);
      return e;
    }

    private Encoded encode(InternalRow row) {
      Object[] keyCells = new Object[keys];
      for (int i = 0; i < keys; i++) {
        keyCells[i] = row.isNullAt(committed + i) ? null : row.getUTF8String(committed + i).toString();
      }
      byte[] key = normalization.encode(org.apache.spark.sql.RowFactory.create(keyCells));
      if (key == null) {
        return new Encoded(null, null, null, NULL_KEY);
      }
      long[] values = new long[valueTypes.length];
      for (int j = 0; j < values.length; j++) {
        int at = committed + keys + j;
        if (row.isNullAt(at)) {
          return new Encoded(null, null, null, NULL_VALUE);
        }
        int status = tryEncode(format, row, at, valueTypes[j], values, j);
        if (status != FixedPoint.ENCODED) {
          return new Encoded(null, null, null, status == FixedPoint.OUT_OF_RANGE ? OUT_OF_RANGE : INEXACT);
        }
      }
      String[] text = null;
      if (keepKeyText) {
        text = new String[keys];
        for (int i = 0; i < keys; i++) {
          text[i] = (String) keyCells[i];
        }
      }
      return new Encoded(new String(key, StandardCharsets.ISO_8859_1), text, values, OK);
    }
  }

  /**
   * {@link FixedPoint#tryEncode} of a numeric cell (not null) of an internal row: integers, doubles
   * and floats read unboxed (eight boxes a row at the features' default width, millions per task).
   */
  static int tryEncode(FixedPoint format, InternalRow row, int i, DataType type, long[] out, int at) {
    if (type instanceof LongType) {
      return format.tryEncodeLong(row.getLong(i), out, at);
    } else if (type instanceof IntegerType) {
      return format.tryEncodeLong(row.getInt(i), out, at);
    } else if (type instanceof DoubleType) {
      return format.tryEncodeDouble(row.getDouble(i), out, at);
    } else if (type instanceof FloatType) {
      return format.tryEncodeDouble(row.getFloat(i), out, at);
    } else if (type instanceof ShortType) {
      return format.tryEncodeLong(row.getShort(i), out, at);
    } else if (type instanceof ByteType) {
      return format.tryEncodeLong(row.getByte(i), out, at);
    }
    return format.tryEncode(number(row, i, type), out, at);
  }

  /** A numeric cell (not null) as the boxed Java number a Row holds: a decimal as a {@code BigDecimal}. */
  static Object number(InternalRow row, int i, DataType type) {
    return type instanceof DecimalType d ? row.getDecimal(i, d.precision(), d.scale()).toJavaBigDecimal()
        : row.get(i, type);
  }

  /**
   * Order-independent digest of a key set: the sum mod 2^256 of SHA-256("veil-fa-align/v1|" job
   * "|" key) over the keys. Equal at two parties iff (up to collisions) they hold the same keys,
   * whatever their partitioning. Anyone who knows the job id can compute it for a guessed key set, so
   * it only travels sealed for the other parties.
   */
  public static BigInteger keyDigest(String jobId, String sortKey) {
    byte[] h = Sha256.hash(("veil-fa-align/v1|" + jobId + "|" + sortKey).getBytes(StandardCharsets.ISO_8859_1));
    return new BigInteger(1, h);
  }

  /** A key-set digest as 32 big-endian bytes. */
  public static byte[] digestBytes(BigInteger digest) {
    byte[] b = digest.toByteArray();
    byte[] out = new byte[32];
    int n = Math.min(b.length, 32);
    System.arraycopy(b, b.length - n, out, 32 - n, n);
    return out;
  }

  public static BigInteger addDigests(BigInteger a, BigInteger b) {
    return a.add(b).mod(BigInteger.ONE.shiftLeft(256));
  }

  /**
   * The sum of {@link #keyDigest} over many keys, {@link #addDigests} without a {@code BigInteger}
   * or a new digest per key: one reused SHA-256 and four 64-bit limbs with carries (a million keys
   * in a fresh JVM: 0.46 s of CPU against 2.71 s the other way, {@code InputScanBench}).
   */
  public static final class KeyDigestSum {
    private static final VarHandle BIG_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class,
        ByteOrder.BIG_ENDIAN);
    private final MessageDigest sha = Sha256.newDigest();
    private final byte[] prefix;
    private final long[] limbs = new long[4]; // most significant first, as the hash's bytes

    public KeyDigestSum(String jobId) {
      prefix = ("veil-fa-align/v1|" + jobId + "|").getBytes(StandardCharsets.ISO_8859_1);
    }

    public void add(String sortKey) {
      sha.update(prefix);
      sha.update(sortKey.getBytes(StandardCharsets.ISO_8859_1));
      addInto(limbs, sha.digest());
    }

    /** {@code limbs += h} mod 2^256, both big-endian (limbs most significant first). */
    static void addInto(long[] limbs, byte[] h) {
      long carry = 0;
      for (int i = 3; i >= 0; i--) {
        long a = limbs[i];
        long s = a + (long) BIG_ENDIAN_LONG.get(h, 8 * i);
        long t = s + carry;
        carry = (Long.compareUnsigned(s, a) < 0 || Long.compareUnsigned(t, s) < 0) ? 1 : 0;
        limbs[i] = t;
      } // the carry out of the top limb is the reduction mod 2^256
    }

    public BigInteger value() {
      byte[] b = new byte[32];
      for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 8; j++) {
          b[8 * i + j] = (byte) (limbs[i] >>> (56 - 8 * j));
        }
      }
      return new BigInteger(1, b);
    }
  }

  /** Sends row rank {@code r} to data-plane partition {@code (r / rowsPerBlock) mod P}. */
  public static final class BlockPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;
    private final int rowsPerBlock;

    public BlockPartitioner(int partitions, int rowsPerBlock) {
      this.partitions = partitions;
      this.rowsPerBlock = rowsPerBlock;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object rank) {
      return (int) ((((Long) rank) / rowsPerBlock) % partitions);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof BlockPartitioner b && b.partitions == partitions && b.rowsPerBlock == rowsPerBlock;
    }

    @Override
    public int hashCode() {
      return 31 * partitions + rowsPerBlock;
    }
  }

  /** Natural order of ranks, serializable. */
  public static final class RankOrder implements Comparator<Long>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(Long a, Long b) {
      return Long.compare(a, b);
    }
  }

  /**
   * One pass over the encoded rows: row count, problems by kind (a row's {@code problem}, 0 for none,
   * at most {@link #INEXACT}: operators extending {@link Encoded} number theirs alike), and the
   * key-set digest. Plain class (Kryo).
   */
  public static final class Tally implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Key of the tally among the commitment buckets. */
    public static final int TALLY = -1;
    public long rows;
    public long[] problems = new long[INEXACT + 1];
    public BigInteger digest = BigInteger.ZERO;

    /**
     * Tallies one partition: its {@link Tally} under key {@link #TALLY} and its row hashes packed
     * per commitment bucket under {@link CommittedScan#bucketKey}; merge with {@link #merge(Object,
     * Object)}.
     */
    public static Iterator<Tuple2<Integer, Object>> of(String jobId, DatasetCommitment.Hasher hasher,
        Iterator<? extends Encoded> rows) {
      Tally t = new Tally();
      DatasetCommitment.Hasher h = hasher.fresh();
      KeyDigestSum keys = new KeyDigestSum(jobId);
      while (rows.hasNext()) {
        Encoded e = rows.next();
        t.rows++;
        t.problems[e.problem]++;
        h.addHash(e.rowHash);
        if (e.problem == OK) {
          keys.add(e.sortKey);
        }
      }
      t.digest = keys.value();
      List<Tuple2<Integer, Object>> out = new ArrayList<>();
      out.add(new Tuple2<>(TALLY, t));
      h.packed().forEach(b -> out.add(new Tuple2<>(CommittedScan.bucketKey(b._1()), b._2())));
      return out.iterator();
    }

    /** Merges two values of one key: tallies, or packed row hashes. */
    public static Object merge(Object a, Object b) {
      return a instanceof Tally x ? merge(x, (Tally) b) : CommittedScan.merge(a, b);
    }

    public static Tally merge(Tally a, Tally b) {
      Tally t = new Tally();
      t.rows = a.rows + b.rows;
      for (int i = 0; i < t.problems.length; i++) {
        t.problems[i] = a.problems[i] + b.problems[i];
      }
      t.digest = addDigests(a.digest, b.digest);
      return t;
    }
  }

  /**
   * One key-sorted partition, packed: its rows' values (row-major) and, at the result party, keys;
   * with what the driver needs to rank the rows (count) and to find repeated keys (adjacent equal
   * keys, first and last key). Plain class (Kryo).
   */
  public static final class Chunk implements Serializable {
    private static final long serialVersionUID = 1L;
    public int partition;
    public int rows;
    public long repeats;
    public String firstKey;
    public String lastKey;
    public long[] values;
    public KeyTexts keys;

    /** The same chunk without its rows, for the driver. */
    public Chunk summary() {
      Chunk c = new Chunk();
      c.partition = partition;
      c.rows = rows;
      c.repeats = repeats;
      c.firstKey = firstKey;
      c.lastKey = lastKey;
      return c;
    }
  }

  /**
   * One task's encoded rows, packed per sorted partition ({@code ranges}, Spark's range partitioner
   * of the sort keys) for the sort's shuffle ({@link PackedShuffle}): each record is the sort key
   * (ISO-8859-1), the values and, when kept, the key texts. {@link #unpackSorted} reads them back.
   */
  public static final class PackForSort implements PairFlatMapFunction<Iterator<Encoded>, Integer, byte[]> {
    private static final long serialVersionUID = 1L;
    private final Partitioner ranges;
    private final int dims;
    private final boolean keepKeys;

    public PackForSort(Partitioner ranges, int dims, boolean keepKeys) {
      this.ranges = ranges;
      this.dims = dims;
      this.keepKeys = keepKeys;
    }

    @Override
    public Iterator<Tuple2<Integer, byte[]>> call(Iterator<Encoded> rows) {
      return PackedShuffle.pack(rows, ranges.numPartitions(), e -> ranges.getPartition(e.sortKey), this::record);
    }

    private byte[] record(Encoded e) {
      byte[] key = e.sortKey.getBytes(StandardCharsets.ISO_8859_1);
      byte[][] texts = new byte[keepKeys ? e.keyText.length : 0][];
      int size = 4 + key.length + 8 * dims + (keepKeys ? 4 : 0);
      for (int i = 0; i < texts.length; i++) {
        texts[i] = e.keyText[i] == null ? null : e.keyText[i].getBytes(StandardCharsets.UTF_8);
        size += 4 + (texts[i] == null ? 0 : texts[i].length);
      }
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(size);
      b.putInt(key.length).put(key);
      for (int j = 0; j < dims; j++) {
        b.putLong(e.values[j]);
      }
      if (keepKeys) {
        b.putInt(texts.length);
        for (byte[] t : texts) {
          if (t == null) {
            b.putInt(-1);
          } else {
            b.putInt(t.length).put(t);
          }
        }
      }
      return b.array();
    }
  }

  /**
   * The rows of one sorted partition ({@link PackForSort}'s chunks from every task), unpacked and in
   * ascending order of sort key (unsigned byte order, as {@code String} compares ISO-8859-1), as
   * (sort key, row without it) for {@link ToChunk}.
   */
  public static Iterator<Tuple2<String, Encoded>> unpackSorted(Iterator<Tuple2<Integer, byte[]>> chunks, int dims,
      boolean keepKeys) {
    List<Tuple2<String, Encoded>> rows = new ArrayList<>();
    PackedShuffle.forEachRecord(chunks, (c, off, len) -> {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(c, off, len);
      int n = b.getInt();
      String key = new String(c, b.position(), n, StandardCharsets.ISO_8859_1);
      b.position(b.position() + n);
      long[] values = new long[dims];
      for (int j = 0; j < dims; j++) {
        values[j] = b.getLong();
      }
      String[] text = null;
      if (keepKeys) {
        text = new String[b.getInt()];
        for (int i = 0; i < text.length; i++) {
          int t = b.getInt();
          if (t >= 0) {
            text[i] = new String(c, b.position(), t, StandardCharsets.UTF_8);
            b.position(b.position() + t);
          }
        }
      }
      rows.add(new Tuple2<>(key, new Encoded(null, text, values, OK)));
    });
    rows.sort(Comparator.comparing(Tuple2::_1));
    return rows.iterator();
  }

  /** Packs each key-sorted partition into one {@link Chunk}. */
  public static final class ToChunk implements Function2<Integer, Iterator<Tuple2<String, Encoded>>, Iterator<Chunk>> {
    private static final long serialVersionUID = 1L;
    private final int dims;
    private final boolean keepKeys;

    public ToChunk(int dims, boolean keepKeys) {
      this.dims = dims;
      this.keepKeys = keepKeys;
    }

    @Override
    public Iterator<Chunk> call(Integer partition, Iterator<Tuple2<String, Encoded>> rows) {
      Chunk c = new Chunk();
      c.partition = partition;
      long[] values = new long[1024 * dims];
      KeyTexts.Builder keys = null;
      String previous = null;
      while (rows.hasNext()) {
        Tuple2<String, Encoded> t = rows.next();
        if (previous == null) {
          c.firstKey = t._1();
        } else if (previous.equals(t._1())) {
          c.repeats++;
        }
        previous = t._1();
        if ((long) (c.rows + 1) * dims > values.length) {
          values = Arrays.copyOf(values, Math.toIntExact(Math.min(Integer.MAX_VALUE - 8, 2L * values.length)));
        }
        System.arraycopy(t._2().values, 0, values, c.rows * dims, dims);
        if (keepKeys) {
          keys = keys != null ? keys : new KeyTexts.Builder(t._2().keyText.length);
          keys.add(t._2().keyText);
        }
        c.rows++;
      }
      c.lastKey = previous;
      c.values = Arrays.copyOf(values, c.rows * dims);
      c.keys = keys != null ? keys.build() : null;
      return List.of(c).iterator();
    }
  }

  /**
   * Cuts a chunk at global block boundaries ({@code rowsPerBlock} rows each): one piece per block it
   * overlaps, keyed by the global rank of the piece's first row. {@code offsets[p]} is the rank of
   * partition {@code p}'s first row.
   */
  public static final class Cut implements PairFlatMapFunction<Chunk, Long, VectorBlock> {
    private static final long serialVersionUID = 1L;
    private final long[] offsets;
    private final int rowsPerBlock;
    private final int dims;

    public Cut(long[] offsets, int rowsPerBlock, int dims) {
      this.offsets = offsets;
      this.rowsPerBlock = rowsPerBlock;
      this.dims = dims;
    }

    @Override
    public Iterator<Tuple2<Long, VectorBlock>> call(Chunk c) {
      List<Tuple2<Long, VectorBlock>> out = new ArrayList<>();
      int at = 0;
      while (at < c.rows) {
        long rank = offsets[c.partition] + at;
        int n = (int) Math.min(c.rows - at, rowsPerBlock - rank % rowsPerBlock);
        long[] values = Arrays.copyOfRange(c.values, at * dims, (at + n) * dims);
        KeyTexts keys = c.keys == null ? null : c.keys.slice(at, at + n);
        out.add(new Tuple2<>(rank, new VectorBlock(Math.toIntExact(rank / rowsPerBlock), values, keys)));
        at += n;
      }
      return out.iterator();
    }
  }

  /** Joins the pieces of each block, sorted by the rank of their first row, into whole blocks. */
  public static final class Join implements FlatMapFunction<Iterator<Tuple2<Long, VectorBlock>>, VectorBlock> {
    private static final long serialVersionUID = 1L;

    @Override
    public Iterator<VectorBlock> call(Iterator<Tuple2<Long, VectorBlock>> pieces) {
      List<VectorBlock> out = new ArrayList<>();
      List<VectorBlock> current = new ArrayList<>();
      while (pieces.hasNext()) {
        VectorBlock piece = pieces.next()._2();
        if (!current.isEmpty() && current.get(0).index() != piece.index()) {
          out.add(join(current));
          current.clear();
        }
        current.add(piece);
      }
      if (!current.isEmpty()) {
        out.add(join(current));
      }
      return out.iterator();
    }

    private static VectorBlock join(List<VectorBlock> pieces) {
      if (pieces.size() == 1) {
        return pieces.get(0);
      }
      long[] values = new long[pieces.stream().mapToInt(p -> p.values().length).sum()];
      int at = 0;
      for (VectorBlock p : pieces) {
        System.arraycopy(p.values(), 0, values, at, p.values().length);
        at += p.values().length;
      }
      return new VectorBlock(pieces.get(0).index(), values, pieces.get(0).keys() == null ? null
          : KeyTexts.concat(pieces.stream().map(VectorBlock::keys).toList()));
    }
  }
}
