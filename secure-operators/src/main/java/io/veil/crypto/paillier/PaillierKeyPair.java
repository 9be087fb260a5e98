package io.veil.crypto.paillier;

import io.veil.crypto.paillier.PaillierPublicKey.Encryptor;
import java.math.BigInteger;

/**
 * A Paillier key pair (see {@link PaillierPublicKey} for the scheme and its security assumptions):
 * n = pq with p, q random primes of equal size, g = n + 1.
 *
 * <p><b>Key generation</b> is deterministic from a 32-byte seed: a DRBG ({@code SHA-256} in counter
 * mode keyed with HKDF-SHA256 of the seed) feeds the prime search, so the owner can regenerate the
 * same key on a re-run instead of storing it. Each prime has its two top bits set (n has exactly
 * modulusBits bits), passes trial division and {@link BigInteger#isProbablePrime} with certainty
 * 128, and {@code |p - q|} must exceed 2^(bits/2 - 100). Use a fresh seed per job (derived with
 * HKDF from the party secret and the job id); never reuse a key across jobs.
 *
 * <p><b>Decryption</b> uses the Chinese remainder theorem mod p^2 and q^2 (Paillier 1999, section
 * 7). {@link #encryptor} gives the owner an encryptor that computes the r^n part mod p^2 and q^2;
 * it produces exactly the bytes of {@link PaillierPublicKey#encryptor} for the same seed, about
 * twice as fast.
 *
 * <p><b>Secrets.</b> p, q and the decryption constants never leave this object: it is not {@link
 * java.io.Serializable} and {@link #toString()} shows only the public fingerprint. Immutable and
 * thread-safe (its encryptors are not).
 */
public final class PaillierKeyPair {
  private static final String KEYGEN_LABEL = "veil/paillier/v1/keygen/";
  private static final int SMALL_PRIME_BOUND = 2000;
  private static final int[] SMALL_PRIMES = smallPrimes(SMALL_PRIME_BOUND);

  private final PaillierPublicKey publicKey;
  private final BigInteger p;
  private final BigInteger q;
  private final BigInteger pSquared;
  private final BigInteger qSquared;
  private final BigInteger pMinusOne;
  private final BigInteger qMinusOne;
  /** L_p(g^(p-1) mod p^2)^-1 mod p, and the same for q. */
  private final BigInteger hp;
  private final BigInteger hq;
  /** p^-1 mod q, for recombining plaintexts. */
  private final BigInteger pInverseModQ;
  /** (p^2)^-1 mod q^2, for recombining ciphertexts. */
  private final BigInteger pSquaredInverseModQSquared;

  private PaillierKeyPair(BigInteger p, BigInteger q) {
    this.p = p;
    this.q = q;
    BigInteger n = p.multiply(q);
    this.publicKey = PaillierPublicKey.ofTrustedModulus(n);
    this.pSquared = p.multiply(p);
    this.qSquared = q.multiply(q);
    this.pMinusOne = p.subtract(BigInteger.ONE);
    this.qMinusOne = q.subtract(BigInteger.ONE);
    BigInteger g = n.add(BigInteger.ONE);
    this.hp = lFunction(g.modPow(pMinusOne, pSquared), p).modInverse(p);
    this.hq = lFunction(g.modPow(qMinusOne, qSquared), q).modInverse(q);
    this.pInverseModQ = p.modInverse(q);
    this.pSquaredInverseModQSquared = pSquared.modInverse(qSquared);
  }

  /**
   * Generates a key pair deterministically from {@code seed32}.
   *
   * @param modulusBits even, in {@value PaillierPublicKey#MIN_MODULUS_BITS}..{@value
   *     PaillierPublicKey#MAX_MODULUS_BITS}; use {@link PaillierPublicKey#DEFAULT_MODULUS_BITS}
   */
  public static PaillierKeyPair generate(int modulusBits, byte[] seed32) {
    Drbg.checkSeed(seed32, "key pair");
    if (modulusBits < PaillierPublicKey.MIN_MODULUS_BITS
        || modulusBits > PaillierPublicKey.MAX_MODULUS_BITS
        || modulusBits % 2 != 0) {
      throw new IllegalArgumentException(
          "Cannot generate a Paillier key of "
              + modulusBits
              + " bits: the size must be even and in "
              + PaillierPublicKey.MIN_MODULUS_BITS
              + ".."
              + PaillierPublicKey.MAX_MODULUS_BITS
              + ". Use PaillierPublicKey.DEFAULT_MODULUS_BITS.");
    }
    int primeBits = modulusBits / 2;
    Drbg drbg = new Drbg(seed32, null, KEYGEN_LABEL + modulusBits);
    BigInteger minDistance = BigInteger.ONE.shiftLeft(primeBits - 100);
    while (true) {
      BigInteger p = randomPrime(drbg, primeBits);
      BigInteger q = randomPrime(drbg, primeBits);
      if (p.subtract(q).abs().compareTo(minDistance) > 0) {
        return p.compareTo(q) > 0 ? new PaillierKeyPair(p, q) : new PaillierKeyPair(q, p);
      }
    }
  }

  /** For tests with known primes; checks nothing beyond p != q. */
  static PaillierKeyPair fromPrimes(BigInteger p, BigInteger q) {
    if (p.equals(q)) {
      throw new IllegalArgumentException("Cannot build a Paillier key: p equals q.");
    }
    return new PaillierKeyPair(p, q);
  }

  private static BigInteger randomPrime(Drbg drbg, int bits) {
    while (true) {
      BigInteger c = drbg.nextBits(bits).setBit(bits - 1).setBit(bits - 2).setBit(0);
      if (hasSmallFactor(c)) {
        continue;
      }
      if (c.isProbablePrime(128)) {
        return c;
      }
    }
  }

  private static boolean hasSmallFactor(BigInteger c) {
    for (int sp : SMALL_PRIMES) {
      if (c.mod(BigInteger.valueOf(sp)).signum() == 0) {
        return true;
      }
    }
    return false;
  }

  public PaillierPublicKey publicKey() {
    return publicKey;
  }

  /** Decrypts a validated ciphertext to its plaintext in [0, n). */
  public BigInteger decrypt(byte[] c) {
    BigInteger v = publicKey.parse(c);
    BigInteger mp = lFunction(v.mod(pSquared).modPow(pMinusOne, pSquared), p).multiply(hp).mod(p);
    BigInteger mq = lFunction(v.mod(qSquared).modPow(qMinusOne, qSquared), q).multiply(hq).mod(q);
    return mq.subtract(mp).multiply(pInverseModQ).mod(q).multiply(p).add(mp);
  }

  /**
   * The owner's encryptor: same output as {@code publicKey().encryptor(seed32)} for the same seed
   * and calls, computed mod p^2 and q^2 and recombined. Not thread-safe.
   */
  public Encryptor encryptor(byte[] seed32) {
    Drbg.checkSeed(seed32, "encryptor");
    return new OwnerEncryptor(seed32);
  }

  private static BigInteger lFunction(BigInteger x, BigInteger d) {
    return x.subtract(BigInteger.ONE).divide(d);
  }

  /** The x mod n^2 with x = a mod p^2 and x = b mod q^2. */
  private BigInteger crtSquares(BigInteger a, BigInteger b) {
    return b.subtract(a).multiply(pSquaredInverseModQSquared).mod(qSquared).multiply(pSquared).add(a);
  }

  @Override
  public String toString() {
    return "PaillierKeyPair[bits=" + publicKey.modulusBits() + ", public fingerprint="
        + publicKey.fingerprint() + "]";
  }

  private static int[] smallPrimes(int bound) {
    return java.util.stream.IntStream.range(3, bound)
        .filter(i -> BigInteger.valueOf(i).isProbablePrime(64))
        .toArray();
  }

  private final class OwnerEncryptor implements Encryptor {
    private final Drbg drbg;
    private final FixedBaseTable tableP;
    private final FixedBaseTable tableQ;
    private final Barrett modPSquared = new Barrett(pSquared);
    private final Barrett modQSquared = new Barrett(qSquared);

    OwnerEncryptor(byte[] seed32) {
      PaillierPublicKey key = publicKey;
      this.drbg = key.encryptorDrbg(seed32);
      BigInteger x = key.randomUnit(drbg);
      int alphaBits = key.alphaBits();
      // h = x^n mod n^2, reduced mod p^2 and q^2 (exponent n reduced mod phi(p^2) = p (p - 1)).
      BigInteger hP = x.mod(pSquared).modPow(key.n().mod(p.multiply(pMinusOne)), pSquared);
      BigInteger hQ = x.mod(qSquared).modPow(key.n().mod(q.multiply(qMinusOne)), qSquared);
      this.tableP = new FixedBaseTable(hP, pSquared, alphaBits, PaillierPublicKey.WINDOW_BITS);
      this.tableQ = new FixedBaseTable(hQ, qSquared, alphaBits, PaillierPublicKey.WINDOW_BITS);
    }

    /** c * h^alpha mod n^2 for a fresh alpha, with c given by its residues. */
    private byte[] times(BigInteger cModP2, BigInteger cModQ2) {
      byte[] alpha = drbg.nextBitsBytes(publicKey.alphaBits());
      BigInteger a = modPSquared.multiply(cModP2, tableP.pow(alpha));
      BigInteger b = modQSquared.multiply(cModQ2, tableQ.pow(alpha));
      return publicKey.encodeTrusted(crtSquares(a, b));
    }

    @Override
    public byte[] encrypt(BigInteger m) {
      publicKey.checkPlaintext(m);
      // g^m = 1 + m n; mod p^2 that is 1 + (m mod p) n since p n = 0 mod p^2 (same for q).
      BigInteger n = publicKey.n();
      BigInteger gp = m.mod(p).multiply(n).add(BigInteger.ONE).mod(pSquared);
      BigInteger gq = m.mod(q).multiply(n).add(BigInteger.ONE).mod(qSquared);
      return times(gp, gq);
    }

    @Override
    public byte[] rerandomise(byte[] c) {
      BigInteger v = publicKey.parse(c);
      return times(v.mod(pSquared), v.mod(qSquared));
    }

    @Override
    public String toString() {
      return "PaillierKeyPair.Encryptor[" + publicKey + "]";
    }
  }
}
