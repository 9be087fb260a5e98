package io.veil.blacklist.internal;

import io.veil.crypto.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * How an id's OPRF output becomes its record in an encoded list: a 16-byte tag (what the querier
 * looks up) and, for a list with reasons, a sealed reason of {@link #PAYLOAD_BYTES} bytes that only
 * whoever knows the id's OPRF output can open. Tag and sealing key are independent hashes of the
 * output, so a tag reveals nothing about the reason.
 */
public final class ListCodec {
  /** Bytes of a tag: 128 bits, so false matches have probability about queries * list / 2^128. */
  public static final int TAG_BYTES = 16;

  /** Bytes of a sealed reason: one length byte and up to {@link #MAX_REASON_BYTES} UTF-8 bytes. */
  public static final int PAYLOAD_BYTES = 24;

  /** The longest reason code, in UTF-8 bytes. */
  public static final int MAX_REASON_BYTES = PAYLOAD_BYTES - 1;

  /** The length byte of a record without a reason. */
  private static final byte NO_REASON = (byte) 0xff;

  private static final byte[] TAG_DOMAIN = "veil-blacklist-tag/v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SEAL_DOMAIN = "veil-blacklist-seal/v1".getBytes(StandardCharsets.US_ASCII);

  private ListCodec() {}

  /** The tag of an id whose OPRF output is {@code output}. */
  public static byte[] tag(byte[] output) {
    return Arrays.copyOf(hash(TAG_DOMAIN, output), TAG_BYTES);
  }

  /**
   * The sealed form of {@code reason} (which may be null: no reason given) under the id's OPRF output.
   *
   * @throws IllegalArgumentException if the reason is longer than {@link #MAX_REASON_BYTES} bytes
   */
  public static byte[] seal(byte[] output, String reason) {
    byte[] text = reason == null ? new byte[0] : reason.getBytes(StandardCharsets.UTF_8);
    if (text.length > MAX_REASON_BYTES) {
      throw new IllegalArgumentException("a reason code has at most " + MAX_REASON_BYTES + " UTF-8 bytes");
    }
    byte[] plain = new byte[PAYLOAD_BYTES];
    plain[0] = reason == null ? NO_REASON : (byte) text.length;
    System.arraycopy(text, 0, plain, 1, text.length);
    xor(plain, hash(SEAL_DOMAIN, output));
    return plain;
  }

  /**
   * Opens a sealed reason with the id's OPRF output; null when none was given, or when what is sealed
   * is not a reason (another id's record, or a corrupt copy).
   */
  public static String open(byte[] output, byte[] sealed) {
    if (sealed.length != PAYLOAD_BYTES) {
      return null;
    }
    byte[] plain = sealed.clone();
    xor(plain, hash(SEAL_DOMAIN, output));
    boolean none = plain[0] == NO_REASON;
    int n = none ? 0 : plain[0] & 0xff;
    if (n > MAX_REASON_BYTES) {
      return null;
    }
    for (int i = 1 + n; i < PAYLOAD_BYTES; i++) {
      if (plain[i] != 0) {
        return null;
      }
    }
    return none ? null : new String(plain, 1, n, StandardCharsets.UTF_8);
  }

  private static byte[] hash(byte[] domain, byte[] output) {
    MessageDigest sha = Sha256.newDigest();
    sha.update(domain);
    sha.update(output);
    return sha.digest();
  }

  private static void xor(byte[] into, byte[] key) {
    for (int i = 0; i < into.length; i++) {
      into[i] ^= key[i];
    }
  }
}
