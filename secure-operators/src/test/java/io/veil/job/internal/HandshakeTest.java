package io.veil.job.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.channel.ControlLog;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Abort;
import io.veil.channel.ControlMessage.Hello;
import io.veil.crypto.sharing.AggregationKeys;
import io.veil.spec.Approval;
import io.veil.spec.JobSpec;
import io.veil.testing.JobHarness;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The approval step alone, without Spark: each party a thread with its own control log. */
class HandshakeTest {
  @TempDir Path dir;

  private static JobSpec spec(JobHarness h, String column) {
    return h.spec("handshake", "toy-sum", List.of(h.party("bank_a", JobHarness.input(null, null),
        JobHarness.output()), h.party("bank_b", JobHarness.input(null, null), null)),
        Map.of("resultParty", "bank_a", "column", column), "peerTimeoutMs: 5000");
  }

  private static ControlLog hello(JobHarness h, JobSpec spec, String me) {
    ControlLog log = new ControlLog(h.channel.openControl(spec.controlLogName()), me, h.secret(me).identity(),
        spec.partyKeys(), spec.jobId(), spec.contractHash());
    log.publish(new Hello(Approval.sign(h.secret(me).identity(), spec.contractHash()),
        AggregationKeys.derive(h.secret(me), spec.jobId()).publicKey()));
    return log;
  }

  @Test
  void bothPartiesApproveEachOthersLiveAttemptAndBindIt() throws Exception {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec spec = spec(h, "v");
    try (ControlLog a = hello(h, spec, "bank_a"); ControlLog b = hello(h, spec, "bank_b")) {
      CompletableFuture<Map<String, ControlMessage>> fa =
          CompletableFuture.supplyAsync(() -> Handshake.awaitApprovals(a, spec, List.of("bank_b")));
      Map<String, ControlMessage> fromB = Handshake.awaitApprovals(b, spec, List.of("bank_a"));
      assertThat(fromB.get("bank_a").attempt()).isEqualTo(a.attempt());
      assertThat(fa.get().get("bank_b").attempt()).isEqualTo(b.attempt());
      assertThat(a.boundAttempt("bank_b")).contains(b.attempt());
      assertThat(b.boundAttempt("bank_a")).contains(a.attempt());
    }
  }

  @Test
  void aLivePeerWithAnotherSpecStopsBothAndIsToldSo() throws Exception {
    JobHarness h = new JobHarness(dir, List.of("bank_a", "bank_b"));
    JobSpec mine = spec(h, "v");
    JobSpec theirs = spec(h, "w");
    try (ControlLog a = hello(h, mine, "bank_a"); ControlLog b = hello(h, theirs, "bank_b")) {
      CompletableFuture<Map<String, ControlMessage>> fb =
          CompletableFuture.supplyAsync(() -> Handshake.awaitApprovals(b, theirs, List.of("bank_a")));
      assertThatThrownBy(() -> Handshake.awaitApprovals(a, mine, List.of("bank_b")))
          .isInstanceOf(Handshake.SpecMismatch.class)
          .hasMessageContaining("the specs differ: bank_b approved contract " + theirs.contractHash().substring(0, 16));
      // bank_b stops on its own finding or on bank_a's abort, whichever it reads first.
      assertThatThrownBy(fb::get).isInstanceOf(ExecutionException.class).cause()
          .hasMessageMatching("(?s).*specs? differs?.*");
      assertThat(a.seen()).filteredOn(m -> m.from().equals("bank_a") && m.body() instanceof Abort)
          .singleElement().satisfies(m -> assertThat(((Abort) m.body()).kind())
              .isEqualTo(ControlMessage.AbortKind.SPEC_MISMATCH));
    }
  }
}
