package io.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.crypto.InvalidPointException.Reason;
import io.veil.crypto.internal.X25519Engines;
import java.io.Serializable;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

class PsiCipherTest {
  private static final BigInteger P = MontgomeryOracle.P;

  /** Every backend that can run here (both native ones are required on linux-x86_64, see X25519EngineTest). */
  static List<PsiCipher.Backend> backends() {
    List<PsiCipher.Backend> out = new ArrayList<>(List.of(PsiCipher.Backend.JAVA));
    if (X25519Engines.nativeAvailable()) {
      out.add(PsiCipher.Backend.NATIVE);
    }
    if (X25519Engines.boringAvailable()) {
      out.add(PsiCipher.Backend.BORINGSSL);
    }
    return out;
  }

  private static BlindingKey key(int seed) {
    byte[] k = new byte[32];
    new Random(seed).nextBytes(k);
    return BlindingKey.fromBytes(k);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] le(BigInteger v) {
    return VectorFiles.bigEndianHexToLittleEndian32(v.toString(16));
  }

  @Test
  void twoPartiesGetTheSameDoublyBlindedValues() {
    for (PsiCipher.Backend backend : backends()) {
      PsiCipher a = PsiCipher.create(key(1), backend);
      PsiCipher b = PsiCipher.create(key(2), backend);
      byte[] x = utf8("alice@example.com");
      byte[] ab = b.blindPeerPoint(a.hashAndBlind(x));
      byte[] ba = a.blindPeerPoint(b.hashAndBlind(x));
      assertThat(ab).isEqualTo(ba);
      byte[] y = utf8("bob@example.com");
      assertThat(b.blindPeerPoint(a.hashAndBlind(y))).isNotEqualTo(ab);
    }
  }

  @Test
  void outputsAreDeterministicCanonicalAndIdenticalAcrossBackends() {
    List<byte[]> outs = new ArrayList<>();
    for (PsiCipher.Backend backend : backends()) {
      PsiCipher c = PsiCipher.create(key(3), backend);
      byte[] first = c.hashAndBlind(utf8("x"));
      assertThat(c.hashAndBlind(utf8("x"))).isEqualTo(first);
      assertThat(PsiCipher.isValidPeerPoint(first, 0)).isTrue();
      BigInteger u = VectorFiles.littleEndianToBigInteger(first, 0);
      assertThat(MontgomeryOracle.multipleIsIdentity(MontgomeryOracle.L, u)).isTrue();
      outs.add(first);
    }
    for (byte[] o : outs) {
      assertThat(o).isEqualTo(outs.get(0));
    }
  }

  @Test
  void differentKeysGiveUnrelatedOutputs() {
    byte[] x = utf8("same element");
    assertThat(PsiCipher.create(key(4)).hashAndBlind(x)).isNotEqualTo(PsiCipher.create(key(5)).hashAndBlind(x));
  }

  @Test
  void manyDistinctElementsGiveDistinctOutputs() {
    PsiCipher c = PsiCipher.create(key(6));
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      assertThat(seen.add(Hex.toHexString(c.hashAndBlind(utf8("id-" + i))))).isTrue();
    }
    assertThat(seen.add(Hex.toHexString(c.hashAndBlind(new byte[0])))).isTrue();
  }

  @Test
  void rejectsNonCanonicalEncodings() {
    PsiCipher c = PsiCipher.create(key(7));
    byte[] valid = c.hashAndBlind(utf8("v"));
    byte[] topBit = valid.clone();
    topBit[31] |= (byte) 0x80; // same u after masking, but not canonical
    assertRejected(c, topBit, Reason.NON_CANONICAL);
    // p, p+1, ..., 2^255-1 are reductions of 0..18 and must be rejected as encodings
    for (int k = 0; k < 19; k++) {
      assertRejected(c, le(P.add(BigInteger.valueOf(k))), Reason.NON_CANONICAL);
    }
    // u in [p, 2^255) that reduces to a valid point is still rejected
    BigInteger v = VectorFiles.littleEndianToBigInteger(valid, 0);
    if (v.add(P).bitLength() <= 255) {
      assertRejected(c, le(v.add(P)), Reason.NON_CANONICAL);
    }
    assertThat(PsiCipher.isValidPeerPoint(le(P.subtract(BigInteger.ONE)), 0)).isFalse(); // -1: twist
  }

  @Test
  void rejectsSmallOrderPoints() {
    PsiCipher c = PsiCipher.create(key(8));
    String[] smallOrder = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    };
    for (String h : smallOrder) {
      byte[] u = Hex.decode(h);
      BigInteger bu = VectorFiles.littleEndianToBigInteger(u, 0);
      assertThat(MontgomeryOracle.onCurve(bu)).isTrue();
      assertThat(MontgomeryOracle.hasSmallOrder(bu)).isTrue();
      assertRejected(c, u, Reason.SMALL_ORDER);
    }
  }

  @Test
  void rejectsTwistPoints() {
    PsiCipher c = PsiCipher.create(key(9));
    Random r = new Random(10);
    int twist = 0;
    for (int i = 0; i < 200; i++) {
      BigInteger u = new BigInteger(255, r).mod(P);
      if (!MontgomeryOracle.onCurve(u)) {
        twist++;
        assertRejected(c, le(u), Reason.NOT_ON_CURVE);
      } else if (!MontgomeryOracle.hasSmallOrder(u)) {
        assertThat(PsiCipher.isValidPeerPoint(le(u), 0)).isTrue();
      }
    }
    assertThat(twist).isGreaterThan(50);
  }

  private static void assertRejected(PsiCipher c, byte[] u, Reason reason) {
    assertThat(PsiCipher.isValidPeerPoint(u, 0)).isFalse();
    byte[] out = new byte[32];
    assertThatThrownBy(() -> c.blindPeerPoint(u, 0, out, 0))
        .isInstanceOfSatisfying(
            InvalidPointException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(reason);
              assertThat(e.getMessage()).startsWith("Cannot blind the peer's point: ");
              assertThat(e.getMessage().toLowerCase()).doesNotContain(Hex.toHexString(u));
            });
  }

  @Test
  void batchMethodsMatchSingleCalls() {
    for (PsiCipher.Backend backend : backends()) {
      PsiCipher a = PsiCipher.create(key(11), backend);
      PsiCipher b = PsiCipher.create(key(12), backend);
      for (int n : new int[] {0, 1, 2, 70, 1100}) {
        byte[][] elements = new byte[n + 3][];
        for (int i = 0; i < elements.length; i++) {
          elements[i] = utf8("e" + (i % 50)); // duplicates included
        }
        byte[] blinded = new byte[32 * n];
        a.hashAndBlindBatch(elements, n, blinded);
        byte[] doubly = new byte[32 * n];
        b.blindPeerPoints(blinded, n, doubly);
        for (int i = 0; i < n; i++) {
          byte[] single = a.hashAndBlind(elements[i]);
          assertThat(Arrays.copyOfRange(blinded, 32 * i, 32 * i + 32)).isEqualTo(single);
          assertThat(Arrays.copyOfRange(doubly, 32 * i, 32 * i + 32)).isEqualTo(b.blindPeerPoint(single));
        }
      }
    }
  }

  @Test
  void batchRejectsTheFirstInvalidPointBeforeWritingAnything() {
    PsiCipher c = PsiCipher.create(key(13));
    byte[] in = new byte[32 * 4];
    for (int i = 0; i < 4; i++) {
      c.hashAndBlind(utf8("p" + i), in, 32 * i);
    }
    in[32 * 2 + 31] |= (byte) 0x80;
    byte[] out = new byte[32 * 4];
    assertThatThrownBy(() -> c.blindPeerPoints(in, 4, out))
        .isInstanceOfSatisfying(
            InvalidPointException.class,
            e -> {
              assertThat(e.index()).isEqualTo(2);
              assertThat(e.reason()).isEqualTo(Reason.NON_CANONICAL);
              assertThat(e.getMessage()).contains("at index 2");
            });
    assertThat(out).isEqualTo(new byte[32 * 4]);
  }

  @Test
  void checksBufferBounds() {
    PsiCipher c = PsiCipher.create(key(14));
    assertThatThrownBy(() -> c.hashAndBlind(utf8("x"), new byte[40], 9)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> c.blindPeerPoint(new byte[31], 0, new byte[32], 0)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> PsiCipher.isValidPeerPoint(new byte[32], 1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> c.hashAndBlindBatch(new byte[2][], 2, new byte[63])).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> c.blindPeerPoints(new byte[64], 3, new byte[96])).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> c.blindPeerPoint(new byte[33])).isInstanceOf(InvalidPointException.class);
  }

  @Test
  void neverShowsTheKey() {
    byte[] k = new byte[32];
    new Random(15).nextBytes(k);
    BlindingKey key = BlindingKey.fromBytes(k);
    for (PsiCipher.Backend backend : backends()) {
      String s = PsiCipher.create(key, backend).toString();
      assertThat(s).contains("curve25519_XMD:SHA-512_ELL2_RO_").contains("key=***");
      assertThat(s.toLowerCase()).doesNotContain(Hex.toHexString(k).substring(0, 8));
      assertThat(s).doesNotContain(Base64.getEncoder().encodeToString(k).substring(0, 8));
      assertThat(s).doesNotContain(Base64.getUrlEncoder().encodeToString(k).substring(0, 8));
    }
    assertThat(key.toString()).isEqualTo("BlindingKey(***)");
    assertThat(Serializable.class.isAssignableFrom(PsiCipher.class)).isFalse();
  }

  @Test
  void copiesTheKeySoLaterChangesToTheCallersArrayDoNotMatter() {
    byte[] k = new byte[32];
    k[0] = 1;
    BlindingKey key = BlindingKey.fromBytes(k);
    PsiCipher c = PsiCipher.create(key);
    byte[] before = c.hashAndBlind(utf8("x"));
    k[0] = 2;
    key.scalar()[1] = 7; // even if the crypto core's own view were mutated
    assertThat(c.hashAndBlind(utf8("x"))).isEqualTo(before);
  }

  @Test
  void usesTheDocumentedDomainSeparationTag() {
    assertThat(PsiCipher.HASH_TO_CURVE_DST).isEqualTo("VEIL-V01-CS01-with-curve25519_XMD:SHA-512_ELL2_RO_");
    assertThat(PsiCipher.POINT_BYTES).isEqualTo(32);
    // hashAndBlind(x) = X25519(k, u(H(x))) with H from the internal RO hash and this DST
    io.veil.crypto.internal.HashToCurve25519 h =
        io.veil.crypto.internal.HashToCurve25519.randomOracle(PsiCipher.HASH_TO_CURVE_DST.getBytes(StandardCharsets.US_ASCII));
    byte[] u = new byte[32];
    h.hashToU(utf8("x"), u, 0);
    byte[] k = new byte[32];
    new Random(16).nextBytes(k);
    byte[] expected = new byte[32];
    org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(k, 0, u, 0, expected, 0);
    assertThat(PsiCipher.create(BlindingKey.fromBytes(k)).hashAndBlind(utf8("x"))).isEqualTo(expected);
  }
}
