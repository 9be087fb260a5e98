package io.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/** Algebraic laws of {@link PsiCipher}, on random keys and elements. */
class PsiCipherPropertiesTest {

  @Property(tries = 200)
  void blindingCommutes(
      @ForAll @Size(32) byte[] keyA, @ForAll @Size(32) byte[] keyB, @ForAll @Size(max = 100) byte[] element) {
    PsiCipher a = PsiCipher.create(BlindingKey.fromBytes(keyA));
    PsiCipher b = PsiCipher.create(BlindingKey.fromBytes(keyB));
    byte[] ab = b.blindPeerPoint(a.hashAndBlind(element));
    byte[] ba = a.blindPeerPoint(b.hashAndBlind(element));
    assertThat(ab).isEqualTo(ba);
  }

  @Property(tries = 200)
  void blindedOutputsAreValidPeerPoints(@ForAll @Size(32) byte[] key, @ForAll @Size(max = 100) byte[] element) {
    PsiCipher c = PsiCipher.create(BlindingKey.fromBytes(key));
    byte[] once = c.hashAndBlind(element);
    assertThat(PsiCipher.isValidPeerPoint(once, 0)).isTrue();
    assertThat(PsiCipher.isValidPeerPoint(c.blindPeerPoint(once), 0)).isTrue();
  }

  @Property(tries = 200)
  void differentElementsGiveDifferentOutputs(
      @ForAll @Size(32) byte[] key, @ForAll @Size(max = 40) byte[] x, @ForAll @Size(max = 40) byte[] y) {
    PsiCipher c = PsiCipher.create(BlindingKey.fromBytes(key));
    assertThat(Arrays.equals(c.hashAndBlind(x), c.hashAndBlind(y))).isEqualTo(Arrays.equals(x, y));
  }

  @Property(tries = 100)
  void backendsAgree(@ForAll @Size(32) byte[] key, @ForAll @Size(max = 100) byte[] element) {
    byte[] reference = null;
    for (PsiCipher.Backend backend : PsiCipherTest.backends()) {
      PsiCipher c = PsiCipher.create(BlindingKey.fromBytes(key), backend);
      byte[] out = c.blindPeerPoint(c.hashAndBlind(element));
      if (reference == null) {
        reference = out;
      } else {
        assertThat(out).isEqualTo(reference);
      }
    }
  }

  @Property(tries = 300)
  void randomBytesAreEitherRejectedOrBlindedToValidPoints(@ForAll @Size(32) byte[] key, @ForAll @Size(32) byte[] point) {
    PsiCipher c = PsiCipher.create(BlindingKey.fromBytes(key));
    boolean expectedValid = PsiCipherPeerPointTest.oracle(point) == null;
    assertThat(PsiCipher.isValidPeerPoint(point, 0)).isEqualTo(expectedValid);
    if (expectedValid) {
      assertThat(PsiCipher.isValidPeerPoint(c.blindPeerPoint(point), 0)).isTrue();
    }
  }
}
