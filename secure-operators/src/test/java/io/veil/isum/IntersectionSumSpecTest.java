package io.veil.isum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.spec.ColumnUse;
import io.veil.spec.JobSpec;
import io.veil.testing.JobHarness;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code intersectionSum} section: defaults, column uses, and every mistake naming its field. */
class IntersectionSumSpecTest {
  @TempDir Path dir;

  private Map<String, Object> section() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("idParty", "adnet");
    s.put("valueParty", "shop");
    s.put("values", List.of(Map.of("column", "spend", "scale", 2)));
    s.put("groupBy", "region");
    return s;
  }

  private JobSpec spec(JobHarness h, Map<String, Object> section, boolean idOutput, boolean valueOutput) {
    return h.spec("isum", IntersectionSumOperator.NAME, List.of(
        h.party("adnet", JobHarness.input(List.of("id"), null), idOutput ? JobHarness.output() : null),
        h.party("shop", JobHarness.input(List.of("id"), null), valueOutput ? JobHarness.output() : null)), section);
  }

  @Test
  void defaultsAndColumnUses() {
    JobHarness h = new JobHarness(dir, List.of("adnet", "shop"));
    JobSpec spec = spec(h, section(), true, false);
    IntersectionSumSpec s = spec.settings(IntersectionSumSpec.class);
    assertThat(s.minGroupSize()).isEqualTo(10);
    assertThat(s.values().get(0).as()).isEqualTo("sum_spend");
    assertThat(s.recipients()).containsExactly("adnet");
    assertThat(s.columnUses(spec.party("adnet"))).containsEntry("region", Set.of(ColumnUse.GROUP_BY));
    assertThat(s.columnUses(spec.party("shop"))).containsEntry("spend", Set.of(ColumnUse.AGGREGATE));
    Map<String, Object> ungrouped = section();
    ungrouped.remove("groupBy");
    assertThat(spec(h, ungrouped, true, false).settings(IntersectionSumSpec.class).minGroupSize()).isZero();
    assertThat(new IntersectionSumOperator().leakage(spec)).extracting(l -> l.role())
        .containsExactly("adnet (id party)", "shop (value party)", "Kafka operator / network");
  }

  @Test
  void everyMistakeNamesItsField() {
    JobHarness h = new JobHarness(dir, List.of("adnet", "shop"));
    Map<String, Object> noValues = section();
    noValues.put("values", List.of());
    assertThatThrownBy(() -> spec(h, noValues, true, false)).hasMessageContaining("intersectionSum.values");
    Map<String, Object> same = section();
    same.put("valueParty", "adnet");
    assertThatThrownBy(() -> spec(h, same, true, false)).hasMessageContaining("intersectionSum.valueParty");
    Map<String, Object> badAs = section();
    badAs.put("values", List.of(Map.of("column", "spend", "as", "1x")));
    assertThatThrownBy(() -> spec(h, badAs, true, false)).hasMessageContaining("as");
    Map<String, Object> badScale = section();
    badScale.put("values", List.of(Map.of("column", "spend", "scale", 30)));
    assertThatThrownBy(() -> spec(h, badScale, true, false)).hasMessageContaining("scale");
    assertThatThrownBy(() -> spec(h, section(), false, false)).hasMessageContaining("parties[adnet].output");
    assertThatThrownBy(() -> spec(h, section(), true, true)).hasMessageContaining("parties[shop].output");
  }
}
