package io.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Ed25519 ({@link IdentityKeys}, {@link IdentityPublicKey}) against RFC 8032 and Wycheproof. */
class IdentityPublicKeyTest {

  /**
   * Every Wycheproof EdDSA verification vector: "valid" must verify, "invalid" must not. A group
   * whose public key {@link IdentityPublicKey#fromBytes} rejects may only contain "invalid" vectors
   * (a rejected key can verify nothing); none of the current groups has such a key, which the last
   * test records.
   */
  @TestFactory
  Stream<DynamicTest> wycheproofEd25519() {
    JsonNode root = VectorFiles.load("wycheproof/ed25519_test.json");
    List<DynamicTest> tests = new ArrayList<>();
    int[] rejectedKeys = {0};
    int total = 0;
    for (JsonNode group : root.get("testGroups")) {
      byte[] pk = VectorFiles.hex(group.get("publicKey").get("pk"));
      IdentityPublicKey key;
      try {
        key = IdentityPublicKey.fromBytes(pk);
      } catch (InvalidInputException e) {
        key = null;
        rejectedKeys[0]++;
      }
      IdentityPublicKey k = key;
      for (JsonNode t : group.get("tests")) {
        total++;
        String result = t.get("result").asText();
        tests.add(
            dynamicTest(
                "tcId " + t.get("tcId").asInt() + " " + result + " " + t.get("flags") + " " + t.get("comment").asText(),
                () -> {
                  assertThat(result).isIn("valid", "invalid");
                  if (k == null) {
                    assertThat(result).as("a rejected public key cannot have valid signatures").isEqualTo("invalid");
                    return;
                  }
                  boolean ok = k.verifyPure(VectorFiles.hex(t.get("msg")), VectorFiles.hex(t.get("sig")));
                  assertThat(ok).isEqualTo(result.equals("valid"));
                }));
      }
    }
    int expectedTotal = root.get("numberOfTests").asInt();
    int count = total;
    tests.add(
        dynamicTest(
            "all vectors present and all group keys accepted",
            () -> {
              assertThat(count).isEqualTo(expectedTotal);
              assertThat(rejectedKeys[0]).isZero();
            }));
    return tests.stream();
  }

  /** Pure Ed25519: RFC 8032 section 7.1 (Veil never signs this way; the vectors test the engine). */
  @TestFactory
  Stream<DynamicTest> rfc8032Section71() {
    return rfc8032("rfc8032/ed25519.json");
  }

  /** Ed25519ctx, the scheme behind every {@link SignatureDomain}: RFC 8032 section 7.2. */
  @TestFactory
  Stream<DynamicTest> rfc8032Section72() {
    return rfc8032("rfc8032/ed25519ctx.json");
  }

  /** Each vector: key derivation, the exact signature, verification, and a flipped bit refused. */
  private static Stream<DynamicTest> rfc8032(String file) {
    JsonNode root = VectorFiles.load(file);
    return VectorFiles.list(root.get("tests")).stream()
        .map(t -> dynamicTest(t.get("name").asText(), () -> {
          IdentityKeys keys = IdentityKeys.fromSeed(VectorFiles.hex(t.get("secretKey")));
          assertThat(Hex.toHexString(keys.publicKey().bytes())).isEqualTo(t.get("publicKey").asText());
          byte[] msg = VectorFiles.hex(t.get("message"));
          IdentityPublicKey pk = keys.publicKey();
          if (t.has("context")) {
            byte[] ctx = VectorFiles.hex(t.get("context"));
            byte[] sig = keys.signWithContext(ctx, msg);
            assertThat(Hex.toHexString(sig)).isEqualTo(t.get("signature").asText());
            assertThat(pk.verifyWithContext(ctx, msg, sig)).isTrue();
            assertThat(pk.verifyPure(msg, sig)).as("not a pure Ed25519 signature").isFalse();
            ctx[0] ^= 1;
            assertThat(pk.verifyWithContext(ctx, msg, sig)).as("another context").isFalse();
          } else {
            byte[] sig = keys.signPure(msg);
            assertThat(Hex.toHexString(sig)).isEqualTo(t.get("signature").asText());
            assertThat(pk.verifyPure(msg, sig)).isTrue();
            sig[5] ^= 1;
            assertThat(pk.verifyPure(msg, sig)).isFalse();
          }
        }));
  }

  /** A signature made for one purpose verifies for that purpose only. */
  @Test
  void signaturesDoNotCrossDomains() {
    IdentityKeys keys = IdentityKeys.fromSeed(new byte[32]);
    byte[] msg = new byte[32];
    for (SignatureDomain signedFor : SignatureDomain.values()) {
      byte[] sig = keys.sign(signedFor, msg);
      for (SignatureDomain checkedFor : SignatureDomain.values()) {
        assertThat(keys.publicKey().verify(checkedFor, msg, sig))
            .as("signed for %s, checked for %s", signedFor, checkedFor)
            .isEqualTo(signedFor == checkedFor);
      }
      assertThat(keys.publicKey().verifyPure(msg, sig)).isFalse();
    }
  }

  @Test
  void textFormRoundTripsAndRejectsGarbage() {
    IdentityKeys keys = IdentityKeys.fromSeed(new byte[32]);
    IdentityPublicKey pk = keys.publicKey();
    assertThat(IdentityPublicKey.parse(pk.encoded())).isEqualTo(pk);
    assertThat(pk.toString()).startsWith("ed25519:");
    assertThatThrownBy(() -> IdentityPublicKey.parse("x25519:abc")).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> IdentityPublicKey.parse("ed25519:***")).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> IdentityPublicKey.fromBytes(new byte[31])).isInstanceOf(InvalidInputException.class);
    assertThat(pk.verify(SignatureDomain.APPROVAL, new byte[0], new byte[63])).isFalse();
  }

  @Test
  void deserialisationRevalidatesTheKey() throws Exception {
    IdentityPublicKey pk = IdentityKeys.fromSeed(new byte[32]).publicKey();
    byte[] ser = serialise(pk);
    assertThat(deserialise(ser)).isEqualTo(pk);
    // Tamper with the serialised key bytes: an encoding that is not a point must not come back.
    byte[] raw = pk.bytes();
    int at = indexOf(ser, raw);
    assertThat(at).isPositive();
    byte[] bad = Hex.decode("0200000000000000000000000000000000000000000000000000000000000000"); // y = 2: not on the curve
    assertThatThrownBy(() -> IdentityPublicKey.fromBytes(bad)).isInstanceOf(InvalidInputException.class);
    System.arraycopy(bad, 0, ser, at, 32);
    assertThatThrownBy(() -> deserialise(ser)).isInstanceOf(InvalidInputException.class);
  }

  private static byte[] serialise(Object o) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.toByteArray();
  }

  private static Object deserialise(byte[] b) throws Exception {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
      return in.readObject();
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
