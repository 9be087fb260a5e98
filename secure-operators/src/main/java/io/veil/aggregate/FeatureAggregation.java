package io.veil.aggregate;

import static org.apache.spark.sql.functions.col;

import io.veil.InvalidInputException;
import io.veil.aggregate.internal.CommittedScan;
import io.veil.aggregate.internal.FeatureRows;
import io.veil.aggregate.internal.Runs;
import io.veil.aggregate.internal.SecureSum;
import io.veil.aggregate.internal.VectorBlock;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Type;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.FeatureAggregateSpec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Additive feature aggregation: rows aligned by key (typically a prior PSI's output, held by every
 * party), each data party contributes a vector {@code Z_i} of {@code d} values per row, and only
 * the result party learns {@code Z = sum of Z_i}, row by row. This is the aggregation step of
 * vertical federated learning ({@code Z_i = X_i W_i}).
 *
 * <p><b>Protocol.</b> Every party sorts its rows by the normalised key encoding (the same at
 * every party), so row {@code r} means the same key everywhere. An alignment check ({@code
 * fa-align}) compares row counts and an order-independent digest of the key sets before any value
 * leaves a party. Then one {@link SecureSum} round ({@code fa-sum}) over the vector of length
 * {@code rows * d}, streamed in blocks of {@code batchRows} rows from executors.
 *
 * <p><b>Leakage.</b> The result party learns Z row by row and nothing else; the other parties
 * learn nothing beyond the row count and whether the key sets match (which they already hold). As
 * in any sum of two, with two parties the result party can subtract its own {@code Z_i} and so
 * learns the other's {@code Z_j}: in vertical learning that is {@code X_j W_j}, not {@code X_j}.
 */
public final class FeatureAggregation {
  public static final String STEP_ALIGN = "fa-align";
  public static final String STEP_SUM = "fa-sum";
  private static final Logger LOG = LoggerFactory.getLogger(FeatureAggregation.class);
  /** Rows per partition of the key sort, so that one packed partition stays small. */
  private static final long ROWS_PER_SORTED_PARTITION = 250_000;

  private FeatureAggregation() {}

  /** Checks from the schema that key and value columns exist and the values are numeric. */
  public static void validateSchema(StructType schema, List<String> keyColumns, List<String> valueColumns,
      String party) {
    List<String> problems = new ArrayList<>();
    for (String k : keyColumns) {
      if (Runs.type(schema, k) == null) {
        problems.add("key column '" + k + "' is missing");
      }
    }
    for (String v : valueColumns) {
      DataType t = Runs.type(schema, v);
      if (t == null) {
        problems.add("value column '" + v + "' is missing");
      } else if (!(t instanceof NumericType)) {
        problems.add("value column '" + v + "' is " + t.simpleString() + ", not a number");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidInputException("Cannot aggregate " + party + "'s features: " + String.join("; ", problems)
          + ". Its columns are: " + String.join(", ", schema.fieldNames()) + ". Fix the input or the spec.");
    }
  }

  /** Runs this party's side; aborts the job on the control log on any failure. */
  public static FeatureAggregationResult run(SparkSession spark, Dataset<Row> input, FeatureAggregateSpec spec,
      List<String> keyColumns, List<String> valueColumns, AggregationContext c) {
    return run(spark, input, spec, keyColumns, valueColumns, c, new byte[16]);
  }

  /**
   * The same, committing to the input with {@code commitmentSalt} in the scan that encodes it (the
   * input is read once; the result's commitment is what {@link DatasetCommitment#compute} gives).
   */
  public static FeatureAggregationResult run(SparkSession spark, Dataset<Row> input, FeatureAggregateSpec spec,
      List<String> keyColumns, List<String> valueColumns, AggregationContext c, byte[] commitmentSalt) {
    return Runs.abortingOnFailure(c, () -> execute(spark, input, spec, keyColumns, valueColumns, c, commitmentSalt));
  }

  private static FeatureAggregationResult execute(SparkSession spark, Dataset<Row> input, FeatureAggregateSpec spec,
      List<String> keyColumns, List<String> valueColumns, AggregationContext c, byte[] commitmentSalt) {
    int dims = spec.dims();
    int p = spec.partitions();
    FixedPoint format = FixedPoint.of(spec.scale(), spec.maxAbs());
    // One scan of the input: every column (committed), then the key and value columns.
    List<Column> cols = new ArrayList<>();
    cols.add(col("*"));
    keyColumns.forEach(k -> cols.add(col(AggregateOperator.quote(k)).cast("string")));
    valueColumns.forEach(v -> cols.add(col(AggregateOperator.quote(v))));
    int committed = input.schema().fields().length;
    DatasetCommitment.Hasher hasher = new DatasetCommitment.Hasher(commitmentSalt, committed);
    JavaRDD<FeatureRows.Encoded> encoded = input.select(cols.toArray(Column[]::new)).javaRDD()
        .mapPartitions(new FeatureRows.Encode(spec.normalization(), keyColumns.size(), format, c.isResultParty(),
            hasher, committed))
        .persist(StorageLevel.MEMORY_AND_DISK());
    String jobId = c.jobId();
    CommittedScan.Collected scanned = CommittedScan.collect(
        encoded.mapPartitionsToPair(rows -> FeatureRows.Tally.of(jobId, hasher, rows)), FeatureRows.Tally::merge,
        commitmentSalt);
    FeatureRows.Tally tally = scanned.entries().isEmpty() ? new FeatureRows.Tally()
        : (FeatureRows.Tally) scanned.entries().get(0)._2(); // the only other key: TALLY
    DatasetCommitment.Commitment inputCommitment = scanned.commitment();
    long rows = tally.rows;
    List<String> found = new ArrayList<>();
    note(found, tally.problems[FeatureRows.NULL_KEY], "a NULL key");
    note(found, tally.problems[FeatureRows.NULL_VALUE], "a NULL value" + Runs.NULL_HINT);
    note(found, tally.problems[FeatureRows.OUT_OF_RANGE], "a value outside the declared range (|v| <= "
        + spec.maxAbs().toPlainString() + ", finite)");
    note(found, tally.problems[FeatureRows.INEXACT], "a value with more than " + spec.scale() + " decimal places");
    failIfAny(found, c);

    // Sort by key (one shuffle of the rows), pack each sorted partition, find repeated keys.
    int sortPartitions = (int) Math.max(p, Math.min(1 << 16, rows / ROWS_PER_SORTED_PARTITION + 1));
    JavaRDD<FeatureRows.Chunk> chunks = encoded
        .mapToPair(e -> new Tuple2<>(e.sortKey, e.withoutSortKey()))
        .sortByKey(true, sortPartitions)
        .mapPartitionsWithIndex(new FeatureRows.ToChunk(dims, c.isResultParty()), true)
        .persist(StorageLevel.MEMORY_AND_DISK());
    List<FeatureRows.Chunk> sorted = new ArrayList<>(chunks.map(FeatureRows.Chunk::summary).collect());
    sorted.sort(java.util.Comparator.comparingInt(ch -> ch.partition));
    encoded.unpersist(false);
    long[] offsets = new long[sortPartitions];
    long repeats = 0;
    String lastKey = null;
    long rank = 0;
    for (FeatureRows.Chunk ch : sorted) {
      offsets[ch.partition] = rank;
      rank += ch.rows;
      repeats += ch.repeats + (ch.rows > 0 && ch.firstKey.equals(lastKey) ? 1 : 0);
      lastKey = ch.rows > 0 ? ch.lastKey : lastKey;
    }
    if (repeats > 0) {
      found.add(repeats + (repeats == 1 ? " row repeats a key" : " rows repeat a key")
          + " (aligned rows need unique keys)");
    }
    failIfAny(found, c);

    // Alignment: same keys at every party, hence the same ranks.
    String digestHex = String.format("%064x", tally.digest);
    c.control().publish(Type.ROUND_COMPLETE, STEP_ALIGN, Map.of("rows", rows, "digest", digestHex));
    for (String other : c.dataParties()) {
      if (other.equals(c.me())) {
        continue;
      }
      ControlMessage m = c.control().await(other, Type.ROUND_COMPLETE, STEP_ALIGN, c.peerTimeoutMs(),
          "its alignment check (step " + STEP_ALIGN + ")");
      Object theirRows = m.body().get("rows");
      if (!(theirRows instanceof Number n) || n.longValue() != rows || !digestHex.equals(m.body().get("digest"))) {
        throw new InvalidInputException("Cannot aggregate features: " + other + "'s rows are not aligned with "
            + c.me() + "'s (" + theirRows + " rows there, " + rows + " here" + (theirRows instanceof Number n2
            && n2.longValue() == rows ? ", but different keys" : "") + "). Nothing was sent. Give every party the "
            + "same rows, e.g. each party's output of one PSI job, with the same key normalisation.");
      }
    }
    LOG.info("Veil job {}: {} rows aligned with {}", c.jobId(), rows, c.dataParties());

    // Blocks of batchRows rows, in rank order: chunks are cut at block boundaries and the pieces
    // (arrays, not rows) shuffled to their data-plane partition.
    long length = rows * dims;
    SecureSum sum = new SecureSum(spark, c, p, spec.batchRows() * dims);
    JavaRDD<VectorBlock> blocks = chunks
        .flatMapToPair(new FeatureRows.Cut(offsets, spec.batchRows(), dims))
        .repartitionAndSortWithinPartitions(new FeatureRows.BlockPartitioner(sum.partitionsFor(length),
            spec.batchRows()), new FeatureRows.RankOrder())
        .mapPartitions(new FeatureRows.Join(), true);
    Optional<Dataset<Row>> z = Optional.empty();
    if (c.isResultParty()) {
      JavaRDD<VectorBlock> total = sum.receive(STEP_SUM, blocks, length).persist(StorageLevel.MEMORY_AND_DISK());
      total.count(); // read and check every peer's blocks now, while the job is live
      int scale = spec.scale();
      // |Z| <= parties * maxAbs: as few digits as that needs (up to 18 digits is a long in Parquet).
      int precision = Math.max(scale + 1, BigInteger.valueOf(format.maxEncoded())
          .multiply(BigInteger.valueOf(c.dataParties().size())).toString().length());
      JavaRDD<Row> out = total.flatMap(b -> {
        List<Row> rs = new ArrayList<>(b.keys().length);
        for (int i = 0; i < b.keys().length; i++) {
          Object[] r = new Object[b.keys()[i].length + dims];
          System.arraycopy(b.keys()[i], 0, r, 0, b.keys()[i].length);
          for (int j = 0; j < dims; j++) {
            r[b.keys()[i].length + j] = BigDecimal.valueOf(b.values()[i * dims + j], scale);
          }
          rs.add(RowFactory.create(r));
        }
        return rs.iterator();
      });
      StructType schema = new StructType();
      for (String k : keyColumns) {
        schema = schema.add(k, DataTypes.StringType, false);
      }
      for (int j = 0; j < dims; j++) {
        schema = schema.add("z" + j, DataTypes.createDecimalType(precision, scale), false);
      }
      z = Optional.of(spark.createDataFrame(out, schema));
    } else {
      sum.send(STEP_SUM, blocks, length);
    }
    chunks.unpersist(false);
    return new FeatureAggregationResult(z, rows, sum.rounds(), Optional.of(inputCommitment));
  }

  private static void failIfAny(List<String> found, AggregationContext c) {
    if (!found.isEmpty()) {
      throw new InvalidInputException("Cannot aggregate " + c.me() + "'s features: " + String.join("; ", found)
          + ". Nothing was sent. Fix or filter these rows, or change scale/maxAbs in the spec.");
    }
  }

  private static void note(List<String> found, long rows, String what) {
    if (rows > 0) {
      found.add(rows + (rows == 1 ? " row has " : " rows have ") + what);
    }
  }
}
