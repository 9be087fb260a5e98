package io.veil.blacklist.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ListCodecTest {
  private static byte[] output(int seed) {
    byte[] o = new byte[32];
    Arrays.fill(o, (byte) seed);
    return o;
  }

  @Test
  void reasonsRoundTripAndOnlyOpenUnderTheirOwnOutput() {
    for (String reason : new String[] {null, "", "R1", "fraud/confirmed", "x".repeat(23), "ünïcødé"}) {
      byte[] sealed = ListCodec.seal(output(1), reason);
      assertThat(sealed).hasSize(ListCodec.PAYLOAD_BYTES);
      assertThat(ListCodec.open(output(1), sealed)).isEqualTo(reason);
      assertThat(ListCodec.open(output(2), sealed)).isNotEqualTo(reason == null ? "" : reason);
    }
    assertThat(ListCodec.seal(output(1), "R1")).isNotEqualTo(ListCodec.seal(output(2), "R1"));
    assertThatThrownBy(() -> ListCodec.seal(output(1), "x".repeat(24))).isInstanceOf(IllegalArgumentException.class);
    assertThat(ListCodec.open(output(1), new byte[3])).isNull();
  }

  @Test
  void tagsAre16BytesAndIndependentOfTheSealingKey() {
    assertThat(ListCodec.tag(output(1))).hasSize(16).isNotEqualTo(ListCodec.tag(output(2)));
    byte[] sealedEmpty = ListCodec.seal(output(1), "");
    assertThat(Arrays.copyOf(sealedEmpty, 16)).isNotEqualTo(ListCodec.tag(output(1)));
  }
}
