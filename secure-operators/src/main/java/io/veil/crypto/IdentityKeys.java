package io.veil.crypto;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * A party's Ed25519 signing key (RFC 8032), derived from its {@link PartySecret}. Thread-safe.
 * Signatures are deterministic and carry their {@link SignatureDomain}. {@link #toString()} never shows key material.
 */
public final class IdentityKeys {
  private final byte[] seed;
  private final IdentityPublicKey publicKey;

  private IdentityKeys(byte[] seed) {
    this.seed = seed;
    byte[] pk = new byte[Ed25519.PUBLIC_KEY_SIZE];
    Ed25519.generatePublicKey(seed, 0, pk, 0);
    this.publicKey = IdentityPublicKey.fromBytes(pk);
  }

  /** Uses a 32-byte RFC 8032 private key (seed). The array is copied. */
  public static IdentityKeys fromSeed(byte[] seed32) {
    if (seed32 == null || seed32.length != Ed25519.SECRET_KEY_SIZE) {
      throw new IllegalArgumentException("Ed25519 seed must be 32 bytes");
    }
    return new IdentityKeys(seed32.clone());
  }

  public IdentityPublicKey publicKey() {
    return publicKey;
  }

  /**
   * Signs {@code message} for {@code domain} (Ed25519ctx with the domain's context); returns 64
   * bytes. Only {@link IdentityPublicKey#verify(SignatureDomain, byte[], byte[])} with the same
   * domain accepts it.
   */
  public byte[] sign(SignatureDomain domain, byte[] message) {
    return signWithContext(domain.contextBytes(), message);
  }

  /** Ed25519ctx with an arbitrary context, for the RFC 8032 section 7.2 vectors. */
  byte[] signWithContext(byte[] context, byte[] message) {
    byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
    Ed25519.sign(seed, 0, context, message, 0, message.length, sig, 0);
    return sig;
  }

  /** Pure Ed25519 (no context), for the RFC 8032 section 7.1 vectors; Veil never signs this way. */
  byte[] signPure(byte[] message) {
    byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
    Ed25519.sign(seed, 0, message, 0, message.length, sig, 0);
    return sig;
  }

  @Override
  public String toString() {
    return "IdentityKeys(" + publicKey.encoded() + ")";
  }
}
