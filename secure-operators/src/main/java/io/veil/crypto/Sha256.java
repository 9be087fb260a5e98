package io.veil.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 (FIPS 180-4) from the JDK, without the checked exception every caller would repeat. */
public final class Sha256 {
  public static final int BYTES = 32;

  private Sha256() {}

  /** A fresh digest; not thread-safe, like every {@link MessageDigest}. */
  public static MessageDigest newDigest() {
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
