package io.veil.aggregate;

import static org.apache.spark.sql.functions.col;

import io.veil.InvalidInputException;
import io.veil.aggregate.internal.FeatureRows;
import io.veil.aggregate.internal.Runs;
import io.veil.aggregate.internal.SecureSum;
import io.veil.aggregate.internal.VectorBlock;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Type;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.spec.FeatureAggregateSpec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaPairRDD;
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
    return Runs.abortingOnFailure(c, () -> execute(spark, input, spec, keyColumns, valueColumns, c));
  }

  private static FeatureAggregationResult execute(SparkSession spark, Dataset<Row> input, FeatureAggregateSpec spec,
      List<String> keyColumns, List<String> valueColumns, AggregationContext c) {
    int dims = spec.dims();
    int p = spec.partitions();
    FixedPoint format = FixedPoint.of(spec.scale(), spec.maxAbs());
    List<Column> cols = new ArrayList<>();
    keyColumns.forEach(k -> cols.add(col(AggregateOperator.quote(k)).cast("string")));
    valueColumns.forEach(v -> cols.add(col(AggregateOperator.quote(v))));
    JavaRDD<FeatureRows.Encoded> encoded = input.select(cols.toArray(Column[]::new)).javaRDD()
        .mapPartitions(new FeatureRows.Encode(spec.normalization(), keyColumns.size(), format, c.isResultParty()))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Map<Integer, Long> problems = encoded.filter(e -> e.problem != FeatureRows.OK).map(e -> e.problem).countByValue();
    long rows = encoded.count();
    long distinct = encoded.map(e -> e.sortKey).distinct().count();
    List<String> found = new ArrayList<>();
    note(found, problems.get(FeatureRows.NULL_KEY), "a NULL key");
    note(found, problems.get(FeatureRows.NULL_VALUE), "a NULL value");
    note(found, problems.get(FeatureRows.OUT_OF_RANGE), "a value outside the declared range (|v| <= "
        + spec.maxAbs().toPlainString() + ", finite)");
    note(found, problems.get(FeatureRows.INEXACT), "a value with more than " + spec.scale() + " decimal places");
    if (found.isEmpty() && distinct != rows) {
      found.add((rows - distinct) + " rows repeat a key (aligned rows need unique keys)");
    }
    if (!found.isEmpty()) {
      throw new InvalidInputException("Cannot aggregate " + c.me() + "'s features: " + String.join("; ", found)
          + ". Nothing was sent. Fix or filter these rows, or change scale/maxAbs in the spec.");
    }

    // Alignment: same keys at every party, hence the same ranks.
    String jobId = c.jobId();
    BigInteger digest = encoded.map(e -> FeatureRows.keyDigest(jobId, e.sortKey))
        .fold(BigInteger.ZERO, FeatureRows::addDigests);
    String digestHex = String.format("%064x", digest);
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

    // Blocks of batchRows rows, in rank order.
    JavaPairRDD<Long, FeatureRows.Encoded> ranked = encoded.keyBy(e -> e.sortKey).sortByKey(true, p).values()
        .zipWithIndex().mapToPair(t -> new scala.Tuple2<>(t._2(), t._1()));
    JavaRDD<VectorBlock> blocks = ranked
        .repartitionAndSortWithinPartitions(new FeatureRows.BlockPartitioner(p, spec.batchRows()),
            new FeatureRows.RankOrder())
        .mapPartitions(new FeatureRows.ToBlocks(spec.batchRows(), dims, c.isResultParty()), true);
    long length = rows * dims;
    SecureSum sum = new SecureSum(spark, c, p, spec.batchRows() * dims);
    Optional<Dataset<Row>> z = Optional.empty();
    if (c.isResultParty()) {
      JavaRDD<VectorBlock> total = sum.receive(STEP_SUM, blocks, length).persist(StorageLevel.MEMORY_AND_DISK());
      total.count(); // read and check every peer's blocks now, while the job is live
      int scale = spec.scale();
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
        schema = schema.add("z" + j, DataTypes.createDecimalType(38, scale), false);
      }
      z = Optional.of(spark.createDataFrame(out, schema));
    } else {
      sum.send(STEP_SUM, blocks, length);
    }
    encoded.unpersist(false);
    return new FeatureAggregationResult(z, rows, sum.rounds());
  }

  private static void note(List<String> found, Long rows, String what) {
    if (rows != null && rows > 0) {
      found.add(rows + (rows == 1 ? " row has " : " rows have ") + what);
    }
  }
}
