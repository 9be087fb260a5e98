package io.veil.vfl;

import io.veil.InvalidInputException;
import io.veil.aggregate.internal.AggregationContext;
import io.veil.job.Leakage;
import io.veil.job.OperatorContext;
import io.veil.job.OperatorResult;
import io.veil.job.SecureOperator;
import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import io.veil.vfl.internal.Exchange;
import io.veil.vfl.internal.ModelState;
import io.veil.vfl.internal.ModelTable;
import io.veil.vfl.internal.PreparedRows;
import io.veil.vfl.internal.VflJobs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Joint prediction with a federated model ({@code operator: vfl-predict}): each party loads its
 * own part of a model a {@code vfl-train} job trained, checks it against the SHA-256 the spec pins
 * (the training receipt's {@code modelSha256}), and the parties run one forward pass over the rows to
 * score as in training: the label party learns Z row by row (only as the sum of the parties'
 * masked shares), applies its top model, and alone receives the scores. Nothing travels back.
 */
public final class VflPredictOperator implements SecureOperator {
  public static final String NAME = "vfl-predict";
  public static final String STEP_ALIGN = "vfl-align";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String section() {
    return "vflPredict";
  }

  @Override
  public OperatorSettings readSettings(SpecSection section, List<PartySpec> parties) {
    return VflPredictSpec.read(section, parties);
  }

  @Override
  public void validateInput(JobSpec spec, PartySpec party, StructType schema) {
    VflJobs.validateSchema(schema, party, party.input().columns(), null, "score rows");
  }

  @Override
  public Optional<StructType> outputSchema(JobSpec spec, PartySpec party, StructType inputSchema) {
    VflPredictSpec p = spec.settings(VflPredictSpec.class);
    return party.id().equals(p.labelParty()) ? Optional.of(scoreSchema(party.input().keyColumns()))
        : Optional.empty();
  }

  private static StructType scoreSchema(List<String> keyColumns) {
    StructType s = new StructType();
    for (String k : keyColumns) {
      s = s.add(k, DataTypes.StringType, false);
    }
    return s.add("score", DataTypes.DoubleType, false);
  }

  @Override
  public Map<String, String> display(JobSpec spec, String party, Map<String, String> figures) {
    VflPredictSpec p = spec.settings(VflPredictSpec.class);
    Map<String, String> d = new LinkedHashMap<>();
    d.put("scored rows", figures.get("alignedRows"));
    d.put("model", "trained by job " + p.trainingJob() + ", this part's sha256 " + figures.get("modelSha256"));
    d.put("scores to", p.labelParty() + (p.labelParty().equals(party) ? " (this party)" : ""));
    return d;
  }

  @Override
  public List<Leakage> leakage(JobSpec spec) {
    VflPredictSpec p = spec.settings(VflPredictSpec.class);
    return List.of(
        new Leakage(p.labelParty() + " (label party)", "Z = the sum of every party's bottom output for each scored "
            + "row (from which it computes the scores it receives)"),
        new Leakage("every other party", "the aligned row count and whether the key sets match; nothing of the "
            + "scores"),
        new Leakage("Kafka operator / network", "row counts per partition, d, timing; Z shares are masked"));
  }

  @Override
  public OperatorResult run(OperatorContext op) {
    VflPredictSpec spec = op.settings(VflPredictSpec.class);
    String me = op.me();
    boolean isLabel = me.equals(spec.labelParty());
    List<String> features = op.party().input().columns();
    ModelTable model = load(op, spec, features, isLabel);
    int dims = model.bottom() != null ? model.bottom().outputs() : model.top().inputs();
    AggregationContext c = new AggregationContext(op, op.spec().dataParties(), spec.labelParty());
    PreparedRows rows = PreparedRows.prepare(op, c, new PreparedRows.Layout(spec.normalization(),
        op.party().input().keyColumns(), features, null, isLabel, 0, 1.0, spec.partitions()), "score rows",
        STEP_ALIGN);
    Exchange x = VflJobs.exchange(op, c, spec.labelParty(), dims, spec.batchSize(), spec.partitions());
    op.channel().createStreams(x.streams(false), spec.partitions());
    VflJobs.checkRecordSize(op, spec.batchSize(), dims);
    op.beginStep("vfl-score", "scoring " + rows.rows() + " rows");
    ModelState state = new ModelState(model.bottom(), null, model.top(), null);
    List<Exchange.TaskResult> scored = VflJobs.runTasks(rows.parts(), x.new Score(0, state.toBytes()));
    VflJobs.Totals totals = new VflJobs.Totals(1, spec.partitions());
    totals.add(scored);
    OperatorResult.Builder b = OperatorResult.builder();
    if (isLabel) {
      List<Row> out = new ArrayList<>();
      for (Exchange.TaskResult r : scored) {
        for (int i = 0; i < r.scores.length; i++) {
          Object[] cells = new Object[r.keys[i].length + 1];
          System.arraycopy(r.keys[i], 0, cells, 0, r.keys[i].length);
          cells[r.keys[i].length] = r.scores[i];
          out.add(RowFactory.create(cells));
        }
      }
      Dataset<Row> scores = op.spark().createDataFrame(out, scoreSchema(op.party().input().keyColumns()));
      b.output(scores);
    }
    rows.parts().unpersist(false);
    return b.inputRows(rows.rows())
        .figure("inputRows", rows.rows())
        .figure("alignedRows", rows.rows())
        .figure("trainingJob", spec.trainingJob())
        .figure("modelSha256", model.sha256())
        .figure("bytesSent", totals.bytesSent())
        .figure("bytesReceived", totals.bytesReceived())
        .rounds(totals.rounds(me, spec.labelParty()), totals.steps())
        .build();
  }

  /** Loads this party's model part and checks it is the one the spec pins, for this party and these features. */
  private static ModelTable load(OperatorContext op, VflPredictSpec spec, List<String> features, boolean isLabel) {
    VflPredictSpec.ModelPart part = spec.models().get(op.me());
    String where = part.format() + " " + part.path();
    Dataset<Row> table;
    try {
      table = op.spark().read().format(part.format()).load(part.path());
    } catch (RuntimeException e) {
      throw new InvalidInputException("Cannot read " + op.me() + "'s model part at " + where + ": "
          + e.getMessage() + ". Set vflPredict.models." + op.me() + ".path to the training job's output.", e);
    }
    ModelTable model = ModelTable.read(table, where);
    String sha = model.sha256();
    if (!sha.equals(part.sha256())) {
      throw new InvalidInputException("Cannot score with " + op.me() + "'s model part at " + where + ": its sha256 is "
          + sha + " but the spec pins " + part.sha256() + ". The part changed since training, or the spec names "
          + "another model; use the modelSha256 of " + op.me() + "'s receipt of job " + spec.trainingJob() + ".");
    }
    if (!model.job().equals(spec.trainingJob()) || !model.party().equals(op.me())) {
      throw new InvalidInputException("Cannot score with the model part at " + where + ": it is " + model.party()
          + "'s part of job " + model.job() + ", not " + op.me() + "'s part of job " + spec.trainingJob() + ".");
    }
    if (!model.features().equals(features)) {
      throw new InvalidInputException("Cannot score with " + op.me() + "'s model part: it was trained on features "
          + model.features() + " but the input lists " + features + ". List the same columns in the same order.");
    }
    if (isLabel != (model.top() != null)) {
      throw new InvalidInputException("Cannot score with " + op.me() + "'s model part: " + (isLabel
          ? "it has no top model, so " + op.me() + " was not the label party of the training job"
          : "it holds the top model, so the label party of the spec should be " + op.me()) + ".");
    }
    return model;
  }
}
