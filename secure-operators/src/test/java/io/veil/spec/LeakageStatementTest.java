package io.veil.spec;

import static io.veil.spec.SpecFixtures.AGGREGATE_SECTION;
import static io.veil.spec.SpecFixtures.aggregateSpec;
import static io.veil.spec.SpecFixtures.featureAggregateSpec;
import static io.veil.spec.SpecFixtures.fullSpec;
import static org.assertj.core.api.Assertions.assertThat;

import io.veil.job.Leakage;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each operator's leakage statement ({@code SecureOperator.leakage}, what {@code veil report} prints)
 * names the roles of the job and follows its settings, as the README's leakage tables say.
 */
class LeakageStatementTest {

  private static List<Leakage> leakage(String yaml) {
    JobSpec spec = JobSpec.parse(yaml, "t.yaml", null);
    return spec.secureOperator().leakage(spec);
  }

  private static String learns(List<Leakage> statement, String rolePrefix) {
    return statement.stream().filter(l -> l.role().startsWith(rolePrefix)).map(Leakage::learns).findFirst()
        .orElseThrow(() -> new AssertionError("no role " + rolePrefix + " in " + statement));
  }

  @Test
  void aggregateStatesWhatTheResultPartyTheDataPartiesAndTheBrokerLearn() {
    List<Leakage> s = leakage(aggregateSpec(AGGREGATE_SECTION));
    assertThat(s).extracting(Leakage::role).contains("bank_c (result party)", "Kafka operator / network");
    assertThat(learns(s, "bank_c (result party)")).contains("every group of the domain (10 groups)")
        .contains("suppressed groups included").contains("at least 10 rows").doesNotContain("DP");
    assertThat(learns(s, "bank_a, bank_b (data parties")).contains("count of every released group")
        .contains("no sum");
    assertThat(learns(s, "Kafka operator")).contains("not which groups were released");
  }

  @Test
  void aggregateStatementFollowsTheSettings() {
    List<Leakage> dp = leakage(aggregateSpec(AGGREGATE_SECTION.replace("scale: 2", "scale: 0")
        + "\n  minGroupSize: 5\n  dp: {epsilon: 1.0, delta: 1.0e-6}"));
    assertThat(learns(dp, "bank_c (result party)")).contains("DP epsilon 1.0").contains("at least 5 rows");
    List<Leakage> none = leakage(aggregateSpec(AGGREGATE_SECTION + "\n  minGroupSize: 0"));
    assertThat(learns(none, "bank_c (result party)")).contains("no group is suppressed");
    assertThat(learns(none, "bank_a, bank_b")).isEqualTo("nothing beyond which groups were released");
    // Two data parties, one of them the result party: it learns the other's data.
    String twoParties = aggregateSpec(AGGREGATE_SECTION.replace("resultParty: bank_c", "resultParty: bank_a"))
        .replace("    input: {format: csv, path: a.csv}", "    input: {format: csv, path: a.csv}\n    output: {path: out}");
    twoParties = twoParties.substring(0, twoParties.indexOf("  - id: bank_c"))
        + twoParties.substring(twoParties.indexOf("aggregate:"));
    List<Leakage> two = leakage(twoParties);
    assertThat(learns(two, "bank_a (result party and data party)")).contains("bank_b's per-group data");
  }

  @Test
  void psiStatesRecipientsAndMode() {
    List<Leakage> rows = leakage(fullSpec());
    assertThat(learns(rows, "bank_a (recipient)")).contains("which of its own keys are shared");
    assertThat(learns(rows, "Kafka operator")).contains("not the intersection size");
    List<Leakage> card = leakage(fullSpec().replace("mode: rows", "mode: cardinality")
        .replace("recipients: [bank_a, bank_b]", "recipients: [bank_a]"));
    assertThat(learns(card, "bank_a (recipient)")).contains("the intersection size, not which keys");
    assertThat(learns(card, "bank_b (not a recipient)")).contains("nothing about the intersection");
  }

  @Test
  void featureAggregationStatesTheRowWiseSumAndTheAlignment() {
    List<Leakage> s = leakage(featureAggregateSpec());
    assertThat(learns(s, "bank_a (result party)")).contains("row by row (2 values per row)");
    assertThat(learns(s, "every party")).contains("aligned row count");
    assertThat(learns(s, "bank_a (result party and data party)")).contains("bank_b's vectors");
  }
}
