package io.veil.vfl.internal;

import static org.apache.spark.sql.functions.col;

import io.veil.InvalidInputException;
import io.veil.aggregate.internal.AggregationContext;
import io.veil.aggregate.internal.Alignment;
import io.veil.aggregate.internal.CommittedScan;
import io.veil.aggregate.internal.FeatureRows;
import io.veil.aggregate.internal.Runs;
import io.veil.job.OperatorContext;
import io.veil.psi.KeyNormalization;
import io.veil.spark.DatasetCommitment;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * A party's rows of a federated model, read, checked, committed to, placed and aligned: one scan of
 * the input (its commitment, the problems found, the key-set digest), one shuffle that puts every key
 * in its partition in key order, the check that no key repeats, then the binding of the input and the
 * alignment check with every other party. Nothing leaves the party before all of it passed.
 *
 * @param parts one {@link VflRows.Part} per partition, cached
 * @param rows the aligned rows
 * @param trainRows rows used for training
 * @param testRows rows held out (for prediction: every row)
 */
public record PreparedRows(JavaRDD<VflRows.Part> parts, long rows, long trainRows, long testRows) {

  /** What to read from the input and how to place it. */
  public record Layout(KeyNormalization normalization, List<String> keyColumns, List<String> features,
      String labelColumn, boolean keepKeys, long seed, double testFraction, int partitions) {}

  /**
   * Prepares this party's rows.
   *
   * @param action what the job is about to do, for errors ("train the model")
   * @param alignStep the control step of the alignment check
   */
  public static PreparedRows prepare(OperatorContext op, AggregationContext c, Layout l, String action,
      String alignStep) {
    Dataset<Row> input = op.input().orElseThrow();
    op.beginStep(OperatorContext.STEP_INPUT, "committing to the input, checking and placing its rows");
    List<Column> cols = new ArrayList<>();
    cols.add(col("*"));
    l.keyColumns().forEach(k -> cols.add(col(Runs.quote(k)).cast("string")));
    l.features().forEach(f -> cols.add(col(Runs.quote(f)).cast("double")));
    if (l.labelColumn() != null) {
      cols.add(col(Runs.quote(l.labelColumn())).cast("double"));
    }
    int committed = input.schema().fields().length;
    byte[] salt = op.inputCommitmentSalt();
    DatasetCommitment.Hasher hasher = new DatasetCommitment.Hasher(salt, committed);
    JavaRDD<VflRows.Encoded> encoded = input.select(cols.toArray(Column[]::new)).javaRDD()
        .map(new VflRows.Encode(l.normalization(), l.keyColumns().size(), l.features().size(),
            l.labelColumn() != null, l.keepKeys(), hasher, committed, l.seed(), l.testFraction()))
        .persist(StorageLevel.MEMORY_AND_DISK());
    String jobId = op.jobId();
    CommittedScan.Collected scanned = CommittedScan.collect(
        encoded.mapPartitionsToPair(rows -> FeatureRows.Tally.of(jobId, hasher, rows)), FeatureRows.Tally::merge,
        salt);
    FeatureRows.Tally tally = scanned.entries().isEmpty() ? new FeatureRows.Tally()
        : (FeatureRows.Tally) scanned.entries().get(0)._2(); // the only other key: TALLY
    List<String> found = new ArrayList<>();
    Runs.note(found, tally.problems[VflRows.NULL_KEY], "a NULL key");
    Runs.note(found, tally.problems[VflRows.NULL_FEATURE], "a NULL feature");
    Runs.note(found, tally.problems[VflRows.NOT_FINITE], "a feature that is NaN or infinite");
    Runs.note(found, tally.problems[VflRows.BAD_LABEL], "a label that is neither 0 nor 1 (or NULL) in '"
        + l.labelColumn() + "'");
    if (tally.rows == 0) {
      found.add("the input has no rows");
    }
    failIfAny(found, op, action);

    JavaRDD<VflRows.Part> parts = encoded
        .mapToPair(e -> new Tuple2<>(e.sortKey, e.withoutHash()))
        .repartitionAndSortWithinPartitions(new VflRows.KeyPartitioner(l.seed(), l.partitions()))
        .mapPartitionsWithIndex(new VflRows.Pack(l.features().size()), true)
        .persist(StorageLevel.MEMORY_AND_DISK());
    long train = 0;
    long test = 0;
    long repeats = 0;
    for (long[] s : parts.map(p -> new long[] {p.trainRows, p.testRows, p.repeats}).collect()) {
      train += s[0];
      test += s[1];
      repeats += s[2];
    }
    encoded.unpersist(false);
    Runs.noteRepeatedKeys(found, repeats);
    failIfAny(found, op, action);
    op.bindInput(scanned.commitment());
    Alignment.check(c, alignStep, tally.rows, tally.digest, action);
    return new PreparedRows(parts, tally.rows, train, test);
  }

  private static void failIfAny(List<String> found, OperatorContext op, String action) {
    if (!found.isEmpty()) {
      throw new InvalidInputException("Cannot " + action + " with " + op.me() + "'s rows: " + String.join("; ", found)
          + ". Nothing was sent. Fix or filter these rows (every party must then drop the same keys).");
    }
  }
}
