package io.veil.crypto.internal;

/**
 * The prime-order subgroup of edwards25519 (RFC 8032), the group {@link io.veil.crypto.ot.BaseOt}
 * computes in. Points are RFC 8032 encodings (32 bytes: y little-endian, the sign of x in the top
 * bit); scalars are 32 bytes little-endian, already reduced below the group order l and not zero.
 *
 * <p>A point is <em>valid</em> when its encoding is canonical (y below p), it lies on the curve and
 * in the prime-order subgroup, and it is not the identity. Check a peer's point with {@link
 * #isValid} before using it; {@link Ed25519Points#invalidReason} says why one was refused. {@link
 * #mul} takes valid points, {@link #add} and {@link #sub} also results of this group's operations
 * (the identity included). Given anything else their result means nothing; where the encoding is
 * not even a curve point they throw {@link IllegalArgumentException}.
 *
 * <p>Two implementations compute the same function: native libsodium and a pure-Java one over
 * BouncyCastle, chosen like the X25519 engine ({@link X25519Engines#edwards()}). They are stateless
 * and thread-safe and never keep a scalar.
 */
public interface Ed25519Group {
  /** Bytes of an encoded point and of a scalar. */
  int BYTES = 32;

  /** s B for the standard base point B. */
  byte[] baseMul(byte[] scalar);

  /** s P for a valid point P. */
  byte[] mul(byte[] scalar, byte[] point);

  /** Whether the encoding is a valid point (see the class comment). */
  boolean isValid(byte[] point);

  /** P + Q. */
  byte[] add(byte[] p, byte[] q);

  /** P - Q. */
  byte[] sub(byte[] p, byte[] q);

  /** A short, stable name for logs and benchmarks, e.g. {@code native-libsodium}. */
  String name();
}
