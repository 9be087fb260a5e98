package io.veil.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.jna.Platform;
import io.veil.crypto.VectorFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every X25519 engine against RFC 7748 section 5.2 and every Wycheproof x25519 vector. Wycheproof
 * "acceptable" vectors (twist points, small-order and non-canonical public keys, zero shared
 * secret) are checked for the exact RFC 7748 output too: the engines implement the raw X25519
 * function; rejecting such peer points is {@code PsiCipher}'s job (see PsiCipherPeerPointTest).
 */
class X25519EngineTest {

  static List<X25519Engine> engines() {
    List<X25519Engine> engines = new ArrayList<>();
    engines.add(X25519Engines.java());
    if (bundledNativeExpected()) {
      // Where lazysodium bundles a library for this platform, failing to load it is a defect.
      assertThat(X25519Engines.nativeAvailable())
          .as("native libsodium should load here: %s", Libsodium.unavailableReason())
          .isTrue();
    }
    if (X25519Engines.nativeAvailable()) {
      engines.add(X25519Engines.nativeEngine());
    }
    if (bundledNativeExpected()) {
      // Conscrypt bundles BoringSSL for linux-x86_64 too.
      assertThat(X25519Engines.boringAvailable())
          .as("Conscrypt's BoringSSL should load here: %s", BoringX25519Engine.unavailableReason())
          .isTrue();
    }
    if (X25519Engines.boringAvailable()) {
      engines.add(X25519Engines.boringEngine());
    }
    return engines;
  }

  static boolean bundledNativeExpected() {
    return Platform.isLinux() && "x86-64".equals(Platform.ARCH);
  }

  @TestFactory
  Stream<DynamicNode> rfc7748() {
    JsonNode root = VectorFiles.load("rfc7748/x25519.json");
    return engines().stream()
        .map(
            engine -> {
              List<DynamicNode> tests = new ArrayList<>();
              int i = 0;
              for (JsonNode v : root.get("single")) {
                int n = ++i;
                tests.add(
                    dynamicTest(
                        "section 5.2 vector " + n,
                        () -> {
                          byte[] out = new byte[32];
                          engine.scalarMult(VectorFiles.hex(v.get("scalar")), 0, VectorFiles.hex(v.get("u")), 0, out, 0);
                          assertThat(Hex.toHexString(out)).isEqualTo(v.get("output").asText());
                        }));
              }
              JsonNode it = root.get("iterated");
              tests.add(
                  dynamicTest(
                      "section 5.2 iterated 1 and 1000 times",
                      () -> {
                        byte[] k = Hex.decode(it.get("start").asText());
                        byte[] u = k.clone();
                        byte[] r = new byte[32];
                        for (int n = 1; n <= 1000; n++) {
                          engine.scalarMult(k, 0, u, 0, r, 0);
                          u = k;
                          k = r.clone();
                          JsonNode expected = it.get("after").get(Integer.toString(n));
                          if (expected != null) {
                            assertThat(Hex.toHexString(k)).as("after %d", n).isEqualTo(expected.asText());
                          }
                        }
                      }));
              return dynamicContainer(engine.name(), tests);
            });
  }

  @TestFactory
  Stream<DynamicNode> wycheproof() {
    JsonNode root = VectorFiles.load("wycheproof/x25519_test.json");
    List<JsonNode> tests = new ArrayList<>();
    for (JsonNode group : root.get("testGroups")) {
      assertThat(group.get("curve").asText()).isEqualTo("curve25519");
      group.get("tests").forEach(tests::add);
    }
    assertThat(tests).hasSize(root.get("numberOfTests").asInt());
    return engines().stream()
        .map(
            engine ->
                dynamicContainer(
                    engine.name(),
                    tests.stream()
                        .map(
                            t ->
                                dynamicTest(
                                    "tcId " + t.get("tcId").asInt() + " " + t.get("result").asText() + " "
                                        + t.get("flags") + " " + t.get("comment").asText(),
                                    () -> {
                                      // every vector here is valid or acceptable: X25519 must give the RFC output
                                      assertThat(t.get("result").asText()).isIn("valid", "acceptable");
                                      byte[] out = new byte[32];
                                      engine.scalarMult(VectorFiles.hex(t.get("private")), 0, VectorFiles.hex(t.get("public")), 0, out, 0);
                                      assertThat(Hex.toHexString(out)).isEqualTo(t.get("shared").asText());
                                    }))));
  }

  @Test
  void offsetsAndAliasingWork() {
    for (X25519Engine engine : engines()) {
      byte[] k = Hex.decode("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
      byte[] u = Hex.decode("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
      String expected = "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552";
      byte[] kk = new byte[40];
      System.arraycopy(k, 0, kk, 3, 32);
      byte[] buf = new byte[50];
      System.arraycopy(u, 0, buf, 9, 32);
      engine.scalarMult(kk, 3, buf, 9, buf, 9); // in place
      assertThat(Hex.toHexString(buf, 9, 32)).as(engine.name()).isEqualTo(expected);
      assertThat(buf[8]).isZero();
      assertThat(buf[41]).isZero();
      byte[] out = new byte[32];
      java.util.Arrays.fill(out, (byte) 0x55);
      engine.scalarMult(k, 0, new byte[32], 0, out, 0); // u = 0: all-zero output, stale bytes overwritten
      assertThat(out).isEqualTo(new byte[32]);
    }
  }

  @Test
  void modeSelection() {
    assertThat(X25519Engines.forMode("java").name()).isEqualTo("java-bouncycastle");
    assertThat(X25519Engines.forMode(" JAVA ").name()).isEqualTo("java-bouncycastle");
    X25519Engine auto = X25519Engines.forMode("auto");
    assertThat(X25519Engines.forMode(null)).isSameAs(auto);
    assertThat(X25519Engines.forMode("")).isSameAs(auto);
    // auto: BoringSSL, else libsodium, else BouncyCastle.
    String expectedAuto = X25519Engines.boringAvailable() ? "native-boringssl"
        : X25519Engines.nativeAvailable() ? "native-libsodium" : "java-bouncycastle";
    assertThat(auto.name()).isEqualTo(expectedAuto);
    if (X25519Engines.boringAvailable()) {
      assertThat(X25519Engines.forMode("BoringSSL").name()).isEqualTo("native-boringssl");
    } else {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> X25519Engines.forMode("boringssl"))
          .isInstanceOf(io.veil.VeilException.class)
          .hasMessageContaining(X25519Engines.PROPERTY);
    }
    if (X25519Engines.nativeAvailable()) {
      assertThat(X25519Engines.forMode("native").name()).isEqualTo("native-libsodium");
      assertThat(Libsodium.version()).isEqualTo("1.0.18");
    } else {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> X25519Engines.forMode("native"))
          .isInstanceOf(io.veil.VeilException.class)
          .hasMessageContaining(X25519Engines.PROPERTY);
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> X25519Engines.forMode("fast"))
        .isInstanceOf(io.veil.InvalidInputException.class)
        .hasMessageContaining("veil.crypto.x25519='fast'");
  }
}
