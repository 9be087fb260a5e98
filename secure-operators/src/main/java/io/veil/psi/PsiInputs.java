package io.veil.psi;

import io.veil.InvalidInputException;
import io.veil.aggregate.internal.CommittedScan;
import io.veil.job.OperatorContext;
import io.veil.psi.internal.PsiProtocol;
import io.veil.spark.CachedTables;
import io.veil.spark.DatasetCommitment;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SizeEstimator;
import scala.Tuple2;

/** Checks a PSI input's schema before anything is read or sent, and reads it keyed. */
public final class PsiInputs {
  private PsiInputs() {}

  /**
   * {@code input} with column {@code keyColumn}: its key columns' string forms encoded under {@code
   * normalization} as PSI compares them, NULL where a key column is NULL. Lazy (nothing is read).
   */
  public static Dataset<Row> withKey(Dataset<Row> input, List<String> keyColumns, KeyNormalization normalization,
      String keyColumn) {
    Column[] keys = keyColumns.stream().map(k -> functions.col(k).cast("string")).toArray(Column[]::new);
    return input.withColumn(keyColumn, functions.udf((UDF1<Row, byte[]>) normalization::encode, DataTypes.BinaryType)
        .apply(functions.struct(keys)));
  }

  /**
   * A party's input with its key column ({@link #withKey}), its row counts, and its commitment, for
   * {@link OperatorContext#bindInput} once the operator has checked the input. The keyed rows are
   * either cached in Spark or, for a small input, held by the driver ({@link #isLocal()}).
   */
  public static final class Keyed {
    /** Driver-held rows are read by one task per this many bytes of them (in memory). */
    private static final long SLICE_BYTES = 64L << 20;
    private final SparkSession spark;
    private final StructType schema;
    private final List<Row> local;
    private final long inputRows;
    private final long nullKeyRows;
    private final DatasetCommitment.Commitment commitment;
    private Dataset<Row> withKey;

    private Keyed(SparkSession spark, Dataset<Row> withKey, StructType schema, List<Row> local, long inputRows,
        long nullKeyRows, DatasetCommitment.Commitment commitment) {
      this.spark = spark;
      this.withKey = withKey;
      this.schema = schema;
      this.local = local;
      this.inputRows = inputRows;
      this.nullKeyRows = nullKeyRows;
      this.commitment = commitment;
    }

    /** The input with its key column (the last one): cached in Spark, or made from the rows the driver holds. */
    public synchronized Dataset<Row> withKey() {
      if (withKey == null) {
        withKey = frame(local, schema);
      }
      return withKey;
    }

    /** Whether the input was small enough to read to the driver ({@link #localKeys}, {@link #localRowsWithKeyIn}). */
    public boolean isLocal() {
      return local != null;
    }

    /** The non-NULL keys of the rows held by the driver, duplicates included, in row order. */
    public List<byte[]> localKeys() {
      int k = schema.size() - 1;
      return requireLocal().stream().filter(r -> !r.isNullAt(k)).map(r -> (byte[]) r.get(k)).toList();
    }

    /** The input rows held by the driver whose key is in {@code keys}, without the key column. */
    public Dataset<Row> localRowsWithKeyIn(Set<ByteBuffer> keys) {
      int k = schema.size() - 1;
      List<Row> rows = new ArrayList<>();
      for (Row r : requireLocal()) {
        if (!r.isNullAt(k) && keys.contains(ByteBuffer.wrap((byte[]) r.get(k)))) {
          Object[] values = new Object[k];
          for (int i = 0; i < k; i++) {
            values[i] = r.get(i);
          }
          rows.add(RowFactory.create(values));
        }
      }
      return frame(rows, new StructType(Arrays.copyOf(schema.fields(), k)));
    }

    /**
     * Rows the driver holds as a DataFrame: broadcast, and read by one task per {@link #SLICE_BYTES}
     * of them (in memory), so that tasks stay small (a local relation would ship the rows inside one
     * task) and a small output is one file.
     */
    private Dataset<Row> frame(List<Row> rows, StructType of) {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Broadcast<List<Row>> held = jsc.broadcast(rows);
      int slices = (int) Math.max(1, Math.min(rows.size(), SizeEstimator.estimate(rows) / SLICE_BYTES));
      JavaRDD<Row> read = jsc.parallelize(java.util.stream.IntStream.range(0, slices).boxed().toList(), slices)
          .flatMap(i -> {
            List<Row> all = held.value();
            return all.subList((int) ((long) all.size() * i / slices), (int) ((long) all.size() * (i + 1) / slices))
                .iterator();
          });
      return spark.createDataFrame(read, of);
    }

    private List<Row> requireLocal() {
      if (local == null) {
        throw new IllegalStateException("the input was read in Spark, not to the driver");
      }
      return local;
    }

    public long inputRows() {
      return inputRows;
    }

    public long nullKeyRows() {
      return nullKeyRows;
    }

    public DatasetCommitment.Commitment commitment() {
      return commitment;
    }
  }

  /**
   * Reads the operator's input once: adds the key column ({@link #withKey}) and caches the result,
   * and in the same scan commits to the input's rows (the commitment {@link DatasetCommitment#compute}
   * makes of the input) and counts rows and NULL keys. With {@link OperatorContext#bindInput} in
   * place of {@link OperatorContext#commitAndBindInput} followed by a scan that keys the input: one
   * pass over the data and one cached copy instead of two of each.
   */
  public static Keyed commitWithKey(OperatorContext c, List<String> keyColumns, KeyNormalization normalization,
      String keyColumn) {
    return commitWithKey(c, keyColumns, normalization, keyColumn, 0, 0);
  }

  /**
   * {@link #commitWithKey(OperatorContext, List, KeyNormalization, String)}, but an input of at most
   * {@code localMaxRows} rows, which Spark estimates at no more than {@code localMaxBytes} (file
   * inputs: their size on disk; JDBC inputs have no estimate), is read to the driver in one Spark
   * job, then keyed and committed to there ({@link Keyed#isLocal()}): for a small input, one Spark
   * job instead of a cached copy, a scan and a shuffle. The commitment is the same either way.
   */
  public static Keyed commitWithKey(OperatorContext c, List<String> keyColumns, KeyNormalization normalization,
      String keyColumn, long localMaxRows, long localMaxBytes) {
    Dataset<Row> input = c.input().orElseThrow();
    c.beginStep(OperatorContext.STEP_INPUT, "reading, keying and committing to the input");
    if (localMaxRows > 0 && localMaxRows < Integer.MAX_VALUE
        && estimatedBytes(input).compareTo(BigInteger.valueOf(localMaxBytes)) <= 0) {
      Dataset<Row> keyed = withKey(input, keyColumns, normalization, keyColumn);
      List<Row> rows = keyed.limit((int) localMaxRows + 1).collectAsList();
      if (rows.size() <= localMaxRows) {
        return local(c.spark(), keyed.schema(), rows, input.schema().size(), c.inputCommitmentSalt());
      }
    }
    return scan(input, keyColumns, normalization, keyColumn, c.inputCommitmentSalt());
  }

  private static BigInteger estimatedBytes(Dataset<Row> input) {
    return input.queryExecution().optimizedPlan().stats().sizeInBytes().bigInteger();
  }

  /** The commitment and counts of keyed rows held by the driver (the key column follows the {@code committed} ones). */
  private static Keyed local(SparkSession spark, StructType schema, List<Row> rows, int committed, byte[] salt) {
    CommittedScan.requireSalt(salt);
    DatasetCommitment.Hasher h = new DatasetCommitment.Hasher(salt, committed);
    long nullKeys = 0;
    for (Row r : rows) {
      h.add(r);
      nullKeys += r.isNullAt(committed) ? 1 : 0;
    }
    return new Keyed(spark, null, schema, rows, rows.size(), nullKeys, h.commitment());
  }

  private static Keyed scan(Dataset<Row> input, List<String> keyColumns, KeyNormalization normalization,
      String keyColumn, byte[] salt) {
    int committed = input.schema().size();
    Dataset<Row> keyed = CachedTables.cached(withKey(input, keyColumns, normalization, keyColumn));
    DatasetCommitment.Hasher hasher = new DatasetCommitment.Hasher(salt, committed).internal(keyed.schema());
    CommittedScan.Collected scan = CommittedScan.collect(keyed.queryExecution().toRdd().toJavaRDD()
        .mapPartitionsToPair(rows -> {
          DatasetCommitment.Hasher h = hasher.fresh();
          long[] counts = new long[2]; // rows, rows with a NULL key
          rows.forEachRemaining(r -> {
            h.add(r);
            counts[0]++;
            counts[1] += r.isNullAt(committed) ? 1 : 0;
          });
          List<Tuple2<Integer, Object>> out = new ArrayList<>();
          out.add(new Tuple2<>(-1, counts));
          h.packed().forEach(t -> out.add(new Tuple2<>(CommittedScan.bucketKey(t._1()), t._2())));
          return out.iterator();
        }), CommittedScan::merge, salt);
    long[] counts = scan.entries().stream().map(t -> (long[]) t._2()).findFirst().orElse(new long[2]);
    return new Keyed(input.sparkSession(), keyed, keyed.schema(), null, counts[0], counts[1], scan.commitment());
  }

  /** Key column types whose string form is exact: strings, integers, scale-0 decimals, dates. */
  public static boolean isExactKeyType(DataType t) {
    return t.equals(DataTypes.StringType)
        || t.equals(DataTypes.ByteType)
        || t.equals(DataTypes.ShortType)
        || t.equals(DataTypes.IntegerType)
        || t.equals(DataTypes.LongType)
        || t.equals(DataTypes.DateType)
        || (t instanceof DecimalType d && d.scale() == 0);
  }

  /**
   * Fails with an {@link InvalidInputException} naming the column when a key column is missing or
   * of a type whose values cannot be compared exactly across parties.
   */
  public static void validate(StructType schema, List<String> keyColumns, String party) {
    validate(schema, keyColumns, party, "PSI");
  }

  /** {@link #validate(StructType, List, String)} for operator {@code operator} (named in messages). */
  public static void validate(StructType schema, List<String> keyColumns, String party, String operator) {
    List<String> names = Arrays.stream(schema.fields()).map(StructField::name).toList();
    if (names.contains(PsiProtocol.KEY_COLUMN)) {
      throw new InvalidInputException("Cannot run " + operator + " for " + party + ": the input has a column named '"
          + PsiProtocol.KEY_COLUMN + "', which Veil reserves. Rename that column.");
    }
    for (String k : keyColumns) {
      if (!names.contains(k)) {
        throw new InvalidInputException("Cannot run " + operator + " for " + party + ": key column '" + k
            + "' is not in the input (columns: " + String.join(", ", names)
            + "). Fix keyColumns in the spec or the input.");
      }
      DataType t = schema.apply(k).dataType();
      if (!isExactKeyType(t)) {
        throw new InvalidInputException("Cannot run " + operator + " for " + party + ": key column '" + k
            + "' has type " + t.simpleString() + ", whose values do not compare exactly across "
            + "parties. Use a string, integer, scale-0 decimal or date column (cast it in the input).");
      }
    }
    if (keyColumns.stream().distinct().count() != keyColumns.size()) {
      throw new InvalidInputException("Cannot run " + operator + " for " + party + ": keyColumns lists a column twice ("
          + keyColumns.stream().collect(Collectors.joining(", ")) + "). List each key column once.");
    }
  }
}
