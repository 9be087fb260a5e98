package io.veil.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 (FIPS 180-4) from the JDK, without the checked exception every caller would repeat. */
public final class Sha256 {
  public static final int BYTES = 32;

  /** Never updated: cloned, which is several times cheaper than looking the provider up per digest. */
  private static final MessageDigest PROTOTYPE = create();

  private Sha256() {}

  /**
   * A fresh digest; not thread-safe, like every {@link MessageDigest}. Callers make one per row or
   * per key, so it is a clone of a prototype rather than a provider lookup.
   */
  public static MessageDigest newDigest() {
    try {
      return (MessageDigest) PROTOTYPE.clone();
    } catch (CloneNotSupportedException e) {
      return create();
    }
  }

  private static MessageDigest create() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK must provide SHA-256", e);
    }
  }

  public static byte[] hash(byte[] data) {
    return newDigest().digest(data);
  }
}
