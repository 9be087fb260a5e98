package io.veil.crypto.ot;

import io.veil.InvalidInputException;
import io.veil.crypto.Hkdf;
import io.veil.crypto.Sha256;
import io.veil.crypto.internal.Ed25519Group;
import io.veil.crypto.internal.Ed25519Points;
import io.veil.crypto.internal.Field25519;
import io.veil.crypto.internal.X25519Engines;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A batch of 1-out-of-2 random oblivious transfers: "the simplest protocol for oblivious transfer"
 * of Chou and Orlandi (LATINCRYPT 2015, ePrint 2015/267) over the prime-order subgroup of
 * edwards25519 (RFC 8032).
 *
 * <p><b>Protocol.</b> B generates the subgroup of prime order l (about 2^252), written additively.
 * <ol>
 *   <li>The sender draws a, sends {@code A = aB} ({@link Sender#firstMessage()}).
 *   <li>For OT i with choice bit c_i, the receiver draws b_i and replies {@code B_i = b_i B} if c_i =
 *       0, {@code B_i = A + b_i B} if c_i = 1 ({@link Receiver#reply(byte[])}).
 *   <li>The sender's keys are {@code k0_i = H(i, A, B_i, a B_i)} and {@code k1_i = H(i, A, B_i, a(B_i
 *       - A))} ({@link Sender#keys(byte[])}); the receiver's is {@code k_{c_i} = H(i, A, B_i, b_i A)}
 *       ({@link Receiver#keys()}), which equals the sender's key for its choice.
 * </ol>
 * H is SHA-256 over the domain tag {@value #DOMAIN}, the OT index (4 bytes big-endian) and the
 * three encoded points, truncated to {@link #KEY_BYTES} bytes.
 *
 * <p><b>Security.</b> About 128-bit computational security against a semi-honest peer, in the
 * random-oracle model for H, assuming the computational Diffie-Hellman problem is hard in
 * edwards25519's prime-order subgroup: the sender learns nothing about the choice bits (B_i is
 * uniform in the subgroup whatever c_i is, information-theoretically); the receiver learns
 * nothing about the key it did not choose. Against a malicious peer the published UC-security claim does
 * not hold (its proof was found flawed by Genç, Iovino and Rial, and by Hauck and Loss, both 2017);
 * Veil's OT-based PSI assumes semi-honest parties, like the KKRT16 protocol it feeds. Peer points
 * are nevertheless validated (below), so a malformed message aborts instead of leaking.
 *
 * <p><b>Encodings.</b> Points are RFC 8032 encodings ({@value #POINT_BYTES} bytes: y little-endian,
 * the sign of x in the top bit). The sender's first message is one point, the receiver's reply
 * {@code count} points concatenated.
 *
 * <p><b>Peer input.</b> Every received point must be a valid point: a canonical encoding (y below
 * p = 2^255 - 19) of a point of the prime-order subgroup other than the identity. Anything else
 * (small-order and mixed-order points included) throws {@link InvalidOtMessageException}, naming
 * the index and the reason.
 *
 * <p><b>Determinism.</b> All randomness is derived with HKDF-SHA256 from the caller's 32-byte
 * {@link #SEED_BYTES seed}: the same seed, count, choices and peer messages give byte-identical
 * messages and keys, so a re-run of a job step can resume. The seed must therefore be secret and
 * fresh per job and party (derive it with HKDF from the party secret, the job id and the input
 * binding), never reused for another peer or another run over different data.
 *
 * <p><b>Arithmetic.</b> {@link X25519Engines#edwards()}: libsodium's constant-time edwards25519
 * functions where it loads (as for X25519), else a pure-Java fallback over BouncyCastle that is
 * not constant time; both give identical bytes, so the two parties need not use the same one.
 * The receiver's step branches on its choice bits (an addition or not). Timing is visible only to
 * someone on the same machine as the party's driver, which Veil's threat model excludes.
 *
 * <p><b>Cost.</b> Per OT: the sender does two variable-base multiplications (one checks that the
 * peer's point is in the subgroup) and one subtraction; the receiver one fixed-base and one
 * variable-base multiplication. With libsodium, about 0.1 s for the {@link KkrtOprf#BASE_OT_COUNT} OTs a KKRT
 * extension needs, even in a cold JVM; the Java fallback takes seconds until its JIT has warmed.
 *
 * <p>Instances are not thread-safe; each side of a run uses its own instance.
 */
public final class BaseOt {
  /** Bytes of the caller's seed. */
  public static final int SEED_BYTES = 32;
  /** Bytes of every key the OTs output (AES-128 keys, 128-bit security). */
  public static final int KEY_BYTES = 16;
  /** Bytes of an encoded point (RFC 8032). */
  public static final int POINT_BYTES = Ed25519Group.BYTES;
  /** Domain separation tag of the key derivation hash. */
  public static final String DOMAIN = "veil-base-ot/co15-ed25519/v2";

  private static final BigInteger ORDER = Ed25519Points.ORDER;
  private static final byte[] DOMAIN_BYTES = DOMAIN.getBytes(StandardCharsets.US_ASCII);

  private BaseOt() {}

  /** The sender's side: holds a, outputs both keys of every OT. */
  public static final class Sender {
    private final Ed25519Group group;
    private final int count;
    private final byte[] a;
    private final byte[] bigAEncoded;

    /**
     * @param seed 32 secret bytes, fresh per job and party (copied; see the class comment)
     * @param count number of OTs, at least 1
     */
    public Sender(byte[] seed, int count) {
      this(seed, count, X25519Engines.edwards());
    }

    /** With a chosen implementation of the group (for tests: the two interwork). */
    Sender(byte[] seed, int count, Ed25519Group group) {
      this.group = group;
      requireSeed(seed, "sender");
      if (count < 1) {
        throw new InvalidInputException(
            "Cannot start base OTs: the count is " + count + ". Ask for at least one OT.");
      }
      this.count = count;
      this.a = scalar(seed, "sender");
      this.bigAEncoded = group.baseMul(a);
    }

    /** Number of OTs in this batch. */
    public int count() {
      return count;
    }

    /** A = aB, {@link #POINT_BYTES} bytes: the message to send to the receiver. */
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
      byte[] aA = group.mul(a, bigAEncoded);
      MessageDigest sha = Sha256.newDigest();
      byte[][][] keys = new byte[count][][];
      for (int i = 0; i < count; i++) {
        byte[] encB = Arrays.copyOfRange(receiverMessage, i * POINT_BYTES, (i + 1) * POINT_BYTES);
        if (!group.isValid(encB)) {
          throw invalidPoint(encB, "finish the base OTs", "receiver's point at index " + i);
        }
        byte[] aB = group.mul(a, encB);
        keys[i] = new byte[][] {kdf(sha, i, bigAEncoded, encB, aB), kdf(sha, i, bigAEncoded, encB, group.sub(aB, aA))};
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
    private final Ed25519Group group;
    private final byte[] seed;
    private final boolean[] choices;
    private byte[][] keys;

    /**
     * @param seed 32 secret bytes, fresh per job and party (copied; see the class comment)
     * @param choices the choice bit of every OT (copied); at least one
     */
    public Receiver(byte[] seed, boolean[] choices) {
      this(seed, choices, X25519Engines.edwards());
    }

    /** With a chosen implementation of the group (for tests: the two interwork). */
    Receiver(byte[] seed, boolean[] choices, Ed25519Group group) {
      this.group = group;
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
      if (!group.isValid(encA)) {
        throw invalidPoint(encA, "answer the base OTs", "sender's point A");
      }
      int count = choices.length;
      byte[] out = new byte[count * POINT_BYTES];
      byte[][] chosen = new byte[count][];
      MessageDigest sha = Sha256.newDigest();
      for (int i = 0; i < count; i++) {
        byte[] b = scalar(seed, "receiver|" + i);
        byte[] bG = group.baseMul(b);
        byte[] encB = choices[i] ? group.add(bG, encA) : bG;
        System.arraycopy(encB, 0, out, i * POINT_BYTES, POINT_BYTES);
        chosen[i] = kdf(sha, i, encA, encB, group.mul(b, encA));
        Arrays.fill(b, (byte) 0);
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

  private static InvalidOtMessageException invalidPoint(byte[] enc, String what, String which) {
    String reason = Ed25519Points.invalidReason(enc);
    return new InvalidOtMessageException(
        what, "the " + which + " is not a valid point of edwards25519's prime-order subgroup: "
            + (reason != null ? reason : "libsodium refused it"));
  }

  /**
   * A secret scalar in [1, l) from HKDF-SHA256(seed, label): 64 bytes reduced mod l (bias 2^-260),
   * as 32 bytes little-endian.
   */
  private static byte[] scalar(byte[] seed, String label) {
    byte[] wide = Hkdf.derive(null, seed, ("veil-base-ot/scalar|" + label).getBytes(StandardCharsets.US_ASCII), 64);
    BigInteger s = new BigInteger(1, wide).mod(ORDER);
    Arrays.fill(wide, (byte) 0);
    if (s.signum() == 0) {
      // Probability 2^-252; a zero scalar would make every key public.
      throw new IllegalStateException("the base OT seed gave a zero scalar; use another seed");
    }
    return Field25519.toLittleEndian32(s);
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
