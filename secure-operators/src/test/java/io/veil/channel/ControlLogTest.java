package io.veil.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.PeerTimeoutException;
import io.veil.ProtocolException;
import io.veil.channel.ControlMessage.Abort;
import io.veil.channel.ControlMessage.AbortKind;
import io.veil.channel.ControlMessage.Hello;
import io.veil.channel.ControlMessage.Notice;
import io.veil.channel.memory.InMemoryChannel;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.SignatureDomain;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Waiting for peers on the control log: timeouts, heartbeats, attempts, aborts, forged messages. */
class ControlLogTest {
  static final String JOB = "0123456789abcdef0123456789abcdef";
  static final String CONTRACT = "ab".repeat(32);
  private static final IdentityKeys A = IdentityKeys.fromSeed(new byte[32]);
  private static final IdentityKeys B = IdentityKeys.fromSeed(filled(1));
  private final InMemoryChannel channel = new InMemoryChannel("ctl-" + UUID.randomUUID());

  private static byte[] filled(int v) {
    byte[] b = new byte[32];
    java.util.Arrays.fill(b, (byte) v);
    return b;
  }

  private ControlLog log(String me, IdentityKeys keys) {
    Map<String, IdentityPublicKey> parties = Map.of("bank_a", A.publicKey(), "bank_b", B.publicKey());
    return new ControlLog(channel.openControl("ctl"), me, keys, parties, JOB, CONTRACT);
  }

  private static Hello hello() {
    return new Hello("00".repeat(64), filled(9));
  }

  private static Notice notice(int v) {
    return new Notice("step-1", new byte[] {(byte) v});
  }

  @Test
  void silentPeerTimesOutNamingItAndTheStep() {
    ControlLog a = log("bank_a", A);
    a.bind("bank_b", "ff".repeat(16));
    long t0 = System.currentTimeMillis();
    assertThatThrownBy(() -> a.await("bank_b", Notice.class, "blind-1", 400, "its blinded set"))
        .isInstanceOf(PeerTimeoutException.class)
        .hasMessageContaining("bank_b did not send its blinded set within 400 ms")
        .hasMessageContaining("step 'blind-1'");
    assertThat(System.currentTimeMillis() - t0).isBetween(400L, 5_000L);
  }

  /** {@code b} says HELLO (bound by {@code a}), beats every 100 ms and publishes notice 7 after {@code ms}. */
  private static Thread heartbeatsThenANoticeAfter(ControlLog a, ControlLog b, long ms) {
    b.publish(hello());
    a.bind("bank_b", b.attempt());
    b.startHeartbeat(100);
    Thread finisher = new Thread(() -> {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        return;
      }
      b.publish(notice(7));
    });
    finisher.start();
    return finisher;
  }

  @Test
  void heartbeatsKeepASlowPeerAliveBeyondTheTimeout() throws Exception {
    ControlLog a = log("bank_a", A);
    ControlLog b = log("bank_b", B);
    Thread finisher = heartbeatsThenANoticeAfter(a, b, 1_500);
    Notice n = a.await("bank_b", Notice.class, "step-1", 500, "its notice");
    assertThat(n.payload()).containsExactly(7);
    finisher.join();
    b.close();
  }

  @Test
  void heartbeatsGoOnAfterSendsThatFailed() throws Exception {
    ControlLog a = log("bank_a", A);
    ControlTransport inner = channel.openControl("ctl");
    java.util.concurrent.atomic.AtomicInteger sends = new java.util.concurrent.atomic.AtomicInteger();
    ControlTransport flaky = new ControlTransport() {
      @Override
      public void send(byte[] message) {
        int n = sends.incrementAndGet();
        if (n >= 2 && n <= 4) { // the first three heartbeats, after the HELLO
          throw new IllegalStateException("the broker is restarting");
        }
        inner.send(message);
      }

      @Override
      public java.util.List<byte[]> poll(long maxWaitMs) {
        return inner.poll(maxWaitMs);
      }

      @Override
      public void close() {
        inner.close();
      }
    };
    ControlLog b = new ControlLog(flaky, "bank_b", B, Map.of("bank_a", A.publicKey(), "bank_b", B.publicKey()), JOB,
        CONTRACT);
    Thread finisher = heartbeatsThenANoticeAfter(a, b, 1_500);
    // Three failed heartbeats leave a gap of about 400 ms; a heartbeat thread that stopped at the first
    // failure would leave bank_b silent until its notice, well beyond the timeout.
    Notice n = a.await("bank_b", Notice.class, "step-1", 900, "its notice");
    assertThat(n.payload()).containsExactly(7);
    assertThat(sends.get()).as("heartbeats were sent after the failed ones").isGreaterThan(6);
    finisher.join();
    b.close();
  }

  @Test
  void anAbortCountsFromTheBoundAttemptOrWhenItNamesThisAttempt() {
    ControlLog earlier = log("bank_b", B);
    earlier.publish(hello());
    earlier.publish(new Abort("blind-1", AbortKind.INTERNAL, null, Map.of()));
    ControlLog a = log("bank_a", A);
    ControlLog b = log("bank_b", B);
    b.publish(hello());
    a.bind("bank_b", b.attempt());
    assertThatThrownBy(() -> a.await("bank_b", Notice.class, "step-1", 300, "its notice"))
        .as("an earlier attempt's abort does not stop this one").isInstanceOf(PeerTimeoutException.class);
    // A party that saw this attempt (it names it) and gave up stops it, bound or not.
    log("bank_b", B).publish(new Abort("approval", AbortKind.SPEC_MISMATCH, "bank_a",
        Map.of("bank_a", a.attempt())));
    assertThatThrownBy(() -> a.await("bank_b", Notice.class, "step-1", 3_000, "its notice"))
        .isInstanceOf(PeerAbortedException.class)
        .hasMessageContaining("bank_b aborted it in step 'approval': its spec differs");
  }

  @Test
  void anAbortOfTheBoundAttemptSaysOnlyItsKind() {
    ControlLog a = log("bank_a", A);
    ControlLog b = log("bank_b", B);
    b.publish(hello());
    a.bind("bank_b", b.attempt());
    b.publish(new Abort("agg-counts", AbortKind.INVALID_INPUT, null, Map.of()));
    assertThatThrownBy(() -> a.await("bank_b", Notice.class, "step-1", 3_000, "its notice"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("bank_b aborted it in step 'agg-counts': its input or settings failed its checks "
            + "(the details are in bank_b's own job log)")
        .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_b"));
  }

  /**
   * Anyone who can append to the control topic can write messages claiming a party; unless they are
   * signed by its pinned key for the control domain they are ignored (and counted), never fatal:
   * the job goes on with the party's real messages.
   */
  @Test
  void forgedOrForeignMessagesAreIgnoredAndTheJobGoesOn() {
    ControlLog a = log("bank_a", A);
    ControlLog b = log("bank_b", B);
    b.publish(hello());
    a.bind("bank_b", b.attempt());
    // bank_a's key signing messages that say they are from bank_b, in bank_b's attempt: a notice and an abort.
    ControlLog forger = new ControlLog(channel.openControl("ctl"), "bank_b", A,
        Map.of("bank_a", A.publicKey(), "bank_b", B.publicKey()), JOB, CONTRACT);
    sendAs("bank_b", A, b.attempt(), 1, new Abort("step-1", AbortKind.INTERNAL, null, Map.of("bank_a", a.attempt())));
    forger.publish(notice(66));
    // bank_b's own key, but a signature made for another purpose (an approval) over the same bytes.
    byte[] json = ControlCodec.canonical(new ControlMessage(JOB, CONTRACT, "bank_b", b.attempt(), 1, notice(77)));
    channel.openControl("ctl").send(ControlCodec.envelope(json, B.sign(SignatureDomain.APPROVAL,
        ControlCodec.signedBytes(json))));
    // Garbage and a stranger's message.
    channel.openControl("ctl").send(new byte[] {1, 2, 3});
    channel.openControl("ctl").send(ControlCodec.envelope(
        ControlCodec.canonical(new ControlMessage(JOB, CONTRACT, "mallory", b.attempt(), 1, notice(88))), new byte[64]));
    b.publish(notice(7));

    assertThat(a.await("bank_b", Notice.class, "step-1", 3_000, "its notice").payload())
        .as("the real notice, after the forged abort and notices").containsExactly(7);
    assertThat(a.ignoredForgeries()).isEqualTo(Map.of("bank_b", 3));
    assertThat(a.seen()).extracting(ControlMessage::from).containsOnly("bank_b");
  }

  /** A malformed message validly signed by a party stops this job only if it claims this job. */
  @Test
  void aValidlySignedMalformedMessageAboutAnotherJobIsIgnored() {
    String otherJob = "fedcba9876543210fedcba9876543210";
    byte[] json = ("{\"attempt\":\"" + "00".repeat(16) + "\",\"body\":{\"x\":1},\"contractHash\":\"" + CONTRACT
        + "\",\"from\":\"bank_b\",\"jobId\":\"" + otherJob + "\",\"kind\":\"notice\",\"timestampMs\":1}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    channel.openControl("ctl").send(ControlCodec.envelope(json, B.sign(SignatureDomain.CONTROL, ControlCodec.signedBytes(json))));
    ControlLog a = log("bank_a", A);
    ControlLog b = log("bank_b", B);
    b.publish(hello());
    a.bind("bank_b", b.attempt());
    b.publish(notice(5));
    assertThat(a.await("bank_b", Notice.class, "step-1", 3_000, "its notice").payload()).containsExactly(5);
  }

  /**
   * Nothing is decided by comparing clocks: a peer whose clock is decades off is followed as usual,
   * its abort of the bound attempt counts whatever its timestamp, and an earlier attempt's abort does
   * not count however recent its timestamp claims to be.
   */
  @Test
  void clocksDecideNothing() {
    String earlier = "11".repeat(16);
    sendAs("bank_b", B, earlier, 0, hello());
    sendAs("bank_b", B, earlier, Long.MAX_VALUE / 2, new Abort("step-1", AbortKind.INTERNAL, null, Map.of()));
    ControlLog a = log("bank_a", A);
    String current = "22".repeat(16);
    sendAs("bank_b", B, current, 0, hello());
    a.bind("bank_b", current);
    sendAs("bank_b", B, current, 1, notice(4));
    assertThat(a.await("bank_b", Notice.class, "step-1", 3_000, "its notice").payload())
        .as("the earlier attempt's 'future' abort is ignored; a notice stamped 1970 counts").containsExactly(4);
    sendAs("bank_b", B, current, 2, new Abort("step-2", AbortKind.INTERNAL, null, Map.of()));
    assertThatThrownBy(() -> a.await("bank_b", Notice.class, "step-2", 3_000, "its notice"))
        .as("an abort of the bound attempt stamped 1970 counts").isInstanceOf(PeerAbortedException.class);
    ControlMessage abort = a.seen().get(a.seen().size() - 1);
    assertThat(a.isCurrentAbort(abort)).isTrue();
    ControlMessage stale = a.seen().stream().filter(m -> m.attempt().equals(earlier) && m.body() instanceof Abort)
        .findFirst().orElseThrow();
    assertThat(a.isCurrentAbort(stale)).isFalse();
  }

  /** Appends a message claiming {@code from}, signed by {@code keys}, with any attempt and timestamp. */
  private void sendAs(String from, IdentityKeys keys, String attempt, long timestampMs, ControlMessage.Body body) {
    byte[] json = ControlCodec.canonical(new ControlMessage(JOB, CONTRACT, from, attempt, timestampMs, body));
    channel.openControl("ctl").send(ControlCodec.envelope(json, keys.sign(SignatureDomain.CONTROL,
        ControlCodec.signedBytes(json))));
  }

  @Test
  void aValidlySignedMalformedMessageIsAProtocolErrorNamingItsSender() {
    byte[] json = ("{\"attempt\":\"" + "00".repeat(16) + "\",\"body\":{\"x\":1},\"contractHash\":\"" + CONTRACT
        + "\",\"from\":\"bank_b\",\"jobId\":\"" + JOB + "\",\"kind\":\"notice\",\"timestampMs\":1}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    channel.openControl("ctl").send(ControlCodec.envelope(json, B.sign(SignatureDomain.CONTROL, ControlCodec.signedBytes(json))));
    ControlLog a = log("bank_a", A);
    assertThatThrownBy(() -> a.await("bank_b", Notice.class, "step-1", 1_000, "its notice"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("Cannot accept a control message from bank_b: a notice has an unknown field 'x'")
        .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_b"));
  }

  @Test
  void onlyALiveAttemptCountsItsOlderMessagesAreIgnoredAndARestartedPeerIsFollowed() throws Exception {
    // An earlier attempt of bank_b approved and sent a notice, then died.
    ControlLog crashed = log("bank_b", B);
    crashed.publish(hello());
    crashed.publish(notice(1));

    ControlLog a = log("bank_a", A);
    a.publish(hello());
    a.publishAcks();
    assertThat(a.liveHello("bank_b")).as("nobody acknowledged bank_a's attempt").isEmpty();

    ControlLog b = log("bank_b", B);
    b.publish(hello());
    assertThat(b.acknowledged()).containsEntry("bank_a", a.attempt());
    assertThat(a.liveHello("bank_b")).as("not acknowledged yet").isEmpty();
    b.publishAcks();
    ControlMessage live = a.liveHello("bank_b").orElseThrow();
    assertThat(live.attempt()).isEqualTo(b.attempt());
    a.bind("bank_b", live.attempt());
    assertThatThrownBy(() -> a.await("bank_b", Notice.class, "step-1", 300, "its notice"))
        .as("the crashed attempt's notice does not count").isInstanceOf(PeerTimeoutException.class);
    b.publish(notice(2));
    assertThat(a.await("bank_b", Notice.class, "step-1", 3_000, "its notice").payload()).containsExactly(2);

    // bank_b restarts once more: its new HELLO is not live until it acknowledges bank_a again...
    ControlLog again = log("bank_b", B);
    again.publish(hello());
    assertThat(a.liveHello("bank_b")).isEmpty();
    again.publish(new Notice("step-2", new byte[] {3}));
    assertThatThrownBy(() -> a.await("bank_b", Notice.class, "step-2", 300, "its second notice"))
        .as("a restarted attempt that has not acknowledged bank_a is not followed")
        .isInstanceOf(PeerTimeoutException.class);
    again.startHeartbeat(50);
    long until = System.currentTimeMillis() + 5_000;
    while (a.liveHello("bank_b").isEmpty() && System.currentTimeMillis() < until) {
      Thread.sleep(20);
    }
    assertThat(a.liveHello("bank_b")).as("acknowledged by the heartbeat").isPresent();
    // ...and then bank_a follows it: it resumes the job where the crashed attempt left it.
    assertThat(a.await("bank_b", Notice.class, "step-2", 3_000, "its second notice").payload()).containsExactly(3);
    assertThat(a.boundAttempt("bank_b")).contains(again.attempt());
    again.close();
  }
}
