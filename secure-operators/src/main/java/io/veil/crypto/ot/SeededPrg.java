package io.veil.crypto.ot;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import io.veil.crypto.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A deterministic pseudorandom stream for one purpose of one party in one bucket: AES-256 in counter
 * mode encrypting zeros, key {@code SHA-256("veil-mlc/prg/v1" || seed || 0x00 || purpose (UTF-8) ||
 * 0x00 || bucket (4 bytes BE))}, counter starting at 0. Distinct purposes and buckets use
 * independent keys, so the order in which a party draws from its streams does not matter and a
 * re-run with the same seed draws the same values. The seed must be uniform, secret and 32 bytes.
 *
 * <p>Field elements and values in Z_n are drawn by rejection sampling, so they are exactly uniform
 * (given a uniform stream). Not thread-safe: one instance per stream and thread.
 */
public final class SeededPrg {
  /** Seed length, in bytes. */
  public static final int SEED_BYTES = 32;

  private static final byte[] DOMAIN = "veil-mlc/prg/v1".getBytes(StandardCharsets.US_ASCII);
  private static final int BUFFER_BYTES = 4096;

  private final Cipher cipher;
  private final byte[] zeros = new byte[BUFFER_BYTES];
  private final byte[] buffer = new byte[BUFFER_BYTES];
  private int pos = BUFFER_BYTES;

  /**
   * @param seed 32 uniform secret bytes (not kept)
   * @param purpose a label naming the values drawn, distinct per use under one seed
   * @param bucket the bucket the stream serves
   */
  public SeededPrg(byte[] seed, String purpose, int bucket) {
    Objects.requireNonNull(seed, "seed");
    Objects.requireNonNull(purpose, "purpose");
    if (seed.length != SEED_BYTES) {
      throw new InvalidInputException(
          "Cannot create a PRG from a " + seed.length + "-byte seed: use " + SEED_BYTES + " uniform secret bytes.");
    }
    MessageDigest sha = Sha256.newDigest();
    sha.update(DOMAIN);
    sha.update(seed);
    sha.update((byte) 0);
    sha.update(purpose.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(new byte[] {(byte) (bucket >>> 24), (byte) (bucket >>> 16), (byte) (bucket >>> 8), (byte) bucket});
    byte[] key = sha.digest();
    try {
      cipher = Cipher.getInstance("AES/CTR/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
    } catch (GeneralSecurityException e) {
      throw new VeilException("Cannot create the PRG: AES-256-CTR is unavailable in this JVM.", e);
    }
  }

  private void refill() {
    try {
      cipher.update(zeros, 0, BUFFER_BYTES, buffer, 0);
    } catch (ShortBufferException e) {
      throw new IllegalStateException(e);
    }
    pos = 0;
  }

  /** The next 8 bytes as a little-endian 64-bit integer (uniform over all 2^64 values). */
  public long nextLong() {
    if (pos + 8 > BUFFER_BYTES) {
      refill();
    }
    long v = Mersenne61.readLong(buffer, pos);
    pos += 8;
    return v;
  }

  /** The next byte, 0 .. 255. */
  public int nextByte() {
    if (pos == BUFFER_BYTES) {
      refill();
    }
    return buffer[pos++] & 0xFF;
  }

  /** A uniform element of F_p, p = 2^61 - 1 ({@link Mersenne61}). */
  public long nextField() {
    while (true) {
      long v = nextLong() >>> 3;
      if (v != Mersenne61.P) {
        return v;
      }
    }
  }

  /** A uniform value in {@code [0, bound)}, for {@code 1 <= bound <= 256}. */
  public int nextBelow(int bound) {
    if (bound < 1 || bound > 256) {
      throw new InvalidInputException("Cannot draw below " + bound + ": the bound must be 1 .. 256.");
    }
    int limit = 256 - 256 % bound;
    while (true) {
      int v = nextByte();
      if (v < limit) {
        return v % bound;
      }
    }
  }

  @Override
  public String toString() {
    return "SeededPrg(key=***)";
  }
}
