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
import io.veil.vfl.model.Network;
import io.veil.vfl.model.Optimizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.types.StructType;

/**
 * Vertical federated training ({@code operator: vfl-train}): split learning over rows every party
 * holds (aligned by key), with secure aggregation of the bottom models' outputs.
 *
 * <p>Every party trains a bottom network on its own features; the label party also trains the top
 * network on {@code Z = sum of the bottom outputs}, which it learns for each training row, batch by
 * batch, and only as that sum ({@link Exchange}). It returns dL/dZ to the feature parties, which
 * update their own bottom networks. Rows are spread over Spark partitions by key (every party places
 * a key alike); each partition trains a copy of the model on its mini-batches, and the copies are
 * averaged after every epoch. A share of the rows ({@code testFraction}) is held out; after
 * training the label party scores them (one more forward pass) and reports the test AUC
 * (MLlib's {@code BinaryClassificationEvaluator}).
 *
 * <p>Each party's output is its part of the model ({@link ModelTable}), whose SHA-256 the receipt
 * records as figure {@code modelSha256}; a {@code vfl-predict} spec pins it.
 *
 * <p><b>Leakage</b> (semi-honest): see {@link #leakage}; the README's leakage table says the same.
 */
public final class VflTrainOperator implements SecureOperator {
  public static final String NAME = "vfl-train";
  public static final String STEP_ALIGN = "vfl-align";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String section() {
    return "vflTrain";
  }

  @Override
  public OperatorSettings readSettings(SpecSection section, List<PartySpec> parties) {
    return VflTrainSpec.read(section, parties);
  }

  @Override
  public void validateInput(JobSpec spec, PartySpec party, StructType schema) {
    VflTrainSpec t = spec.settings(VflTrainSpec.class);
    VflJobs.validateSchema(schema, party, t.features(party),
        party.id().equals(t.labelParty()) ? t.labelColumn() : null, "train a model");
  }

  @Override
  public Optional<StructType> outputSchema(JobSpec spec, PartySpec party, StructType inputSchema) {
    return Optional.of(ModelTable.schema());
  }

  @Override
  public Map<String, String> display(JobSpec spec, String party, Map<String, String> figures) {
    VflTrainSpec t = spec.settings(VflTrainSpec.class);
    Map<String, String> d = new LinkedHashMap<>();
    d.put("aligned rows", figures.get("alignedRows") + " (" + figures.get("trainRows") + " trained on, "
        + figures.get("testRows") + " held out)");
    d.put("model", "bottom " + t.bottom().kind() + " (d=" + t.bottom().dims() + "), top " + t.top().kind()
        + ", " + t.epochs() + " epochs");
    if (figures.containsKey("testAuc")) {
      d.put("test AUC", figures.get("testAuc"));
      d.put("training loss", figures.get("trainLoss"));
    }
    d.put("model part sha256", figures.get("modelSha256"));
    d.put("training time", figures.get("trainMs") + " ms (" + figures.get("epochs") + " epochs)");
    d.put("sent / received", figures.get("bytesSent") + " / " + figures.get("bytesReceived") + " bytes");
    return d;
  }

  @Override
  public List<Leakage> leakage(JobSpec spec) {
    VflTrainSpec t = spec.settings(VflTrainSpec.class);
    List<String> others = t.parties().stream().filter(p -> !p.equals(t.labelParty())).toList();
    List<Leakage> out = new ArrayList<>();
    out.add(new Leakage(t.labelParty() + " (label party)", "Z = the sum of every party's bottom output, for each "
        + "training row in each of the " + t.epochs() + " epochs and for each held-out row once" + noise(t, "z")
        + (others.size() == 1 ? "; with one feature party, Z minus its own part is " + others.get(0)
        + "'s X W (not X)" : "") + "; the test AUC"));
    out.add(new Leakage("each feature party (" + String.join(", ", others) + ")", "dL/dZ for each of its training "
        + "rows in each epoch" + noise(t, "gradients") + (t.noise() != null && t.noise().on().equals("gradients")
        ? "" : "; for a logistic top model with d=1 its sign is the row's label, so the feature parties learn the "
        + "training labels") + "; its own part of the model"));
    out.add(new Leakage("every party", "the aligned row count and whether the key sets match; which rows are "
        + "held out (from the seed and the keys)"));
    out.add(new Leakage("Kafka operator / network", "rows per partition and batch, d, epochs, timing; "
        + "no value: Z shares are masked and dL/dZ is padded"));
    return List.copyOf(out);
  }

  /** The noise clause of a role's statement, when the spec puts noise on what it receives. */
  private static String noise(VflTrainSpec t, String on) {
    return t.noise() == null || !t.noise().on().equals(on) ? "" : " (with Gaussian noise, each row clipped to norm "
        + t.noise().clip().toPlainString() + ", budget epsilon=" + t.noise().epsilon().toPlainString() + ", delta="
        + t.noise().delta().toPlainString() + " over all epochs)";
  }

  @Override
  public OperatorResult run(OperatorContext op) {
    VflTrainSpec spec = op.settings(VflTrainSpec.class);
    String me = op.me();
    boolean isLabel = me.equals(spec.labelParty());
    List<String> features = spec.features(op.party());
    AggregationContext c = new AggregationContext(op, op.spec().dataParties(), spec.labelParty());
    PreparedRows rows = PreparedRows.prepare(op, c, new PreparedRows.Layout(spec.normalization(),
        op.party().input().keyColumns(), features, isLabel ? spec.labelColumn() : null, false, spec.seed(),
        spec.testFraction().doubleValue(), spec.partitions()), "train the model", STEP_ALIGN);
    if (rows.trainRows() == 0) {
      throw new InvalidInputException("Cannot train the model: every one of the " + rows.rows() + " aligned rows "
          + "is held out (testFraction " + spec.testFraction().toPlainString() + "). Lower testFraction or give "
          + "more rows.");
    }
    int dims = spec.bottom().dims();
    Exchange x = VflJobs.exchange(op, c, spec.labelParty(), dims, spec.batchSize(), spec.partitions());
    op.channel().createStreams(x.streams(true), (spec.epochs() + 1) * spec.partitions());
    VflJobs.checkRecordSize(op, spec.batchSize(), dims);

    ModelState state = initial(spec, features.size(), isLabel, op.spec().parties().indexOf(op.party()));
    Exchange.Noise noise = spec.noise() == null ? null : new Exchange.Noise(spec.noise().on().equals("z"),
        spec.noise().clip().doubleValue(), spec.noise().sigma(spec.epochs()));
    VflJobs.Totals totals = new VflJobs.Totals(spec.epochs() + 1, spec.partitions());
    double loss = Double.NaN;
    long trainStart = System.nanoTime();
    for (int e = 0; e < spec.epochs(); e++) {
      op.beginStep("epoch-" + (e + 1), "training epoch " + (e + 1) + " of " + spec.epochs() + " over "
          + rows.trainRows() + " rows in batches of " + spec.batchSize());
      List<Exchange.TaskResult> results = VflJobs.runTasks(rows.parts(),
          x.new Train(e, state.toBytes(), spec.seed(), noise));
      totals.add(results);
      long[] weights = results.stream().mapToLong(r -> r.rows).toArray();
      state = ModelState.average(results.stream().map(r -> ModelState.fromBytes(r.state)).toList(), weights);
      loss = results.stream().mapToDouble(r -> r.lossSum).sum() / rows.trainRows();
      op.progress("epoch " + (e + 1) + "/" + spec.epochs() + " done" + (isLabel
          ? String.format(Locale.ROOT, ", training loss %.5f", loss) : ""));
    }
    long trainMs = (System.nanoTime() - trainStart) / 1_000_000;
    OperatorResult.Builder b = OperatorResult.builder();
    if (rows.testRows() > 0) {
      op.beginStep("vfl-test", "scoring the " + rows.testRows() + " held-out rows");
      List<Exchange.TaskResult> scored = VflJobs.runTasks(rows.parts(), x.new Score(spec.epochs(),
          state.toBytes()));
      totals.add(scored);
      if (isLabel) {
        double auc = VflJobs.auc(op.spark(), scored);
        b.figure("testAuc", String.format(Locale.ROOT, "%.6f", auc));
        op.progress(String.format(Locale.ROOT, "test AUC %.4f over %d held-out rows", auc, rows.testRows()));
      }
    }
    if (isLabel) {
      b.figure("trainLoss", String.format(Locale.ROOT, "%.6f", loss));
    }
    rows.parts().unpersist(false);
    ModelTable model = new ModelTable(op.jobId(), me, features, state.bottom, state.top);
    return b.inputRows(rows.rows())
        .figure("inputRows", rows.rows())
        .figure("alignedRows", rows.rows())
        .figure("trainRows", rows.trainRows())
        .figure("testRows", rows.testRows())
        .figure("epochs", spec.epochs())
        .figure("trainMs", trainMs)
        .figure("modelSha256", model.sha256())
        .figure("bytesSent", totals.bytesSent())
        .figure("bytesReceived", totals.bytesReceived())
        .rounds(totals.rounds(me, spec.labelParty()), totals.steps())
        .output(model.toDataset(op.spark()))
        .build();
  }

  /** The initial model: seeded weights, the optimizer from the spec. */
  static ModelState initial(VflTrainSpec spec, int features, boolean isLabel, int partyIndex) {
    int dims = spec.bottom().dims();
    double lr = spec.learningRate().doubleValue();
    double l2 = spec.l2().doubleValue();
    Network bottom = features == 0 ? null : Network.create(features,
        spec.bottom().kind().equals("mlp") ? new int[] {spec.bottom().hidden()} : new int[0], dims, false,
        spec.seed() * 31 + partyIndex + 1);
    Network top = !isLabel ? null : Network.create(dims,
        spec.top().kind().equals("mlp") ? new int[] {spec.top().hidden()} : new int[0], 1, true, spec.seed());
    return new ModelState(bottom, bottom == null ? null : optimizer(spec.optimizer(), lr, l2), top,
        top == null ? null : optimizer(spec.optimizer(), lr, l2));
  }

  private static Optimizer optimizer(String kind, double lr, double l2) {
    return kind.equals("sgd") ? Optimizer.sgd(lr, l2) : Optimizer.adam(lr, l2);
  }
}
