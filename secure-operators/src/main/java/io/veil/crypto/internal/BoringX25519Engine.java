package io.veil.crypto.internal;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;
import javax.crypto.ShortBufferException;

/**
 * X25519 by BoringSSL, as Conscrypt bundles it ({@code org.conscrypt:conscrypt-openjdk-uber}),
 * through Conscrypt's public JCA provider (key agreement {@code XDH}). Use only when {@link
 * #isAvailable()}.
 *
 * <p>A JCA private key is made from the scalar bytes, which costs about as much as a
 * multiplication, so each thread keeps the last scalar's key: a PSI cipher multiplies every point
 * of a partition by one scalar. That key stays in the thread's cache until the thread multiplies by
 * another scalar or ends; it never leaves this JVM.
 *
 * <p>BoringSSL refuses an all-zero result (an error instead of output), where RFC 7748 defines the
 * output as all-zero. On any refusal this engine computes that multiplication with {@link
 * JavaX25519Engine}, so it gives the RFC's output on every input (the Wycheproof vectors include
 * those cases); a PSI cipher rejects such points before it multiplies anyway.
 */
final class BoringX25519Engine implements X25519Engine {
  static final BoringX25519Engine INSTANCE = new BoringX25519Engine();

  /** DER prefixes of an X25519 SubjectPublicKeyInfo and PKCS#8 PrivateKeyInfo (RFC 8410), before the 32 bytes. */
  private static final byte[] SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00};
  private static final byte[] PKCS8_PREFIX = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e,
      0x04, 0x22, 0x04, 0x20};

  private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

  private BoringX25519Engine() {}

  /** Whether Conscrypt's native library loads here and offers X25519. */
  static boolean isAvailable() {
    return Loader.PROVIDER != null;
  }

  /** Why it is not available (for error messages), or null. */
  static String unavailableReason() {
    return Loader.REASON;
  }

  @Override
  public void scalarMult(byte[] k, int kOff, byte[] u, int uOff, byte[] out, int outOff) {
    State s = STATE.get();
    System.arraycopy(u, uOff, s.spki, SPKI_PREFIX.length, BYTES); // first: out may be u, and the fallback reads it
    try {
      if (s.key == null || !Arrays.equals(s.scalar, 0, BYTES, k, kOff, kOff + BYTES)) {
        byte[] der = Arrays.copyOf(PKCS8_PREFIX, PKCS8_PREFIX.length + BYTES);
        System.arraycopy(k, kOff, der, PKCS8_PREFIX.length, BYTES);
        s.key = s.factory.generatePrivate(new PKCS8EncodedKeySpec(der));
        Arrays.fill(der, (byte) 0);
        System.arraycopy(k, kOff, s.scalar, 0, BYTES);
      }
      s.agreement.init(s.key);
      s.agreement.doPhase(s.factory.generatePublic(new X509EncodedKeySpec(s.spki)), true);
      if (s.agreement.generateSecret(out, outOff) != BYTES) {
        throw new IllegalStateException("X25519 gave a result that is not 32 bytes");
      }
    } catch (InvalidKeyException | InvalidKeySpecException e) {
      JavaX25519Engine.INSTANCE.scalarMult(k, kOff, s.spki, SPKI_PREFIX.length, out, outOff);
    } catch (ShortBufferException e) {
      throw new IllegalArgumentException("out has no room for 32 bytes at " + outOff, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Conscrypt's X25519 failed: " + e, e);
    }
  }

  @Override
  public String name() {
    return "native-boringssl";
  }

  @Override
  public String toString() {
    return name();
  }

  /** One thread's JCA objects and the scalar its cached key was made from. */
  private static final class State {
    final byte[] scalar = new byte[BYTES];
    final byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + BYTES);
    final KeyFactory factory;
    final KeyAgreement agreement;
    PrivateKey key;

    State() {
      try {
        factory = KeyFactory.getInstance("XDH", Loader.PROVIDER);
        agreement = KeyAgreement.getInstance("XDH", Loader.PROVIDER);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("Conscrypt offers no XDH here", e);
      }
    }
  }

  /** Loads Conscrypt once; a failure (no native library for this platform) leaves it unavailable. */
  private static final class Loader {
    static final Provider PROVIDER;
    static final String REASON;

    static {
      Provider p = null;
      String reason = null;
      try {
        Provider candidate = org.conscrypt.Conscrypt.newProvider();
        KeyAgreement.getInstance("XDH", candidate);
        KeyFactory.getInstance("XDH", candidate);
        p = candidate;
      } catch (GeneralSecurityException | RuntimeException | LinkageError e) {
        reason = e.toString();
      }
      PROVIDER = p;
      REASON = reason;
    }
  }
}
