package io.veil.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.channel.ControlMessage.Abort;
import io.veil.channel.ControlMessage.AbortKind;
import io.veil.channel.ControlMessage.Body;
import io.veil.channel.ControlMessage.Done;
import io.veil.channel.ControlMessage.Heartbeat;
import io.veil.channel.ControlMessage.Hello;
import io.veil.channel.ControlMessage.InputCommitted;
import io.veil.channel.ControlMessage.Notice;
import io.veil.channel.ControlMessage.RoundComplete;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Typed control messages: canonical encoding, strict decoding, a signature context of their own. */
class ControlCodecTest {
  private static final String ATTEMPT = "0f".repeat(16);

  private static ControlMessage message(Body body) {
    return new ControlMessage(ControlLogTest.JOB, ControlLogTest.CONTRACT, "bank_a", ATTEMPT, 1234L, body);
  }

  private static RoundStats stats() {
    return new RoundStats(new long[] {2, 0}, new long[] {7, 0}, new byte[][] {new byte[32], new byte[32]});
  }

  @Test
  void everyKindRoundTripsThroughItsCanonicalForm() throws Exception {
    List<Body> bodies = List.of(
        new Hello("aa".repeat(64), new byte[32]),
        new Heartbeat(Map.of("bank_b", ATTEMPT)),
        new InputCommitted("cd".repeat(32)),
        new InputCommitted(null),
        new RoundComplete("blind-1", stats()),
        new Notice("agg-release", new byte[] {1, 2, 3}),
        new Abort("blind-2", AbortKind.PROTOCOL_ERROR, "bank_b", Map.of("bank_b", ATTEMPT)),
        new Done(null, "ef".repeat(32)));
    for (Body b : bodies) {
      ControlMessage m = message(b);
      ControlMessage back = ControlCodec.decode(ControlCodec.canonical(m));
      assertThat(back.kind()).isEqualTo(m.kind());
      assertThat(ControlCodec.canonical(back)).isEqualTo(ControlCodec.canonical(m));
      if (!(b instanceof RoundComplete)) {
        assertThat(back).isEqualTo(m);
      }
    }
    RoundComplete rc = (RoundComplete) ControlCodec.decode(ControlCodec.canonical(message(
        new RoundComplete("blind-1", stats())))).body();
    assertThat(rc.stats().totalElements()).isEqualTo(7);
    assertThat(rc.stats().roundDigest()).isEqualTo(stats().roundDigest());
  }

  @Test
  void malformedOrNonCanonicalMessagesAreRejected() {
    String good = new String(ControlCodec.canonical(message(new InputCommitted("cd".repeat(32)))),
        StandardCharsets.UTF_8);
    for (String bad : List.of(
        good.replace("\"inputRoot\"", "\"inputroot\""),          // unknown field, required one missing
        good.replace("cdcd", "CDCD"),                              // not lower-case hex
        good.replace(ControlLogTest.JOB, "job-1"),                 // job id format
        good.replace("\"kind\":\"input-committed\"", "\"kind\":\"bogus\""),
        good.replace("{\"attempt\"", "{ \"attempt\""),             // not canonical
        good.replace("\"timestampMs\":1234", "\"timestampMs\":\"1234\""),
        "[]", "not json")) {
      assertThatThrownBy(() -> ControlCodec.decode(bad.getBytes(StandardCharsets.UTF_8))).as(bad)
          .isInstanceOf(ControlCodec.MalformedException.class);
    }
    String tampered = new String(ControlCodec.canonical(message(new RoundComplete("blind-1", stats()))),
        StandardCharsets.UTF_8).replace("\"elements\":7", "\"elements\":8");
    assertThatThrownBy(() -> ControlCodec.decode(tampered.getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("total or digest");
  }

  @Test
  void theSignatureCoversAContextStringOfItsOwn() {
    byte[] json = ControlCodec.canonical(message(new Done(null, null)));
    byte[] signed = ControlCodec.signedBytes(json);
    assertThat(new String(signed, StandardCharsets.UTF_8)).startsWith("veil-control/v2\n");
    assertThat(signed).hasSize(json.length + ControlCodec.CONTEXT.length);
  }
}
