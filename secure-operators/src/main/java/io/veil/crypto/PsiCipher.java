package io.veil.crypto;

import io.veil.VeilException;
import io.veil.crypto.InvalidPointException.Reason;
import io.veil.crypto.internal.Curve25519Points;
import io.veil.crypto.internal.HashToCurve25519;
import io.veil.crypto.internal.X25519Engine;
import io.veil.crypto.internal.X25519Engines;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * Commutative blinding on curve25519 for ECDH-based private set intersection (PSI).
 *
 * <p>Each party holds one {@link BlindingKey} k per job. An element x (arbitrary bytes, e.g. a
 * normalised identifier) is blinded as {@code E_k(x) = X25519(k, u(H(x)))}, where H hashes to the
 * prime-order subgroup of curve25519. Blinding a peer's already blinded point again with our key,
 * {@code X25519(k_b, E_{k_a}(x))}, equals {@code X25519(k_a, E_{k_b}(x))}: both are the u-coordinate
 * of {@code c_a c_b H(x)} with c the clamped scalars. Parties exchange singly blinded values and
 * compare doubly blinded ones; equal doubly blinded values mean equal elements.
 *
 * <p><b>Security.</b> About 128-bit security, relying on the hardness of the decisional
 * Diffie-Hellman problem in the prime-order subgroup of curve25519 (order ~2^252) and on H being a
 * random oracle. Without the key, a blinded value reveals nothing about the element, including
 * against dictionary attacks on low-entropy elements (phone numbers, e-mail addresses).
 *
 * <p><b>Hash to curve.</b> H is RFC 9380 {@code hash_to_curve} with suite {@code
 * curve25519_XMD:SHA-512_ELL2_RO_} (expand_message_xmd with SHA-512, Elligator 2, two field
 * elements, cofactor cleared) and the domain separation tag {@value #HASH_TO_CURVE_DST}. Hashing
 * has no data-dependent branches; the X25519 ladder is constant time in both engines.
 *
 * <p><b>Encodings.</b> Every point is the 32-byte little-endian u-coordinate of RFC 7748 section 5
 * ({@link #POINT_BYTES}). Points this class outputs are always canonical.
 *
 * <p><b>Peer input.</b> {@link #blindPeerPoint} accepts only canonical u-coordinates (top bit clear,
 * u &lt; 2^255 - 19) of points on curve25519 itself (not on its quadratic twist) that are not of
 * small order, and rejects an all-zero result, throwing {@link InvalidPointException}. (Points with a
 * small-order component but on the curve are accepted: clamping makes the scalar a multiple of the
 * cofactor 8, so that component never influences the output.) RFC 7748 X25519 itself would accept
 * twist points and non-canonical encodings; this class deliberately does not, so that a malicious
 * peer cannot probe the key on the twist or in small subgroups.
 *
 * <p><b>Determinism.</b> Deterministic: the same key and element always give the same output, on
 * every machine and with either X25519 engine. That is what makes intersection by equality work; it
 * also means outputs under one key are linkable, hence the key policy below.
 *
 * <p><b>Keys.</b> Use one key per run of a job, derived with {@link PartySecret#blindingKey(String,
 * byte[])} from the job id and the job's input binding, never reused across jobs or inputs: reuse
 * would let a peer link elements across jobs, or across runs over different data. The key is
 * never exposed by this class ({@link #toString()} shows no key material). Instances are not
 * {@link java.io.Serializable} on purpose: create one per partition from the party's key file.
 *
 * <p><b>Thread safety.</b> Immutable and thread-safe; one instance can be shared by all threads.
 *
 * <p><b>Engines.</b> X25519 runs in BoringSSL (bundled in Conscrypt) when it loads, else in native
 * libsodium when it loads, else in pure-Java BouncyCastle; the system property {@code
 * veil.crypto.x25519} ({@code auto|boringssl|native|java}) forces one. All compute identical results.
 */
public final class PsiCipher {
  /** Bytes of every point this class reads or writes. */
  public static final int POINT_BYTES = 32;

  /** The RFC 9380 domain separation tag for Veil PSI. */
  public static final String HASH_TO_CURVE_DST = "VEIL-V01-CS01-with-curve25519_XMD:SHA-512_ELL2_RO_";

  /** Largest batch handled in one go by the batch methods (bounds temporary memory). */
  private static final int BATCH_CHUNK = 1024;

  private static final HashToCurve25519 HASH =
      HashToCurve25519.randomOracle(HASH_TO_CURVE_DST.getBytes(StandardCharsets.US_ASCII));

  /** X25519 implementation choice; {@link #AUTO} prefers BoringSSL, then libsodium, then Java. */
  public enum Backend {
    /** BoringSSL if it loads, else libsodium if it loads, else pure Java. */
    AUTO,
    /** BoringSSL (bundled in Conscrypt); fails if it cannot load. */
    BORINGSSL,
    /** Pure-Java BouncyCastle. */
    JAVA,
    /** Native libsodium (bundled in lazysodium-java); fails if it cannot load. */
    NATIVE
  }

  private final byte[] scalar;
  private final X25519Engine engine;

  private PsiCipher(byte[] scalar, X25519Engine engine) {
    this.scalar = scalar;
    this.engine = engine;
  }

  /**
   * A cipher for {@code key}, with the X25519 engine chosen by the system property {@code
   * veil.crypto.x25519} (default {@code auto}).
   */
  public static PsiCipher create(BlindingKey key) {
    Objects.requireNonNull(key, "key");
    return new PsiCipher(key.scalar().clone(), X25519Engines.configured());
  }

  /**
   * A cipher for {@code key} with an explicit X25519 backend (for benchmarks and tests).
   *
   * @throws VeilException if {@link Backend#BORINGSSL} or {@link Backend#NATIVE} is requested and
   *     cannot be loaded
   */
  public static PsiCipher create(BlindingKey key, Backend backend) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(backend, "backend");
    return new PsiCipher(key.scalar().clone(), X25519Engines.forMode(backend.name().toLowerCase(Locale.ROOT)));
  }

  /**
   * Name of the X25519 engine in use: {@code native-boringssl}, {@code native-libsodium} or {@code
   * java-bouncycastle}.
   */
  public String backendName() {
    return engine.name();
  }

  /**
   * Hashes {@code element} to curve25519 and blinds it: {@code out[outOffset, outOffset+32) =
   * X25519(k, u(H(element)))}.
   */
  public void hashAndBlind(byte[] element, byte[] out, int outOffset) {
    Objects.requireNonNull(element, "element");
    Objects.checkFromIndexSize(outOffset, POINT_BYTES, out.length);
    byte[] u = new byte[POINT_BYTES];
    HASH.hashToU(element, u, 0);
    engine.scalarMult(scalar, 0, u, 0, out, outOffset);
    requireNonZeroOwn(out, outOffset);
  }

  /** Convenience form of {@link #hashAndBlind(byte[], byte[], int)}. */
  public byte[] hashAndBlind(byte[] element) {
    byte[] out = new byte[POINT_BYTES];
    hashAndBlind(element, out, 0);
    return out;
  }

  /**
   * Validates a point received from the peer and blinds it with our key: {@code out[outOffset,
   * outOffset+32) = X25519(k, u)}. {@code in} and {@code out} may be the same range.
   *
   * @throws InvalidPointException if the point is non-canonical, on the twist, of small order, or
   *     gives an all-zero result; {@code out} is then left unchanged (or zeroed for an all-zero
   *     result)
   */
  public void blindPeerPoint(byte[] in, int inOffset, byte[] out, int outOffset) {
    Objects.checkFromIndexSize(inOffset, POINT_BYTES, in.length);
    Objects.checkFromIndexSize(outOffset, POINT_BYTES, out.length);
    Reason reason = Curve25519Points.check(in, inOffset);
    if (reason != null) {
      throw new InvalidPointException(reason, -1);
    }
    engine.scalarMult(scalar, 0, in, inOffset, out, outOffset);
    if (isAllZero(out, outOffset)) {
      throw new InvalidPointException(Reason.ZERO_RESULT, -1);
    }
  }

  /** Convenience form of {@link #blindPeerPoint(byte[], int, byte[], int)}. */
  public byte[] blindPeerPoint(byte[] point) {
    Objects.requireNonNull(point, "point");
    if (point.length != POINT_BYTES) {
      throw new InvalidPointException(Reason.NON_CANONICAL, -1);
    }
    byte[] out = new byte[POINT_BYTES];
    blindPeerPoint(point, 0, out, 0);
    return out;
  }

  /**
   * Whether {@code in[inOffset, inOffset+32)} would be accepted by {@link #blindPeerPoint}: a
   * canonical u-coordinate of a point on curve25519 (not the twist) that is not of small order.
   */
  public static boolean isValidPeerPoint(byte[] in, int inOffset) {
    Objects.checkFromIndexSize(inOffset, POINT_BYTES, in.length);
    return Curve25519Points.check(in, inOffset) == null;
  }

  /**
   * {@link #hashAndBlind} for {@code elements[0..count)}, writing 32 bytes per element to {@code
   * out[32 i ...]}. Faster than one call per element (hash-to-curve shares its field inversions).
   */
  public void hashAndBlindBatch(byte[][] elements, int count, byte[] out) {
    Objects.requireNonNull(elements, "elements");
    Objects.checkFromIndexSize(0, count, elements.length);
    Objects.checkFromIndexSize(0, Math.multiplyExact(count, POINT_BYTES), out.length);
    byte[][] chunk = new byte[Math.min(count, BATCH_CHUNK)][];
    byte[] u = new byte[chunk.length * POINT_BYTES];
    for (int start = 0; start < count; start += chunk.length) {
      int n = Math.min(chunk.length, count - start);
      System.arraycopy(elements, start, chunk, 0, n);
      HASH.hashToUBatch(chunk, n, u, 0);
      for (int i = 0; i < n; i++) {
        int o = (start + i) * POINT_BYTES;
        engine.scalarMult(scalar, 0, u, i * POINT_BYTES, out, o);
        requireNonZeroOwn(out, o);
      }
    }
  }

  /**
   * {@link #blindPeerPoint} for {@code count} points packed in {@code in} (32 bytes each), writing
   * to {@code out} (32 bytes each). All points are validated before any is blinded.
   *
   * @throws InvalidPointException for the first invalid point, with its {@link
   *     InvalidPointException#index() index}
   */
  public void blindPeerPoints(byte[] in, int count, byte[] out) {
    int bytes = Math.multiplyExact(count, POINT_BYTES);
    Objects.checkFromIndexSize(0, bytes, in.length);
    Objects.checkFromIndexSize(0, bytes, out.length);
    for (int i = 0; i < count; i++) {
      Reason reason = Curve25519Points.check(in, i * POINT_BYTES);
      if (reason != null) {
        throw new InvalidPointException(reason, i);
      }
    }
    for (int i = 0; i < count; i++) {
      int o = i * POINT_BYTES;
      engine.scalarMult(scalar, 0, in, o, out, o);
      if (isAllZero(out, o)) {
        throw new InvalidPointException(Reason.ZERO_RESULT, i);
      }
    }
  }

  @Override
  public String toString() {
    return "PsiCipher(" + HashToCurve25519.SUITE_RO + ", x25519=" + engine.name() + ", key=***)";
  }

  /** Constant-time all-zero test of out[off, off+32). */
  private static boolean isAllZero(byte[] b, int off) {
    int acc = 0;
    for (int i = 0; i < POINT_BYTES; i++) {
      acc |= b[off + i];
    }
    return acc == 0;
  }

  /** Our own hashed point blinded to zero: H(x) was the identity (probability ~2^-250). */
  private static void requireNonZeroOwn(byte[] out, int off) {
    if (isAllZero(out, off)) {
      throw new VeilException(
          "Cannot blind an element: it hashed to the identity point, which happens with probability "
              + "about 2^-250. Report this as a bug with the Veil version.");
    }
  }
}
