package io.veil.spec;

import static io.veil.spec.SpecFixtures.fullSpec;
import static io.veil.spec.SpecFixtures.keyA;
import static io.veil.spec.SpecFixtures.keyB;
import static io.veil.spec.SpecFixtures.keyC;
import static io.veil.spec.SpecFixtures.minimalSpec;
import static io.veil.spec.SpecFixtures.policyA;
import static io.veil.spec.SpecFixtures.replaceOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.PolicyRefusedException;
import io.veil.psi.PsiMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PartyPolicyTest {
  private static final String SOURCE = "policy-bank_a.yaml";

  private static PartyPolicy policy(String yaml) {
    return PartyPolicy.parse(yaml, SOURCE);
  }

  private static JobSpec spec(String yaml) {
    return JobSpec.parse(yaml, "psi.yaml", null);
  }

  /** bank_a's policy with every optional rule set, allowing {@link SpecFixtures#fullSpec()}. */
  private static String strictPolicyA() {
    return policyA() + String.join("\n",
        "psiModes: [rows]",
        "columns: [national_id, birth_date, segment]",
        "inputPaths: [hdfs://nn/data/bank_a/]",
        "");
  }

  // ---------------------------------------------------------------- allowed

  @Test
  void allowedSpecPasses() {
    assertThatCode(() -> policy(policyA()).check(spec(minimalSpec()), "bank_a")).doesNotThrowAnyException();
    assertThatCode(() -> policy(policyA()).check(spec(fullSpec()), "bank_a")).doesNotThrowAnyException();
    assertThatCode(() -> policy(strictPolicyA()).check(spec(fullSpec()), "bank_a")).doesNotThrowAnyException();
  }

  @Test
  void bothPartiesApproveWithTheirOwnPolicies() {
    String policyB = String.join("\n",
        "party: bank_b",
        "peers: [{id: bank_a, publicKey: '" + keyA() + "'}]",
        "operators: [PSI]",
        "outputRecipients: [bank_a, bank_b]",
        "columns: [nid, dob]",
        "inputPaths: [s3a://bank-b/]",
        "");
    // bank_b's policy restricts columns, so the spec must say which of bank_b's columns it keeps: the keys only.
    JobSpec s = spec(replaceOnce(fullSpec(), "      keyColumns: [nid, dob]\n", "      keyColumns: [nid, dob]\n      columns: []\n"));
    assertThatCode(() -> policy(strictPolicyA()).check(s, "bank_a")).doesNotThrowAnyException();
    assertThatCode(() -> PartyPolicy.parse(policyB, "policy-bank_b.yaml").check(s, "bank_b")).doesNotThrowAnyException();
  }

  @Test
  void policyDefaultsAllowBothPsiModes() {
    PartyPolicy p = policy(policyA());
    assertThat(p.party()).isEqualTo("bank_a");
    assertThat(p.allowsMode(PsiMode.ROWS)).isTrue();
    assertThat(p.allowsMode(PsiMode.CARDINALITY)).isTrue();
    assertThat(policy(strictPolicyA()).allowsMode(PsiMode.CARDINALITY)).isFalse();
  }

  // ---------------------------------------------------------------- refusals

  static Stream<Arguments> refusals() {
    String full = fullSpec();
    return Stream.of(
        refused("operator", policyA().replace("operators: [psi]", "operators: [secure-sum]"), full, "bank_a",
            "operator 'psi' is not in 'operators'"),
        refused("mode", policyA() + "psiModes: [cardinality]\n", full, "bank_a",
            "PSI mode 'rows' is not in 'psiModes'"),
        refused("unknown peer", policyA().replace("id: bank_b", "id: bank_c").replace(keyB(), keyC()), full, "bank_a",
            "peer 'bank_b' is not in 'peers'"),
        refused("no peers at all", "party: bank_a\noperators: [psi]\noutputRecipients: [bank_a, bank_b]\n", full,
            "bank_a", "peer 'bank_b' is not in 'peers'"),
        refused("different pinned key", policyA().replace(keyB(), keyC()), full, "bank_a",
            "the spec pins a different public key for 'bank_b' than the policy"),
        refused("recipient", policyA().replace("outputRecipients: [bank_a, bank_b]", "outputRecipients: [bank_a]"),
            full, "bank_a", "output recipient 'bank_b' is not in 'outputRecipients'"),
        refused("key column", policyA() + "columns: [national_id, segment]\n", full, "bank_a",
            "column 'birth_date' is not in 'columns'"),
        refused("output column", policyA() + "columns: [national_id, birth_date]\n", full, "bank_a",
            "column 'segment' is not in 'columns'"),
        refused("input path", policyA() + "inputPaths: [hdfs://nn/data/bank_a/other/]\n", full, "bank_a",
            "input path 'hdfs://nn/data/bank_a/customers' is outside 'inputPaths'"),
        refused("wrong party", policyA(), full, "bank_b", "it is the policy of 'bank_a', not of 'bank_b'"),
        refused("all columns kept under a column rule", policyA() + "columns: [id]\n", minimalSpec(), "bank_a",
            "the spec keeps every column of bank_a's input (its 'columns' is not set)"),
        refused("input path with ..", policyA() + "inputPaths: [hdfs://nn/data/bank_a/]\n",
            full.replace("hdfs://nn/data/bank_a/customers", "hdfs://nn/data/bank_a/../hr/salaries"), "bank_a",
            "input path 'hdfs://nn/data/bank_a/../hr/salaries' contains '..'"),
        refused("input path in a sibling directory", policyA() + "inputPaths: [hdfs://nn/data/bank]\n", full, "bank_a",
            "input path 'hdfs://nn/data/bank_a/customers' is outside 'inputPaths'"),
        refused("table input outside inputPaths", policyA() + "inputPaths: [hdfs://nn/data/bank_a/]\n",
            tableInputA("hr.salaries"), "bank_a", "input table 'hr.salaries' is outside 'inputPaths'"),
        refused("table in a database with a longer name", policyA() + "inputPaths: [crm]\n",
            tableInputA("crm_hr.salaries"), "bank_a", "input table 'crm_hr.salaries' is outside 'inputPaths'"),
        refused("JDBC input outside inputPaths", policyA() + "inputPaths: [jdbc:postgresql://crm-db:5432/crm]\n",
            jdbcInputA("jdbc:postgresql://hr-db:5432/hr"), "bank_a",
            "JDBC url 'jdbc:postgresql://hr-db:5432/hr' is outside 'inputPaths'"),
        refused("JDBC input without url", policyA() + "inputPaths: [jdbc:postgresql://crm-db:5432/crm]\n",
            jdbcInputA(null), "bank_a", "the JDBC url is not set"));
  }

  /** The full spec with bank_a reading a catalog table. */
  private static String tableInputA(String table) {
    return fullSpec().replace("      format: parquet\n      path: hdfs://nn/data/bank_a/customers\n",
        "      format: table\n      table: " + table + "\n");
  }

  /** The full spec with bank_a reading a JDBC table (url null: no url option). */
  private static String jdbcInputA(String url) {
    return fullSpec().replace("      format: parquet\n      path: hdfs://nn/data/bank_a/customers\n",
        "      format: jdbc\n      table: public.customers\n"
            + (url == null ? "" : "      options:\n        url: '" + url + "'\n"));
  }

  static Stream<Arguments> allowedLocations() {
    return Stream.of(
        Arguments.of("hdfs://nn/data/bank_a/", fullSpec()),
        Arguments.of("hdfs://nn/data/bank_a", fullSpec()),
        Arguments.of("hdfs://nn/data/bank_a/customers", fullSpec()),
        Arguments.of("crm.", tableInputA("crm.customers")),
        Arguments.of("crm", tableInputA("crm.customers")),
        Arguments.of("crm.customers", tableInputA("crm.customers")),
        Arguments.of("jdbc:postgresql://crm-db:5432/crm", jdbcInputA("jdbc:postgresql://crm-db:5432/crm")),
        Arguments.of("jdbc:postgresql://crm-db:5432/crm", jdbcInputA("jdbc:postgresql://crm-db:5432/crm?ssl=true")));
  }

  @ParameterizedTest(name = "inputPaths [{0}]")
  @MethodSource("allowedLocations")
  void inputWithinAnAllowedLocationPasses(String prefix, String specYaml) {
    PartyPolicy p = policy(policyA() + "inputPaths: ['other/', '" + prefix + "']\n");
    assertThatCode(() -> p.check(spec(specYaml), "bank_a")).doesNotThrowAnyException();
  }

  private static Arguments refused(String rule, String policy, String spec, String me, String reason) {
    return Arguments.of(rule, policy, spec, me, reason);
  }

  @ParameterizedTest(name = "refuses: {0}")
  @MethodSource("refusals")
  void eachRuleRefusesWithAMessageNamingIt(String rule, String policyYaml, String specYaml, String me, String reason) {
    PartyPolicy p = policy(policyYaml);
    JobSpec s = spec(specYaml);
    assertThatThrownBy(() -> p.check(s, me))
        .isInstanceOf(PolicyRefusedException.class)
        .hasMessageStartingWith("Cannot approve the job under policy " + SOURCE + ": " + reason)
        .hasMessageEndingWith(".")
        .message().matches(m -> m.split("\\. ").length >= 2, "has a sentence saying how to fix it");
  }

  @Test
  void operatorsAndModesAreCaseInsensitive() {
    assertThatCode(() -> policy(policyA().replace("operators: [psi]", "operators: [PSI]") + "psiModes: [ROWS]\n")
        .check(spec(fullSpec()), "bank_a")).doesNotThrowAnyException();
  }

  @Test
  void cardinalitySpecPassesACardinalityOnlyPolicy() {
    String cardinality = fullSpec().replace("mode: rows", "mode: cardinality");
    assertThatCode(() -> policy(policyA() + "psiModes: [cardinality]\n").check(spec(cardinality), "bank_a"))
        .doesNotThrowAnyException();
  }

  // ---------------------------------------------------------------- reading policies

  static Stream<Arguments> invalidPolicies() {
    return Stream.of(
        Arguments.of("unknown field", policyA() + "maxRows: 10\n", List.of("unknown field 'maxRows'")),
        Arguments.of("missing party", policyA().replace("party: bank_a\n", ""), List.of("'party' is required")),
        Arguments.of("missing operators", policyA().replace("operators: [psi]\n", ""), List.of("'operators' is required")),
        Arguments.of("missing outputRecipients", policyA().replace("outputRecipients: [bank_a, bank_b]\n", ""),
            List.of("'outputRecipients' is required")),
        Arguments.of("peers not a list", "party: bank_a\npeers: bank_b\noperators: [psi]\noutputRecipients: [bank_a]\n",
            List.of("'peers' must be a list")),
        Arguments.of("unknown peer field", policyA().replace("    publicKey:", "    role: x\n    publicKey:"),
            List.of("unknown field 'peers[0].role'")),
        Arguments.of("peer without key", policyA().replace("    publicKey: " + keyB() + "\n", ""),
            List.of("'peers[0].publicKey' is required")),
        Arguments.of("not YAML", "party: [bank_a\n", List.of("not valid YAML")),
        Arguments.of("empty", "", List.of("empty or not a mapping")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidPolicies")
  void invalidPolicyIsBadInput(String what, String yaml, List<String> fragments) {
    assertThatThrownBy(() -> policy(yaml))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot read policy " + SOURCE + ": ")
        .hasMessageContainingAll(fragments.toArray(String[]::new));
  }

  @Test
  void badPeerKeyIsBadInputNamingTheField() {
    assertThatThrownBy(() -> policy(policyA().replace(keyB(), "ed25519:AAAA")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot read policy " + SOURCE + ": 'peers[0].publicKey' is not a valid key");
  }

  @Test
  void repeatedPeerIsBadInput() {
    String twice = policyA().replace("operators:", "  - id: bank_b\n    publicKey: " + keyC() + "\noperators:");
    assertThatThrownBy(() -> policy(twice))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'peers[1].id' repeats peer 'bank_b'");
  }

  @Test
  void repeatedKeyInAMappingIsBadInput() {
    assertThatThrownBy(() -> policy(policyA() + "operators: [psi, sum]\n"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("Duplicate field 'operators'");
  }

  @Test
  void readsAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, policyA(), StandardCharsets.UTF_8);
    assertThat(PartyPolicy.read(file).party()).isEqualTo("bank_a");
    assertThatThrownBy(() -> PartyPolicy.read(dir.resolve("missing.yaml")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("missing.yaml")
        .hasMessageContaining("--policy");
  }
}
