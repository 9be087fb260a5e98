package io.veil.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veil.PolicyRefusedException;
import io.veil.psi.PsiMode;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The files users copy from {@code cluster-configs} stay valid: every example spec parses, every
 * example policy parses and approves the example specs of its party, and the README describes
 * every file.
 */
class ExampleSpecsTest {
  /** The cluster-configs module, from this module's directory (Maven) or the repository root (IDE). */
  private static final Path CONFIGS = Stream.of(Path.of("..", "cluster-configs"), Path.of("cluster-configs"))
      .filter(p -> Files.isDirectory(p.resolve("examples")))
      .findFirst()
      .orElseThrow(() -> new AssertionError("cluster-configs/examples not found from " + Path.of("").toAbsolutePath()));
  private static final Path EXAMPLES = CONFIGS.resolve("examples");

  private static List<Path> yamlFiles(String prefix, boolean policies) throws IOException {
    try (Stream<Path> s = Files.list(EXAMPLES)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".yaml"))
          .filter(p -> p.getFileName().toString().startsWith(prefix) == policies)
          .sorted()
          .toList();
    }
  }

  private static List<Path> specFiles() throws IOException {
    return yamlFiles("policy-", false);
  }

  private static List<Path> policyFiles() throws IOException {
    return yamlFiles("policy-", true);
  }

  @Test
  void thereAreExamplesToCheck() throws IOException {
    assertThat(specFiles()).extracting(p -> p.getFileName().toString())
        .contains("psi.yaml", "psi-cardinality.yaml", "aggregate.yaml", "feature-aggregate.yaml", "psi-sql.yaml",
            "multi-lender.yaml");
    assertThat(policyFiles()).extracting(p -> p.getFileName().toString())
        .contains("policy-bank_a.yaml", "policy-bank_b.yaml");
  }

  @TestFactory
  Stream<DynamicTest> everyExampleSpecParses() throws IOException {
    return specFiles().stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
      JobSpec spec = JobSpec.read(f, null);
      assertThat(spec.parties()).hasSizeGreaterThanOrEqualTo(2);
      assertThat(spec.jobId()).matches("[0-9a-f]{32}");
      // With a scheduler's --period, it is still valid and a different job.
      assertThat(JobSpec.read(f, "2026-11-05").jobId()).isNotEqualTo(spec.jobId());
    }));
  }

  /** For an input named in SQL, the table its example query reads (psi-sql.yaml's header). */
  private static List<PartyPolicy.SqlSource> sqlSources(JobSpec spec, String party) {
    if (spec.party(party).input() == null || !spec.party(party).input().format().equals("sql")) {
      return null;
    }
    return List.of(new PartyPolicy.SqlSource(true, party.equals("bank_a") ? "crm.customers" : "exports.customers"));
  }

  @TestFactory
  Stream<DynamicTest> everyExamplePolicyParsesAndApprovesTheExampleSpecs() throws IOException {
    List<JobSpec> specs = new ArrayList<>();
    for (Path f : specFiles()) {
      specs.add(JobSpec.read(f, null));
    }
    return policyFiles().stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
      PartyPolicy policy = PartyPolicy.read(f);
      assertThat(f.getFileName().toString()).isEqualTo("policy-" + policy.party() + ".yaml");
      int checked = 0;
      for (JobSpec spec : specs) {
        if (spec.parties().stream().anyMatch(p -> p.id().equals(policy.party()))) {
          assertThatCode(() -> policy.check(spec, policy.party(), sqlSources(spec, policy.party())))
              .as("%s approves %s", f, spec.name()).doesNotThrowAnyException();
          checked++;
        }
      }
      assertThat(checked).as("example specs naming %s", policy.party()).isGreaterThanOrEqualTo(2);
    }));
  }

  @Test
  void exampleColumnRulesKeepTheSegmentOutOfJobsWithOtherPeers() throws IOException {
    JobSpec withB = JobSpec.read(EXAMPLES.resolve("psi.yaml"), null);
    String keyB = withB.partyKeys().get("bank_b").encoded();
    String keyC = JobSpec.read(EXAMPLES.resolve("aggregate.yaml"), null).partyKeys().get("bank_c").encoded();
    String text = Files.readString(EXAMPLES.resolve("psi.yaml"), StandardCharsets.UTF_8);
    text = SpecFixtures.replaceOnce(text, "id: bank_b", "id: bank_c");
    text = SpecFixtures.replaceOnce(text, keyB, keyC);
    // bank_a receives the rows (bank_c is not among its outputRecipients).
    JobSpec withC = JobSpec.parse(SpecFixtures.replaceOnce(text, "recipients: [bank_a, bank_b]",
        "recipients: [bank_a]"), "psi-with-bank_c.yaml", null);
    PartyPolicy policyA = PartyPolicy.read(EXAMPLES.resolve("policy-bank_a.yaml"));
    assertThatCode(() -> policyA.check(withB, "bank_a")).doesNotThrowAnyException();
    assertThatThrownBy(() -> policyA.check(withC, "bank_a")).isInstanceOf(PolicyRefusedException.class)
        .hasMessageContaining("operator 'psi' uses column 'segment' as output with bank_c, but columnRules[4] "
            + "allows it only as [] (nothing)");
  }

  @Test
  void examplesShowWhatTheyAreAbout() throws IOException {
    JobSpec rows = JobSpec.read(EXAMPLES.resolve("psi.yaml"), null);
    assertThat(rows.settings(PsiSpec.class).mode()).isEqualTo(PsiMode.ROWS);
    assertThat(rows.party("bank_a").input().format()).isEqualTo("parquet");
    assertThat(rows.party("bank_a").input().path()).startsWith("hdfs://");
    assertThat(rows.party("bank_b").input().format()).isEqualTo("csv");
    assertThat(rows.party("bank_b").input().path()).startsWith("s3a://");
    JobSpec count = JobSpec.read(EXAMPLES.resolve("psi-cardinality.yaml"), null);
    assertThat(count.settings(PsiSpec.class).mode()).isEqualTo(PsiMode.CARDINALITY);
    assertThat(count.jobId()).isNotEqualTo(rows.jobId());
    JobSpec report = JobSpec.read(EXAMPLES.resolve("aggregate.yaml"), null);
    assertThat(report.dataParties()).containsExactly("bank_a", "bank_b", "bank_c");
    assertThat(report.settings(AggregateSpec.class).resultParty()).isEqualTo("regulator");
    assertThat(report.settings(AggregateSpec.class).groups()).isEqualTo(28);
    JobSpec features = JobSpec.read(EXAMPLES.resolve("feature-aggregate.yaml"), null);
    assertThat(features.settings(FeatureAggregateSpec.class).dims()).isEqualTo(4);
  }

  @Test
  void annotatedAggregationSpecsMentionEveryField() throws IOException {
    String agg = Files.readString(EXAMPLES.resolve("aggregate.yaml"), StandardCharsets.UTF_8);
    for (String field : List.of("aggregate", "resultParty", "groupBy", "column", "values", "buckets", "sums",
        "maxAbs", "scale", "as", "minGroupSize", "maxRowsPerParty", "dp", "partitions", "batchRows")) {
      assertThat(agg).as("aggregate.yaml documents '%s'", field).containsPattern("(?m)(^|[\\s`#{-])" + field + ":");
    }
    String fa = Files.readString(EXAMPLES.resolve("feature-aggregate.yaml"), StandardCharsets.UTF_8);
    for (String field : List.of("featureAggregate", "resultParty", "dims", "scale", "maxAbs", "normalize",
        "partitions", "batchRows", "keyColumns", "columns")) {
      assertThat(fa).as("feature-aggregate.yaml documents '%s'", field).containsPattern("(?m)(^|[\\s`#{-])" + field + ":");
    }
  }

  @Test
  void annotatedSpecMentionsEveryField() throws IOException {
    String text = Files.readString(EXAMPLES.resolve("psi.yaml"), StandardCharsets.UTF_8);
    for (String field : List.of("version", "name", "period", "operator", "peerTimeoutMs", "parties", "id",
        "publicKey", "input", "format", "path", "table", "options", "keyColumns", "columns", "schema", "output",
        "psi", "mode", "recipients", "normalize", "trim", "case", "partitions", "batchRows")) {
      assertThat(text).as("psi.yaml documents '%s'", field).containsPattern("(?m)(^|[\\s`#])" + field + ":");
    }
  }

  @Test
  void examplesSayTheirKeysAreExampleKeys() throws IOException {
    List<Path> all = new ArrayList<>(specFiles());
    all.addAll(policyFiles());
    for (Path f : all) {
      String text = Files.readString(f, StandardCharsets.UTF_8);
      assertThat(text).as("%s", f).contains("publicKey: ed25519:").contains("EXAMPLE KEY");
    }
  }

  @Test
  void emrStepIsValidJsonRunningTheCli() throws IOException {
    JsonNode step = new ObjectMapper().readTree(CONFIGS.resolve("spark/submit-emr-step.json").toFile());
    List<String> args = new ArrayList<>();
    step.at("/Steps/0/HadoopJarStep/Args").forEach(a -> args.add(a.asText()));
    assertThat(args).startsWith("spark-submit").contains("io.veil.jobs.VeilCli", "run", "--spec", "--party",
        "--key", "--policy");
  }

  @Test
  void kafkaPropertyTemplatesHoldPlaceholdersNotSecrets() throws IOException {
    for (String name : List.of("client-ssl.properties", "client-sasl-scram.properties")) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(CONFIGS.resolve("kafka").resolve(name), StandardCharsets.UTF_8)) {
        p.load(r);
      }
      Map<String, String> secrets = new TreeMap<>();
      p.stringPropertyNames().stream()
          .filter(k -> k.contains("password") || k.contains("jaas") || k.endsWith(".key"))
          .forEach(k -> secrets.put(k, p.getProperty(k)));
      assertThat(secrets).as(name).isNotEmpty();
      assertThat(secrets.values()).as(name).allSatisfy(v -> assertThat(v).contains("CHANGE_ME"));
      assertThat(p.getProperty("security.protocol")).as(name).isNotBlank();
    }
  }

  @Test
  void readmeDescribesEveryFile() throws IOException {
    String readme = Files.readString(CONFIGS.resolve("README.md"), StandardCharsets.UTF_8);
    List<String> files;
    try (Stream<Path> s = Files.walk(CONFIGS)) {
      files = s.filter(Files::isRegularFile)
          .map(p -> CONFIGS.relativize(p).toString().replace('\\', '/'))
          .filter(p -> !p.startsWith("target/") && !p.equals("pom.xml") && !p.equals("README.md"))
          .toList();
    }
    assertThat(files).isNotEmpty();
    assertThat(files).allSatisfy(f -> assertThat(readme).as("README mentions %s", f).contains(f));
  }
}
