package io.veil.crypto.paillier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.crypto.paillier.PaillierPublicKey.Encryptor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link PaillierKeyPair} and {@link PaillierPublicKey} against BigInteger arithmetic mod n. */
class PaillierTest {
  private static PaillierKeyPair keys;
  private static PaillierPublicKey pk;

  @BeforeAll
  static void generate() {
    keys = PaillierKeyPair.generate(1024, seed(1));
    pk = keys.publicKey();
  }

  static byte[] seed(int i) {
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) i);
    return s;
  }

  @Test
  void keyHasRequestedSizeAndEncodings() {
    assertThat(pk.n().bitLength()).isEqualTo(1024);
    assertThat(pk.modulusBits()).isEqualTo(1024);
    assertThat(pk.ciphertextBytes()).isEqualTo(256);
    assertThat(pk.plaintextBits()).isEqualTo(1023);
    assertThat(PaillierPublicKey.decode(pk.encoded())).isEqualTo(pk);
    assertThat(pk.encoded()).hasSize(128);
  }

  @Test
  void roundTripsEdgeAndRandomValues() {
    Encryptor pub = pk.encryptor(seed(2));
    Encryptor own = keys.encryptor(seed(3));
    BigInteger n = pk.n();
    Random rnd = new Random(7);
    BigInteger[] values = {
      BigInteger.ZERO, BigInteger.ONE, BigInteger.TWO, n.subtract(BigInteger.ONE),
      n.subtract(BigInteger.TWO), BigInteger.ONE.shiftLeft(pk.plaintextBits()).subtract(BigInteger.ONE),
      new BigInteger(1000, rnd), new BigInteger(1023, rnd), new BigInteger(64, rnd)
    };
    for (BigInteger m : values) {
      assertThat(keys.decrypt(pub.encrypt(m))).isEqualTo(m);
      assertThat(keys.decrypt(own.encrypt(m))).isEqualTo(m);
    }
    for (int i = 0; i < 50; i++) {
      BigInteger m = new BigInteger(1030, rnd).mod(n);
      byte[] c = (i % 2 == 0 ? pub : own).encrypt(m);
      assertThat(c).hasSize(pk.ciphertextBytes());
      assertThat(keys.decrypt(c)).isEqualTo(m);
    }
  }

  @Test
  void refusesPlaintextsOutsideRange() {
    Encryptor pub = pk.encryptor(seed(2));
    Encryptor own = keys.encryptor(seed(2));
    for (Encryptor e : new Encryptor[] {pub, own}) {
      assertThatThrownBy(() -> e.encrypt(pk.n())).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> e.encrypt(BigInteger.ONE.negate()))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> e.encrypt(null)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void homomorphicSumEqualsPlaintextSumModN() {
    Encryptor pub = pk.encryptor(seed(4));
    Random rnd = new Random(11);
    BigInteger n = pk.n();
    BigInteger expected = BigInteger.ZERO;
    BigInteger sum = BigInteger.ONE;
    byte[] pairwise = null;
    for (int i = 0; i < 300; i++) {
      // Large values so the sum wraps modulo n several times.
      BigInteger m = i % 3 == 0 ? new BigInteger(1023, rnd) : BigInteger.valueOf(rnd.nextInt(1000));
      byte[] c = pub.encrypt(m);
      expected = expected.add(m);
      sum = pk.accumulate(sum, c);
      pairwise = pairwise == null ? c : pk.add(pairwise, c);
    }
    assertThat(expected.compareTo(n)).isGreaterThan(0);
    assertThat(keys.decrypt(pk.encode(sum))).isEqualTo(expected.mod(n));
    assertThat(keys.decrypt(pairwise)).isEqualTo(expected.mod(n));
    assertThat(pk.encode(sum)).isEqualTo(pairwise);
    // The empty sum is the trivial encryption of 0.
    assertThat(keys.decrypt(pk.encode(BigInteger.ONE))).isEqualTo(BigInteger.ZERO);
  }

  @Test
  void encryptionIsRandomisedButDeterministicPerSeed() {
    BigInteger m = BigInteger.valueOf(42);
    Encryptor pub = pk.encryptor(seed(5));
    byte[] c1 = pub.encrypt(m);
    byte[] c2 = pub.encrypt(m);
    assertThat(c1).isNotEqualTo(c2);

    // Same seed, same calls: identical bytes, for the public and the owner's encryptor alike.
    Encryptor pubAgain = pk.encryptor(seed(5));
    Encryptor own = keys.encryptor(seed(5));
    assertThat(pubAgain.encrypt(m)).isEqualTo(c1);
    assertThat(pubAgain.encrypt(m)).isEqualTo(c2);
    assertThat(own.encrypt(m)).isEqualTo(c1);
    assertThat(own.encrypt(m)).isEqualTo(c2);
    byte[] r = pub.rerandomise(c1);
    assertThat(own.rerandomise(c1)).isEqualTo(r);

    // Another seed: other bytes. The owner's encryptor is randomised too.
    assertThat(pk.encryptor(seed(6)).encrypt(m)).isNotEqualTo(c1);
    Encryptor own2 = keys.encryptor(seed(6));
    assertThat(own2.encrypt(m)).isNotEqualTo(own2.encrypt(m));

    // The same seed under another key gives unrelated randomness (the DRBG is bound to the key).
    PaillierKeyPair other = PaillierKeyPair.generate(1024, seed(9));
    Encryptor otherEnc = other.publicKey().encryptor(seed(5));
    assertThat(other.decrypt(otherEnc.encrypt(m))).isEqualTo(m);
  }

  @Test
  void rerandomisedCiphertextsDecryptToTheSameValueWithOtherBytes() {
    Encryptor pub = pk.encryptor(seed(7));
    Encryptor own = keys.encryptor(seed(8));
    BigInteger m = new BigInteger("123456789012345678901234567890");
    byte[] c = pub.encrypt(m);
    byte[] r1 = pub.rerandomise(c);
    byte[] r2 = own.rerandomise(c);
    byte[] r3 = pub.rerandomise(pk.encode(BigInteger.ONE));
    assertThat(r1).isNotEqualTo(c).isNotEqualTo(r2);
    assertThat(keys.decrypt(r1)).isEqualTo(m);
    assertThat(keys.decrypt(r2)).isEqualTo(m);
    assertThat(keys.decrypt(r3)).isEqualTo(BigInteger.ZERO);
    assertThat(r3).isNotEqualTo(pk.encode(BigInteger.ONE));
    assertThatThrownBy(() -> pub.rerandomise(new byte[3]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keyGenerationIsDeterministicFromTheSeed() {
    PaillierKeyPair again = PaillierKeyPair.generate(1024, seed(1));
    assertThat(again.publicKey()).isEqualTo(pk);
    assertThat(again.publicKey().encoded()).isEqualTo(pk.encoded());
    PaillierKeyPair other = PaillierKeyPair.generate(1024, seed(10));
    assertThat(other.publicKey()).isNotEqualTo(pk);
    assertThat(other.publicKey().n().gcd(pk.n())).isEqualTo(BigInteger.ONE);
  }

  @Test
  void generateRefusesBadArguments() {
    assertThatThrownBy(() -> PaillierKeyPair.generate(1024, new byte[31]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> PaillierKeyPair.generate(512, seed(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PaillierKeyPair.generate(1025, seed(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pk.encryptor(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parseRefusesInvalidCiphertexts() {
    BigInteger n = pk.n();
    BigInteger n2 = n.multiply(n);
    byte[] valid = pk.encryptor(seed(2)).encrypt(BigInteger.TEN);
    assertThat(pk.parse(valid)).isEqualTo(new BigInteger(1, valid));

    assertThatThrownBy(() -> pk.parse(Arrays.copyOf(valid, valid.length - 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bytes");
    assertThatThrownBy(() -> pk.parse(Arrays.copyOf(valid, valid.length + 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pk.parse(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pk.parse(new byte[pk.ciphertextBytes()]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("zero");
    byte[] allOnes = new byte[pk.ciphertextBytes()];
    Arrays.fill(allOnes, (byte) 0xff);
    assertThatThrownBy(() -> pk.parse(allOnes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("n^2");
    assertThatThrownBy(() -> pk.parse(fixed(n2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("n^2");
    // Sharing one prime factor with n, or both.
    assertThatThrownBy(() -> pk.parse(fixed(n)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("factor");
    assertThatThrownBy(() -> pk.parse(fixed(n.multiply(BigInteger.valueOf(12345)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("factor");
    // The same checks guard encode, add and decrypt.
    assertThatThrownBy(() -> pk.encode(n2)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pk.encode(BigInteger.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pk.add(valid, new byte[pk.ciphertextBytes()]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> keys.decrypt(fixed(n))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pk.accumulate(BigInteger.ONE, allOnes))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pk.accumulate(n2, valid)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pk.accumulate(BigInteger.ONE, new byte[5]))
        .isInstanceOf(IllegalArgumentException.class);
    // accumulate defers the gcd check to encode of the sum: a bad term poisons the sum.
    BigInteger poisoned = pk.accumulate(pk.accumulate(BigInteger.ONE, valid), fixed(n));
    poisoned = pk.accumulate(poisoned, valid);
    BigInteger finalSum = poisoned;
    assertThatThrownBy(() -> pk.encode(finalSum))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("factor");
  }

  @Test
  void parseRefusesAValueSharingExactlyOnePrimeWithN() {
    BigInteger p = BigInteger.probablePrime(512, new Random(1));
    BigInteger q = BigInteger.probablePrime(512, new Random(2));
    PaillierKeyPair known = PaillierKeyPair.fromPrimes(p, q);
    PaillierPublicKey key = known.publicKey();
    BigInteger sharesP = p.multiply(BigInteger.valueOf(3)).pow(2);
    assertThatThrownBy(() -> key.parse(fixed(key, sharesP)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("factor");
    assertThat(known.decrypt(key.encryptor(seed(1)).encrypt(BigInteger.TEN)))
        .isEqualTo(BigInteger.TEN);
  }

  @Test
  void decodeRefusesInvalidKeys() {
    BigInteger n = pk.n();
    assertThatThrownBy(() -> PaillierPublicKey.decode(null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PaillierPublicKey.decode(new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] leadingZero = new byte[129];
    System.arraycopy(pk.encoded(), 0, leadingZero, 1, 128);
    assertThatThrownBy(() -> PaillierPublicKey.decode(leadingZero))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leading zero");
    assertThatThrownBy(() -> PaillierPublicKey.decode(Arrays.copyOf(pk.encoded(), 100)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bits");
    assertThatThrownBy(() -> PaillierPublicKey.decode(BigInteger.valueOf(3233).toByteArray()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bits");
    assertThatThrownBy(() -> PaillierPublicKey.decode(PaillierPublicKey.unsigned(n.add(BigInteger.ONE))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("even");
    BigInteger withSmallFactor = n.multiply(BigInteger.valueOf(3)).shiftRight(2).or(BigInteger.ONE);
    withSmallFactor = withSmallFactor.subtract(withSmallFactor.mod(BigInteger.valueOf(3)));
    if (!withSmallFactor.testBit(0)) {
      withSmallFactor = withSmallFactor.add(BigInteger.valueOf(3));
    }
    BigInteger smallFactor = withSmallFactor;
    assertThatThrownBy(() -> PaillierPublicKey.decode(PaillierPublicKey.unsigned(smallFactor)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("small prime factor");
    BigInteger prime = BigInteger.probablePrime(1024, new Random(3));
    assertThatThrownBy(() -> PaillierPublicKey.decode(PaillierPublicKey.unsigned(prime)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prime");
    BigInteger square = BigInteger.ONE.shiftLeft(512).subtract(BigInteger.valueOf(5000)).nextProbablePrime().pow(2);
    assertThatThrownBy(() -> PaillierPublicKey.decode(PaillierPublicKey.unsigned(square)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("square");
  }

  @Test
  void publicKeySerialisesThroughItsValidatedEncoding() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(pk);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      PaillierPublicKey read = (PaillierPublicKey) in.readObject();
      assertThat(read).isEqualTo(pk);
      assertThat(keys.decrypt(read.encryptor(seed(1)).encrypt(BigInteger.TWO))).isEqualTo(BigInteger.TWO);
    }
  }

  @Test
  void toStringShowsNoSecret() throws Exception {
    String text = keys.toString() + pk + keys.encryptor(seed(1)) + pk.encryptor(seed(1));
    var pf = PaillierKeyPair.class.getDeclaredField("p");
    var qf = PaillierKeyPair.class.getDeclaredField("q");
    pf.setAccessible(true);
    qf.setAccessible(true);
    BigInteger p = (BigInteger) pf.get(keys);
    BigInteger q = (BigInteger) qf.get(keys);
    BigInteger lambda = p.subtract(BigInteger.ONE).multiply(q.subtract(BigInteger.ONE));
    for (BigInteger secret : new BigInteger[] {p, q, lambda}) {
      assertThat(text)
          .doesNotContain(secret.toString())
          .doesNotContain(secret.toString(16))
          .doesNotContain(HexFormat.of().formatHex(secret.toByteArray()).substring(2, 20));
    }
    assertThat(text).doesNotContain(pk.n().toString()).contains("1024").contains(pk.fingerprint());
  }

  @Test
  void worksAt2048Bits() {
    PaillierKeyPair big = PaillierKeyPair.generate(PaillierPublicKey.DEFAULT_MODULUS_BITS, seed(20));
    PaillierPublicKey key = big.publicKey();
    assertThat(key.n().bitLength()).isEqualTo(2048);
    assertThat(key.ciphertextBytes()).isEqualTo(512);
    assertThat(PaillierPublicKey.decode(key.encoded())).isEqualTo(key);
    Encryptor pub = key.encryptor(seed(21));
    Encryptor own = big.encryptor(seed(21));
    Random rnd = new Random(5);
    BigInteger expected = BigInteger.ZERO;
    BigInteger sum = BigInteger.ONE;
    for (int i = 0; i < 20; i++) {
      BigInteger m = new BigInteger(2047, rnd);
      byte[] c = pub.encrypt(m);
      assertThat(own.encrypt(m)).isEqualTo(c);
      assertThat(big.decrypt(c)).isEqualTo(m);
      sum = key.accumulate(sum, c);
      expected = expected.add(m);
    }
    byte[] masked = pub.rerandomise(key.encode(sum));
    assertThat(big.decrypt(masked)).isEqualTo(expected.mod(key.n()));
    assertThat(big.decrypt(own.encrypt(key.n().subtract(BigInteger.ONE))))
        .isEqualTo(key.n().subtract(BigInteger.ONE));
  }

  private static byte[] fixed(BigInteger v) {
    return fixed(pk, v);
  }

  private static byte[] fixed(PaillierPublicKey key, BigInteger v) {
    byte[] raw = PaillierPublicKey.unsigned(v);
    byte[] out = new byte[key.ciphertextBytes()];
    System.arraycopy(raw, 0, out, out.length - raw.length, raw.length);
    return out;
  }
}
