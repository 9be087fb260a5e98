package io.veil.crypto.ot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.crypto.EdwardsOracle;
import io.veil.crypto.MontgomeryOracle;
import io.veil.crypto.VectorFiles;
import io.veil.crypto.internal.Ed25519Group;
import io.veil.crypto.internal.Ed25519Points;
import io.veil.crypto.internal.Libsodium;
import io.veil.crypto.internal.X25519Engines;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECFieldElement;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The arithmetic behind {@link BaseOt}'s pure-Java group, BouncyCastle's short-Weierstrass
 * curve25519, against RFC 7748's X25519 (section 5.2 and the Wycheproof x25519 vectors): a
 * Montgomery u-coordinate maps to x = u + A/3, so u([k]P) computed on the Weierstrass model must
 * equal X25519(k, u). Also maps each such point to edwards25519 and checks that both groups'
 * peer-point validation accepts exactly the points of the prime-order subgroup, decided by an
 * independent Montgomery-ladder oracle (Wycheproof holds many mixed-order points).
 */
class Curve25519WeierstrassTest {
  private static final List<Ed25519Group> GROUPS = groups();
  private static final X9ECParameters PARAMS = CustomNamedCurves.getByName("curve25519");
  private static final ECCurve CURVE = PARAMS.getCurve();
  private static final BigInteger P = MontgomeryOracle.P;
  private static final BigInteger A_OVER_3 = MontgomeryOracle.A.multiply(BigInteger.valueOf(3).modInverse(P)).mod(P);

  private static List<Ed25519Group> groups() {
    List<Ed25519Group> groups = new ArrayList<>(List.of(X25519Engines.javaEdwards()));
    if (X25519Engines.nativeAvailable() && Libsodium.edwardsAvailable()) {
      groups.add(X25519Engines.nativeEdwards());
    }
    return groups;
  }

  private static BigInteger clamp(byte[] k) {
    byte[] c = k.clone();
    c[0] &= (byte) 248;
    c[31] &= 127;
    c[31] |= 64;
    return VectorFiles.littleEndianToBigInteger(c, 0);
  }

  /** The Weierstrass point with Montgomery u-coordinate u (either y), or null if u is on the twist. */
  private static ECPoint lift(BigInteger u) {
    BigInteger x = u.add(A_OVER_3).mod(P);
    ECFieldElement fx = CURVE.fromBigInteger(x);
    ECFieldElement y = fx.square().add(CURVE.getA()).multiply(fx).add(CURVE.getB()).sqrt();
    return y == null ? null : CURVE.createPoint(x, y.toBigInteger());
  }

  /** u-coordinate of a Weierstrass point as 32 little-endian bytes; the identity gives u = 0. */
  private static String uHex(ECPoint q) {
    BigInteger u = q.isInfinity() ? BigInteger.ZERO : q.normalize().getAffineXCoord().toBigInteger().subtract(A_OVER_3).mod(P);
    byte[] le = new byte[32];
    for (int i = 0; i < 32; i++) {
      le[i] = u.shiftRight(8 * i).byteValue();
    }
    return Hex.toHexString(le);
  }

  @Test
  void generatorIsUNineAndOrderIsRfc7748s() {
    assertThat(uHex(PARAMS.getG())).isEqualTo("09" + "00".repeat(31));
    // RFC 7748 section 4.1: order 2^252 + 0x14def9dea2f79cd65812631a5cf5d3ed, cofactor 8.
    assertThat(PARAMS.getN()).isEqualTo(MontgomeryOracle.L);
    assertThat(PARAMS.getH()).isEqualTo(BigInteger.valueOf(8));
    assertThat(CURVE.getField().getCharacteristic()).isEqualTo(P);
  }

  @Test
  void rfc7748IteratedOnce() {
    // k = u = 9: X25519(9, 9) is the clamped 9 times the base point.
    JsonNode it = VectorFiles.load("rfc7748/x25519.json").get("iterated");
    byte[] nine = Hex.decode(it.get("start").asText());
    ECPoint q = lift(VectorFiles.littleEndianToBigInteger(nine, 0)).multiply(clamp(nine));
    assertThat(uHex(q)).isEqualTo(it.get("after").get("1").asText());
    assertThat(uHex(PARAMS.getG().multiply(clamp(nine)))).isEqualTo(it.get("after").get("1").asText());
  }

  @TestFactory
  Stream<DynamicTest> rfc7748AndWycheproofVectorsOnTheCurve() {
    List<DynamicTest> tests = new ArrayList<>();
    int i = 0;
    for (JsonNode v : VectorFiles.load("rfc7748/x25519.json").get("single")) {
      tests.add(vector("RFC 7748 5.2 #" + (++i), v.get("scalar").asText(), v.get("u").asText(), v.get("output").asText()));
    }
    int onCurve = 0;
    int mixedOrder = 0;
    for (JsonNode group : VectorFiles.load("wycheproof/x25519_test.json").get("testGroups")) {
      for (JsonNode t : group.get("tests")) {
        byte[] pub = Hex.decode(t.get("public").asText());
        BigInteger u = VectorFiles.littleEndianToBigInteger(pub, 0);
        if ((pub[31] & 0x80) == 0 && u.compareTo(P) < 0 && MontgomeryOracle.onCurve(u)) {
          onCurve++;
          mixedOrder += MontgomeryOracle.multipleIsIdentity(MontgomeryOracle.L, u) ? 0 : 1;
        }
        tests.add(
            vector(
                "wycheproof tcId " + t.get("tcId").asInt(),
                t.get("private").asText(),
                t.get("public").asText(),
                t.get("shared").asText()));
      }
    }
    int[] counts = {onCurve, mixedOrder};
    // The file must exercise both paths of the comparison, or the test above proves nothing.
    tests.add(
        dynamicTest(
            "enough on-curve vectors, some outside the prime-order subgroup",
            () -> {
              assertThat(counts[0]).isGreaterThan(200);
              assertThat(counts[1]).isGreaterThan(10);
            }));
    return tests.stream();
  }

  /**
   * One X25519 vector through the Weierstrass model, when its u is canonical and on the curve
   * (twist and non-canonical inputs have no Weierstrass point to compare; PsiCipherPeerPointTest
   * covers them). Also: its edwards25519 image is a valid point iff it lies in the prime-order subgroup.
   */
  private static DynamicTest vector(String name, String scalarHex, String uHexIn, String expected) {
    return dynamicTest(
        name,
        () -> {
          byte[] uBytes = Hex.decode(uHexIn);
          BigInteger u = VectorFiles.littleEndianToBigInteger(uBytes, 0);
          if ((uBytes[31] & 0x80) != 0 || u.compareTo(P) >= 0 || !MontgomeryOracle.onCurve(u)) {
            assertThat(u.compareTo(P) >= 0 || (uBytes[31] & 0x80) != 0 || lift(u) == null).isTrue();
            return;
          }
          ECPoint point = lift(u);
          assertThat(point).isNotNull();
          assertThat(uHex(point.multiply(clamp(Hex.decode(scalarHex))))).isEqualTo(expected);

          boolean inSubgroup = !MontgomeryOracle.hasSmallOrder(u) && MontgomeryOracle.multipleIsIdentity(MontgomeryOracle.L, u);
          for (ECPoint p : new ECPoint[] {point, point.negate()}) {
            ECPoint n = p.normalize();
            BigInteger[] edwards = EdwardsOracle.fromMontgomery(u, n.getAffineYCoord().toBigInteger());
            assertThat(EdwardsOracle.onCurve(edwards[0], edwards[1])).isTrue();
            byte[] enc = EdwardsOracle.encode(edwards);
            assertThat(Ed25519Points.invalidReason(enc)).as("java").matches(r -> (r == null) == inSubgroup);
            for (Ed25519Group g : GROUPS) {
              assertThat(g.isValid(enc)).as("%s", g).isEqualTo(inSubgroup);
            }
          }
        });
  }
}
