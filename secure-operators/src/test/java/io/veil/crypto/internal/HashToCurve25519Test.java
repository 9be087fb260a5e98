package io.veil.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.crypto.MontgomeryOracle;
import io.veil.crypto.VectorFiles;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** RFC 9380 appendix J.7 vectors for curve25519 (RO and NU), plus algebraic checks. */
class HashToCurve25519Test {

  @TestFactory
  Stream<DynamicTest> randomOracleSuite() {
    return suite("curve25519_XMD-SHA-512_ELL2_RO_.json", true);
  }

  @TestFactory
  Stream<DynamicTest> nonUniformSuite() {
    return suite("curve25519_XMD-SHA-512_ELL2_NU_.json", false);
  }

  private static Stream<DynamicTest> suite(String file, boolean ro) {
    JsonNode root = VectorFiles.load("rfc9380/" + file);
    assertThat(root.get("ciphersuite").asText())
        .isEqualTo(ro ? HashToCurve25519.SUITE_RO : HashToCurve25519.SUITE_NU);
    byte[] dst = root.get("dst").asText().getBytes(StandardCharsets.US_ASCII);
    HashToCurve25519 h2c = ro ? HashToCurve25519.randomOracle(dst) : HashToCurve25519.nonUniform(dst);
    assertThat(h2c.isRandomOracle()).isEqualTo(ro);
    List<JsonNode> vectors = VectorFiles.list(root.get("vectors"));
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode v : vectors) {
      String msgText = v.get("msg").asText();
      byte[] msg = msgText.getBytes(StandardCharsets.US_ASCII);
      String name = file + " msg=\"" + (msgText.length() > 16 ? msgText.substring(0, 16) + "..." : msgText) + "\"";
      tests.add(
          dynamicTest(
              name + " hash_to_field",
              () -> {
                byte[][] u = h2c.hashToField(msg);
                List<JsonNode> expected = VectorFiles.list(v.get("u"));
                assertThat(u.length).isEqualTo(expected.size());
                for (int i = 0; i < u.length; i++) {
                  assertThat(Hex.toHexString(u[i]))
                      .isEqualTo(le(expected.get(i).asText()));
                }
              }));
      tests.add(
          dynamicTest(
              name + " map_to_curve",
              () -> {
                List<JsonNode> u = VectorFiles.list(v.get("u"));
                for (int i = 0; i < u.size(); i++) {
                  JsonNode q = v.get(ro ? "Q" + i : "Q");
                  byte[] qu = new byte[32];
                  byte[] qv = new byte[32];
                  HashToCurve25519.mapToCurve(VectorFiles.bigEndianHexToLittleEndian32(u.get(i).asText()), qu, qv);
                  assertThat(Hex.toHexString(qu)).as("Q%d.u", i).isEqualTo(le(q.get("x").asText()));
                  assertThat(Hex.toHexString(qv)).as("Q%d.v", i).isEqualTo(le(q.get("y").asText()));
                }
              }));
      tests.add(
          dynamicTest(
              name + " point",
              () -> {
                byte[] pu = new byte[32];
                byte[] pv = new byte[32];
                h2c.hashToPoint(msg, pu, pv);
                assertThat(Hex.toHexString(pu)).as("P.u").isEqualTo(le(v.get("P").get("x").asText()));
                assertThat(Hex.toHexString(pv)).as("P.v").isEqualTo(le(v.get("P").get("y").asText()));
                byte[] out = new byte[40];
                h2c.hashToU(msg, out, 3);
                assertThat(Hex.toHexString(out, 3, 32)).as("hashToU").isEqualTo(le(v.get("P").get("x").asText()));
              }));
    }
    tests.add(
        dynamicTest(
            file + " batch equals single",
            () -> {
              byte[][] msgs = new byte[vectors.size()][];
              for (int i = 0; i < msgs.length; i++) {
                msgs[i] = vectors.get(i).get("msg").asText().getBytes(StandardCharsets.US_ASCII);
              }
              byte[] out = new byte[32 * msgs.length];
              h2c.hashToUBatch(msgs, msgs.length, out, 0);
              for (int i = 0; i < msgs.length; i++) {
                assertThat(Hex.toHexString(out, 32 * i, 32))
                    .isEqualTo(le(vectors.get(i).get("P").get("x").asText()));
              }
            }));
    return tests.stream();
  }

  private static String le(String bigEndianHex) {
    return Hex.toHexString(VectorFiles.bigEndianHexToLittleEndian32(bigEndianHex));
  }

  @Test
  void outputsAreOnTheCurveInThePrimeOrderSubgroup() {
    HashToCurve25519 h2c = HashToCurve25519.randomOracle("test-dst".getBytes(StandardCharsets.US_ASCII));
    Random random = new Random(7);
    for (int i = 0; i < 40; i++) {
      byte[] msg = new byte[random.nextInt(100)];
      random.nextBytes(msg);
      byte[] u = new byte[32];
      byte[] v = new byte[32];
      h2c.hashToPoint(msg, u, v);
      BigInteger bu = VectorFiles.littleEndianToBigInteger(u, 0);
      BigInteger bv = VectorFiles.littleEndianToBigInteger(v, 0);
      assertThat(bu).isLessThan(MontgomeryOracle.P);
      assertThat(bv.pow(2).mod(MontgomeryOracle.P)).isEqualTo(MontgomeryOracle.rhs(bu));
      assertThat(MontgomeryOracle.multipleIsIdentity(MontgomeryOracle.L, bu)).isTrue();
      assertThat(bu.signum()).isPositive();
    }
  }

  @Test
  void mapToCurveOfEdgeFieldElementsGivesCurvePoints() {
    BigInteger p = MontgomeryOracle.P;
    for (BigInteger e : new BigInteger[] {BigInteger.ZERO, BigInteger.ONE, p.subtract(BigInteger.ONE), BigInteger.TWO}) {
      byte[] u = new byte[32];
      byte[] v = new byte[32];
      HashToCurve25519.mapToCurve(VectorFiles.bigEndianHexToLittleEndian32(e.toString(16)), u, v);
      BigInteger bu = VectorFiles.littleEndianToBigInteger(u, 0);
      BigInteger bv = VectorFiles.littleEndianToBigInteger(v, 0);
      assertThat(bv.pow(2).mod(p)).as("on curve for %s", e).isEqualTo(MontgomeryOracle.rhs(bu));
    }
  }

  @Test
  void batchMatchesSingleAcrossChunkBoundaries() {
    HashToCurve25519 h2c = HashToCurve25519.randomOracle("batch".getBytes(StandardCharsets.US_ASCII));
    int n = 150; // more than two chunks
    byte[][] msgs = new byte[n][];
    for (int i = 0; i < n; i++) {
      msgs[i] = ("element-" + i).getBytes(StandardCharsets.UTF_8);
    }
    byte[] batch = new byte[32 * n + 5];
    h2c.hashToUBatch(msgs, n, batch, 5);
    for (int i = 0; i < n; i++) {
      byte[] single = new byte[32];
      h2c.hashToU(msgs[i], single, 0);
      assertThat(Arrays.copyOfRange(batch, 5 + 32 * i, 5 + 32 * i + 32)).isEqualTo(single);
    }
  }
}
