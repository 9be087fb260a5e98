package io.veil.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.PeerTimeoutException;
import io.veil.ProtocolException;
import io.veil.channel.ControlMessage.Type;
import io.veil.channel.memory.InMemoryChannel;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Waiting for peers on the control log: timeouts, heartbeats, aborts, forged messages. */
class ControlLogTest {
  private static final IdentityKeys A = IdentityKeys.fromSeed(new byte[32]);
  private static final IdentityKeys B = IdentityKeys.fromSeed(filled(1));
  private final InMemoryChannel channel = new InMemoryChannel("ctl-" + UUID.randomUUID());

  private static byte[] filled(int v) {
    byte[] b = new byte[32];
    java.util.Arrays.fill(b, (byte) v);
    return b;
  }

  private ControlLog log(String me, IdentityKeys keys, String jobId) {
    Map<String, IdentityPublicKey> parties = Map.of("bank_a", A.publicKey(), "bank_b", B.publicKey());
    return new ControlLog(channel.openControl("ctl"), me, keys, parties, jobId, "c0");
  }

  @Test
  void silentPeerTimesOutNamingItAndTheStep() {
    ControlLog a = log("bank_a", A, "job1");
    long t0 = System.currentTimeMillis();
    assertThatThrownBy(() -> a.await("bank_b", Type.ROUND_COMPLETE, "blind-1", 400, "its blinded set"))
        .isInstanceOf(PeerTimeoutException.class)
        .hasMessageContaining("bank_b did not send its blinded set within 400 ms")
        .hasMessageContaining("step 'blind-1'");
    assertThat(System.currentTimeMillis() - t0).isBetween(400L, 5_000L);
  }

  @Test
  void heartbeatsKeepASlowPeerAliveBeyondTheTimeout() throws Exception {
    ControlLog a = log("bank_a", A, "job1");
    ControlLog b = log("bank_b", B, "job1");
    b.startHeartbeat(100);
    Thread finisher = new Thread(() -> {
      try {
        Thread.sleep(1_500);
      } catch (InterruptedException e) {
        return;
      }
      b.publish(Type.ROUND_COMPLETE, "blind-1", Map.of("elements", 1));
    });
    finisher.start();
    ControlMessage m = a.await("bank_b", Type.ROUND_COMPLETE, "blind-1", 500, "its blinded set");
    assertThat(m.from()).isEqualTo("bank_b");
    finisher.join();
    b.close();
  }

  @Test
  void abortOfThisAttemptEndsTheWaitButOlderAbortsDoNot() throws Exception {
    ControlLog earlier = log("bank_b", B, "job1");
    earlier.publish(Type.ABORT, "blind-1", Map.of("reason", "an earlier attempt failed"));
    Thread.sleep(5);
    ControlLog a = log("bank_a", A, "job1");
    assertThatThrownBy(() -> a.await("bank_b", Type.ROUND_COMPLETE, "blind-1", 300, "its blinded set"))
        .isInstanceOf(PeerTimeoutException.class);
    log("bank_b", B, "job1").publish(Type.ABORT, "blind-1", Map.of("reason", "disk full"));
    assertThatThrownBy(() -> a.await("bank_b", Type.ROUND_COMPLETE, "blind-1", 3_000, "its blinded set"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("bank_b aborted in step 'blind-1': disk full");
  }

  @Test
  void messageClaimingAPartyButSignedByAnotherKeyAborts() {
    // bank_a's key signing a message that says it is from bank_b.
    ControlLog forger = new ControlLog(channel.openControl("ctl"), "bank_b", A,
        Map.of("bank_a", A.publicKey(), "bank_b", B.publicKey()), "job1", "c0");
    forger.publish(Type.ROUND_COMPLETE, "blind-1", Map.of());
    ControlLog a = log("bank_a", A, "job1");
    assertThatThrownBy(() -> a.await("bank_b", Type.ROUND_COMPLETE, "blind-1", 1_000, "its blinded set"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("not signed by the key pinned in the spec");
  }

  private static Map<String, Object> hello(ControlLog log) {
    return Map.of("approval", "-", ControlLog.ATTEMPT, log.attempt());
  }

  @Test
  void onlyALiveAttemptCountsAndItsPeersOlderMessagesAreIgnored() throws Exception {
    // An earlier attempt of bank_b approved and announced a round, then died.
    ControlLog crashed = log("bank_b", B, "job1");
    crashed.publish(Type.HELLO, "approval", hello(crashed));
    crashed.publish(Type.ROUND_COMPLETE, "agg-counts", Map.of("v", 1));

    ControlLog a = log("bank_a", A, "job1");
    a.publish(Type.HELLO, "approval", hello(a));
    a.publishAcks();
    assertThat(a.liveHello("bank_b")).as("nobody acknowledged bank_a's attempt").isEmpty();

    ControlLog b = log("bank_b", B, "job1");
    b.publish(Type.HELLO, "approval", hello(b));
    assertThat(b.peerAttempts()).containsEntry("bank_a", a.attempt());
    assertThat(a.liveHello("bank_b")).as("not acknowledged yet").isEmpty();
    b.publishAcks();
    ControlMessage live = a.liveHello("bank_b").orElseThrow();
    assertThat(live.body().get(ControlLog.ATTEMPT)).isEqualTo(b.attempt());
    a.bindAttempt("bank_b", live);
    assertThatThrownBy(() -> a.await("bank_b", Type.ROUND_COMPLETE, "agg-counts", 300, "its counts"))
        .as("the crashed attempt's announcement does not count").isInstanceOf(PeerTimeoutException.class);
    b.publish(Type.ROUND_COMPLETE, "agg-counts", Map.of("v", 2));
    assertThat(a.await("bank_b", Type.ROUND_COMPLETE, "agg-counts", 3_000, "its counts").body().get("v"))
        .isEqualTo(2);

    // bank_b restarts once more: its new HELLO is not live until it acknowledges bank_a again.
    ControlLog again = log("bank_b", B, "job1");
    again.publish(Type.HELLO, "approval", hello(again));
    assertThat(a.liveHello("bank_b")).isEmpty();
    again.startHeartbeat(50);
    long until = System.currentTimeMillis() + 5_000;
    while (a.liveHello("bank_b").isEmpty() && System.currentTimeMillis() < until) {
      Thread.sleep(20);
    }
    assertThat(a.liveHello("bank_b")).as("acknowledged by the heartbeat").isPresent();
    again.close();
  }

}
