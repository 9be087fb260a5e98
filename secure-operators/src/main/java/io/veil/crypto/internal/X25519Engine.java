package io.veil.crypto.internal;

/**
 * The X25519 function of RFC 7748 section 5: {@code out = X25519(k, u)}, with the scalar clamped
 * and the top bit of {@code u} ignored as the RFC specifies, non-canonical u reduced mod p, and
 * points of small order (on the curve or its twist) giving the all-zero output. No validation:
 * callers that receive {@code u} from a peer validate it first (see {@link Curve25519Points}).
 *
 * <p>Implementations are stateless and thread-safe, and never log or keep the scalar.
 */
public interface X25519Engine {
  /** Bytes of a u-coordinate and of a scalar. */
  int BYTES = 32;

  /** Writes X25519(k, u) to {@code out[outOff, outOff+32)}. {@code out} may overlap {@code u}. */
  void scalarMult(byte[] k, int kOff, byte[] u, int uOff, byte[] out, int outOff);

  /** A short, stable name for logs and benchmarks, e.g. {@code java-bouncycastle}. */
  String name();
}
