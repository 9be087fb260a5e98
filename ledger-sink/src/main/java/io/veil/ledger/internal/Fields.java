package io.veil.ledger.internal;

import io.veil.InvalidInputException;
import io.veil.crypto.IdentityPublicKey;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Field validation for receipts and ledger entries. Messages name the field (qualified, e.g.
 * "receipt.contractHash") and the rule, never the value (values may be job data).
 */
public final class Fields {
  private static final int MAX_CACHED_KEYS = 1024;
  private static final ConcurrentHashMap<String, IdentityPublicKey> VALID_KEYS = new ConcurrentHashMap<>();

  private Fields() {}

  public static String requireText(String value, String field) {
    if (value == null || value.isBlank()) {
      throw invalid(field, "is missing or blank", "Set it to a non-empty value.");
    }
    return value;
  }

  /** Null stays null; otherwise the value must not be blank. */
  public static String optionalText(String value, String field) {
    if (value != null && value.isBlank()) {
      throw invalid(field, "is blank", "Leave it out (null) or set a non-empty value.");
    }
    return value;
  }

  public static String requireHash(String value, String field) {
    if (!Hashes.isLowerHex(value, Hashes.SHA256_BYTES)) {
      throw invalid(field, "must be 64 lowercase hex characters (a SHA-256)" + got(value),
          "Pass the hash as lowercase hex.");
    }
    return value;
  }

  public static String requireHex(String value, String field, boolean allowEmpty) {
    if (!Hashes.isLowerHex(value) || (!allowEmpty && value.isEmpty())) {
      throw invalid(field, "must be " + (allowEmpty ? "" : "non-empty ")
          + "lowercase hex with an even number of digits" + got(value),
          "Encode the bytes as lowercase hex.");
    }
    return value;
  }

  public static String requireSignature(String value, String field) {
    if (!Hashes.isLowerHex(value, IdentityPublicKey.SIGNATURE_BYTES)) {
      throw invalid(field, "must be 128 lowercase hex characters (an Ed25519 signature)"
          + got(value), "Pass the 64-byte signature as lowercase hex.");
    }
    return value;
  }

  /** The canonical text form of an Ed25519 key, exactly as {@link IdentityPublicKey#encoded()}. */
  public static String requirePublicKey(String value, String field) {
    requireText(value, field);
    if (VALID_KEYS.containsKey(value)) {
      return value;
    }
    IdentityPublicKey key;
    try {
      key = IdentityPublicKey.parse(value);
    } catch (InvalidInputException e) {
      throw invalid(field, "is not an ed25519:<base64url> public key",
          "Copy the key printed by 'veil keygen'.");
    }
    if (!key.encoded().equals(value)) {
      throw invalid(field, "is not in canonical form (ed25519: followed by unpadded base64url)",
          "Use the exact text printed by 'veil keygen'.");
    }
    remember(value, key);
    return value;
  }

  /**
   * Parses a key already checked by {@link #requirePublicKey}. Full Ed25519 point validation costs
   * about as much as a signature check, and a ledger repeats the same few keys on every line, so
   * parsed keys (public values) are cached.
   */
  public static IdentityPublicKey publicKey(String canonicalText) {
    IdentityPublicKey key = VALID_KEYS.get(canonicalText);
    if (key == null) {
      key = IdentityPublicKey.parse(canonicalText);
      if (key.encoded().equals(canonicalText)) {
        remember(canonicalText, key);
      }
    }
    return key;
  }

  private static void remember(String text, IdentityPublicKey key) {
    if (VALID_KEYS.size() >= MAX_CACHED_KEYS) {
      VALID_KEYS.clear();
    }
    VALID_KEYS.put(text, key);
  }

  /** An ISO-8601 UTC instant in {@link Instant#toString()} form, e.g. 2024-05-01T10:00:00Z. */
  public static String requireInstant(String value, String field) {
    requireText(value, field);
    Instant parsed;
    try {
      parsed = Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw invalid(field, "is not an ISO-8601 UTC instant",
          "Use the form 2024-05-01T10:00:00Z (Instant.toString()).");
    }
    if (!parsed.toString().equals(value)) {
      throw invalid(field, "is not in canonical ISO-8601 form",
          "Use the form Instant.toString() prints, e.g. 2024-05-01T10:00:00Z.");
    }
    return value;
  }

  public static long requireCount(long value, String field) {
    if (value < 0 || value > CanonicalJson.MAX_SAFE_INTEGER) {
      throw invalid(field, "must be between 0 and 2^53-1", "Pass the count as a non-negative number.");
    }
    return value;
  }

  public static InvalidInputException invalid(String field, String problem, String fix) {
    return new InvalidInputException("Cannot use " + field + ": it " + problem + ". " + fix);
  }

  private static String got(String value) {
    return value == null ? ", got null" : ", got " + value.length() + " characters";
  }
}
