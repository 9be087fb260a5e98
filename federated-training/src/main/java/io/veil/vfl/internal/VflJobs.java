package io.veil.vfl.internal;

import io.veil.InvalidInputException;
import io.veil.aggregate.internal.AggregationContext;
import io.veil.aggregate.internal.Runs;
import io.veil.channel.BatchCodec;
import io.veil.channel.RoundStats;
import io.veil.channel.RoundSummary;
import io.veil.channel.SentBatch;
import io.veil.job.OperatorContext;
import io.veil.spark.SparkErrors;
import io.veil.spec.PartySpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/** Driver-side pieces shared by vfl-train and vfl-predict. */
public final class VflJobs {
  private VflJobs() {}

  /** Checks from the schema that the key, feature and label columns exist and are of usable types. */
  public static void validateSchema(StructType schema, PartySpec party, List<String> features, String labelColumn,
      String action) {
    List<String> problems = new ArrayList<>();
    for (String k : party.input().keyColumns()) {
      if (Runs.type(schema, k) == null) {
        problems.add("key column '" + k + "' is missing");
      }
    }
    List<String> numeric = new ArrayList<>(features);
    if (labelColumn != null) {
      numeric.add(labelColumn);
    }
    for (String f : numeric) {
      DataType t = Runs.type(schema, f);
      String what = f.equals(labelColumn) ? "label column" : "feature column";
      if (t == null) {
        problems.add(what + " '" + f + "' is missing");
      } else if (!(t instanceof NumericType) && t != DataTypes.BooleanType) {
        problems.add(what + " '" + f + "' is " + t.simpleString() + ", not a number");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidInputException("Cannot " + action + " with " + party.id() + "'s input: "
          + String.join("; ", problems) + ". Its columns are: " + String.join(", ", schema.fieldNames())
          + ". Fix the input or the spec.");
    }
  }

  /** The exchange of this party in a job whose label party is {@code label}. */
  public static Exchange exchange(OperatorContext op, AggregationContext c, String label, int dims, int batchSize,
      int partitions) {
    List<String> senders = op.spec().parties().stream().map(PartySpec::id).filter(p -> !p.equals(label)).toList();
    return new Exchange(op.jobId(), op.me(), label, senders, c.aggregationKeys(), op.identities(), op.runKey(),
        op.channel(), op.peerTimeoutMs(), dims, batchSize, partitions);
  }

  /** Fails, before anything is sent, if one batch would not fit in one channel record. */
  public static void checkRecordSize(OperatorContext op, int batchSize, int dims) {
    long bytes = BatchCodec.recordBytes(op.jobId(), Exchange.gradientStream(op.jobId(), op.me(), op.me()), op.me(),
        1, (long) batchSize * dims * 8 + 4096);
    if (bytes > op.channel().maxRecordBytes()) {
      throw new InvalidInputException("Cannot run the job: a batch of " + batchSize + " rows x " + dims + " values "
          + "takes about " + bytes + " bytes, above the channel's record limit of " + op.channel().maxRecordBytes()
          + ". Lower batchSize in the spec, or raise the channel's max.batch.bytes.");
    }
  }

  /** Runs one task per partition and returns their results, with a Veil error if a task failed. */
  public static List<Exchange.TaskResult> runTasks(JavaRDD<VflRows.Part> parts,
      Function2<Integer, java.util.Iterator<VflRows.Part>, java.util.Iterator<byte[]>> task) {
    List<byte[]> out;
    try {
      out = parts.mapPartitionsWithIndex(task, true).collect();
    } catch (RuntimeException e) {
      throw SparkErrors.unwrap(e);
    }
    return out.stream().map(b -> ModelState.Bytes.read(b, Exchange.TaskResult.class)).toList();
  }

  /** MLlib's area under the ROC curve of the label party's scores of the held-out rows. */
  public static double auc(SparkSession spark, List<Exchange.TaskResult> scored) {
    List<Row> rows = new ArrayList<>();
    for (Exchange.TaskResult r : scored) {
      for (int i = 0; i < r.scores.length; i++) {
        rows.add(RowFactory.create(r.scores[i], r.labels[i]));
      }
    }
    StructType schema = new StructType().add("score", DataTypes.DoubleType).add("label", DataTypes.DoubleType);
    return new BinaryClassificationEvaluator().setRawPredictionCol("score").setLabelCol("label")
        .setMetricName("areaUnderROC").evaluate(spark.createDataFrame(rows, schema));
  }

  /** Bytes and batches a party's tasks sent and received over a job, for its figures and receipt. */
  public static final class Totals {
    private final int streamPartitions;
    private long bytesSent;
    private long bytesReceived;
    private final Map<String, List<SentBatch>> sent = new LinkedHashMap<>();

    public Totals(int epochs, int partitions) {
      this.streamPartitions = epochs * partitions;
    }

    public void add(List<Exchange.TaskResult> results) {
      for (Exchange.TaskResult r : results) {
        bytesSent += r.bytesSent;
        bytesReceived += r.bytesReceived;
        r.sent.forEach((step, batches) -> sent.computeIfAbsent(step, k -> new ArrayList<>()).addAll(batches));
      }
    }

    public long bytesSent() {
      return bytesSent;
    }

    public long bytesReceived() {
      return bytesReceived;
    }

    /** One round per stream this party wrote: its Z shares to the label party, or dL/dZ to each feature party. */
    public List<RoundSummary> rounds(String me, String label) {
      List<RoundSummary> out = new ArrayList<>();
      sent.forEach((step, batches) -> out.add(RoundSummary.of(step, me,
          step.equals(Exchange.STEP_Z) ? label : step.substring(Exchange.STEP_GRADIENT.length() + 1),
          RoundStats.fromBatches(streamPartitions, batches))));
      return out;
    }

    public List<String> steps() {
      return List.copyOf(sent.keySet());
    }
  }
}
