package io.veil.crypto;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * An oblivious pseudo-random function on curve25519 (2HashDH: Jarecki, Kiayias, Krawczyk 2014),
 * for lookups in a list held by another party: {@code F_k(x) = SHA-256(domain || len(x) || x ||
 * k*H(x))}, where H is {@link PsiCipher}'s RFC 9380 hash to the curve and k the holder's clamped
 * X25519 scalar.
 *
 * <p><b>Protocol.</b> The querier blinds each element with a per-run scalar r ({@link Blinding}):
 * {@code r*H(x)}; the holder multiplies what it receives by k ({@link PsiCipher#blindPeerPoint},
 * which validates the point); the querier multiplies the answer by r^-1 mod the group order to get
 * {@code k*H(x)} and hashes it with x ({@link #output}). The holder sees only uniformly random
 * points (under DDH) and learns how many were sent; the querier learns F_k on its own elements and
 * nothing about k.
 *
 * <p><b>Unblinding with X25519.</b> X25519 clamps every scalar (bit 254 set, the low three bits
 * clear), so r^-1 can only be applied through it if some clamped scalar is congruent to it modulo
 * the prime order l: {@code s = 2^254 + 8m} with {@code 0 <= m < 2^251}. About half of all r have
 * one; {@link Blinding#derive} draws r from a seed until it has (a few SHA-256 calls). Points
 * computed here lie in the prime-order subgroup (H clears the cofactor), so {@code s*(k*(r*P)) =
 * k*P}.
 *
 * <p>Thread-safe and immutable.
 */
public final class Oprf {
  /** Bytes of an OPRF output. */
  public static final int OUTPUT_BYTES = 32;

  /** The order l of curve25519's prime-order subgroup. */
  static final BigInteger ORDER =
      BigInteger.ONE.shiftLeft(252).add(new BigInteger("27742317777372353535851937790883648493"));

  private static final BigInteger TWO_254 = BigInteger.ONE.shiftLeft(254);
  private static final BigInteger TWO_251 = BigInteger.ONE.shiftLeft(251);
  private static final BigInteger EIGHT_INVERSE = BigInteger.valueOf(8).modInverse(ORDER);
  private static final byte[] OUTPUT_DOMAIN = "veil-oprf/v1".getBytes(StandardCharsets.US_ASCII);

  private Oprf() {}

  /**
   * The OPRF output for element {@code x} whose unblinded point is {@code point} (32 bytes, {@code
   * k*H(x)}). The holder computes the point directly ({@link PsiCipher#hashAndBlind}); the querier
   * with {@link Blinding#unblind}.
   */
  public static byte[] output(byte[] x, byte[] point) {
    Objects.requireNonNull(x, "x");
    if (point.length != PsiCipher.POINT_BYTES) {
      throw new IllegalArgumentException("a point has 32 bytes");
    }
    MessageDigest sha = Sha256.newDigest();
    sha.update(OUTPUT_DOMAIN);
    sha.update(new byte[] {(byte) (x.length >>> 24), (byte) (x.length >>> 16), (byte) (x.length >>> 8),
        (byte) x.length});
    sha.update(x);
    sha.update(point);
    return sha.digest();
  }

  /**
   * The clamped X25519 scalar congruent to {@code clampedScalar}^-1 modulo the group order, or null
   * when there is none.
   */
  static byte[] clampedInverse(byte[] clampedScalar) {
    BigInteger c = new BigInteger(1, reverse(clampedScalar));
    BigInteger inv = c.mod(ORDER).modInverse(ORDER);
    // s = 2^254 + 8m = inv (mod l)  =>  m = (inv - 2^254) / 8 (mod l), which must be below 2^251.
    BigInteger m = inv.subtract(TWO_254).multiply(EIGHT_INVERSE).mod(ORDER);
    if (m.compareTo(TWO_251) >= 0) {
      return null;
    }
    return littleEndian32(TWO_254.add(m.shiftLeft(3)));
  }

  /** RFC 7748 clamping of a 32-byte scalar. */
  static byte[] clamp(byte[] scalar) {
    byte[] c = scalar.clone();
    c[0] &= (byte) 248;
    c[31] &= 127;
    c[31] |= 64;
    return c;
  }

  private static byte[] reverse(byte[] b) {
    byte[] r = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = b[b.length - 1 - i];
    }
    return r;
  }

  private static byte[] littleEndian32(BigInteger v) {
    byte[] be = v.toByteArray();
    byte[] out = new byte[32];
    for (int i = 0; i < Math.min(32, be.length); i++) {
      out[i] = be[be.length - 1 - i];
    }
    return out;
  }

  /**
   * The querier's blinding for one run: a scalar r whose inverse X25519 can apply. Never serialised;
   * derive one per task from the run's secret.
   */
  public static final class Blinding {
    private final PsiCipher blind;
    private final PsiCipher unblind;

    private Blinding(byte[] r, byte[] rInverse) {
      this.blind = PsiCipher.create(BlindingKey.fromBytes(r));
      this.unblind = PsiCipher.create(BlindingKey.fromBytes(rInverse));
    }

    /**
     * The blinding derived from a 32-byte secret {@code seed}: r = clamp(SHA-256(seed || counter))
     * for the first counter whose r has a clamped inverse. The same seed gives the same blinding.
     */
    public static Blinding derive(byte[] seed) {
      if (seed == null || seed.length != 32) {
        throw new IllegalArgumentException("the blinding seed has 32 bytes");
      }
      MessageDigest sha = Sha256.newDigest();
      for (int counter = 0; counter < 1024; counter++) {
        sha.reset();
        sha.update(seed);
        sha.update(new byte[] {(byte) (counter >>> 8), (byte) counter});
        byte[] r = clamp(sha.digest());
        byte[] inverse = clampedInverse(r);
        if (inverse != null) {
          Blinding b = new Blinding(r, inverse);
          Arrays.fill(r, (byte) 0);
          Arrays.fill(inverse, (byte) 0);
          return b;
        }
      }
      // Each draw succeeds with probability about 1/2: 1024 failures do not happen.
      throw new IllegalStateException("no invertible blinding scalar in 1024 draws");
    }

    /** r*H(x): what the querier sends for element {@code x} (32 bytes into {@code out[off...]}). */
    public void blind(byte[] x, byte[] out, int off) {
      blind.hashAndBlind(x, out, off);
    }

    /**
     * r^-1 * answer = k*H(x), after validating the holder's answer point.
     *
     * @throws InvalidPointException if the answer is not a valid point of curve25519
     */
    public byte[] unblind(byte[] answer, int off) {
      byte[] out = new byte[PsiCipher.POINT_BYTES];
      unblind.blindPeerPoint(answer, off, out, 0);
      return out;
    }

    @Override
    public String toString() {
      return "Oprf.Blinding(***)";
    }
  }
}
