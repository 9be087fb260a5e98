package io.veil.job.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.channel.ControlLog;
import io.veil.channel.RoundStats;
import io.veil.spec.JobSpec;
import io.veil.testing.JobHarness;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an operator may do before its input is bound: nothing that reaches the data plane. */
class RunContextTest {
  @TempDir Path dir;

  @Test
  void theChannelAndRunSecretsAreRefusedUntilTheInputIsBound() {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec spec = h.spec("guard", "toy-sum", List.of(h.party("bank_a", null, JobHarness.output()),
        h.party("bank_b", JobHarness.input(null, null), null)), Map.of("resultParty", "bank_a", "column", "v"));
    try (ControlLog log = new ControlLog(h.channel.openControl(spec.controlLogName()), "bank_a",
        h.secret("bank_a").identity(), spec.partyKeys(), spec.jobId(), spec.contractHash())) {
      RunContext c = new RunContext(null, spec, spec.party("bank_a"), null, h.channel, log, h.key("bank_a"),
          new byte[16], Map.of(), m -> { });
      assertThatThrownBy(c::channel).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("before the input is bound");
      assertThatThrownBy(c::runKey).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> c.announceRound("x", new RoundStats(new long[1], new long[1], new byte[][] {
          new byte[32]}))).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> c.publishNotice("x", new byte[1])).isInstanceOf(IllegalStateException.class);
      assertThat(h.channel.allRecords()).as("nothing was published").isEmpty();
      assertThatThrownBy(() -> c.bindInput(new io.veil.spark.DatasetCommitment.Commitment(1, "00".repeat(32),
          "00".repeat(16)))).as("bank_a holds no input").isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("has no input");
    }
  }
}
