package io.veil.crypto.paillier;

import io.veil.crypto.Hkdf;
import io.veil.crypto.Sha256;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Deterministic random bit generator: a 32-byte key {@code K = HKDF-SHA256(salt, seed, label)},
 * then the stream {@code SHA-256(K || counter)} for counter = 0, 1, ... (64-bit big-endian).
 * The same seed, salt and label always give the same stream. Not thread-safe.
 */
final class Drbg {
  private final byte[] input = new byte[Sha256.BYTES + Long.BYTES];
  private final MessageDigest sha = Sha256.newDigest();
  private byte[] block = new byte[0];
  private int blockPos;
  private long counter;

  Drbg(byte[] seed32, byte[] salt, String label) {
    byte[] key = Hkdf.derive(salt, seed32, label.getBytes(StandardCharsets.US_ASCII), Sha256.BYTES);
    System.arraycopy(key, 0, input, 0, Sha256.BYTES);
  }

  void nextBytes(byte[] out) {
    for (int i = 0; i < out.length; i++) {
      if (blockPos == block.length) {
        long c = counter++;
        for (int k = 0; k < Long.BYTES; k++) {
          input[Sha256.BYTES + k] = (byte) (c >>> (56 - 8 * k));
        }
        block = sha.digest(input);
        blockPos = 0;
      }
      out[i] = block[blockPos++];
    }
  }

  /** Big-endian bytes of a uniform integer in [0, 2^bits). */
  byte[] nextBitsBytes(int bits) {
    byte[] b = new byte[(bits + 7) / 8];
    nextBytes(b);
    int excess = b.length * 8 - bits;
    if (excess > 0) {
      b[0] &= (byte) (0xff >>> excess);
    }
    return b;
  }

  /** A uniform integer in [0, 2^bits). */
  BigInteger nextBits(int bits) {
    return new BigInteger(1, nextBitsBytes(bits));
  }

  /** Checks that a seed is present and 32 bytes long. */
  static void checkSeed(byte[] seed32, String what) {
    if (seed32 == null || seed32.length != 32) {
      throw new IllegalArgumentException(
          "Cannot create a Paillier "
              + what
              + ": the seed must be 32 bytes, got "
              + (seed32 == null ? "null" : seed32.length + " bytes")
              + ". Derive it with Hkdf from the party secret and the job id.");
    }
  }
}
