package io.veil.spec;

import static io.veil.spec.SpecFixtures.keyC;
import static io.veil.spec.SpecFixtures.minimalSpec;
import static io.veil.spec.SpecFixtures.replaceOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The spec fields for data-asset authorisation ({@code authorisation}, {@code input.asset}) and the algorithm hash. */
class AssetAuthorisationSpecTest {
  private static final String SOURCE = "assets.yaml";
  private static final String ASSET_A = "a1".repeat(32);
  private static final String ASSET_B = "b2".repeat(32);

  private static JobSpec parse(String yaml) {
    return JobSpec.parse(yaml, SOURCE, null);
  }

  /** The minimal spec with both inputs declaring an asset and authorisation required. */
  private static String withAssets() {
    String m = replaceOnce(minimalSpec(), "keyColumns: [id]", "keyColumns: [id]\n      asset: " + ASSET_A);
    m = replaceOnce(m, "keyColumns: [customer_id]", "keyColumns: [customer_id]\n      asset: " + ASSET_B);
    return "authorisation: required\n" + m;
  }

  @Test
  void readsAssetsAndTheAuthorisationSetting() {
    JobSpec spec = parse(withAssets());
    assertThat(spec.authorisationRequired()).isTrue();
    assertThat(spec.party("bank_a").input().asset()).isEqualTo(ASSET_A);
    assertThat(spec.party("bank_b").input().asset()).isEqualTo(ASSET_B);

    JobSpec plain = parse(minimalSpec());
    assertThat(plain.authorisationRequired()).isFalse();
    assertThat(plain.party("bank_a").input().asset()).isNull();
  }

  @Test
  void absentFieldsAndExplicitNoneKeepTheContractHashOfOlderSpecs() {
    String before = parse(minimalSpec()).contractHash();
    assertThat(parse("authorisation: none\n" + minimalSpec()).contractHash()).isEqualTo(before);
    assertThat(parse("authorisation: NONE\n" + minimalSpec()).contractHash()).isEqualTo(before);
    assertThat(parse(minimalSpec()).canonicalJson()).doesNotContain("asset").doesNotContain("authorisation");
  }

  @Test
  void assetsAndAuthorisationAreCoveredByTheContractHash() {
    JobSpec spec = parse(withAssets());
    String otherAsset = parse(withAssets().replace(ASSET_B, "c3".repeat(32))).contractHash();
    String notRequired = parse(withAssets().replace("authorisation: required", "authorisation: none"))
        .contractHash();
    String noAssets = parse(minimalSpec()).contractHash();
    assertThat(List.of(otherAsset, notRequired, noAssets)).doesNotContain(spec.contractHash()).doesNotHaveDuplicates();
    // The canonical JSON stays a valid spec with the same contract.
    assertThat(parse(spec.canonicalJson()).contractHash()).isEqualTo(spec.contractHash());
  }

  @Test
  void algorithmHashIgnoresNamePeriodPartiesAssetsAndAuthorisation() {
    JobSpec base = parse(minimalSpec());
    List<JobSpec> sameAlgorithm = List.of(
        parse(withAssets()),
        JobSpec.parse(minimalSpec(), SOURCE, "2026-12"),
        parse(replaceOnce(minimalSpec(), "name: customer-overlap", "name: other-job")),
        parse(replaceOnce(minimalSpec(), "publicKey: " + SpecFixtures.keyB(), "publicKey: " + keyC())),
        parse(replaceOnce(minimalSpec(), "path: s3a://bank-b/customers.csv", "path: s3a://bank-b/2027.csv")),
        parse(minimalSpec() + "peerTimeoutMs: 600000\n"),
        parse(minimalSpec() + "psi:\n  mode: rows\n  partitions: 8\n"));
    for (JobSpec s : sameAlgorithm) {
      assertThat(s.algorithmHash()).isEqualTo(base.algorithmHash());
      assertThat(s.algorithmHash()).isNotEqualTo(s.contractHash()).hasSize(64);
    }
    assertThat(sameAlgorithm.stream().map(JobSpec::contractHash).distinct()).hasSize(sameAlgorithm.size());
  }

  @Test
  void algorithmHashChangesWithTheOperatorSettings() {
    String base = parse(minimalSpec()).algorithmHash();
    for (String section : List.of("psi:\n  mode: cardinality\n", "psi:\n  recipients: [bank_a]\n",
        "psi:\n  partitions: 9\n", "psi:\n  normalize:\n    case: lower\n")) {
      assertThat(parse(minimalSpec() + section).algorithmHash()).as(section).isNotEqualTo(base);
    }
  }

  static Stream<Arguments> invalid() {
    String a = withAssets();
    return Stream.of(
        Arguments.of("unknown authorisation", a.replace("authorisation: required", "authorisation: maybe"),
            List.of("'authorisation' is 'maybe'", "none or required")),
        Arguments.of("authorisation a list", a.replace("authorisation: required", "authorisation: [required]"),
            List.of("'authorisation' must be a text value")),
        Arguments.of("asset not hex", a.replace(ASSET_A, "z".repeat(64)), List.of("'parties[0].input.asset'")),
        Arguments.of("asset too short", a.replace(ASSET_A, ASSET_A.substring(2)), List.of("'parties[0].input.asset'")),
        Arguments.of("asset with 0x", a.replace(ASSET_A, "0x" + ASSET_A), List.of("'parties[0].input.asset'", "0x")),
        Arguments.of("asset upper case", a.replace(ASSET_B, ASSET_B.toUpperCase()),
            List.of("'parties[1].input.asset'", "lower-case")),
        Arguments.of("asset zero", a.replace(ASSET_A, "0".repeat(64)), List.of("'parties[0].input.asset'", "non-zero")),
        Arguments.of("required but a party has no asset", a.replace("\n      asset: " + ASSET_B, ""),
            List.of("'parties[bank_b].input.asset' is required", "party bank_b", "'authorisation' is required")),
        Arguments.of("asset outside input", replaceOnce(a, "  - id: bank_a\n", "  - id: bank_a\n    asset: " + ASSET_A
            + "\n"), List.of("unknown field 'parties[0].asset'")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void invalidFieldsAreRefusedNamingTheField(String what, String yaml, List<String> fragments) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot read job spec " + SOURCE + ": ")
        .hasMessageContainingAll(fragments.toArray(String[]::new));
  }

  @Test
  void aPartyWithoutInputNeedsNoAsset() {
    // aggregate: a result party without input takes part in an authorised job without an asset
    String spec = String.join("\n",
        "name: totals",
        "operator: aggregate",
        "authorisation: required",
        "parties:",
        "  - id: bank_a",
        "    publicKey: " + SpecFixtures.keyA(),
        "    input: {format: parquet, path: /a, asset: " + ASSET_A + "}",
        "  - id: bank_b",
        "    publicKey: " + SpecFixtures.keyB(),
        "    input: {format: parquet, path: /b, asset: " + ASSET_B + "}",
        "  - id: bank_c",
        "    publicKey: " + keyC(),
        "    output: {path: /out}",
        "aggregate:",
        "  resultParty: bank_c",
        "  groupBy:",
        "    - {column: region, values: [north, south]}",
        "  sums:",
        "    - {column: amount, maxAbs: 1000000, scale: 2}",
        "");
    JobSpec parsed = parse(spec);
    assertThat(parsed.authorisationRequired()).isTrue();
    assertThat(parsed.party("bank_c").input()).isNull();
  }
}
