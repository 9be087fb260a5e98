package io.veil.crypto;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/** HKDF with HMAC-SHA-256 (RFC 5869). Stateless and thread-safe. */
public final class Hkdf {
  /** RFC 5869 limit for SHA-256: 255 * 32 bytes. */
  public static final int MAX_OUTPUT_BYTES = 255 * 32;

  private Hkdf() {}

  /**
   * Extract-then-expand.
   *
   * @param salt optional salt (null or empty means a zero-filled salt, as in the RFC)
   * @param ikm input keying material
   * @param info context and application specific information (may be empty)
   * @param lengthBytes output length, 0..{@link #MAX_OUTPUT_BYTES}
   */
  public static byte[] derive(byte[] salt, byte[] ikm, byte[] info, int lengthBytes) {
    if (lengthBytes < 0 || lengthBytes > MAX_OUTPUT_BYTES) {
      throw new IllegalArgumentException("HKDF-SHA256 output length must be 0.." + MAX_OUTPUT_BYTES);
    }
    HKDFBytesGenerator gen = new HKDFBytesGenerator(new SHA256Digest());
    gen.init(new HKDFParameters(ikm, salt == null || salt.length == 0 ? null : salt, info));
    byte[] out = new byte[lengthBytes];
    gen.generateBytes(out, 0, lengthBytes);
    return out;
  }
}
