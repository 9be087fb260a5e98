package io.veil.crypto.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * {@code expand_message_xmd} of RFC 9380 section 5.3.1, for SHA-256 and SHA-512.
 *
 * <p>Domain separation tags longer than 255 bytes are first hashed as in section 5.3.3
 * ({@code H("H2C-OVERSIZE-DST-" || DST)}). Immutable and thread-safe: each call works on its own
 * clone of a digest that has already absorbed the all-zero block {@code Z_pad}.
 */
public final class ExpandMessageXmd {
  /** RFC 9380 limit on {@code len_in_bytes}. */
  public static final int MAX_LENGTH_BYTES = 65535;

  private static final byte[] OVERSIZE_PREFIX = "H2C-OVERSIZE-DST-".getBytes(StandardCharsets.US_ASCII);

  private final String algorithm;
  private final int digestBytes;
  private final int blockBytes;
  private final byte[] dstPrime;
  private final MessageDigest afterZeroPad;
  private final boolean cloneable;

  private ExpandMessageXmd(String algorithm, int blockBytes, byte[] dst) {
    Objects.requireNonNull(dst, "dst");
    this.algorithm = algorithm;
    this.blockBytes = blockBytes;
    MessageDigest md = newDigest(algorithm);
    this.digestBytes = md.getDigestLength();
    byte[] effectiveDst = dst;
    if (dst.length > 255) {
      md.update(OVERSIZE_PREFIX);
      effectiveDst = md.digest(dst);
    }
    this.dstPrime = new byte[effectiveDst.length + 1];
    System.arraycopy(effectiveDst, 0, dstPrime, 0, effectiveDst.length);
    dstPrime[effectiveDst.length] = (byte) effectiveDst.length;

    md.reset();
    md.update(new byte[blockBytes]); // Z_pad: one input block of zeros
    boolean canClone;
    try {
      md.clone();
      canClone = true;
    } catch (CloneNotSupportedException e) {
      canClone = false;
    }
    this.afterZeroPad = md;
    this.cloneable = canClone;
  }

  /** expand_message_xmd with SHA-256 (b_in_bytes = 32, s_in_bytes = 64). */
  public static ExpandMessageXmd sha256(byte[] dst) {
    return new ExpandMessageXmd("SHA-256", 64, dst);
  }

  /** expand_message_xmd with SHA-512 (b_in_bytes = 64, s_in_bytes = 128). */
  public static ExpandMessageXmd sha512(byte[] dst) {
    return new ExpandMessageXmd("SHA-512", 128, dst);
  }

  /** {@code DST_prime = DST || I2OSP(len(DST), 1)} (after oversize-DST hashing). */
  public byte[] dstPrime() {
    return dstPrime.clone();
  }

  /** Returns {@code lenInBytes} uniform bytes derived from {@code msg}. */
  public byte[] expand(byte[] msg, int lenInBytes) {
    byte[] out = new byte[lenInBytes];
    expand(msg, 0, msg.length, lenInBytes, out, 0);
    return out;
  }

  /**
   * Writes {@code lenInBytes} uniform bytes derived from {@code msg[msgOff, msgOff+msgLen)} to
   * {@code out[outOff...]}.
   *
   * @throws IllegalArgumentException if {@code lenInBytes} is outside 1..65535 or needs more than
   *     255 hash blocks
   */
  public void expand(byte[] msg, int msgOff, int msgLen, int lenInBytes, byte[] out, int outOff) {
    Objects.checkFromIndexSize(msgOff, msgLen, msg.length);
    int ell = (lenInBytes + digestBytes - 1) / digestBytes;
    if (lenInBytes <= 0 || lenInBytes > MAX_LENGTH_BYTES || ell > 255) {
      throw new IllegalArgumentException(
          "expand_message_xmd length must be 1.." + Math.min(MAX_LENGTH_BYTES, 255 * digestBytes)
              + " bytes for " + algorithm + ", got " + lenInBytes);
    }
    Objects.checkFromIndexSize(outOff, lenInBytes, out.length);

    MessageDigest md = startWithZeroPad();
    md.update(msg, msgOff, msgLen);
    md.update((byte) (lenInBytes >>> 8));
    md.update((byte) lenInBytes);
    md.update((byte) 0);
    md.update(dstPrime);
    byte[] b0 = md.digest();

    md.reset();
    md.update(b0);
    md.update((byte) 1);
    md.update(dstPrime);
    byte[] bi = md.digest();
    int written = Math.min(digestBytes, lenInBytes);
    System.arraycopy(bi, 0, out, outOff, written);

    byte[] x = new byte[digestBytes];
    for (int i = 2; i <= ell; i++) {
      for (int j = 0; j < digestBytes; j++) {
        x[j] = (byte) (b0[j] ^ bi[j]);
      }
      md.reset();
      md.update(x);
      md.update((byte) i);
      md.update(dstPrime);
      bi = md.digest();
      int n = Math.min(digestBytes, lenInBytes - written);
      System.arraycopy(bi, 0, out, outOff + written, n);
      written += n;
    }
  }

  private MessageDigest startWithZeroPad() {
    if (cloneable) {
      try {
        return (MessageDigest) afterZeroPad.clone();
      } catch (CloneNotSupportedException e) {
        // checked in the constructor; fall through
      }
    }
    MessageDigest md = newDigest(algorithm);
    md.update(new byte[blockBytes]);
    return md;
  }

  private static MessageDigest newDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is not available in this JVM", e);
    }
  }
}
