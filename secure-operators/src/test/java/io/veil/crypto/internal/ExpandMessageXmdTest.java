package io.veil.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.crypto.VectorFiles;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** RFC 9380 appendix K vectors for expand_message_xmd, one dynamic test per vector. */
class ExpandMessageXmdTest {

  @TestFactory
  Stream<DynamicTest> sha256Dst38() {
    return vectors("expand_message_xmd_SHA256_38.json");
  }

  @TestFactory
  Stream<DynamicTest> sha256OversizeDst() {
    return vectors("expand_message_xmd_SHA256_256.json");
  }

  @TestFactory
  Stream<DynamicTest> sha512Dst38() {
    return vectors("expand_message_xmd_SHA512_38.json");
  }

  private static Stream<DynamicTest> vectors(String file) {
    JsonNode root = VectorFiles.load("rfc9380/" + file);
    byte[] dst = root.get("DST").asText().getBytes(StandardCharsets.US_ASCII);
    String hash = root.get("hash").asText();
    ExpandMessageXmd xmd =
        switch (hash) {
          case "SHA256" -> ExpandMessageXmd.sha256(dst);
          case "SHA512" -> ExpandMessageXmd.sha512(dst);
          default -> throw new IllegalArgumentException(hash);
        };
    return VectorFiles.list(root.get("tests")).stream()
        .map(
            t -> {
              byte[] msg = t.get("msg").asText().getBytes(StandardCharsets.US_ASCII);
              int len = Integer.decode(t.get("len_in_bytes").asText());
              String name = file + " msg=\"" + abbreviate(t.get("msg").asText()) + "\" len=" + len;
              return dynamicTest(
                  name,
                  () -> {
                    assertThat(Hex.toHexString(xmd.dstPrime())).isEqualTo(t.get("DST_prime").asText());
                    assertThat(Hex.toHexString(xmd.expand(msg, len)))
                        .isEqualTo(t.get("uniform_bytes").asText());
                    // offset form writes the same bytes at an offset, and only there
                    byte[] out = new byte[len + 7];
                    byte[] padded = new byte[msg.length + 3];
                    System.arraycopy(msg, 0, padded, 2, msg.length);
                    xmd.expand(padded, 2, msg.length, len, out, 5);
                    assertThat(Hex.toHexString(out, 5, len)).isEqualTo(t.get("uniform_bytes").asText());
                    assertThat(out[0]).isZero();
                    assertThat(out[len + 5]).isZero();
                  });
            });
  }

  private static String abbreviate(String s) {
    return s.length() <= 12 ? s : s.substring(0, 12) + "...(" + s.length() + ")";
  }

  @Test
  void rejectsLengthsOutsideTheRfcLimits() {
    ExpandMessageXmd sha256 = ExpandMessageXmd.sha256("d".getBytes(StandardCharsets.US_ASCII));
    ExpandMessageXmd sha512 = ExpandMessageXmd.sha512("d".getBytes(StandardCharsets.US_ASCII));
    byte[] msg = new byte[1];
    assertThatThrownBy(() -> sha256.expand(msg, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sha256.expand(msg, 255 * 32 + 1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(sha256.expand(msg, 255 * 32)).hasSize(255 * 32);
    assertThatThrownBy(() -> sha512.expand(msg, 255 * 64 + 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sha512.expand(msg, 65536)).isInstanceOf(IllegalArgumentException.class);
    assertThat(sha512.expand(msg, 255 * 64)).hasSize(255 * 64);
  }

  @Test
  void dstOf255BytesIsUsedAsIsAndLongerIsHashed() {
    byte[] dst255 = new byte[255];
    assertThat(ExpandMessageXmd.sha256(dst255).dstPrime()).hasSize(256);
    byte[] dst256 = new byte[256];
    byte[] prime = ExpandMessageXmd.sha256(dst256).dstPrime();
    assertThat(prime).hasSize(33);
    assertThat(prime[32]).isEqualTo((byte) 32);
    assertThat(ExpandMessageXmd.sha512(dst256).dstPrime()).hasSize(65);
  }
}
