package io.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** {@link Hkdf} against RFC 5869 appendix A (SHA-256 cases) and Wycheproof hkdf_sha256. */
class HkdfTest {

  @TestFactory
  Stream<DynamicTest> rfc5869() {
    JsonNode root = VectorFiles.load("rfc5869/hkdf_sha256.json");
    return VectorFiles.list(root.get("tests")).stream()
        .map(
            t ->
                dynamicTest(
                    t.get("name").asText(),
                    () ->
                        assertThat(
                                Hex.toHexString(
                                    Hkdf.derive(
                                        VectorFiles.hex(t.get("salt")),
                                        VectorFiles.hex(t.get("ikm")),
                                        VectorFiles.hex(t.get("info")),
                                        t.get("length").asInt())))
                            .isEqualTo(t.get("okm").asText())));
  }

  /** "valid" vectors must match; "invalid" ones (output longer than 255 * 32 bytes) must be refused. */
  @TestFactory
  Stream<DynamicTest> wycheproof() {
    JsonNode root = VectorFiles.load("wycheproof/hkdf_sha256_test.json");
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode group : root.get("testGroups")) {
      for (JsonNode t : group.get("tests")) {
        String result = t.get("result").asText();
        tests.add(
            dynamicTest(
                "tcId " + t.get("tcId").asInt() + " " + result + " " + t.get("flags") + " " + t.get("comment").asText(),
                () -> {
                  byte[] salt = VectorFiles.hex(t.get("salt"));
                  byte[] ikm = VectorFiles.hex(t.get("ikm"));
                  byte[] info = VectorFiles.hex(t.get("info"));
                  int size = t.get("size").asInt();
                  if (result.equals("valid")) {
                    assertThat(Hex.toHexString(Hkdf.derive(salt, ikm, info, size))).isEqualTo(t.get("okm").asText());
                  } else {
                    assertThat(result).isEqualTo("invalid");
                    assertThatThrownBy(() -> Hkdf.derive(salt, ikm, info, size))
                        .isInstanceOf(IllegalArgumentException.class);
                  }
                }));
      }
    }
    return tests.stream();
  }
}
