package io.veil.vfl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.spec.ColumnUse;
import io.veil.spec.JobSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The vflTrain and vflPredict sections: the shipped examples, defaults, and errors naming the field. */
class VflSpecTest {
  private static final Path EXAMPLES = Path.of("..", "cluster-configs", "examples", "vfl");

  private static String example(String file) throws IOException {
    return Files.readString(EXAMPLES.resolve(file), StandardCharsets.UTF_8);
  }

  @Test
  void theShippedExamplesParse() throws IOException {
    JobSpec train = JobSpec.read(EXAMPLES.resolve("vfl-train.yaml"), null);
    VflTrainSpec t = train.settings(VflTrainSpec.class);
    assertThat(t.labelParty()).isEqualTo("guest");
    assertThat(t.features(train.party("guest"))).hasSize(13).doesNotContain("y");
    assertThat(t.features(train.party("host"))).hasSize(10);
    assertThat(t.epochs()).isEqualTo(15);
    assertThat(train.recipients()).containsExactly("guest", "host");
    assertThat(t.columnUses(train.party("guest")).get("y")).containsExactly(ColumnUse.TRAIN);
    assertThat(JobSpec.read(EXAMPLES.resolve("vfl-train.yaml"), "2026-12-01").jobId()).isNotEqualTo(train.jobId());

    JobSpec predict = JobSpec.read(EXAMPLES.resolve("vfl-predict.yaml"), "2026-12-01");
    VflPredictSpec p = predict.settings(VflPredictSpec.class);
    assertThat(p.models()).containsOnlyKeys("guest", "host");
    assertThat(predict.recipients()).containsExactly("guest");
    assertThat(predict.party("guest").input().path()).contains("2026-12-01");
  }

  @Test
  void defaultsAreExplicitInTheContract() throws IOException {
    String yaml = example("vfl-train.yaml").replace("  epochs: 15\n", "").replace("  learningRate: 0.01\n", "");
    JobSpec spec = JobSpec.parse(yaml, "t.yaml", null);
    VflTrainSpec t = spec.settings(VflTrainSpec.class);
    assertThat(t.epochs()).isEqualTo(10);
    assertThat(t.learningRate()).isEqualByComparingTo("0.05");
    assertThat(t.canonical()).containsEntry("epochs", 10).containsKey("noise");
    JobSpec explicit = JobSpec.parse(yaml.replace("vflTrain:\n", "vflTrain:\n  epochs: 10\n"), "t.yaml", null);
    assertThat(explicit.jobId()).isEqualTo(spec.jobId());
  }

  @Test
  void mistakesNameTheFieldAndTheFix() throws IOException {
    String train = example("vfl-train.yaml");
    assertThatThrownBy(() -> JobSpec.parse(train.replace("labelParty: guest", "labelParty: gust"), "t.yaml", null))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("vflTrain.labelParty")
        .hasMessageContaining("'gust'");
    assertThatThrownBy(() -> JobSpec.parse(train.replace("columns: [y, x0,", "columns: [x0,"), "t.yaml", null))
        .hasMessageContaining("parties[guest].input.columns").hasMessageContaining("label column 'y'");
    assertThatThrownBy(() -> JobSpec.parse(train.replace("top: {model: logistic}", "top: {model: forest}"), "t.yaml",
        null)).hasMessageContaining("vflTrain.top.model").hasMessageContaining("logistic, mlp");
    assertThatThrownBy(() -> JobSpec.parse(train.replace("  epochs: 15", "  epoch: 15"), "t.yaml", null))
        .hasMessageContaining("epoch");
    assertThatThrownBy(() -> JobSpec.parse(train.replace("bottom: {model: linear, dims: 1}",
        "bottom: {model: linear, hidden: 4}"), "t.yaml", null)).hasMessageContaining("vflTrain.bottom.hidden");
    assertThatThrownBy(() -> JobSpec.parse(train.replace("  # noise: {on: gradients, epsilon: 8, delta: 1e-5, clip: 1}",
        "  noise: {on: gradients, epsilon: 8, delta: 2}"), "t.yaml", null))
        .hasMessageContaining("vflTrain.noise.delta");
    assertThatThrownBy(() -> JobSpec.parse(train.replace("      path: s3a://host-veil/models/credit-vfl/\n", "")
        .replace("    output:\n\n", "\n"), "t.yaml", null)).isInstanceOf(InvalidInputException.class);

    assertThatThrownBy(() -> JobSpec.parse(train.replace("  epochs: 15", "  epochs: 9999").replace("partitions: 2",
        "partitions: 8"), "t.yaml", null)).hasMessageContaining("vflTrain.epochs").hasMessageContaining("80000");
    assertThatThrownBy(() -> JobSpec.parse(train.replace("keyColumns: [customer_id]",
        "keyColumns: [customer_id, branch]"), "t.yaml", null))
        .hasMessageContaining("parties[host].input.keyColumns").hasMessageContaining("match in length");

    String predict = example("vfl-predict.yaml");
    assertThatThrownBy(() -> JobSpec.parse(predict.replace("sha256: 9e8d", "sha256: zz8d"), "p.yaml", "2026-12"))
        .hasMessageContaining("vflPredict.models.host.sha256").hasMessageContaining("64 hex digits");
    assertThatThrownBy(() -> JobSpec.parse(predict.replace("  batchSize: 1024\n", "  batchSize: 1024\n  epochs: 3\n"),
        "p.yaml", "2026-12")).hasMessageContaining("epochs");
  }

  @Test
  void theLeakageStatementNamesTheRolesAndFollowsTheNoise() throws IOException {
    JobSpec plain = JobSpec.read(EXAMPLES.resolve("vfl-train.yaml"), null);
    java.util.List<io.veil.job.Leakage> s = plain.secureOperator().leakage(plain);
    assertThat(s).extracting(io.veil.job.Leakage::role).contains("guest (label party)",
        "each feature party (host)", "Kafka operator / network");
    assertThat(s.get(0).learns()).contains("15 epochs").contains("host's X W");
    assertThat(s.get(1).learns()).contains("learn the training labels");
    JobSpec noisy = JobSpec.parse(example("vfl-train.yaml").replace("  # noise: {on: gradients",
        "  noise: {on: gradients"), "t.yaml", null);
    java.util.List<io.veil.job.Leakage> n = noisy.secureOperator().leakage(noisy);
    assertThat(n.get(1).learns()).contains("Gaussian noise").contains("epsilon=8").doesNotContain("learn the training");
  }

  @Test
  void theGaussianMechanismSplitsTheBudgetOverTheEpochs() {
    VflTrainSpec.Noise n = new VflTrainSpec.Noise("gradients", new java.math.BigDecimal("8"),
        new java.math.BigDecimal("1e-5"), java.math.BigDecimal.ONE);
    // sigma = clip * sqrt(2 ln(1.25 / (delta / E))) / (epsilon / E)
    assertThat(n.sigma(1)).isCloseTo(Math.sqrt(2 * Math.log(1.25e5)) / 8, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(n.sigma(10)).isCloseTo(Math.sqrt(2 * Math.log(1.25e6)) / 0.8,
        org.assertj.core.data.Offset.offset(1e-12));
  }
}
