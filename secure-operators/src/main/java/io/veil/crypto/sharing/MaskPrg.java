package io.veil.crypto.sharing;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import io.veil.crypto.Hkdf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Expands a 32-byte seed into a seekable stream of uniform 64-bit masks (elements of Z_2^64).
 *
 * <p><b>Construction.</b> AES-256 in counter mode (NIST SP 800-38A) encrypting zeros: key = the
 * seed, initial counter block {@code IV = HKDF-SHA256(salt = empty, ikm = seed,
 * info = "veil-mask-iv|" + domain, 16 bytes)}; counter block {@code b} is {@code IV + b mod 2^128}
 * (big-endian, the JDK's {@code AES/CTR/NoPadding} increment). Mask {@code i} is bytes
 * {@code [8i, 8i + 8)} of the key stream read as a big-endian {@code long}, so block {@code b}
 * carries masks {@code 2b} and {@code 2b + 1}.
 *
 * <p><b>Seekable and deterministic.</b> {@link #masks(int, long)} returns masks
 * {@code [offset, offset + count)}; the result depends only on (seed, domain, position), so
 * {@code masks(10, 0)} followed by {@code masks(5, 10)} equals {@code masks(15, 0)}, and two parties
 * holding the same seed get the same stream however they batch it.
 *
 * <p><b>Security.</b> If the seed is uniform and secret, the stream is indistinguishable from
 * uniform (AES-256 as a PRP, 128-bit security) for any length below 2^64 blocks. Streams of
 * different domains under one seed start at independent pseudorandom counters; they would share
 * key-stream blocks only if the counter ranges overlapped, which for two streams of at most
 * 2^L blocks happens with probability about 2^(L+1-128). The stream carries no integrity.
 * <b>A (seed, domain, position) must mask at most one value</b>: masking two values with the same
 * mask reveals their difference. Use a fresh domain (e.g. {@code "round-1/column-3"}) per use.
 *
 * <p>Immutable and thread-safe (each call uses its own {@link Cipher}). {@link #toString()} shows
 * the domain only, never the seed.
 */
public final class MaskPrg {
  /** Seed length: an AES-256 key. */
  public static final int SEED_BYTES = 32;

  private static final int CHUNK_BLOCKS = 4096;

  private final byte[] seed;
  private final String domain;
  private final byte[] iv;

  private MaskPrg(byte[] seed, String domain) {
    this.seed = seed;
    this.domain = domain;
    this.iv =
        Hkdf.derive(null, seed, ("veil-mask-iv|" + domain).getBytes(StandardCharsets.UTF_8), 16);
  }

  /** The mask stream of {@code domain} under {@code seed} (32 bytes; copied). */
  public static MaskPrg create(byte[] seed, String domain) {
    Objects.requireNonNull(seed, "seed");
    Objects.requireNonNull(domain, "domain");
    if (seed.length != SEED_BYTES) {
      throw new InvalidInputException(
          "Cannot create a mask stream: the seed is " + seed.length + " bytes, not " + SEED_BYTES
              + ". Derive seeds with HKDF to " + SEED_BYTES + " bytes.");
    }
    return new MaskPrg(seed.clone(), domain);
  }

  /** The domain this stream was created for. */
  public String domain() {
    return domain;
  }

  /**
   * Masks for positions {@code [offset, offset + count)}.
   *
   * @throws InvalidInputException if {@code count} or {@code offset} is negative or
   *     {@code offset + count} exceeds {@link Long#MAX_VALUE}
   */
  public long[] masks(int count, long offset) {
    long[] out = new long[checkRange(count, offset)];
    fill(out, offset);
    return out;
  }

  /**
   * The stream read sequentially from position 0 as a {@link java.util.random.RandomGenerator}
   * (each {@code nextLong()} is the next mask). For noise that must be unpredictable to others yet
   * identical when a party re-runs the same job: seed it with a secret derived per job. Not
   * thread-safe.
   */
  public java.util.random.RandomGenerator asRandom() {
    return new java.util.random.RandomGenerator() {
      private final long[] buf = new long[1024];
      private long position;
      private int next = buf.length;

      @Override
      public long nextLong() {
        if (next == buf.length) {
          fill(buf, position);
          position += buf.length;
          next = 0;
        }
        return buf[next++];
      }
    };
  }

  static int checkRange(int count, long offset) {
    if (count < 0 || offset < 0 || offset > Long.MAX_VALUE - count) {
      throw new InvalidInputException(
          "Cannot expand masks for " + count + " positions at offset " + offset
              + ": count and offset must be non-negative and their sum at most 2^63 - 1.");
    }
    return count;
  }

  /** Writes masks {@code [offset, offset + out.length)} into {@code out}. */
  void fill(long[] out, long offset) {
    if (out.length == 0) {
      return;
    }
    long firstBlock = offset >>> 1;
    int skip = (int) (offset & 1); // masks to drop from the first block
    int blocks = (int) ((skip + (long) out.length + 1) >>> 1);
    Cipher cipher;
    try {
      cipher = Cipher.getInstance("AES/CTR/NoPadding");
      cipher.init(
          Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(counterBlock(iv, firstBlock)));
    } catch (GeneralSecurityException e) {
      throw new VeilException("Cannot expand masks: AES-256-CTR is unavailable in this JVM.", e);
    }
    byte[] zeros = new byte[Math.min(blocks, CHUNK_BLOCKS) * 16];
    byte[] stream = new byte[zeros.length];
    ByteBuffer view = ByteBuffer.wrap(stream).order(ByteOrder.BIG_ENDIAN);
    int written = 0;
    int done = 0;
    while (done < blocks) {
      int n = Math.min(blocks - done, CHUNK_BLOCKS);
      try {
        cipher.update(zeros, 0, n * 16, stream, 0);
      } catch (GeneralSecurityException e) {
        throw new VeilException("Cannot expand masks: AES-256-CTR failed.", e);
      }
      int first = done == 0 ? skip : 0;
      for (int m = first; m < 2 * n && written < out.length; m++) {
        out[written++] = view.getLong(m * 8);
      }
      done += n;
    }
  }

  /** {@code iv + block mod 2^128}, big-endian. */
  private static byte[] counterBlock(byte[] iv, long block) {
    byte[] c = iv.clone();
    long carry = block;
    for (int i = 15; i >= 0 && carry != 0; i--) {
      long s = (c[i] & 0xff) + (carry & 0xff);
      c[i] = (byte) s;
      carry = (carry >>> 8) + (s >>> 8);
    }
    return c;
  }

  @Override
  public String toString() {
    return "MaskPrg(domain=" + domain + ")";
  }
}
