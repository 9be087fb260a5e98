package io.veil.ledger.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** SHA-256 and lowercase-hex helpers shared by the ledger classes. Stateless and thread-safe. */
public final class Hashes {
  public static final int SHA256_BYTES = 32;
  /** Hex of 32 zero bytes: the {@code prevHash} of the first ledger entry. */
  public static final String ZERO_HASH_HEX = "0".repeat(2 * SHA256_BYTES);

  private static final HexFormat HEX = HexFormat.of();
  private static final Pattern LOWER_HEX = Pattern.compile("(?:[0-9a-f]{2})*");

  private Hashes() {}

  public static byte[] sha256(byte[]... parts) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
    for (byte[] p : parts) {
      md.update(p);
    }
    return md.digest();
  }

  public static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  /** Decodes lowercase hex; callers validate with {@link #isLowerHex} first. */
  public static byte[] unhex(String hex) {
    return HEX.parseHex(hex);
  }

  /** True for an even-length string of {@code [0-9a-f]} (the empty string included). */
  public static boolean isLowerHex(String s) {
    return s != null && LOWER_HEX.matcher(s).matches();
  }

  /** True for lowercase hex of exactly {@code bytes} bytes. */
  public static boolean isLowerHex(String s, int bytes) {
    return s != null && s.length() == 2 * bytes && isLowerHex(s);
  }

  /** Constant-time comparison of two hex strings (they are public values; this is hygiene). */
  public static boolean sameHex(String a, String b) {
    return a != null && b != null
        && MessageDigest.isEqual(a.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            b.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** A short form for messages: the first 12 characters and an ellipsis. */
  public static String abbreviate(String s) {
    if (s == null) {
      return "null";
    }
    return s.length() <= 16 ? s : s.substring(0, 12) + "...";
  }
}
