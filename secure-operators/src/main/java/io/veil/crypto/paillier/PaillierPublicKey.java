package io.veil.crypto.paillier;

import io.veil.crypto.Sha256;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.math.BigInteger;
import java.util.HexFormat;

/**
 * A Paillier public key (Paillier, EUROCRYPT 1999) with generator {@code g = n + 1}: an additively
 * homomorphic encryption of integers modulo n, for the intersection-sum protocol of Ion et al.
 * (Private Join and Compute, EuroS&P 2020). The key owner ({@link PaillierKeyPair}) publishes this
 * key; the peer encrypts, adds ciphertexts, re-randomises sums and sends them back for decryption.
 *
 * <p><b>Encryption.</b> {@code Enc(m) = (1 + m n) * r^n mod n^2}. Following Damgård, Jurik and
 * Nielsen ("A generalization of Paillier's public-key system with applications to electronic
 * voting", IJIS 2010, section 4.1), an {@link Encryptor} draws one random unit x once and fixes
 * {@code h = x^n mod n^2}; each encryption then uses {@code r^n = h^alpha} for a fresh random
 * exponent alpha of {@code n.bitLength() / 2} bits, computed with a precomputed fixed-base table.
 * <b>Assumption:</b> this short-exponent randomness is indistinguishable from a uniform n-th residue
 * (the DJN variant, used by common Paillier libraries); semantic security rests on it together with
 * the decisional composite residuosity assumption. A 2048-bit modulus gives about 112-bit security;
 * 1024 bits (the minimum accepted, for tests) gives about 80.
 *
 * <p><b>Homomorphism.</b> {@code Dec(c1 * c2 mod n^2) = m1 + m2 mod n}. A sum of ciphertexts is no
 * longer uniformly randomised (and {@link BigInteger#ONE} is the deterministic encryption of 0);
 * re-randomise it with {@link Encryptor#rerandomise} before sending it to the key owner.
 *
 * <p><b>Plaintexts</b> are integers in [0, n); every integer below {@code 2^plaintextBits()} is
 * one. Sums wrap modulo n: callers reserve their own headroom for sums and masks.
 *
 * <p><b>Encodings.</b> The key is the unsigned big-endian n without leading zero bytes ({@link
 * #encoded()}). A ciphertext is the unsigned big-endian c padded to exactly {@link
 * #ciphertextBytes()} bytes. Every key and ciphertext read ({@link #decode}, {@link #parse}) is
 * validated and refused with an {@link IllegalArgumentException} naming the problem, never the
 * value. {@link #decode} checks size, oddness, small factors, primality and squareness of n; it
 * cannot prove that n is a product of two large primes (that would need a proof from the owner).
 *
 * <p><b>Thread safety.</b> The key is immutable and thread-safe; an {@link Encryptor} is not.
 * Serialising the key writes its encoding; deserialising validates it again.
 */
public final class PaillierPublicKey implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Modulus size of new keys: about 112-bit security. */
  public static final int DEFAULT_MODULUS_BITS = 2048;
  /** Smallest modulus accepted (for tests only; about 80-bit security). */
  public static final int MIN_MODULUS_BITS = 1024;
  /** Largest modulus accepted. */
  public static final int MAX_MODULUS_BITS = 8192;

  /** Window of the fixed-base tables: ceil(1024 / 6) = 171 multiplications per 2048-bit r^n. */
  static final int WINDOW_BITS = 6;

  static final String ENCRYPTOR_LABEL = "veil/paillier/v1/encryptor";

  private static final BigInteger SMALL_PRIMES_PRODUCT = smallPrimesProduct(2000);

  private final transient BigInteger n;
  private final transient BigInteger nSquared;
  private final transient int ciphertextBytes;
  private final transient byte[] encoded;
  private final transient Barrett modNSquared;

  private PaillierPublicKey(BigInteger n) {
    this.n = n;
    this.nSquared = n.multiply(n);
    this.ciphertextBytes = (nSquared.bitLength() + 7) / 8;
    this.encoded = unsigned(n);
    this.modNSquared = new Barrett(nSquared);
  }

  /** For the key owner: n is known to be a product of two fresh primes. */
  static PaillierPublicKey ofTrustedModulus(BigInteger n) {
    return new PaillierPublicKey(n);
  }

  /** Reads a key received from its owner; see the class comment for what is checked. */
  public static PaillierPublicKey decode(byte[] encoded) {
    if (encoded == null || encoded.length == 0) {
      throw badKey("it is empty");
    }
    if (encoded[0] == 0) {
      throw badKey("it has a leading zero byte (not the canonical encoding)");
    }
    BigInteger n = new BigInteger(1, encoded);
    if (n.bitLength() < MIN_MODULUS_BITS || n.bitLength() > MAX_MODULUS_BITS) {
      throw badKey(
          "the modulus has "
              + n.bitLength()
              + " bits, outside "
              + MIN_MODULUS_BITS
              + ".."
              + MAX_MODULUS_BITS);
    }
    if (!n.testBit(0)) {
      throw badKey("the modulus is even");
    }
    if (!n.gcd(SMALL_PRIMES_PRODUCT).equals(BigInteger.ONE)) {
      throw badKey("the modulus has a small prime factor");
    }
    if (n.sqrt().pow(2).equals(n)) {
      throw badKey("the modulus is a perfect square");
    }
    if (n.isProbablePrime(64)) {
      throw badKey("the modulus is prime");
    }
    return new PaillierPublicKey(n);
  }

  private static IllegalArgumentException badKey(String why) {
    return new IllegalArgumentException(
        "Cannot use the Paillier public key: "
            + why
            + ". The key owner must send PaillierPublicKey.encoded() of a key from"
            + " PaillierKeyPair.generate.");
  }

  /** The modulus n. */
  public BigInteger n() {
    return n;
  }

  /** n^2, the ciphertext modulus. */
  BigInteger nSquared() {
    return nSquared;
  }

  /** Bits of n. */
  public int modulusBits() {
    return n.bitLength();
  }

  /** Length of every encoded ciphertext: the bytes of n^2. */
  public int ciphertextBytes() {
    return ciphertextBytes;
  }

  /** Every integer in [0, 2^plaintextBits()) is a valid plaintext: {@code n.bitLength() - 1}. */
  public int plaintextBits() {
    return n.bitLength() - 1;
  }

  /** The canonical encoding, to send to the peer; {@link #decode} reads it. */
  public byte[] encoded() {
    return encoded.clone();
  }

  /**
   * A public encryptor whose randomness comes from a DRBG seeded with {@code seed32} and bound to
   * this key: the same seed and the same sequence of calls give identical bytes (so a re-run
   * reproduces its output). Use a fresh seed per job and role, never a seed used elsewhere.
   * Building it costs about 11,000 multiplications mod n^2 (the fixed-base table, ~6 MB at 2048
   * bits); build one per partition and reuse it. Not thread-safe.
   */
  public Encryptor encryptor(byte[] seed32) {
    Drbg.checkSeed(seed32, "encryptor");
    return new PublicEncryptor(this, seed32);
  }

  /** {@code Enc(m1 + m2)}: both ciphertexts are validated. Not re-randomised. */
  public byte[] add(byte[] c1, byte[] c2) {
    return encodeTrusted(modNSquared.multiply(parse(c1), parse(c2)));
  }

  /**
   * Fast accumulation: {@code sum * c mod n^2}, reading only c. Start from {@link BigInteger#ONE}
   * (the trivial encryption of 0), pass each result back in, and {@link #encode} the final sum;
   * {@code sum} must come from this method or {@link #parse}.
   *
   * <p>c is checked for length and {@code 0 < c < n^2} here; the {@code gcd(c, n) = 1} check is
   * deferred to {@link #encode} of the sum, which is equivalent (a prime factor of n divides the
   * product mod n^2 exactly when it divides one of the terms) and saves a gcd per term. Do not use
   * an accumulated sum except through {@link #encode}.
   */
  public BigInteger accumulate(BigInteger sum, byte[] c) {
    checkRange(sum);
    return modNSquared.multiply(sum, parseInRange(c));
  }

  /** Encodes a ciphertext to {@link #ciphertextBytes()} bytes; refuses values {@link #parse} would. */
  public byte[] encode(BigInteger c) {
    checkCiphertext(c);
    return encodeTrusted(c);
  }

  byte[] encodeTrusted(BigInteger c) {
    byte[] out = new byte[ciphertextBytes];
    byte[] raw = c.toByteArray(); // may carry one leading sign byte of 0
    int copy = Math.min(raw.length, ciphertextBytes);
    System.arraycopy(raw, raw.length - copy, out, ciphertextBytes - copy, copy);
    return out;
  }

  /**
   * Reads a ciphertext: exactly {@link #ciphertextBytes()} bytes, {@code 0 < c < n^2} and {@code
   * gcd(c, n) = 1}; otherwise {@link IllegalArgumentException}.
   */
  public BigInteger parse(byte[] c) {
    if (c == null || c.length != ciphertextBytes) {
      throw badCiphertext(
          "it has "
              + (c == null ? "no" : String.valueOf(c.length))
              + " bytes, not "
              + ciphertextBytes);
    }
    BigInteger v = new BigInteger(1, c);
    checkCiphertext(v);
    return v;
  }

  /** {@link #parse} without the gcd check. */
  private BigInteger parseInRange(byte[] c) {
    if (c == null || c.length != ciphertextBytes) {
      throw badCiphertext(
          "it has "
              + (c == null ? "no" : String.valueOf(c.length))
              + " bytes, not "
              + ciphertextBytes);
    }
    BigInteger v = new BigInteger(1, c);
    checkRange(v);
    return v;
  }

  private void checkCiphertext(BigInteger c) {
    checkRange(c);
    if (!c.mod(n).gcd(n).equals(BigInteger.ONE)) {
      throw badCiphertext("it shares a factor with n");
    }
  }

  private void checkRange(BigInteger c) {
    if (c == null || c.signum() <= 0) {
      throw badCiphertext("it is zero or negative");
    }
    if (c.compareTo(nSquared) >= 0) {
      throw badCiphertext("it is not below n^2");
    }
  }

  private static IllegalArgumentException badCiphertext(String why) {
    return new IllegalArgumentException(
        "Cannot use a Paillier ciphertext: "
            + why
            + ". It must be encoded with PaillierPublicKey.encode under the same key.");
  }

  void checkPlaintext(BigInteger m) {
    if (m == null || m.signum() < 0 || m.compareTo(n) >= 0) {
      throw new IllegalArgumentException(
          "Cannot encrypt with Paillier: the plaintext is not in [0, n). Reduce values modulo n"
              + " or keep them below 2^plaintextBits().");
    }
  }

  /** Bits of the random exponent alpha in r^n = h^alpha. */
  int alphaBits() {
    return n.bitLength() / 2;
  }

  /** The DRBG of an encryptor: bound to this key, so one seed under two keys gives unrelated streams. */
  Drbg encryptorDrbg(byte[] seed32) {
    return new Drbg(seed32, Sha256.hash(encoded), ENCRYPTOR_LABEL);
  }

  /** A uniform unit of Z_n (rejection sampling); the DJN base x. */
  BigInteger randomUnit(Drbg drbg) {
    while (true) {
      BigInteger x = drbg.nextBits(n.bitLength());
      if (x.signum() > 0 && x.compareTo(n) < 0 && x.gcd(n).equals(BigInteger.ONE)) {
        return x;
      }
    }
  }

  /** {@code 1 + m n}, i.e. g^m mod n^2 for g = n + 1. */
  BigInteger gPow(BigInteger m) {
    return m.multiply(n).add(BigInteger.ONE);
  }

  /** Short hex fingerprint of the key (SHA-256 of the encoding), for logs. */
  public String fingerprint() {
    return HexFormat.of().formatHex(Sha256.hash(encoded), 0, 8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PaillierPublicKey other && n.equals(other.n);
  }

  @Override
  public int hashCode() {
    return n.hashCode();
  }

  @Override
  public String toString() {
    return "PaillierPublicKey[bits=" + n.bitLength() + ", fingerprint=" + fingerprint() + "]";
  }

  static byte[] unsigned(BigInteger v) {
    byte[] raw = v.toByteArray();
    if (raw.length > 1 && raw[0] == 0) {
      byte[] out = new byte[raw.length - 1];
      System.arraycopy(raw, 1, out, 0, out.length);
      return out;
    }
    return raw;
  }

  private static BigInteger smallPrimesProduct(int bound) {
    BigInteger product = BigInteger.ONE;
    for (int p = 2; p < bound; p++) {
      if (BigInteger.valueOf(p).isProbablePrime(64)) {
        product = product.multiply(BigInteger.valueOf(p));
      }
    }
    return product;
  }

  private Object writeReplace() {
    return new SerializedForm(encoded);
  }

  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("PaillierPublicKey is read through its serialized form");
  }

  /** Serialized form: the canonical encoding, decoded (and validated) on read. */
  private record SerializedForm(byte[] encoded) implements Serializable {
    private Object readResolve() {
      return decode(encoded);
    }
  }

  /**
   * Encrypts and re-randomises under one key, with randomness from a seeded DRBG: the same seed and
   * the same sequence of calls give identical bytes. Not thread-safe; one per partition.
   */
  public interface Encryptor {
    /** {@code Enc(m)} for m in [0, n), encoded to {@link #ciphertextBytes()} bytes. */
    byte[] encrypt(BigInteger m);

    /** {@code c * h^alpha mod n^2} for a fresh alpha: same plaintext, unlinkable bytes. */
    byte[] rerandomise(byte[] c);
  }

  private static final class PublicEncryptor implements Encryptor {
    private final PaillierPublicKey key;
    private final Drbg drbg;
    private final FixedBaseTable table;

    PublicEncryptor(PaillierPublicKey key, byte[] seed32) {
      this.key = key;
      this.drbg = key.encryptorDrbg(seed32);
      BigInteger h = key.randomUnit(drbg).modPow(key.n, key.nSquared);
      this.table = new FixedBaseTable(h, key.nSquared, key.alphaBits(), WINDOW_BITS);
    }

    private BigInteger randomNthResidue() {
      return table.pow(drbg.nextBitsBytes(key.alphaBits()));
    }

    @Override
    public byte[] encrypt(BigInteger m) {
      key.checkPlaintext(m);
      return key.encodeTrusted(key.modNSquared.multiply(key.gPow(m), randomNthResidue()));
    }

    @Override
    public byte[] rerandomise(byte[] c) {
      return key.encodeTrusted(key.modNSquared.multiply(key.parse(c), randomNthResidue()));
    }

    @Override
    public String toString() {
      return "PaillierPublicKey.Encryptor[" + key + "]";
    }
  }
}
