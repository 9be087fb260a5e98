package io.veil.spec;

import static io.veil.spec.SpecFixtures.AGGREGATE_SECTION;
import static io.veil.spec.SpecFixtures.aggregateSpec;
import static io.veil.spec.SpecFixtures.featureAggregateSpec;
import static io.veil.spec.SpecFixtures.keyB;
import static io.veil.spec.SpecFixtures.keyC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.PolicyRefusedException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The aggregate and featureAggregate sections: defaults, validation, canonical form, policy. */
class AggregationSpecTest {

  private static final String SECTION = AGGREGATE_SECTION;

  private static JobSpec parse(String yaml) {
    return JobSpec.parse(yaml, "t.yaml", null);
  }

  @Test
  void defaultsAreFilledIn() {
    JobSpec spec = parse(aggregateSpec(SECTION));
    AggregateSpec a = spec.settings(AggregateSpec.class);
    assertThat(spec.dataParties()).containsExactly("bank_a", "bank_b");
    assertThat(spec.recipients()).containsExactly("bank_c");
    assertThat(a.groups()).isEqualTo(2 * 5);
    assertThat(a.groupBy().get(1).label(4)).isEqualTo("[60,65)");
    assertThat(a.sums().get(0).as()).isEqualTo("sum_amount");
    assertThat(a.minGroupSize()).isEqualTo(AggregateSpec.DEFAULT_MIN_GROUP_SIZE);
    assertThat(a.maxRowsPerParty()).isEqualTo(AggregateSpec.DEFAULT_MAX_ROWS_PER_PARTY);
    assertThat(a.dp()).isNull();
    assertThat(spec.canonicalJson()).contains("\"aggregate\":{").contains("\"maxAbs\":\"1000000\"")
        .doesNotContain("\"psi\"");
    assertThat(spec.columnsUsed("bank_a")).containsExactly("region", "age", "amount");
  }

  @Test
  void everySettingChangesTheContract() {
    String base = parse(aggregateSpec(SECTION)).contractHash();
    for (String changed : List.of(
        SECTION.replace("north", "east"),
        SECTION.replace("width: 10", "width: 5"),
        SECTION.replace("maxAbs: 1000000", "maxAbs: 1000001"),
        SECTION + "\n  minGroupSize: 5",
        SECTION.replace("scale: 2", "scale: 0") + "\n  dp: {epsilon: 1.0, delta: 1.0e-6}")) {
      assertThat(parse(aggregateSpec(changed)).contractHash()).as(changed).isNotEqualTo(base);
    }
  }

  @Test
  void badSectionsAreNamed() {
    expectError(aggregateSpec(SECTION.replace("bank_c", "bank_x")), "'aggregate.resultParty' names 'bank_x'");
    expectError(aggregateSpec(SECTION.replace("values: [north, south]", "values: [north, north]")),
        "'aggregate.groupBy[0].values' lists a value twice");
    expectError(aggregateSpec(SECTION.replace("{column: region, values: [north, south]}", "{column: region}")),
        "exactly one of 'values'");
    expectError(aggregateSpec(SECTION.replace("width: 10", "width: 0")), "'aggregate.groupBy[1].buckets.width' must be "
        + "positive");
    expectError(aggregateSpec(SECTION.replace("maxAbs: 1000000, scale: 2", "maxAbs: 1000000, scale: 18")),
        "unusable format");
    expectError(aggregateSpec(SECTION + "\n  maxRowsPerParty: 100000000000000"), "could overflow 64 bits");
    expectError(aggregateSpec(SECTION + "\n  dp: {epsilon: 0.0001, delta: 1.0e-9}"), "'aggregate.dp' cannot be met");
    expectError(aggregateSpec(SECTION + "\n  colour: red"), "unknown field 'aggregate.colour'");
    expectError(aggregateSpec(SECTION).replace("operator: aggregate", "operator: aggregate\npsi: {mode: rows}"),
        "'psi' belongs to another operator");
    expectError(aggregateSpec(SECTION).replace("    output: {path: out}", "    input: {format: csv, path: c.csv}")
        .replace("resultParty: bank_c", "resultParty: bank_a"), "'parties[bank_a].output' is required");
    expectError(aggregateSpec(SECTION).replace("    input: {format: csv, path: b.csv}", ""),
        "neither contributes an input nor receives");
    expectError(aggregateSpec(SECTION).replace("input: {format: csv, path: a.csv}",
        "input: {format: csv, path: a.csv, keyColumns: [id]}"), "'parties[bank_a].input.keyColumns' is not used");
  }

  @Test
  void featureAggregateNeedsAlignedVectorsOfTheDeclaredLength() {
    String fa = featureAggregateSpec();
    FeatureAggregateSpec f = parse(fa).settings(FeatureAggregateSpec.class);
    assertThat(f.scale()).isEqualTo(FeatureAggregateSpec.DEFAULT_SCALE);
    assertThat(f.batchRows()).isEqualTo(FeatureAggregateSpec.DEFAULT_BATCH_ROWS);
    assertThat(parse(fa).columnsUsed("bank_b")).containsExactly("cid", "h0", "h1");
    expectError(fa.replace("dims: 2", "dims: 3"), "must list exactly 3 columns");
    expectError(fa.replace(", keyColumns: [cid]", ""), "'parties[bank_b].input.keyColumns' is required");
    expectError(fa.replace("resultParty: bank_a", "resultParty: bank_b"), "'parties[bank_b].output' is required");
    expectError(fa.replace(", dims: 2", ""), "'featureAggregate.dims' is required");
  }

  @Test
  void aPolicyCanDemandAMinimumGroupSize() {
    JobSpec spec = parse(aggregateSpec(SECTION + "\n  minGroupSize: 5"));
    String policy = String.join("\n",
        "party: bank_a",
        "peers:",
        "  - {id: bank_b, publicKey: " + keyB() + "}",
        "  - {id: bank_c, publicKey: " + keyC() + "}",
        "operators: [aggregate]",
        "outputRecipients: [bank_c]",
        "columns: [region, age, amount]",
        "minGroupSize: 10");
    assertThatThrownBy(() -> PartyPolicy.parse(policy, "p.yaml").check(spec, "bank_a"))
        .isInstanceOf(PolicyRefusedException.class).hasMessageContaining("minGroupSize 5 is below");
    PartyPolicy.parse(policy.replace("minGroupSize: 10", "minGroupSize: 5"), "p.yaml").check(spec, "bank_a");
    assertThatThrownBy(() -> PartyPolicy.parse(policy.replace("columns: [region, age, amount]", "columns: [region]")
        .replace("minGroupSize: 10", "minGroupSize: 5"), "p.yaml").check(spec, "bank_a"))
        .hasMessageContaining("column 'age' is not in 'columns'");
  }

  private static void expectError(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(InvalidInputException.class).hasMessageContaining(message);
  }
}
