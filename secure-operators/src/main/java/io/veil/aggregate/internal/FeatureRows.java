package io.veil.aggregate.internal;

import io.veil.InvalidInputException;
import io.veil.crypto.Sha256;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.psi.KeyNormalization;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
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
  public static final class Encoded implements Serializable {
    private static final long serialVersionUID = 1L;
    public String sortKey;
    public String[] keyText;
    public long[] values;
    public int problem;

    Encoded() {}

    Encoded(String sortKey, String[] keyText, long[] values, int problem) {
      this.sortKey = sortKey;
      this.keyText = keyText;
      this.values = values;
      this.problem = problem;
    }
  }

  /** Encodes rows of (key columns as strings..., value columns...). */
  public static final class Encode implements FlatMapFunction<Iterator<Row>, Encoded> {
    private static final long serialVersionUID = 1L;
    private final KeyNormalization normalization;
    private final int keys;
    private final FixedPoint format;
    private final boolean keepKeyText;

    public Encode(KeyNormalization normalization, int keys, FixedPoint format, boolean keepKeyText) {
      this.normalization = normalization;
      this.keys = keys;
      this.format = format;
      this.keepKeyText = keepKeyText;
    }

    @Override
    public Iterator<Encoded> call(Iterator<Row> rows) {
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return rows.hasNext();
        }

        @Override
        public Encoded next() {
          return encode(rows.next());
        }
      };
    }

    private Encoded encode(Row row) {
      Object[] keyCells = new Object[keys];
      for (int i = 0; i < keys; i++) {
        keyCells[i] = row.get(i);
      }
      byte[] key = normalization.encode(org.apache.spark.sql.RowFactory.create(keyCells));
      if (key == null) {
        return new Encoded(null, null, null, NULL_KEY);
      }
      long[] values = new long[row.length() - keys];
      for (int j = 0; j < values.length; j++) {
        Object v = row.get(keys + j);
        if (v == null) {
          return new Encoded(null, null, null, NULL_VALUE);
        }
        BigDecimal d;
        if (v instanceof BigDecimal b) {
          d = b;
        } else if (v instanceof Double || v instanceof Float) {
          double x = ((Number) v).doubleValue();
          if (!Double.isFinite(x)) {
            return new Encoded(null, null, null, OUT_OF_RANGE);
          }
          d = BigDecimal.valueOf(x);
        } else {
          d = BigDecimal.valueOf(((Number) v).longValue());
        }
        if (d.abs().compareTo(format.maxAbs()) > 0) {
          return new Encoded(null, null, null, OUT_OF_RANGE);
        }
        try {
          values[j] = format.encode(d, "a feature column");
        } catch (InvalidInputException e) {
          return new Encoded(null, null, null, INEXACT);
        }
      }
      String[] text = null;
      if (keepKeyText) {
        text = new String[keys];
        for (int i = 0; i < keys; i++) {
          text[i] = row.getString(i);
        }
      }
      return new Encoded(new String(key, StandardCharsets.ISO_8859_1), text, values, OK);
    }
  }

  /**
   * Order-independent digest of a key set: the sum mod 2^256 of SHA-256("veil-fa-align/v1|" job
   * "|" key) over the keys. Equal at two parties iff (up to collisions) they hold the same keys,
   * whatever their partitioning.
   */
  public static BigInteger keyDigest(String jobId, String sortKey) {
    byte[] h = Sha256.hash(("veil-fa-align/v1|" + jobId + "|" + sortKey).getBytes(StandardCharsets.ISO_8859_1));
    return new BigInteger(1, h);
  }

  public static BigInteger addDigests(BigInteger a, BigInteger b) {
    return a.add(b).mod(BigInteger.ONE.shiftLeft(256));
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

  /** Cuts rank-sorted rows of one partition into blocks of {@code rowsPerBlock} rows x {@code dims} values. */
  public static final class ToBlocks implements FlatMapFunction<Iterator<Tuple2<Long, Encoded>>, VectorBlock> {
    private static final long serialVersionUID = 1L;
    private final int rowsPerBlock;
    private final int dims;
    private final boolean keepKeys;

    public ToBlocks(int rowsPerBlock, int dims, boolean keepKeys) {
      this.rowsPerBlock = rowsPerBlock;
      this.dims = dims;
      this.keepKeys = keepKeys;
    }

    @Override
    public Iterator<VectorBlock> call(Iterator<Tuple2<Long, Encoded>> rows) {
      List<VectorBlock> out = new ArrayList<>();
      List<Encoded> current = new ArrayList<>();
      long block = -1;
      while (rows.hasNext()) {
        Tuple2<Long, Encoded> t = rows.next();
        long b = t._1() / rowsPerBlock;
        if (b != block && !current.isEmpty()) {
          out.add(block(block, current));
          current.clear();
        }
        block = b;
        current.add(t._2());
      }
      if (!current.isEmpty()) {
        out.add(block(block, current));
      }
      return out.iterator();
    }

    private VectorBlock block(long index, List<Encoded> rows) {
      long[] values = new long[rows.size() * dims];
      String[][] keys = keepKeys ? new String[rows.size()][] : null;
      for (int i = 0; i < rows.size(); i++) {
        System.arraycopy(rows.get(i).values, 0, values, i * dims, dims);
        if (keepKeys) {
          keys[i] = rows.get(i).keyText;
        }
      }
      return new VectorBlock(Math.toIntExact(index), values, keys);
    }
  }
}
