package io.veil.vfl.internal;

import io.veil.aggregate.internal.FeatureRows;
import io.veil.crypto.Sha256;
import io.veil.psi.KeyNormalization;
import io.veil.spark.DatasetCommitment;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.Tuple2;

/**
 * Executor side of the rows of a federated model: encoding and checking each input row, the
 * key-set digest of the alignment check, and the placement every party computes alike from a key
 * alone (its Spark partition, and whether it is held out for testing), so that partition {@code p}
 * holds the same keys in the same order at every party without any exchange.
 */
public final class VflRows {
  public static final int OK = FeatureRows.OK;
  public static final int NULL_KEY = FeatureRows.NULL_KEY;
  public static final int NULL_FEATURE = 2;
  public static final int NOT_FINITE = 3;
  /** The highest problem number: {@link FeatureRows.Tally} counts up to {@link FeatureRows#INEXACT}. */
  public static final int BAD_LABEL = FeatureRows.INEXACT;

  private VflRows() {}

  /** SHA-256 of the seed and the normalised key: bytes 0-7 place the row in the split, 8-15 in a partition. */
  private static ByteBuffer placement(long seed, String sortKey) {
    return ByteBuffer.wrap(Sha256.hash(("veil-vfl-rows/v1|" + seed + "|" + sortKey)
        .getBytes(StandardCharsets.ISO_8859_1)));
  }

  /**
   * Whether the row with this normalised key is held out for testing: the same at every party, and
   * reproducible by anyone holding the joined rows (the benchmark's centralised baseline uses it).
   */
  public static boolean isTest(long seed, double testFraction, String sortKey) {
    long h = placement(seed, sortKey).getLong(0);
    return (h >>> 11) * 0x1.0p-53 < testFraction;
  }

  /** The partition of the row with this normalised key. */
  public static int partition(long seed, int partitions, String sortKey) {
    return (int) Long.remainderUnsigned(placement(seed, sortKey).getLong(8), partitions);
  }

  /** The normalised key of a row's key cells, as the text every party sorts by (null for a NULL key). */
  public static String sortKey(KeyNormalization normalization, Object... keyCells) {
    byte[] key = normalization.encode(RowFactory.create(keyCells));
    return key == null ? null : new String(key, StandardCharsets.ISO_8859_1);
  }

  /**
   * One encoded input row: the normalised key, the key text (when kept), the problem found (0 for
   * none) and the row's commitment hash, as feature aggregation's rows, with the features, the label
   * and whether the row is held out. A plain class, not a record (Kryo).
   */
  public static final class Encoded extends FeatureRows.Encoded {
    private static final long serialVersionUID = 1L;
    public double[] x;
    public double y;
    public boolean test;

    /** This row without its commitment hash, for the shuffle that places it. */
    public Encoded withoutHash() {
      Encoded e = new Encoded();
      e.sortKey = sortKey;
      e.keyText = keyText;
      e.x = x;
      e.y = y;
      e.test = test;
      e.problem = problem;
      return e;
    }
  }

  /**
   * Encodes rows of (the input's {@code committed} columns..., key columns as text..., feature
   * columns as double..., [label as double]).
   */
  public static final class Encode implements Function<Row, Encoded> {
    private static final long serialVersionUID = 1L;
    private final KeyNormalization normalization;
    private final int keys;
    private final int features;
    private final boolean label;
    private final boolean keepKeys;
    private final DatasetCommitment.Hasher hasher;
    private final int committed;
    private final long seed;
    private final double testFraction;

    public Encode(KeyNormalization normalization, int keys, int features, boolean label, boolean keepKeys,
        DatasetCommitment.Hasher hasher, int committed, long seed, double testFraction) {
      this.normalization = normalization;
      this.keys = keys;
      this.features = features;
      this.label = label;
      this.keepKeys = keepKeys;
      this.hasher = hasher;
      this.committed = committed;
      this.seed = seed;
      this.testFraction = testFraction;
    }

    @Override
    public Encoded call(Row row) {
      Encoded e = encode(row);
      e.rowHash = hasher.hash(row);
      return e;
    }

    private Encoded encode(Row row) {
      Encoded e = new Encoded();
      Object[] keyCells = new Object[keys];
      for (int i = 0; i < keys; i++) {
        keyCells[i] = row.get(committed + i);
      }
      e.sortKey = sortKey(normalization, keyCells);
      if (e.sortKey == null) {
        e.problem = NULL_KEY;
        return e;
      }
      int at = committed + keys;
      e.x = new double[features];
      for (int j = 0; j < features; j++) {
        if (row.isNullAt(at + j)) {
          e.problem = NULL_FEATURE;
          return e;
        }
        e.x[j] = row.getDouble(at + j);
        if (!Double.isFinite(e.x[j])) {
          e.problem = NOT_FINITE;
          return e;
        }
      }
      if (label) {
        int l = at + features;
        e.y = row.isNullAt(l) ? Double.NaN : row.getDouble(l);
        if (e.y != 0 && e.y != 1) {
          e.problem = BAD_LABEL;
          return e;
        }
      }
      if (keepKeys) {
        e.keyText = new String[keys];
        for (int i = 0; i < keys; i++) {
          e.keyText[i] = row.getString(committed + i);
        }
      }
      e.test = isTest(seed, testFraction, e.sortKey);
      return e;
    }
  }

  /** Sends a normalised key to its {@link #partition}. */
  public static final class KeyPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final long seed;
    private final int partitions;

    public KeyPartitioner(long seed, int partitions) {
      this.seed = seed;
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object sortKey) {
      return partition(seed, partitions, (String) sortKey);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof KeyPartitioner k && k.seed == seed && k.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(seed) * 31 + partitions;
    }
  }

  /**
   * One partition's rows in key order, split into training and held-out rows: features row-major,
   * labels (at the label party), keys (when kept). Plain class (Kryo).
   */
  public static final class Part implements Serializable {
    private static final long serialVersionUID = 1L;
    public int partition;
    public int features;
    public int trainRows;
    public double[] trainX;
    public double[] trainY;
    public int testRows;
    public double[] testX;
    public double[] testY;
    public String[][] testKeys;
    /** Rows whose key equals the previous row's. */
    public long repeats;
  }

  /** Packs one key-sorted partition into a {@link Part}. */
  public static final class Pack implements Function2<Integer, Iterator<Tuple2<String, Encoded>>, Iterator<Part>> {
    private static final long serialVersionUID = 1L;
    private final int features;

    public Pack(int features) {
      this.features = features;
    }

    @Override
    public Iterator<Part> call(Integer partition, Iterator<Tuple2<String, Encoded>> rows) {
      List<Encoded> train = new ArrayList<>();
      List<Encoded> test = new ArrayList<>();
      Part p = new Part();
      p.partition = partition;
      p.features = features;
      String last = null;
      while (rows.hasNext()) {
        Encoded e = rows.next()._2();
        if (e.sortKey.equals(last)) {
          p.repeats++;
        }
        last = e.sortKey;
        (e.test ? test : train).add(e);
      }
      p.trainRows = train.size();
      p.trainX = new double[train.size() * features];
      p.trainY = new double[train.size()];
      for (int i = 0; i < train.size(); i++) {
        System.arraycopy(train.get(i).x, 0, p.trainX, i * features, features);
        p.trainY[i] = train.get(i).y;
      }
      p.testRows = test.size();
      p.testX = new double[test.size() * features];
      p.testY = new double[test.size()];
      p.testKeys = new String[test.size()][];
      for (int i = 0; i < test.size(); i++) {
        System.arraycopy(test.get(i).x, 0, p.testX, i * features, features);
        p.testY[i] = test.get(i).y;
        p.testKeys[i] = test.get(i).keyText;
      }
      return List.of(p).iterator();
    }
  }
}
