package io.veil.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.crypto.EdwardsOracle;
import io.veil.crypto.VectorFiles;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

/**
 * Both edwards25519 groups (native libsodium and pure Java) against RFC 8032's public keys, RFC
 * 9380's edwards25519 hash-to-curve points, an independent affine oracle ({@link EdwardsOracle}),
 * and each other; and both refuse exactly the encodings libsodium's {@code is_valid_point} refuses.
 */
class Ed25519GroupTest {

  static List<Ed25519Group> groups() {
    List<Ed25519Group> groups = new ArrayList<>();
    groups.add(X25519Engines.javaEdwards());
    if (X25519EngineTest.bundledNativeExpected()) {
      assertThat(Libsodium.edwardsAvailable())
          .as("libsodium's edwards25519 functions should bind here: %s", Libsodium.edwardsUnavailableReason())
          .isTrue();
    }
    if (X25519Engines.nativeAvailable() && Libsodium.edwardsAvailable()) {
      groups.add(X25519Engines.nativeEdwards());
    }
    return groups;
  }

  private static byte[] le32(BigInteger v) {
    return Field25519.toLittleEndian32(v);
  }

  @Test
  void bothGroupsArePresentWhereLibsodiumIsBundled() {
    assertThat(groups()).extracting(Ed25519Group::name).contains("java-bouncycastle");
    if (X25519EngineTest.bundledNativeExpected()) {
      assertThat(groups()).extracting(Ed25519Group::name).contains("native-libsodium");
    }
  }

  /** RFC 8032 section 7.1: the public key is s B for the clamped hash of the secret key. */
  @Test
  void baseMultiplicationGivesRfc8032PublicKeys() throws Exception {
    JsonNode root = VectorFiles.load("rfc8032/ed25519.json");
    for (JsonNode t : VectorFiles.list(root.get("tests"))) {
      byte[] h = MessageDigest.getInstance("SHA-512").digest(VectorFiles.hex(t.get("secretKey")));
      byte[] s = Arrays.copyOf(h, 32);
      s[0] &= (byte) 248;
      s[31] &= 127;
      s[31] |= 64;
      BigInteger scalar = VectorFiles.littleEndianToBigInteger(s, 0).mod(EdwardsOracle.L);
      byte[] expected = VectorFiles.hex(t.get("publicKey"));
      assertThat(EdwardsOracle.encode(EdwardsOracle.mul(scalar, EdwardsOracle.BASE))).isEqualTo(expected);
      for (Ed25519Group g : groups()) {
        assertThat(g.baseMul(le32(scalar))).as("%s %s", g, t.get("name").asText()).isEqualTo(expected);
        assertThat(g.isValid(expected)).isTrue();
      }
    }
  }

  /**
   * RFC 9380 appendix J.5.1: each P = 8 (Q0 + Q1) is in the prime-order subgroup and valid; each Q
   * outside it is refused, by both groups, for the reason the oracle gives.
   */
  @Test
  void hashToCurveVectorsSeparateSubgroupFromMixedOrderPoints() {
    JsonNode root = VectorFiles.load("rfc9380/edwards25519_XMD-SHA-512_ELL2_RO_.json");
    int refused = 0;
    for (JsonNode v : VectorFiles.list(root.get("vectors"))) {
      BigInteger[] p = point(v.get("P"));
      BigInteger[] q0 = point(v.get("Q0"));
      BigInteger[] q1 = point(v.get("Q1"));
      assertThat(EdwardsOracle.mul(BigInteger.valueOf(8), EdwardsOracle.add(q0, q1))).isEqualTo(p);
      for (Ed25519Group g : groups()) {
        assertThat(g.isValid(EdwardsOracle.encode(p))).as("%s P of %s", g, v.get("msg")).isTrue();
        for (BigInteger[] q : new BigInteger[][] {q0, q1}) {
          boolean inSubgroup = EdwardsOracle.isIdentity(EdwardsOracle.mul(EdwardsOracle.L, q));
          byte[] enc = EdwardsOracle.encode(q);
          assertThat(g.isValid(enc)).isEqualTo(inSubgroup);
          if (!inSubgroup) {
            assertThat(Ed25519Points.invalidReason(enc)).contains("not in the prime-order subgroup");
            refused++;
          }
        }
      }
    }
    assertThat(refused).isPositive();
  }

  private static BigInteger[] point(JsonNode xy) {
    BigInteger[] p = {
      new BigInteger(xy.get("x").asText().substring(2), 16), new BigInteger(xy.get("y").asText().substring(2), 16)
    };
    assertThat(EdwardsOracle.onCurve(p[0], p[1])).isTrue();
    return p;
  }

  @Test
  void arithmeticMatchesTheOracleAndAgreesAcrossGroups() {
    Random random = new Random(25519);
    List<Ed25519Group> groups = groups();
    for (int round = 0; round < 12; round++) {
      BigInteger s = new BigInteger(260, random).mod(EdwardsOracle.L).max(BigInteger.ONE);
      BigInteger t = new BigInteger(260, random).mod(EdwardsOracle.L).max(BigInteger.ONE);
      BigInteger[] sB = EdwardsOracle.mul(s, EdwardsOracle.BASE);
      BigInteger[] tB = EdwardsOracle.mul(t, EdwardsOracle.BASE);
      byte[] encS = EdwardsOracle.encode(sB);
      byte[] encT = EdwardsOracle.encode(tB);
      for (Ed25519Group g : groups) {
        assertThat(g.baseMul(le32(s))).as("%s", g).isEqualTo(encS);
        assertThat(g.mul(le32(t), encS)).isEqualTo(EdwardsOracle.encode(EdwardsOracle.mul(t, sB)));
        assertThat(g.add(encS, encT)).isEqualTo(EdwardsOracle.encode(EdwardsOracle.add(sB, tB)));
        assertThat(g.sub(encS, encT)).isEqualTo(EdwardsOracle.encode(EdwardsOracle.add(sB, EdwardsOracle.negate(tB))));
        assertThat(g.sub(encS, encS)).isEqualTo(EdwardsOracle.encode(EdwardsOracle.IDENTITY));
        assertThat(g.add(g.sub(encS, encS), encT)).isEqualTo(encT);
      }
    }
  }

  @Test
  void everyGroupRefusesInvalidEncodingsAndNamesWhy() {
    byte[] one = le32(BigInteger.ONE);
    for (EdwardsOracle.Invalid c : EdwardsOracle.invalidEncodings()) {
      byte[] enc = c.encoding();
      assertThat(Ed25519Points.invalidReason(enc)).as(Hex.toHexString(enc)).contains(c.why());
      for (Ed25519Group g : groups()) {
        assertThat(g.isValid(enc)).as("%s %s", g, Hex.toHexString(enc)).isFalse();
        if (enc.length == Ed25519Group.BYTES && EdwardsOracle.decode(enc) == null) {
          assertThatThrownBy(() -> g.mul(one, enc)).isInstanceOf(IllegalArgumentException.class);
        }
      }
    }
  }
}
