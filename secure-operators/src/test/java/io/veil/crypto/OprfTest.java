package io.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The OPRF is a composition of primitives tested against their RFC vectors (RFC 9380 hash to
 * curve25519 and RFC 7748 X25519 in PsiCipherTest); no published vectors exist for this suite
 * (RFC 9497 covers ristretto255 and the NIST curves), so these tests hold it to its algebra.
 */
class OprfTest {
  private static byte[] bytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  private static BigInteger le(byte[] b) {
    byte[] be = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      be[i] = b[b.length - 1 - i];
    }
    return new BigInteger(1, be);
  }

  @Test
  void theQueriersUnblindedAnswerIsTheHoldersDirectEvaluation() {
    Random rnd = new Random(7);
    for (int t = 0; t < 40; t++) {
      PsiCipher holder = PsiCipher.create(BlindingKey.fromBytes(bytes(rnd, 32)));
      Oprf.Blinding querier = Oprf.Blinding.derive(bytes(rnd, 32));
      byte[] x = ("id-" + t).getBytes(StandardCharsets.UTF_8);
      byte[] blinded = new byte[32];
      querier.blind(x, blinded, 0);
      byte[] answer = holder.blindPeerPoint(blinded);
      byte[] unblinded = querier.unblind(answer, 0);
      assertThat(unblinded).isEqualTo(holder.hashAndBlind(x));
      assertThat(Oprf.output(x, unblinded)).isEqualTo(Oprf.output(x, holder.hashAndBlind(x)));
      // The holder sees neither H(x) nor k*H(x).
      assertThat(blinded).isNotEqualTo(holder.hashAndBlind(x));
    }
  }

  @Test
  void theClampedInverseIsClampedAndInvertsModuloTheOrder() {
    Random rnd = new Random(11);
    int found = 0;
    for (int t = 0; t < 400; t++) {
      byte[] r = Oprf.clamp(bytes(rnd, 32));
      byte[] s = Oprf.clampedInverse(r);
      if (s == null) {
        continue;
      }
      found++;
      assertThat(Oprf.clamp(s)).isEqualTo(s);
      assertThat(le(r).multiply(le(s)).mod(Oprf.ORDER)).isEqualTo(BigInteger.ONE);
    }
    // About half of all scalars have a clamped inverse (2^251 / l).
    assertThat(found).isBetween(150, 250);
  }

  @Test
  void blindingsDifferPerSeedAndAreDeterministicPerSeed() {
    Random rnd = new Random(3);
    byte[] seed = bytes(rnd, 32);
    byte[] x = "alice@example.com".getBytes(StandardCharsets.UTF_8);
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    Oprf.Blinding.derive(seed).blind(x, a, 0);
    Oprf.Blinding.derive(seed.clone()).blind(x, b, 0);
    assertThat(a).isEqualTo(b);
    Set<String> seen = new HashSet<>();
    for (int t = 0; t < 20; t++) {
      byte[] c = new byte[32];
      Oprf.Blinding.derive(bytes(rnd, 32)).blind(x, c, 0);
      assertThat(seen.add(Arrays.toString(c))).isTrue();
    }
  }

  @Test
  void outputsSeparateElementsAndPoints() {
    byte[] p = new byte[32];
    p[0] = 9;
    assertThat(Oprf.output("a".getBytes(StandardCharsets.UTF_8), p))
        .isNotEqualTo(Oprf.output("b".getBytes(StandardCharsets.UTF_8), p))
        .hasSize(Oprf.OUTPUT_BYTES);
    assertThatThrownBy(() -> Oprf.output(new byte[1], new byte[31])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Oprf.Blinding.derive(new byte[31])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anInvalidAnswerIsRefused() {
    Oprf.Blinding q = Oprf.Blinding.derive(new byte[32]);
    byte[] zero = new byte[32]; // u = 0: small order
    assertThatThrownBy(() -> q.unblind(zero, 0)).isInstanceOf(InvalidPointException.class);
    byte[] nonCanonical = new byte[32];
    Arrays.fill(nonCanonical, (byte) 0xff);
    assertThatThrownBy(() -> q.unblind(nonCanonical, 0)).isInstanceOf(InvalidPointException.class);
    assertThat(q.toString()).doesNotContainPattern("[0-9a-f]{16}");
  }
}
