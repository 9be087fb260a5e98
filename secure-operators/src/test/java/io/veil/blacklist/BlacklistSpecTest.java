package io.veil.blacklist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
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

/** The {@code blacklist} section: defaults, the contract, and every mistake naming its field. */
class BlacklistSpecTest {
  @TempDir Path dir;

  private Map<String, Object> section() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("holder", "bureau");
    s.put("querier", "lender");
    s.put("list", "fraud-ids");
    s.put("reasonColumn", "reason");
    s.put("store", "/data/store");
    s.put("copy", "/data/copy");
    return s;
  }

  private JobSpec spec(JobHarness h, Map<String, Object> section, boolean holderOutput, boolean querierOutput) {
    return h.spec("bl", BlacklistOperator.NAME, List.of(
        h.party("bureau", JobHarness.input(List.of("id"), List.of("reason")), holderOutput ? JobHarness.output() : null),
        h.party("lender", JobHarness.input(List.of("nid"), null), querierOutput ? JobHarness.output() : null)),
        section);
  }

  @Test
  void defaultsAreExplicitInTheContract() {
    JobHarness h = new JobHarness(dir, List.of("bureau", "lender"));
    BlacklistSpec b = spec(h, section(), false, true).settings(BlacklistSpec.class);
    assertThat(b.keyVersion()).isEqualTo(1);
    assertThat(b.partitions()).isEqualTo(4);
    assertThat(b.recipients()).containsExactly("lender");
    assertThat(b.canonical()).containsKeys("holder", "querier", "list", "keyVersion", "reasonColumn", "store", "copy",
        "partitions", "batchRows", "normalize");
    assertThat(b.columnUses(spec(h, section(), false, true).party("bureau")))
        .containsEntry("id", Set.of(ColumnUse.JOIN_KEY)).containsEntry("reason", Set.of(ColumnUse.OUTPUT));
    Map<String, Object> rotated = section();
    rotated.put("keyVersion", 2);
    assertThat(spec(h, rotated, false, true).contractHash()).isNotEqualTo(spec(h, section(), false, true).contractHash());
  }

  @Test
  void everyMistakeNamesItsField() {
    JobHarness h = new JobHarness(dir, List.of("bureau", "lender"));
    Map<String, Object> s = section();
    s.put("holder", "bureu");
    assertThatThrownBy(() -> spec(h, s, false, true)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("blacklist.holder").hasMessageContaining("'bureu'");
    Map<String, Object> same = section();
    same.put("querier", "bureau");
    assertThatThrownBy(() -> spec(h, same, false, true)).hasMessageContaining("blacklist.querier");
    Map<String, Object> name = section();
    name.put("list", "bad name!");
    assertThatThrownBy(() -> spec(h, name, false, true)).hasMessageContaining("blacklist.list");
    Map<String, Object> typo = section();
    typo.put("stor", "/x");
    assertThatThrownBy(() -> spec(h, typo, false, true)).hasMessageContaining("stor");
    Map<String, Object> noStore = section();
    noStore.remove("store");
    assertThatThrownBy(() -> spec(h, noStore, false, true)).hasMessageContaining("blacklist.store");
    assertThatThrownBy(() -> spec(h, section(), false, false)).hasMessageContaining("parties[lender].output");
    assertThatThrownBy(() -> spec(h, section(), true, true)).hasMessageContaining("parties[bureau].output");
    Map<String, Object> keyAsReason = section();
    keyAsReason.put("reasonColumn", "id");
    assertThatThrownBy(() -> spec(h, keyAsReason, false, true)).hasMessageContaining("blacklist.reasonColumn");
  }

  @Test
  void theLeakageStatementNamesEachRole() {
    JobHarness h = new JobHarness(dir, List.of("bureau", "lender"));
    JobSpec spec = spec(h, section(), false, true);
    assertThat(new BlacklistOperator().leakage(spec)).extracting(l -> l.role())
        .containsExactly("bureau (holder)", "lender (querier)", "Kafka operator / network");
  }
}
