package io.veil.vfl;

import io.veil.psi.KeyNormalization;
import io.veil.spec.ColumnUse;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Settings of joint prediction with a federated model ({@code operator: vfl-predict}, section
 * {@code vflPredict}): every party holds the rows to score (aligned by key) with the feature
 * columns its model part was trained on, in the same order ({@code input.columns}); the label party
 * holds the top model and alone learns the scores.
 *
 * @param labelParty the party holding the top model; it receives the scores (its output)
 * @param trainingJob the id of the vfl-train job that trained the model
 * @param models where each party keeps its model part, and the part's SHA-256 from the training
 *     job's receipt (figure {@code modelSha256}): the contract pins exactly which model is used
 * @param batchSize rows per exchange
 * @param partitions Spark partitions the rows are spread over
 * @param normalization key normalisation used for the alignment (as in PSI)
 */
public record VflPredictSpec(String labelParty, String trainingJob, Map<String, ModelPart> models, int batchSize,
    int partitions, KeyNormalization normalization) implements OperatorSettings {

  /**
   * One party's model part.
   *
   * @param path where the party's training output is (a path or table its Spark can read)
   * @param format the Spark data source it was written with ({@code parquet} by default)
   * @param sha256 the part's SHA-256 (64 hex digits) as the training job's receipt records it
   */
  public record ModelPart(String path, String format, String sha256) {}

  /** Reads and validates the {@code vflPredict} section against the spec's parties. */
  public static VflPredictSpec read(SpecSection s, List<PartySpec> parties) {
    s.require();
    s.allowOnly("labelParty", "trainingJob", "models", "batchSize", "partitions", "normalize");
    String label = VflSettings.labelParty(s, parties);
    String job = s.string("trainingJob", null);
    SpecSection m = s.child("models");
    if (!m.present()) {
      throw s.error("models", "is required: for each party, the path of its model part and its sha256");
    }
    m.allowOnly(parties.stream().map(PartySpec::id).toArray(String[]::new));
    Map<String, ModelPart> models = new TreeMap<>();
    for (PartySpec p : parties) {
      VflSettings.requireInput(s, p, "the feature columns its model part was trained on, in order");
      if (p.id().equals(label) ? p.output() == null : p.output() != null) {
        throw s.errorAt("parties[" + p.id() + "].output", p.id().equals(label)
            ? "is required: the label party receives the scores" : "is set but only the label party (" + label
            + ") receives the scores; remove it");
      }
      SpecSection part = m.child(p.id());
      if (!part.present()) {
        throw m.error(p.id(), "is required: where " + p.id() + " keeps its model part, and its sha256");
      }
      part.allowOnly("path", "format", "sha256");
      String sha = part.string("sha256", null).toLowerCase(Locale.ROOT);
      if (!sha.matches("[0-9a-f]{64}")) {
        throw part.error("sha256", "must be 64 hex digits: the modelSha256 figure of " + p.id()
            + "'s receipt of the training job");
      }
      models.put(p.id(), new ModelPart(part.string("path", null), part.string("format", "parquet"), sha));
    }
    VflSettings.requireSameKeyLength(s, parties);
    return new VflPredictSpec(label, job, models, s.integer("batchSize", 1024, 1, 1 << 20),
        s.integer("partitions", 2, 1, 10_000), s.normalization());
  }

  @Override
  public Map<String, Object> canonical() {
    Map<String, Object> m = new TreeMap<>();
    m.put("labelParty", labelParty);
    m.put("trainingJob", trainingJob);
    Map<String, Object> parts = new TreeMap<>();
    models.forEach((party, p) -> parts.put(party, Map.of("path", p.path(), "format", p.format(), "sha256",
        p.sha256())));
    m.put("models", parts);
    m.put("batchSize", batchSize);
    m.put("partitions", partitions);
    m.put("normalize", normalization.canonical());
    return m;
  }

  @Override
  public List<String> recipients() {
    return List.of(labelParty);
  }

  /** The key columns align the rows; the features are {@link ColumnUse#TRAIN} (used as the model was trained). */
  @Override
  public Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
    return VflSettings.columnUses(party);
  }
}
