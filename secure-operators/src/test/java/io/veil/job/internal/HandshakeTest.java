package io.veil.job.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.channel.ControlLog;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Abort;
import io.veil.channel.ControlMessage.Hello;
import io.veil.channel.ControlTransport;
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

  /**
   * The last party to arrive may find every peer's HELLO and acknowledgement in one read, made
   * while it checks the approvals (a new Kafka reader returns nothing until its first fetch is in,
   * whichever of its polls that is). It must still acknowledge the peers' attempts before it moves
   * on: they wait for that, and its next heartbeat may be minutes away.
   */
  @Test
  void theLastPartyAcknowledgesItsPeersEvenWhenItsFirstReadsFindNothing() throws Exception {
    for (int emptyPolls = 0; emptyPolls <= 5; emptyPolls++) {
      JobHarness h = new JobHarness(dir.resolve("empty-" + emptyPolls), List.of("bank_a", "bank_b", "bank_c"));
      JobSpec spec = h.spec("handshake", "toy-sum", List.of(
              h.party("bank_a", JobHarness.input(null, null), JobHarness.output()),
              h.party("bank_b", JobHarness.input(null, null), null),
              h.party("bank_c", JobHarness.input(null, null), null)),
          Map.of("resultParty", "bank_a", "column", "v"), "peerTimeoutMs: 3000");
      try (ControlLog a = hello(h, spec, "bank_a"); ControlLog c = hello(h, spec, "bank_c")) {
        CompletableFuture<Map<String, ControlMessage>> fa =
            CompletableFuture.supplyAsync(() -> Handshake.awaitApprovals(a, spec, List.of("bank_b", "bank_c")));
        CompletableFuture<Map<String, ControlMessage>> fc =
            CompletableFuture.supplyAsync(() -> Handshake.awaitApprovals(c, spec, List.of("bank_a", "bank_b")));
        int skip = emptyPolls;
        ControlTransport slow = new ControlTransport() {
          private final ControlTransport inner = h.channel.openControl(spec.controlLogName());
          private int polls;

          @Override
          public void send(byte[] message) {
            inner.send(message);
          }

          @Override
          public List<byte[]> poll(long maxWaitMs) {
            return polls++ < skip ? List.of() : inner.poll(maxWaitMs);
          }

          @Override
          public void close() {
            inner.close();
          }
        };
        try (ControlLog b = new ControlLog(slow, "bank_b", h.secret("bank_b").identity(), spec.partyKeys(),
            spec.jobId(), spec.contractHash())) {
          b.publish(new Hello(Approval.sign(h.secret("bank_b").identity(), spec.contractHash()),
              AggregationKeys.derive(h.secret("bank_b"), spec.jobId()).publicKey()));
          // Both peers have acknowledged bank_b's attempt before bank_b reads anything.
          try (ControlLog watcher = new ControlLog(h.channel.openControl(spec.controlLogName()), "bank_a",
              h.secret("bank_a").identity(), spec.partyKeys(), spec.jobId(), spec.contractHash())) {
            long until = System.currentTimeMillis() + 2_000;
            while (watcher.seen().stream().filter(m -> b.attempt().equals(acks(m).get("bank_b")))
                .map(ControlMessage::from).distinct().count() < 2 && System.currentTimeMillis() < until) {
              watcher.awaitNew(20);
            }
          }
          assertThat(Handshake.awaitApprovals(b, spec, List.of("bank_a", "bank_c"))).containsOnlyKeys("bank_a",
              "bank_c");
          assertThat(fa.get(2, java.util.concurrent.TimeUnit.SECONDS)).as("%d empty reads", skip)
              .containsOnlyKeys("bank_b", "bank_c");
          assertThat(fc.get(2, java.util.concurrent.TimeUnit.SECONDS)).as("%d empty reads", skip)
              .containsOnlyKeys("bank_a", "bank_b");
        }
      }
    }
  }

  private static Map<String, String> acks(ControlMessage m) {
    return m.body() instanceof ControlMessage.Heartbeat hb ? hb.acks() : Map.of();
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
