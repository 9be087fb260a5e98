package io.veil.aggregate;

import static org.apache.spark.sql.functions.col;

import io.veil.InvalidInputException;
import io.veil.aggregate.internal.AggregationContext;
import io.veil.aggregate.internal.Alignment;
import io.veil.aggregate.internal.CommittedScan;
import io.veil.aggregate.internal.FeatureRows;
import io.veil.aggregate.internal.KeyTexts;
import io.veil.aggregate.internal.Runs;
import io.veil.aggregate.internal.SecureSum;
import io.veil.aggregate.internal.VectorBlock;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.job.Leakage;
import io.veil.job.OperatorContext;
import io.veil.job.OperatorResult;
import io.veil.job.SecureOperator;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.FeatureAggregateSection;
import io.veil.spec.FeatureAggregateSpec;
import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.HashPartitioner;
import org.apache.spark.RangePartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.unsafe.types.UTF8String;
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
 * leaves a party; each party seals its count and digest for the other parties ({@link
 * io.veil.crypto.sharing.PairwiseSealing}), so that nobody else reading the control topic can test
 * guesses of the key set against it. Masks are secrets of the run: they depend on every party's
 * input commitment. Then one {@link SecureSum} round ({@code fa-sum}) over the vector of length
 * {@code rows * d}, streamed in blocks of {@code batchRows} rows from executors.
 *
 * <p><b>Leakage.</b> The result party learns Z row by row and nothing else; the other parties
 * learn nothing beyond the row count and whether the key sets match (which they already hold when
 * they do; when they do not, a party can test guesses of another's key set against its digest).
 * The broker learns the row count and {@code d} from the size of
 * the {@code fa-sum} round (nothing from the alignment check). As in any sum of two, with two
 * parties the result party can subtract its own {@code Z_i} and so learns the other's {@code Z_j}:
 * in vertical learning that is {@code X_j W_j}, not {@code X_j}.
 */
public final class FeatureAggregation implements SecureOperator {
  public static final String NAME = "feature-aggregate";
  public static final String STEP_ALIGN = "fa-align";
  public static final String STEP_SUM = "fa-sum";
  /** Rows per partition of the key sort, so that one packed partition stays small. */
  private static final long ROWS_PER_SORTED_PARTITION = 250_000;

  @Override
  public List<Leakage> leakage(JobSpec spec) {
    FeatureAggregateSpec fa = spec.settings(FeatureAggregateSpec.class);
    List<String> data = spec.dataParties();
    List<Leakage> out = new ArrayList<>();
    out.add(new Leakage(fa.resultParty() + " (result party)", "Z = the sum of every party's vector, row by row ("
        + fa.dims() + " values per row)"));
    out.add(new Leakage("every party (" + String.join(", ", data) + ")", "the aligned row count and whether the key "
        + "sets match (when they do not, a party can test guesses of another's key set against the digest it "
        + "received)"));
    if (data.size() == 2) {
      String other = data.get(0).equals(fa.resultParty()) ? data.get(1) : data.get(0);
      out.add(new Leakage(fa.resultParty() + " (result party and data party)", "with two data parties it can "
          + "subtract its own vectors: the output reveals " + other + "'s vectors"));
    }
    out.add(new Leakage("Kafka operator / network", "the row count and dims, timing, whether the job was aborted; "
        + "nothing from the alignment check"));
    return List.copyOf(out);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String section() {
    return "featureAggregate";
  }

  @Override
  public OperatorSettings readSettings(SpecSection section, List<PartySpec> parties) {
    return FeatureAggregateSection.read(section, parties);
  }

  @Override
  public Optional<StructType> outputSchema(JobSpec spec, PartySpec party, StructType inputSchema) {
    FeatureAggregateSpec fa = (FeatureAggregateSpec) spec.settings();
    return party.id().equals(fa.resultParty())
        ? Optional.of(zSchema(fa, party.input().keyColumns(), spec.dataParties().size())) : Optional.empty();
  }

  /** The result party's table: its key columns (as text) and Z, one decimal column per dimension. */
  private static StructType zSchema(FeatureAggregateSpec spec, List<String> keyColumns, int dataParties) {
    FixedPoint format = FixedPoint.of(spec.scale(), spec.maxAbs());
    // |Z| <= parties * maxAbs: as few digits as that needs (up to 18 digits is a long in Parquet).
    int precision = Math.max(spec.scale() + 1, BigInteger.valueOf(format.maxEncoded())
        .multiply(BigInteger.valueOf(dataParties)).toString().length());
    StructType schema = new StructType();
    for (String k : keyColumns) {
      schema = schema.add(k, DataTypes.StringType, false);
    }
    for (int j = 0; j < spec.dims(); j++) {
      schema = schema.add("z" + j, DataTypes.createDecimalType(precision, spec.scale()), false);
    }
    return schema;
  }

  @Override
  public void validateInput(JobSpec spec, PartySpec party, StructType schema) {
    validateSchema(schema, party.input().keyColumns(), party.input().columns(), party.id());
  }

  @Override
  public Map<String, String> display(JobSpec spec, String party, Map<String, String> figures) {
    String resultParty = spec.settings(FeatureAggregateSpec.class).resultParty();
    Map<String, String> d = new LinkedHashMap<>();
    d.put("aligned rows", figures.get("alignedRows"));
    d.put("dims", figures.get("dims"));
    d.put("result party", resultParty + (resultParty.equals(party) ? " (this party)" : ""));
    return d;
  }

  @Override
  public OperatorResult run(OperatorContext op) {
    FeatureAggregateSpec spec = op.settings(FeatureAggregateSpec.class);
    AggregationContext c = new AggregationContext(op, op.spec().dataParties(), spec.resultParty());
    FeatureAggregationResult r = execute(op.spark(), op.input().orElseThrow(), spec, op.party().input().keyColumns(),
        op.party().input().columns(), c, op.inputCommitmentSalt());
    OperatorResult.Builder b = OperatorResult.builder()
        .inputRows(r.rows())
        .figure("inputRows", r.rows())
        .figure("alignedRows", r.rows())
        .figure("dims", spec.dims())
        .rounds(r.rounds(), List.of(STEP_SUM))
        .details(r);
    r.z().ifPresent(b::output);
    return b.build();
  }

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

  private static FeatureAggregationResult execute(SparkSession spark, Dataset<Row> input, FeatureAggregateSpec spec,
      List<String> keyColumns, List<String> valueColumns, AggregationContext c, byte[] commitmentSalt) {
    int dims = spec.dims();
    int p = spec.partitions();
    FixedPoint format = FixedPoint.of(spec.scale(), spec.maxAbs());
    // One scan of the input: every column (committed), then the key and value columns.
    c.op().beginStep(OperatorContext.STEP_INPUT, "committing to the input and ordering its rows by key");
    List<Column> cols = new ArrayList<>();
    cols.add(col("*"));
    keyColumns.forEach(k -> cols.add(col(Runs.quote(k)).cast("string")));
    valueColumns.forEach(v -> cols.add(col(Runs.quote(v))));
    int committed = input.schema().fields().length;
    Dataset<Row> scan = input.select(cols.toArray(Column[]::new));
    DatasetCommitment.Hasher hasher = new DatasetCommitment.Hasher(commitmentSalt, committed).internal(scan.schema());
    JavaRDD<FeatureRows.Encoded> encoded = scan.queryExecution().toRdd().toJavaRDD()
        .map(new FeatureRows.Encode(spec.normalization(), keyColumns.size(), format, c.isResultParty(),
            hasher, scan.schema(), committed))
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
    Runs.note(found, tally.problems[FeatureRows.NULL_KEY], "a NULL key");
    Runs.note(found, tally.problems[FeatureRows.NULL_VALUE], "a NULL value" + Runs.NULL_HINT);
    Runs.note(found, tally.problems[FeatureRows.OUT_OF_RANGE], "a value outside the declared range (|v| <= "
        + spec.maxAbs().toPlainString() + ", finite)");
    Runs.note(found, tally.problems[FeatureRows.INEXACT], "a value with more than " + spec.scale() + " decimal places");
    failIfAny(found, c);

    // Sort by key (one shuffle of the rows), pack each sorted partition, find repeated keys.
    int sortPartitions = (int) Math.max(p, Math.min(1 << 16, rows / ROWS_PER_SORTED_PARTITION + 1));
    // Spark's range partitioner (a sampling job, as sortByKey runs), then the rows packed per range
    // (PackedShuffle), each range sorted after the shuffle.
    boolean keepKeys = c.isResultParty();
    RangePartitioner<String, FeatureRows.Encoded> ranges = new RangePartitioner<>(sortPartitions,
        encoded.mapToPair(e -> new Tuple2<>(e.sortKey, e)).rdd(), true, 20, scala.math.Ordering.String$.MODULE$,
        scala.reflect.ClassTag$.MODULE$.apply(String.class));
    FeatureRows.ToChunk toChunk = new FeatureRows.ToChunk(dims, keepKeys);
    JavaRDD<FeatureRows.Chunk> chunks = encoded
        .mapPartitionsToPair(new FeatureRows.PackForSort(ranges, dims, keepKeys))
        .partitionBy(new HashPartitioner(ranges.numPartitions()))
        .mapPartitionsWithIndex((i, packed) -> toChunk.call(i, FeatureRows.unpackSorted(packed, dims, keepKeys)), true)
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
    Runs.noteRepeatedKeys(found, repeats);
    failIfAny(found, c);
    // Nothing leaves the party before every party's input is committed and bound.
    c.op().bindInput(inputCommitment);

    // Alignment: same keys at every party, hence the same ranks.
    Alignment.check(c, STEP_ALIGN, rows, tally.digest, "aggregate features");

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
      StructType schema = zSchema(spec, keyColumns, c.dataParties().size());
      int scale = spec.scale();
      int precision = ((DecimalType) schema.fields()[keyColumns.size()].dataType()).precision();
      // Internal rows, as Spark's writers take them: no Row, BigDecimal and encoder per row.
      // (internalCreateDataFrame is private[sql] in Scala, public in bytecode: a Spark that
      // changes it fails this build, not a job.)
      JavaRDD<InternalRow> out = total.flatMap(b -> {
        KeyTexts keys = b.keys();
        int kc = keys.columns();
        List<InternalRow> rs = new ArrayList<>(keys.rows());
        for (int i = 0; i < keys.rows(); i++) {
          Object[] r = new Object[kc + dims];
          for (int j = 0; j < kc; j++) {
            r[j] = UTF8String.fromString(keys.get(i, j));
          }
          for (int j = 0; j < dims; j++) {
            r[kc + j] = Decimal.apply(b.values()[i * dims + j], precision, scale);
          }
          rs.add(new GenericInternalRow(r));
        }
        return rs.iterator();
      });
      z = Optional.of(spark.internalCreateDataFrame(out.rdd(), schema, false));
    } else {
      sum.send(STEP_SUM, blocks, length);
    }
    chunks.unpersist(false);
    return new FeatureAggregationResult(z, rows, sum.rounds());
  }

  private static void failIfAny(List<String> found, AggregationContext c) {
    if (!found.isEmpty()) {
      throw new InvalidInputException("Cannot aggregate " + c.me() + "'s features: " + String.join("; ", found)
          + ". Nothing was sent. Fix or filter these rows, or change scale/maxAbs in the spec.");
    }
  }
}
