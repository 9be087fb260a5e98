package io.veil.crypto;

import io.veil.InvalidInputException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * A party's Ed25519 public key (RFC 8032), as pinned in job specs. Immutable, thread-safe.
 *
 * <p>Text form: {@code ed25519:<base64url without padding of the 32-byte key>}.
 */
public final class IdentityPublicKey implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final String PREFIX = "ed25519:";
  public static final int KEY_BYTES = Ed25519.PUBLIC_KEY_SIZE;
  public static final int SIGNATURE_BYTES = Ed25519.SIGNATURE_SIZE;

  private final byte[] key;

  private IdentityPublicKey(byte[] key) {
    this.key = key;
  }

  /** Wraps 32 raw bytes; rejects encodings that are not a valid Ed25519 point. */
  public static IdentityPublicKey fromBytes(byte[] raw) {
    if (raw == null || raw.length != KEY_BYTES || !Ed25519.validatePublicKeyFull(raw, 0)) {
      throw new InvalidInputException(
          "Cannot use public key: it is not a valid 32-byte Ed25519 key. "
              + "Copy the key printed by 'veil keygen' into the spec.");
    }
    return new IdentityPublicKey(raw.clone());
  }

  /** Parses the text form {@code ed25519:<base64url>}. */
  public static IdentityPublicKey parse(String text) {
    if (text == null || !text.startsWith(PREFIX)) {
      throw new InvalidInputException(
          "Cannot parse public key '" + text + "': it must start with '" + PREFIX + "'. "
              + "Copy the key printed by 'veil keygen' into the spec.");
    }
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(text.substring(PREFIX.length()).trim());
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          "Cannot parse public key '" + text + "': it is not base64url. "
              + "Copy the key printed by 'veil keygen' into the spec.");
    }
    return fromBytes(raw);
  }

  public byte[] bytes() {
    return key.clone();
  }

  public String encoded() {
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(key);
  }

  /**
   * Verifies a 64-byte signature made by {@link IdentityKeys#sign(SignatureDomain, byte[])} for
   * {@code domain}; a signature made for another domain does not verify.
   */
  public boolean verify(SignatureDomain domain, byte[] message, byte[] signature) {
    return verifyWithContext(domain.contextBytes(), message, signature);
  }

  /** Ed25519ctx verification with an arbitrary context, for the RFC 8032 section 7.2 vectors. */
  boolean verifyWithContext(byte[] context, byte[] message, byte[] signature) {
    if (signature == null || signature.length != SIGNATURE_BYTES) {
      return false;
    }
    return Ed25519.verify(signature, 0, key, 0, context, message, 0, message.length);
  }

  /** Pure Ed25519 verification (no context), for RFC 8032 section 7.1 and Wycheproof vectors. */
  boolean verifyPure(byte[] message, byte[] signature) {
    if (signature == null || signature.length != SIGNATURE_BYTES) {
      return false;
    }
    return Ed25519.verify(signature, 0, key, 0, message, 0, message.length);
  }

  /**
   * Java deserialisation bypasses {@link #fromBytes}; re-validate (and copy) the key so that a
   * tampered serialised form cannot produce an invalid key.
   */
  private Object readResolve() {
    return fromBytes(key);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IdentityPublicKey && Arrays.equals(key, ((IdentityPublicKey) o).key);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key);
  }

  @Override
  public String toString() {
    return encoded();
  }
}
