package io.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.crypto.InvalidPointException.Reason;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Peer-point validation of {@link PsiCipher} on every public key of the Wycheproof x25519 file.
 *
 * <p>What our validating API does with Wycheproof's "acceptable" cases (RFC 7748 lets X25519
 * accept them; {@code blindPeerPoint} does not):
 *
 * <ul>
 *   <li>{@code Twist}: rejected, {@link Reason#NOT_ON_CURVE} (or NON_CANONICAL if also encoded
 *       non-canonically).
 *   <li>{@code LowOrderPublic}, {@code ZeroSharedSecret}: rejected, {@link Reason#SMALL_ORDER} for
 *       canonical encodings of the 8-torsion points on the curve, otherwise NON_CANONICAL or
 *       NOT_ON_CURVE (the twist's small-order points).
 *   <li>{@code NonCanonicalPublic} (top bit set, or u &ge; p): rejected, {@link Reason#NON_CANONICAL}.
 *   <li>{@code SmallPublicKey}, {@code SpecialPublicKey}, {@code EdgeCase*}: decided purely by the
 *       rules above; when accepted, the output equals the vector's shared secret.
 * </ul>
 *
 * The expected decision comes from an independent BigInteger oracle ({@link MontgomeryOracle}):
 * accept iff top bit clear, u &lt; p, u^3 + A u^2 + u is a square, and [8]P is not the identity.
 */
class PsiCipherPeerPointTest {
  private static final Set<String> MUST_REJECT = Set.of("Twist", "LowOrderPublic", "NonCanonicalPublic", "ZeroSharedSecret");

  static Reason oracle(byte[] pub) {
    if ((pub[31] & 0x80) != 0) {
      return Reason.NON_CANONICAL;
    }
    BigInteger u = VectorFiles.littleEndianToBigInteger(pub, 0);
    if (u.compareTo(MontgomeryOracle.P) >= 0) {
      return Reason.NON_CANONICAL;
    }
    if (!MontgomeryOracle.onCurve(u)) {
      return Reason.NOT_ON_CURVE;
    }
    if (MontgomeryOracle.hasSmallOrder(u)) {
      return Reason.SMALL_ORDER;
    }
    return null;
  }

  @TestFactory
  Stream<DynamicTest> wycheproofPublicKeys() {
    JsonNode root = VectorFiles.load("wycheproof/x25519_test.json");
    List<DynamicTest> tests = new ArrayList<>();
    int[] accepted = {0};
    int[] rejected = {0};
    for (JsonNode group : root.get("testGroups")) {
      for (JsonNode t : group.get("tests")) {
        byte[] pub = VectorFiles.hex(t.get("public"));
        byte[] priv = VectorFiles.hex(t.get("private"));
        List<String> flags = new ArrayList<>();
        t.get("flags").forEach(f -> flags.add(f.asText()));
        Reason expected = oracle(pub);
        if (expected == null) {
          accepted[0]++;
        } else {
          rejected[0]++;
        }
        tests.add(
            dynamicTest(
                "tcId " + t.get("tcId").asInt() + " " + flags + " -> " + (expected == null ? "accept" : "reject " + expected),
                () -> {
                  if (flags.stream().anyMatch(MUST_REJECT::contains)) {
                    assertThat(expected).as("oracle must reject %s", flags).isNotNull();
                  }
                  assertThat(PsiCipher.isValidPeerPoint(pub, 0)).isEqualTo(expected == null);
                  for (PsiCipher.Backend backend : PsiCipherTest.backends()) {
                    PsiCipher cipher = PsiCipher.create(BlindingKey.fromBytes(priv), backend);
                    byte[] out = new byte[32];
                    if (expected == null) {
                      cipher.blindPeerPoint(pub, 0, out, 0);
                      assertThat(Hex.toHexString(out)).isEqualTo(t.get("shared").asText());
                    } else {
                      assertThatThrownBy(() -> cipher.blindPeerPoint(pub, 0, out, 0))
                          .isInstanceOfSatisfying(
                              InvalidPointException.class,
                              e -> {
                                assertThat(e.reason()).isEqualTo(expected);
                                assertThat(e.index()).isEqualTo(-1);
                                assertThat(e.getMessage().toLowerCase()).doesNotContain(Hex.toHexString(pub));
                              });
                      assertThat(out).isEqualTo(new byte[32]);
                    }
                  }
                }));
      }
    }
    // Both outcomes must occur, or this test could not fail in one direction.
    tests.add(
        dynamicTest(
            "vector mix covers accept and reject",
            () -> {
              assertThat(accepted[0]).isGreaterThan(100);
              assertThat(rejected[0]).isGreaterThan(100);
            }));
    return tests.stream();
  }
}
