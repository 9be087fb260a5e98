package io.veil.vfl;

import io.veil.psi.KeyNormalization;
import io.veil.spec.ColumnUse;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Settings of vertical federated training ({@code operator: vfl-train}, section {@code vflTrain}):
 * every party holds the same rows (aligned by key, e.g. each party's output of one PSI job) with
 * its own feature columns ({@code input.columns}); the label party also holds the label column.
 * Each party trains its bottom model on its own features; only the sum of the bottom models'
 * outputs reaches the label party, which trains the top model and returns dL/dZ.
 *
 * @param labelParty the party holding the label and the top model
 * @param labelColumn the label column (0/1) of the label party's input; listed in its {@code columns}
 * @param bottom the bottom model every party trains on its own features
 * @param top the label party's top model
 * @param epochs passes over the training rows
 * @param batchSize rows per mini-batch (each is one exchange: Z shares up, dL/dZ down)
 * @param learningRate optimizer step size
 * @param optimizer {@code adam} or {@code sgd}
 * @param l2 L2 regularisation of every weight matrix
 * @param seed seeds the train/test split, the initial weights and the batch order (every party uses it)
 * @param testFraction share of the rows held out to measure the model (test AUC at the label party)
 * @param partitions Spark partitions the rows are spread over; each trains a copy of the model on its
 *     mini-batches and the copies are averaged after every epoch (1: plain sequential mini-batch SGD)
 * @param noise optional Gaussian noise on Z or on dL/dZ, with its privacy budget
 * @param normalization key normalisation used for the alignment (as in PSI)
 * @param parties every party, in spec order
 */
public record VflTrainSpec(
    String labelParty, String labelColumn, Model bottom, Model top, int epochs, int batchSize,
    BigDecimal learningRate, String optimizer, BigDecimal l2, long seed, BigDecimal testFraction, int partitions,
    Noise noise, KeyNormalization normalization, List<String> parties) implements OperatorSettings {

  /** Largest output width of a bottom model (the d of Z). */
  public static final int MAX_DIMS = 256;
  /** Most topic partitions a training job's streams may have: (epochs + 1) x partitions. */
  public static final int MAX_STREAM_PARTITIONS = 20_000;
  /** Largest hidden layer. */
  public static final int MAX_HIDDEN = 1024;

  /**
   * A network's shape.
   *
   * @param kind {@code linear} or {@code mlp} for a bottom model, {@code logistic} or {@code mlp} for the top
   * @param hidden the hidden layer's width (mlp only, else 0)
   * @param dims a bottom model's output width d (0 for the top model)
   */
  public record Model(String kind, int hidden, int dims) {
    Map<String, Object> canonical() {
      Map<String, Object> m = new TreeMap<>();
      m.put("model", kind);
      m.put("hidden", hidden);
      if (dims > 0) {
        m.put("dims", dims);
      }
      return m;
    }
  }

  /**
   * Gaussian noise on what one role releases to another, per row and epoch: each row's vector is
   * clipped to L2 norm {@code clip} and N(0, sigma^2) is added to every value, with sigma set by the
   * Gaussian mechanism for the budget ({@code epsilon}, {@code delta}) split evenly over the epochs
   * (basic composition: each row is released once per epoch).
   *
   * @param on {@code z} (each feature party's Z_i, protecting its features from the label party) or
   *     {@code gradients} (dL/dZ, protecting the labels from the feature parties)
   */
  public record Noise(String on, BigDecimal epsilon, BigDecimal delta, BigDecimal clip) {
    /** The standard deviation per release, for {@code epochs} releases of each row. */
    public double sigma(int epochs) {
      double eps = epsilon.doubleValue() / epochs;
      double del = delta.doubleValue() / epochs;
      return clip.doubleValue() * Math.sqrt(2 * Math.log(1.25 / del)) / eps;
    }

    Map<String, Object> canonical() {
      Map<String, Object> m = new TreeMap<>();
      m.put("on", on);
      m.put("epsilon", epsilon.stripTrailingZeros().toPlainString());
      m.put("delta", delta.stripTrailingZeros().toPlainString());
      m.put("clip", clip.stripTrailingZeros().toPlainString());
      return m;
    }
  }

  /** The feature columns of {@code party}: its {@code input.columns}, without the label. */
  public List<String> features(PartySpec party) {
    List<String> out = new ArrayList<>(party.input().columns());
    if (party.id().equals(labelParty)) {
      out.remove(labelColumn);
    }
    return List.copyOf(out);
  }

  /** Reads and validates the {@code vflTrain} section against the spec's parties. */
  public static VflTrainSpec read(SpecSection s, List<PartySpec> parties) {
    s.require();
    s.allowOnly("labelParty", "labelColumn", "bottom", "top", "epochs", "batchSize", "learningRate", "optimizer",
        "l2", "seed", "testFraction", "partitions", "noise", "normalize");
    String label = VflSettings.labelParty(s, parties);
    String labelColumn = s.string("labelColumn", null);
    for (PartySpec p : parties) {
      VflSettings.requireInput(s, p, "its own feature columns (input.columns)");
      List<String> cols = p.input().columns();
      boolean isLabel = p.id().equals(label);
      if (isLabel && !cols.contains(labelColumn)) {
        throw s.errorAt("parties[" + p.id() + "].input.columns", "must list the label column '" + labelColumn
            + "' (vflTrain.labelColumn) beside " + p.id() + "'s features");
      }
      if (!isLabel && cols.isEmpty()) {
        throw s.errorAt("parties[" + p.id() + "].input.columns", "lists no feature; every party other than the "
            + "label party contributes at least one feature column");
      }
      if (p.output() == null) {
        throw s.errorAt("parties[" + p.id() + "].output", "is required: each party keeps its own part of the "
            + "trained model there (a table of its weights)");
      }
    }
    VflSettings.requireSameKeyLength(s, parties);
    SpecSection b = s.child("bottom");
    b.allowOnly("model", "hidden", "dims");
    String bottomKind = VflSettings.oneOf(b, "model", "linear", "linear", "mlp");
    Model bottom = new Model(bottomKind, bottomKind.equals("mlp") ? b.integer("hidden", 8, 1, MAX_HIDDEN) : 0,
        b.integer("dims", 1, 1, MAX_DIMS));
    if (bottomKind.equals("linear") && b.has("hidden")) {
      throw b.error("hidden", "is only for model: mlp; remove it or use model: mlp");
    }
    SpecSection t = s.child("top");
    t.allowOnly("model", "hidden");
    String topKind = VflSettings.oneOf(t, "model", "logistic", "logistic", "mlp");
    Model top = new Model(topKind, topKind.equals("mlp") ? t.integer("hidden", 8, 1, MAX_HIDDEN) : 0, 0);
    if (topKind.equals("logistic") && t.has("hidden")) {
      throw t.error("hidden", "is only for model: mlp; remove it or use model: mlp");
    }
    BigDecimal lr = VflSettings.positive(s, "learningRate", "0.05");
    BigDecimal l2 = s.decimal("l2", false).orElse(BigDecimal.ZERO);
    if (l2.signum() < 0) {
      throw s.error("l2", "must be 0 or more");
    }
    BigDecimal testFraction = s.decimal("testFraction", false).orElse(new BigDecimal("0.2"));
    if (testFraction.signum() < 0 || testFraction.compareTo(new BigDecimal("0.9")) > 0) {
      throw s.error("testFraction", "must be between 0 and 0.9 (0: no held-out rows, no test AUC)");
    }
    Noise noise = null;
    SpecSection n = s.child("noise");
    if (n.present()) {
      n.allowOnly("on", "epsilon", "delta", "clip");
      noise = new Noise(VflSettings.oneOf(n, "on", null, "z", "gradients"), VflSettings.positive(n, "epsilon", null),
          VflSettings.positive(n, "delta", null), VflSettings.positive(n, "clip", "1"));
      if (noise.delta().compareTo(BigDecimal.ONE) >= 0) {
        throw n.error("delta", "must be below 1 (typically 1e-5 or less)");
      }
    }
    int epochs = s.integer("epochs", 10, 1, 10_000);
    int partitions = s.integer("partitions", 2, 1, 10_000);
    if ((long) (epochs + 1) * partitions > MAX_STREAM_PARTITIONS) {
      throw s.error("epochs", "times partitions is too large: each epoch's partitions are partitions of the job's "
          + "topics, (epochs + 1) x partitions = " + (long) (epochs + 1) * partitions + ", at most "
          + MAX_STREAM_PARTITIONS + "; lower epochs or partitions");
    }
    return new VflTrainSpec(label, labelColumn, bottom, top, epochs,
        s.integer("batchSize", 256, 1, 1 << 20), lr, VflSettings.oneOf(s, "optimizer", "adam", "adam", "sgd"), l2,
        s.longValue("seed", 42, 0), testFraction, partitions, noise, s.normalization(),
        parties.stream().map(PartySpec::id).toList());
  }

  @Override
  public Map<String, Object> canonical() {
    Map<String, Object> m = new TreeMap<>();
    m.put("labelParty", labelParty);
    m.put("labelColumn", labelColumn);
    m.put("bottom", bottom.canonical());
    m.put("top", top.canonical());
    m.put("epochs", epochs);
    m.put("batchSize", batchSize);
    m.put("learningRate", learningRate.stripTrailingZeros().toPlainString());
    m.put("optimizer", optimizer);
    m.put("l2", l2.stripTrailingZeros().toPlainString());
    m.put("seed", seed);
    m.put("testFraction", testFraction.stripTrailingZeros().toPlainString());
    m.put("partitions", partitions);
    m.put("noise", noise == null ? null : noise.canonical());
    m.put("normalize", normalization.canonical());
    return m;
  }

  /** Every party receives its part of the jointly trained model (the label party also the test AUC). */
  @Override
  public List<String> recipients() {
    return List.copyOf(parties);
  }

  /** The key columns align the rows; the features and the label are {@link ColumnUse#TRAIN}. */
  @Override
  public Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
    return VflSettings.columnUses(party);
  }

  @Override
  public String label(String operator) {
    return operator + "-" + bottom.kind() + "-" + top.kind();
  }
}
