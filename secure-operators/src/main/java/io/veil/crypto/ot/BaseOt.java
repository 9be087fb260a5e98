package io.veil.crypto.ot;

import io.veil.InvalidInputException;
import io.veil.crypto.Hkdf;
import io.veil.crypto.Sha256;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECFieldElement;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * A batch of 1-out-of-2 random oblivious transfers: "the simplest protocol for oblivious transfer"
 * of Chou and Orlandi (LATINCRYPT 2015, ePrint 2015/267) over the prime-order subgroup of
 * curve25519.
 *
 * <p><b>Protocol.</b> G generates the subgroup of prime order l (about 2^252), written additively.
 * <ol>
 *   <li>The sender draws a, sends {@code A = aG} ({@link Sender#firstMessage()}).
 *   <li>For OT i with choice bit c_i, the receiver draws b_i and replies {@code B_i = b_i G} if c_i =
 *       0, {@code B_i = A + b_i G} if c_i = 1 ({@link Receiver#reply(byte[])}).
 *   <li>The sender's keys are {@code k0_i = H(i, A, B_i, a B_i)} and {@code k1_i = H(i, A, B_i, a(B_i
 *       - A))} ({@link Sender#keys(byte[])}); the receiver's is {@code k_{c_i} = H(i, A, B_i, b_i A)}
 *       ({@link Receiver#keys()}), which equals the sender's key for its choice.
 * </ol>
 * H is SHA-256 over the domain tag {@value #DOMAIN}, the OT index (4 bytes big-endian) and the
 * three encoded points, truncated to {@link #KEY_BYTES} bytes.
 *
 * <p><b>Security.</b> About 128-bit computational security against a semi-honest peer, in the
 * random-oracle model for H, assuming the computational Diffie-Hellman problem is hard in
 * curve25519's prime-order subgroup: the sender learns nothing about the choice bits (B_i is
 * uniform in the subgroup whatever c_i is, information-theoretically); the receiver learns
 * nothing about the key it did not choose. Against a malicious peer the published UC-security claim does
 * not hold (its proof was found flawed by Genç, Iovino and Rial, and by Hauck and Loss, both 2017);
 * Veil's OT-based PSI assumes semi-honest parties, like the KKRT16 protocol it feeds. Peer points
 * are nevertheless validated (below), so a malformed message aborts instead of leaking.
 *
 * <p><b>Encodings.</b> Points are SEC 1 compressed encodings (33 bytes: {@code 02|03 || x}, x
 * big-endian) on the short-Weierstrass model of curve25519 that BouncyCastle's {@code
 * CustomNamedCurves "curve25519"} uses (the birational image of RFC 7748's Montgomery curve; the
 * generator is the image of u = 9). The sender's first message is one point, the receiver's reply
 * {@code count} points concatenated.
 *
 * <p><b>Peer input.</b> Every received point must be the compressed encoding of a point of the
 * prime-order subgroup other than the identity: a 33-byte encoding with prefix 02 or 03 (the
 * identity has none), x below p = 2^255 - 19, x on the curve, and {@code l P = O}. Anything else
 * throws {@link InvalidOtMessageException}, naming the index and the reason.
 *
 * <p><b>Determinism.</b> All randomness is derived with HKDF-SHA256 from the caller's 32-byte
 * {@link #SEED_BYTES seed}: the same seed, count, choices and peer messages give byte-identical
 * messages and keys, so a re-run of a job step can resume. The seed must therefore be secret and
 * fresh per job and party (derive it with HKDF from the party secret, the job id and the input
 * binding), never reused for another peer or another run over different data.
 *
 * <p><b>Side channels.</b> BouncyCastle's Weierstrass arithmetic is not constant time (variable-base
 * multiplication uses wNAF) and the receiver's step branches on its choice bits. Timing is visible
 * only to someone on the same machine as the party's executor, which Veil's threat model excludes.
 *
 * <p><b>Cost.</b> Per OT: the sender does one variable-base multiplication and one subgroup check
 * (a multiplication by l); the receiver two fixed-base (comb) multiplications, by G and by A.
 * A few milliseconds per hundred OTs; KKRT needs {@link KkrtOprf#BASE_OT_COUNT} of them per job.
 *
 * <p>Instances are not thread-safe; each side of a run uses its own instance.
 */
public final class BaseOt {
  /** Bytes of the caller's seed. */
  public static final int SEED_BYTES = 32;
  /** Bytes of every key the OTs output (AES-128 keys, 128-bit security). */
  public static final int KEY_BYTES = 16;
  /** Bytes of an encoded point: SEC 1 compressed. */
  public static final int POINT_BYTES = 33;
  /** Domain separation tag of the key derivation hash. */
  public static final String DOMAIN = "veil-base-ot/co15/v1";

  private static final X9ECParameters CURVE25519 = CustomNamedCurves.getByName("curve25519");
  private static final ECCurve CURVE = CURVE25519.getCurve();
  private static final ECPoint G = CURVE25519.getG();
  private static final BigInteger ORDER = CURVE25519.getN();
  private static final BigInteger P = CURVE.getField().getCharacteristic();
  private static final byte[] DOMAIN_BYTES = DOMAIN.getBytes(StandardCharsets.US_ASCII);

  private BaseOt() {}

  /** The sender's side: holds a, outputs both keys of every OT. */
  public static final class Sender {
    private final int count;
    private final BigInteger a;
    private final ECPoint bigA;
    private final byte[] bigAEncoded;

    /**
     * @param seed 32 secret bytes, fresh per job and party (copied; see the class comment)
     * @param count number of OTs, at least 1
     */
    public Sender(byte[] seed, int count) {
      requireSeed(seed, "sender");
      if (count < 1) {
        throw new InvalidInputException(
            "Cannot start base OTs: the count is " + count + ". Ask for at least one OT.");
      }
      this.count = count;
      this.a = scalar(seed, "sender");
      this.bigA = new FixedPointCombMultiplier().multiply(G, a).normalize();
      this.bigAEncoded = bigA.getEncoded(true);
    }

    /** Number of OTs in this batch. */
    public int count() {
      return count;
    }

    /** A = aG, {@link #POINT_BYTES} bytes: the message to send to the receiver. */
    public byte[] firstMessage() {
      return bigAEncoded.clone();
    }

    /**
     * Both keys of every OT, from the receiver's reply: {@code keys[i][0]} = k0_i and {@code
     * keys[i][1]} = k1_i, {@link #KEY_BYTES} bytes each.
     *
     * @throws InvalidOtMessageException if the reply is not {@code count} valid points
     */
    public byte[][][] keys(byte[] receiverMessage) {
      Objects.requireNonNull(receiverMessage, "receiverMessage");
      if (receiverMessage.length != count * POINT_BYTES) {
        throw new InvalidOtMessageException(
            "finish the base OTs",
            "the receiver's reply has " + receiverMessage.length + " bytes, expected " + count + " points of "
                + POINT_BYTES + " bytes (" + (count * POINT_BYTES) + ")");
      }
      ECPoint aA = bigA.multiply(a).normalize();
      MessageDigest sha = Sha256.newDigest();
      byte[][][] keys = new byte[count][][];
      for (int i = 0; i < count; i++) {
        byte[] encB = Arrays.copyOfRange(receiverMessage, i * POINT_BYTES, (i + 1) * POINT_BYTES);
        ECPoint b = decodePeerPoint(encB, 0, "finish the base OTs", "receiver's point at index " + i);
        ECPoint aB = b.multiply(a).normalize();
        ECPoint aBminusA = aB.subtract(aA).normalize();
        keys[i] =
            new byte[][] {
              kdf(sha, i, bigAEncoded, encB, aB.getEncoded(true)), kdf(sha, i, bigAEncoded, encB, aBminusA.getEncoded(true))
            };
      }
      return keys;
    }

    @Override
    public String toString() {
      return "BaseOt.Sender(count=" + count + ", secrets=***)";
    }
  }

  /** The receiver's side: holds the choice bits, outputs the chosen key of every OT. */
  public static final class Receiver {
    private final byte[] seed;
    private final boolean[] choices;
    private byte[][] keys;

    /**
     * @param seed 32 secret bytes, fresh per job and party (copied; see the class comment)
     * @param choices the choice bit of every OT (copied); at least one
     */
    public Receiver(byte[] seed, boolean[] choices) {
      requireSeed(seed, "receiver");
      Objects.requireNonNull(choices, "choices");
      if (choices.length < 1) {
        throw new InvalidInputException("Cannot start base OTs: no choice bits. Ask for at least one OT.");
      }
      this.seed = seed.clone();
      this.choices = choices.clone();
    }

    /** Number of OTs in this batch. */
    public int count() {
      return choices.length;
    }

    /**
     * Validates the sender's A and returns the reply B_0 .. B_{count-1} ({@code count *}
     * {@link #POINT_BYTES} bytes). May be called again with the same message (same result).
     *
     * @throws InvalidOtMessageException if the sender's message is not a valid point
     */
    public byte[] reply(byte[] senderFirstMessage) {
      Objects.requireNonNull(senderFirstMessage, "senderFirstMessage");
      if (senderFirstMessage.length != POINT_BYTES) {
        throw new InvalidOtMessageException(
            "answer the base OTs",
            "the sender's first message has " + senderFirstMessage.length + " bytes, expected one point of "
                + POINT_BYTES + " bytes");
      }
      byte[] encA = senderFirstMessage.clone();
      ECPoint bigA = decodePeerPoint(encA, 0, "answer the base OTs", "sender's point A");
      int count = choices.length;
      byte[] out = new byte[count * POINT_BYTES];
      byte[][] chosen = new byte[count][];
      // Both G and A are fixed for the batch: comb multiplication, precomputed once per point.
      FixedPointCombMultiplier base = new FixedPointCombMultiplier();
      MessageDigest sha = Sha256.newDigest();
      for (int i = 0; i < count; i++) {
        BigInteger b = scalar(seed, "receiver|" + i);
        ECPoint bG = base.multiply(G, b);
        ECPoint bigB = (choices[i] ? bG.add(bigA) : bG).normalize();
        byte[] encB = bigB.getEncoded(true);
        System.arraycopy(encB, 0, out, i * POINT_BYTES, POINT_BYTES);
        chosen[i] = kdf(sha, i, encA, encB, base.multiply(bigA, b).normalize().getEncoded(true));
      }
      this.keys = chosen;
      return out;
    }

    /**
     * The chosen key k_{c_i} of every OT ({@link #KEY_BYTES} bytes each).
     *
     * @throws IllegalStateException before {@link #reply(byte[])}
     */
    public byte[][] keys() {
      if (keys == null) {
        throw new IllegalStateException("Cannot read the base OT keys: reply(senderFirstMessage) has not run yet.");
      }
      byte[][] copy = new byte[keys.length][];
      for (int i = 0; i < keys.length; i++) {
        copy[i] = keys[i].clone();
      }
      return copy;
    }

    @Override
    public String toString() {
      return "BaseOt.Receiver(count=" + choices.length + ", secrets=***)";
    }
  }

  /**
   * Decodes and validates a peer's point: compressed encoding, canonical x, on the curve, in the
   * prime-order subgroup, not the identity.
   */
  static ECPoint decodePeerPoint(byte[] in, int off, String what, String which) {
    int prefix = in[off] & 0xFF;
    if (prefix != 0x02 && prefix != 0x03) {
      throw new InvalidOtMessageException(
          what, "the " + which + " is not a compressed point (prefix 02 or 03); the identity point has no such encoding");
    }
    BigInteger x = new BigInteger(1, Arrays.copyOfRange(in, off + 1, off + POINT_BYTES));
    if (x.compareTo(P) >= 0) {
      throw new InvalidOtMessageException(what, "the " + which + " has an x-coordinate not below p = 2^255 - 19");
    }
    ECFieldElement fx = CURVE.fromBigInteger(x);
    ECFieldElement rhs = fx.square().add(CURVE.getA()).multiply(fx).add(CURVE.getB());
    ECFieldElement fy = rhs.sqrt();
    if (fy == null) {
      throw new InvalidOtMessageException(what, "the " + which + " is not on curve25519");
    }
    if (fy.testBitZero() != (prefix == 0x03)) {
      fy = fy.negate();
    }
    ECPoint point = CURVE.createPoint(x, fy.toBigInteger());
    if (point.isInfinity() || !point.multiply(ORDER).isInfinity()) {
      throw new InvalidOtMessageException(
          what, "the " + which + " is not in the prime-order subgroup of curve25519 (it has a component of small order)");
    }
    return point;
  }

  /** A secret scalar in [1, l) from HKDF-SHA256(seed, label): 64 bytes reduced mod l (bias 2^-260). */
  private static BigInteger scalar(byte[] seed, String label) {
    byte[] wide = Hkdf.derive(null, seed, ("veil-base-ot/scalar|" + label).getBytes(StandardCharsets.US_ASCII), 64);
    BigInteger s = new BigInteger(1, wide).mod(ORDER);
    Arrays.fill(wide, (byte) 0);
    if (s.signum() == 0) {
      // Probability 2^-252; a zero scalar would make every key public.
      throw new IllegalStateException("the base OT seed gave a zero scalar; use another seed");
    }
    return s;
  }

  private static byte[] kdf(MessageDigest sha, int index, byte[] encA, byte[] encB, byte[] shared) {
    sha.reset();
    sha.update(DOMAIN_BYTES);
    sha.update(new byte[] {(byte) (index >>> 24), (byte) (index >>> 16), (byte) (index >>> 8), (byte) index});
    sha.update(encA);
    sha.update(encB);
    sha.update(shared);
    return Arrays.copyOf(sha.digest(), KEY_BYTES);
  }

  private static void requireSeed(byte[] seed, String role) {
    Objects.requireNonNull(seed, "seed");
    if (seed.length != SEED_BYTES) {
      throw new InvalidInputException(
          "Cannot start base OTs as " + role + ": the seed is " + seed.length + " bytes, not " + SEED_BYTES
              + ". Derive it with HKDF from the party secret and the job id.");
    }
  }
}
