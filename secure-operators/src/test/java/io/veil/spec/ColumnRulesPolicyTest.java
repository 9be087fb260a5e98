package io.veil.spec;

import static io.veil.spec.SpecFixtures.AGGREGATE_SECTION;
import static io.veil.spec.SpecFixtures.aggregateSpec;
import static io.veil.spec.SpecFixtures.featureAggregateSpec;
import static io.veil.spec.SpecFixtures.fullSpec;
import static io.veil.spec.SpecFixtures.keyB;
import static io.veil.spec.SpecFixtures.keyC;
import static io.veil.spec.SpecFixtures.minimalSpec;
import static io.veil.spec.SpecFixtures.replaceOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.PolicyRefusedException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A party's policy {@code columnRules}: how each operator uses each column of the party's input
 * ({@link OperatorSettings#columnUses}), and which uses the rules allow with which peer.
 */
class ColumnRulesPolicyTest {
  private static final String SOURCE = "policy-bank_a.yaml";
  private static final String REFUSED = "Cannot approve the job under policy " + SOURCE + ": ";

  /** bank_a's policy allowing every operator with bank_b and bank_c, with these column rules (none: {@code []}). */
  private static String policy(String... rules) {
    return String.join("\n",
        "party: bank_a",
        "peers:",
        "  - {id: bank_b, publicKey: " + keyB() + "}",
        "  - {id: bank_c, publicKey: " + keyC() + "}",
        "operators: [psi, aggregate, feature-aggregate]",
        "outputRecipients: [bank_a, bank_b, bank_c]",
        rules.length == 0 ? "columnRules: []" : "columnRules:\n" + String.join("\n", rules),
        "");
  }

  private static String rule(String column, String allow) {
    return "  - {column: " + column + ", allow: " + allow + "}";
  }

  private static String rule(String column, String allow, String peers) {
    return "  - {column: " + column + ", allow: " + allow + ", peers: " + peers + "}";
  }

  /** PSI, rows mode, both receive: bank_a's keys national_id, birth_date and its kept column segment. */
  private static JobSpec psiRows() {
    return spec(fullSpec());
  }

  private static JobSpec psiCardinality() {
    return spec(replaceOnce(fullSpec(), "mode: rows", "mode: cardinality"));
  }

  /** PSI in rows mode where only bank_b receives rows: bank_a's kept column is never shown. */
  private static JobSpec psiBankBReceives() {
    return spec(replaceOnce(fullSpec(), "recipients: [bank_a, bank_b]", "recipients: [bank_b]"));
  }

  /** Aggregate: bank_a groups by region and age and sums amount, with bank_b; bank_c receives. */
  private static JobSpec aggregate() {
    return spec(aggregateSpec(AGGREGATE_SECTION));
  }

  /** Feature aggregation: bank_a aligns by id and contributes z0, z1, with bank_b. */
  private static JobSpec featureAggregate() {
    return spec(featureAggregateSpec());
  }

  private static JobSpec spec(String yaml) {
    return JobSpec.parse(yaml, "spec.yaml", null);
  }

  private static final String[] PSI_RULES = {
      rule("national_id", "[join-key]"), rule("birth_date", "[join-key]"), rule("segment", "[output]")};
  private static final String[] AGGREGATE_RULES = {
      rule("region", "[group-by]"), rule("age", "[group-by]"), rule("amount", "[aggregate]")};
  private static final String[] FEATURE_RULES = {
      rule("id", "[join-key]"), rule("z0", "[aggregate]"), rule("z1", "[aggregate]")};

  private static void approves(String policy, JobSpec spec) {
    assertThatCode(() -> PartyPolicy.parse(policy, SOURCE).check(spec, "bank_a")).doesNotThrowAnyException();
  }

  private static void refuses(String policy, JobSpec spec, String reason) {
    PartyPolicy p = PartyPolicy.parse(policy, SOURCE);
    assertThatThrownBy(() -> p.check(spec, "bank_a"))
        .isInstanceOf(PolicyRefusedException.class)
        .hasMessageStartingWith(REFUSED + reason)
        .hasMessageEndingWith(".");
  }

  // ---------------------------------------------------------------- how operators use columns

  @Test
  void operatorsDeclareHowTheyUseEachColumn() {
    Set<ColumnUse> key = EnumSet.of(ColumnUse.JOIN_KEY);
    Set<ColumnUse> none = EnumSet.noneOf(ColumnUse.class);
    assertThat(psiRows().columnUses("bank_a")).containsExactly(Map.entry("national_id", key),
        Map.entry("birth_date", key), Map.entry("segment", EnumSet.of(ColumnUse.OUTPUT)));
    assertThat(psiCardinality().columnUses("bank_a")).containsExactly(Map.entry("national_id", key),
        Map.entry("birth_date", key), Map.entry("segment", none));
    assertThat(psiBankBReceives().columnUses("bank_a")).containsEntry("segment", none);
    assertThat(psiBankBReceives().columnUses("bank_b")).containsOnlyKeys("nid", "dob");
    assertThat(aggregate().columnUses("bank_a")).containsExactly(Map.entry("region", EnumSet.of(ColumnUse.GROUP_BY)),
        Map.entry("age", EnumSet.of(ColumnUse.GROUP_BY)), Map.entry("amount", EnumSet.of(ColumnUse.AGGREGATE)));
    assertThat(aggregate().columnUses("bank_c")).as("the result party without input").isEmpty();
    assertThat(featureAggregate().columnUses("bank_b")).containsExactly(Map.entry("cid", key),
        Map.entry("h0", EnumSet.of(ColumnUse.AGGREGATE)), Map.entry("h1", EnumSet.of(ColumnUse.AGGREGATE)));
    // columnsUsed (what the policy's 'columns' checks) is the same columns, in the same order.
    for (JobSpec s : List.of(psiRows(), psiCardinality(), aggregate(), featureAggregate())) {
      assertThat(s.columnsUsed("bank_a")).containsExactlyElementsOf(s.columnUses("bank_a").keySet());
    }
  }

  @Test
  void aKeyColumnAlsoKeptHasBothUses() {
    JobSpec s = spec(replaceOnce(fullSpec(), "columns: [segment]", "columns: [segment, national_id]"));
    assertThat(s.columnUses("bank_a").get("national_id")).containsExactly(ColumnUse.JOIN_KEY, ColumnUse.OUTPUT);
    assertThat(s.columnsUsed("bank_a")).containsExactly("national_id", "birth_date", "segment");
    refuses(policy(PSI_RULES), s, "operator 'psi' uses column 'national_id' as output with bank_b, but "
        + "columnRules[0] allows it only as [join-key]");
    approves(policy(rule("national_id", "[join-key, output]"), PSI_RULES[1], PSI_RULES[2]), s);
  }

  // ---------------------------------------------------------------- each use, each operator

  static Stream<Arguments> allowed() {
    return Stream.of(
        Arguments.of("psi rows", psiRows(), policy(PSI_RULES)),
        Arguments.of("psi cardinality: kept columns are not output, so need no rule",
            psiCardinality(), policy(PSI_RULES[0], PSI_RULES[1])),
        Arguments.of("psi cardinality: kept columns pass even a rule allowing nothing",
            psiCardinality(), policy(PSI_RULES[0], PSI_RULES[1], rule("segment", "[]"))),
        Arguments.of("psi rows at a party that receives nothing: kept columns are not shown",
            psiBankBReceives(), policy(PSI_RULES[0], PSI_RULES[1], rule("segment", "[]"))),
        Arguments.of("aggregate", aggregate(), policy(AGGREGATE_RULES)),
        Arguments.of("feature-aggregate", featureAggregate(), policy(FEATURE_RULES)),
        Arguments.of("a rule may allow several uses", aggregate(),
            policy(rule("region", "[group-by, output]"), rule("age", "[join-key, group-by]"),
                rule("amount", "[aggregate, group-by]"))),
        Arguments.of("use names are case-insensitive", featureAggregate(),
            policy(rule("id", "[JOIN-KEY]"), rule("z0", "Aggregate"), rule("z1", "[aggregate]"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allowed")
  void allowedUsesAreApproved(String what, JobSpec spec, String policy) {
    approves(policy, spec);
  }

  static Stream<Arguments> refusedUses() {
    return Stream.of(
        Arguments.of("psi rows: a key used only as output", psiRows(),
            policy(rule("national_id", "[output]"), PSI_RULES[1], PSI_RULES[2]),
            "operator 'psi' uses column 'national_id' as join-key with bank_b, but columnRules[0] allows it only as "
                + "[output]"),
        Arguments.of("psi rows: a kept column only for aggregates", psiRows(),
            policy(PSI_RULES[0], PSI_RULES[1], rule("segment", "[aggregate]")),
            "operator 'psi' uses column 'segment' as output with bank_b, but columnRules[2] allows it only as "
                + "[aggregate]"),
        Arguments.of("psi cardinality: a key allowing nothing", psiCardinality(),
            policy(rule("national_id", "[]"), PSI_RULES[1]),
            "operator 'psi' uses column 'national_id' as join-key with bank_b, but columnRules[0] allows it only as "
                + "[] (nothing)"),
        Arguments.of("psi rows: the recipient's kept column allowing nothing", psiRows(),
            policy(PSI_RULES[0], PSI_RULES[1], rule("segment", "[]")),
            "operator 'psi' uses column 'segment' as output with bank_b, but columnRules[2] allows it only as "
                + "[] (nothing)"),
        Arguments.of("aggregate: a group column only summed", aggregate(),
            policy(rule("region", "[aggregate]"), AGGREGATE_RULES[1], AGGREGATE_RULES[2]),
            "operator 'aggregate' uses column 'region' as group-by with bank_b, but columnRules[0] allows it only as "
                + "[aggregate]"),
        Arguments.of("aggregate: a summed column only as a group", aggregate(),
            policy(AGGREGATE_RULES[0], AGGREGATE_RULES[1], rule("amount", "[group-by, output]")),
            "operator 'aggregate' uses column 'amount' as aggregate with bank_b, but columnRules[2] allows it only "
                + "as [group-by, output]"),
        Arguments.of("feature-aggregate: an alignment key only as output", featureAggregate(),
            policy(rule("id", "[output]"), FEATURE_RULES[1], FEATURE_RULES[2]),
            "operator 'feature-aggregate' uses column 'id' as join-key with bank_b, but columnRules[0] allows it "
                + "only as [output]"),
        Arguments.of("feature-aggregate: a feature only as a key", featureAggregate(),
            policy(FEATURE_RULES[0], FEATURE_RULES[1], rule("z1", "[join-key]")),
            "operator 'feature-aggregate' uses column 'z1' as aggregate with bank_b, but columnRules[2] allows it "
                + "only as [join-key]"),
        Arguments.of("no rule for a key", psiRows(), policy(PSI_RULES[0], PSI_RULES[2]),
            "operator 'psi' uses column 'birth_date' as join-key with bank_b, but column 'birth_date' has no rule in "
                + "'columnRules' that applies to peer bank_b"),
        Arguments.of("no rule for a summed column", aggregate(), policy(AGGREGATE_RULES[0], AGGREGATE_RULES[1]),
            "operator 'aggregate' uses column 'amount' as aggregate with bank_b, but column 'amount' has no rule in "
                + "'columnRules' that applies to peer bank_b"),
        Arguments.of("no rules at all", featureAggregate(), policy(),
            "operator 'feature-aggregate' uses column 'id' as join-key with bank_b, but column 'id' has no rule in "
                + "'columnRules' that applies to peer bank_b"),
        Arguments.of("a rule for another column with a similar name", psiRows(),
            policy(PSI_RULES[0], PSI_RULES[1], rule("Segment", "[output]")),
            "operator 'psi' uses column 'segment' as output with bank_b, but column 'segment' has no rule"),
        Arguments.of("every column kept", spec(minimalSpec()), policy(rule("id", "[join-key]")),
            "the spec keeps every column of bank_a's input (its 'columns' is not set) but 'columnRules' has rules "
                + "only for [id]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedUses")
  void refusalsNameTheColumnTheUseTheRuleAndThePeer(String what, JobSpec spec, String policy, String reason) {
    refuses(policy, spec, reason);
  }

  @Test
  void refusalIsOneSentenceWithAFix() {
    PartyPolicy p = PartyPolicy.parse(policy(AGGREGATE_RULES[0], AGGREGATE_RULES[1],
        rule("amount", "[aggregate]", "[bank_b]"), rule("amount", "[]")), SOURCE);
    assertThatThrownBy(() -> p.check(aggregate(), "bank_a")).isInstanceOf(PolicyRefusedException.class)
        .hasMessage(REFUSED + "operator 'aggregate' uses column 'amount' as aggregate with bank_c, but columnRules[3] "
            + "allows it only as [] (nothing). Allow that use in the rule or change the spec.");
    PartyPolicy none = PartyPolicy.parse(policy(AGGREGATE_RULES[0], AGGREGATE_RULES[1]), SOURCE);
    assertThatThrownBy(() -> none.check(aggregate(), "bank_a")).isInstanceOf(PolicyRefusedException.class)
        .hasMessage(REFUSED + "operator 'aggregate' uses column 'amount' as aggregate with bank_b, but column 'amount' "
            + "has no rule in 'columnRules' that applies to peer bank_b. Add a rule for the column (without 'peers', or "
            + "with bank_b in its 'peers') or change the spec.");
  }

  // ---------------------------------------------------------------- rules per peer

  @Test
  void aRuleWithPeersAppliesToThosePeersOnly() {
    // aggregate: bank_a's peers are bank_b (a data party) and bank_c (the result party).
    String onlyB = policy(AGGREGATE_RULES[0], AGGREGATE_RULES[1], rule("amount", "[aggregate]", "[bank_b]"));
    refuses(onlyB, aggregate(), "operator 'aggregate' uses column 'amount' as aggregate with bank_c, but column "
        + "'amount' has no rule in 'columnRules' that applies to peer bank_c");
    approves(policy(AGGREGATE_RULES[0], AGGREGATE_RULES[1], rule("amount", "[aggregate]", "[bank_b, bank_c]")),
        aggregate());
    // PSI with bank_b only: a rule for bank_c does not apply.
    refuses(policy(PSI_RULES[0], PSI_RULES[1], rule("segment", "[output]", "[bank_c]")), psiRows(),
        "operator 'psi' uses column 'segment' as output with bank_b, but column 'segment' has no rule in "
            + "'columnRules' that applies to peer bank_b");
    // A peer listed in a rule need not be in 'peers:'.
    approves(policy(PSI_RULES[0], PSI_RULES[1], rule("segment", "[output]", "[bank_b, bank_z]")), psiRows());
  }

  @Test
  void theFirstApplicableRuleDecides() {
    String nothingWithB = rule("segment", "[]", "[bank_b]");
    refuses(policy(PSI_RULES[0], PSI_RULES[1], nothingWithB, rule("segment", "[output]")), psiRows(),
        "operator 'psi' uses column 'segment' as output with bank_b, but columnRules[2] (for peers [bank_b]) allows "
            + "it only as [] (nothing)");
    // The same rules the other way round: the rule for every peer comes first and allows it.
    approves(policy(PSI_RULES[0], PSI_RULES[1], rule("segment", "[output]"), nothingWithB), psiRows());
    // A first rule that does not apply to bank_b is skipped.
    approves(policy(PSI_RULES[0], PSI_RULES[1], rule("segment", "[]", "[bank_c]"), rule("segment", "[output]")),
        psiRows());
  }

  @Test
  void aRuleWithoutPeersIsTheFallbackForEveryOtherPeer() {
    String[] rules = {AGGREGATE_RULES[0], AGGREGATE_RULES[1], rule("amount", "[aggregate]", "[bank_b]"),
        rule("amount", "[]")};
    refuses(policy(rules), aggregate(), "operator 'aggregate' uses column 'amount' as aggregate with bank_c, but "
        + "columnRules[3] allows it only as [] (nothing)");
    String[] fallbackAllows = rules.clone();
    fallbackAllows[3] = rule("amount", "[aggregate]");
    approves(policy(fallbackAllows), aggregate());
  }

  // ---------------------------------------------------------------- with 'columns'

  @Test
  void columnsAndColumnRulesMustBothPass() {
    String rules = policy(PSI_RULES);
    approves(rules + "columns: [national_id, birth_date, segment]\n", psiRows());
    refuses(rules + "columns: [national_id, birth_date]\n", psiRows(), "column 'segment' is not in 'columns'");
    refuses(policy(PSI_RULES[0], PSI_RULES[1], rule("segment", "[]")) + "columns: [national_id, birth_date, segment]\n",
        psiRows(), "operator 'psi' uses column 'segment' as output with bank_b, but columnRules[2] allows it only as "
            + "[] (nothing)");
  }

  @Test
  void withoutColumnRulesAnyUseIsAllowed() {
    String noRules = replaceOnce(policy(), "columnRules: []\n", "");
    for (JobSpec s : List.of(psiRows(), psiCardinality(), aggregate(), featureAggregate(), spec(minimalSpec()))) {
      approves(noRules, s);
    }
  }

  // ---------------------------------------------------------------- operators that do not declare uses

  @Test
  void aColumnAnOperatorReadsWithoutDeclaringItsUseIsRefused() {
    OperatorSettings undeclared = new OperatorSettings() {
      @Override
      public Map<String, Object> canonical() {
        return Map.of();
      }

      @Override
      public List<String> recipients() {
        return List.of("bank_b");
      }

      @Override
      public List<String> columnsUsed(PartySpec party) {
        return List.of("salary");
      }

      @Override
      public Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
        return new LinkedHashMap<>();
      }
    };
    PartySpec bankA = new PartySpec("bank_a", null, psiRows().party("bank_a").input(), null);
    PartyPolicy p = PartyPolicy.parse(policy(rule("salary", "[aggregate]")), SOURCE);
    assertThatThrownBy(() -> p.checkColumnRules("legacy", undeclared, bankA, List.of("bank_b")))
        .isInstanceOf(PolicyRefusedException.class)
        .hasMessageStartingWith(REFUSED + "operator 'legacy' reads column 'salary' of bank_a's input but does not "
            + "declare how it uses it (OperatorSettings.columnUses)");
  }

  // ---------------------------------------------------------------- reading the rules

  static Stream<Arguments> invalidRules() {
    return Stream.of(
        Arguments.of("unknown use", policy(rule("segment", "[outputs]")),
            "'columnRules[0].allow' names 'outputs', which is not a column use; use join-key, group-by, aggregate, "
                + "output, train ([] for none)"),
        Arguments.of("unknown field", policy(rule("segment", "[output]"), "  - {column: x, alow: [output]}"),
            "unknown field 'columnRules[1].alow'. Allowed here: allow, column, peers."),
        Arguments.of("missing column", policy("  - {allow: [output]}"), "'columnRules[0].column' is required"),
        Arguments.of("missing allow", policy("  - {column: segment}"), "'columnRules[0].allow' is required"),
        Arguments.of("peer that is not text", policy(rule("segment", "[output]", "[bank_b, 7]")),
            "'columnRules[0].peers' must be a list of text values (got 7"),
        Arguments.of("empty peers", policy(rule("segment", "[output]", "[]")),
            "'columnRules[0].peers' is empty, so the rule would apply to no peer"),
        Arguments.of("peers not a list", policy("  - {column: segment, allow: [output], peers: {id: bank_b}}"),
            "'columnRules[0].peers' must be a list"),
        Arguments.of("rule not a mapping", policy("  - segment"), "'columnRules[0]' must be a mapping"),
        Arguments.of("rules not a list", replaceOnce(policy(), "columnRules: []", "columnRules: {segment: [output]}"),
            "'columnRules' must be a list of rules"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidRules")
  void invalidRulesAreBadInputNamingTheRule(String what, String yaml, String message) {
    assertThatThrownBy(() -> PartyPolicy.parse(yaml, SOURCE))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot read policy " + SOURCE + ": ")
        .hasMessageContaining(message);
  }

  @Test
  void useNamesAreTheYamlNames() {
    assertThat(ColumnUse.yamlNames()).containsExactly("join-key", "group-by", "aggregate", "output", "train");
    assertThat(ColumnUse.fromYamlName("group-by")).contains(ColumnUse.GROUP_BY);
    assertThat(ColumnUse.fromYamlName("group_by")).isEmpty();
    assertThat(ColumnUse.OUTPUT).hasToString("output");
  }
}
