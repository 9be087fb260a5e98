package io.veil.crypto.internal;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import java.util.Locale;

/**
 * Chooses the {@link X25519Engine}: BoringSSL (bundled in Conscrypt) when it loads, else native
 * libsodium when it loads, else pure-Java BouncyCastle.
 *
 * <p>The system property {@value #PROPERTY} ({@code auto}, {@code boringssl}, {@code native} or
 * {@code java}; default {@code auto}) forces one ({@code native} is libsodium). The engines compute
 * the same function and pass the same test vectors; the choice only affects speed. Nothing secret
 * is logged: only which engine was chosen and, if a native one could not be loaded, why.
 */
public final class X25519Engines {
  /**
   * System property selecting the engine: {@code auto} (default), {@code boringssl}, {@code native}
   * (libsodium) or {@code java}.
   */
  public static final String PROPERTY = "veil.crypto.x25519";

  private static final System.Logger LOG = System.getLogger(X25519Engines.class.getName());

  private X25519Engines() {}

  /** The pure-Java BouncyCastle engine; always available. */
  public static X25519Engine java() {
    return JavaX25519Engine.INSTANCE;
  }

  /** Whether the native libsodium engine is usable on this machine. */
  public static boolean nativeAvailable() {
    try {
      return Libsodium.isAvailable();
    } catch (LinkageError e) { // JNA itself missing from the class path
      return false;
    }
  }

  /**
   * The native libsodium engine.
   *
   * @throws VeilException if it cannot be loaded here
   */
  public static X25519Engine nativeEngine() {
    if (!nativeAvailable()) {
      String reason;
      try {
        reason = Libsodium.unavailableReason();
      } catch (LinkageError e) {
        reason = e.toString();
      }
      throw new VeilException(
          "Cannot use the native X25519 engine: libsodium could not be loaded ("
              + reason + "). Put lazysodium-java and JNA on the class path, "
              + "or set -D" + PROPERTY + "=java (or auto) to use the pure-Java engine.");
    }
    return SodiumX25519Engine.INSTANCE;
  }

  /** Whether the BoringSSL engine (Conscrypt's native library) is usable on this machine. */
  public static boolean boringAvailable() {
    return BoringX25519Engine.isAvailable();
  }

  /**
   * The BoringSSL engine, through Conscrypt's JCA provider.
   *
   * @throws VeilException if it cannot be loaded here
   */
  public static X25519Engine boringEngine() {
    if (!boringAvailable()) {
      throw new VeilException("Cannot use the BoringSSL X25519 engine: Conscrypt could not be loaded ("
          + BoringX25519Engine.unavailableReason() + "). Put conscrypt-openjdk-uber on the class path, "
          + "or set -D" + PROPERTY + "=native (libsodium), java or auto.");
    }
    return BoringX25519Engine.INSTANCE;
  }

  /** BoringSSL if available, else libsodium if available, else Java. */
  public static X25519Engine auto() {
    if (boringAvailable()) {
      return BoringX25519Engine.INSTANCE;
    }
    return nativeAvailable() ? SodiumX25519Engine.INSTANCE : JavaX25519Engine.INSTANCE;
  }

  /**
   * The engine for a mode: {@code auto}, {@code boringssl}, {@code native} or {@code java}
   * (case-insensitive; null or blank means {@code auto}).
   *
   * @throws InvalidInputException for any other value
   * @throws VeilException if {@code boringssl} or {@code native} is requested but unavailable
   */
  public static X25519Engine forMode(String mode) {
    String m = mode == null ? "" : mode.trim().toLowerCase(Locale.ROOT);
    X25519Engine engine;
    switch (m) {
      case "":
      case "auto":
        engine = auto();
        break;
      case "java":
        engine = java();
        break;
      case "native":
        engine = nativeEngine();
        break;
      case "boringssl":
        engine = boringEngine();
        break;
      default:
        throw new InvalidInputException(
            "Cannot choose an X25519 engine: " + PROPERTY + "='" + mode
                + "' is not one of auto, boringssl, native, java. Fix or remove the system property.");
    }
    LOG.log(System.Logger.Level.DEBUG, "X25519 engine for mode ''{0}'': {1}", m.isEmpty() ? "auto" : m, engine.name());
    return engine;
  }

  /**
   * The engine selected by the system property {@value #PROPERTY}, resolved on first successful
   * call and then reused.
   */
  public static X25519Engine configured() {
    X25519Engine engine = configured;
    if (engine == null) {
      engine = forMode(System.getProperty(PROPERTY));
      configured = engine;
    }
    return engine;
  }

  /**
   * The edwards25519 group of the base OTs, following the same property: libsodium's when the
   * configured X25519 engine is a native one and libsodium loads and binds its edwards25519
   * functions, else pure Java. Both give the same results; the choice only affects speed.
   */
  public static Ed25519Group edwards() {
    return !(configured() instanceof JavaX25519Engine) && nativeAvailable() && Libsodium.edwardsAvailable()
        ? SodiumEd25519Group.INSTANCE
        : JavaEd25519Group.INSTANCE;
  }

  /** The pure-Java edwards25519 group; always available. */
  public static Ed25519Group javaEdwards() {
    return JavaEd25519Group.INSTANCE;
  }

  /**
   * The native libsodium edwards25519 group.
   *
   * @throws VeilException if it cannot be loaded here
   */
  public static Ed25519Group nativeEdwards() {
    nativeEngine(); // throws, naming the reason, if libsodium itself did not load
    if (!Libsodium.edwardsAvailable()) {
      throw new VeilException(
          "Cannot use the native edwards25519 group: " + Libsodium.edwardsUnavailableReason()
              + ". Use libsodium 1.0.18 or later (lazysodium-java 5.1), or set -D" + PROPERTY + "=java.");
    }
    return SodiumEd25519Group.INSTANCE;
  }

  /**
   * Loads the configured engines on a daemon thread, once per JVM, so that a job's first
   * multiplication does not pay for loading JNA and libsodium (a few hundred milliseconds cold).
   * Returns at once; harmless to call again or beside the first real use.
   */
  public static void preloadInBackground() {
    if (PRELOADING.compareAndSet(false, true)) {
      Thread t = new Thread(() -> {
        try {
          configured();
          byte[] one = new byte[32];
          one[0] = 1;
          edwards().baseMul(one);
        } catch (RuntimeException | LinkageError e) {
          // The real first use reports the problem, with the job's context.
          LOG.log(System.Logger.Level.DEBUG, "Preloading the crypto engines failed: {0}", e.toString());
        }
      }, "veil-crypto-preload");
      t.setDaemon(true);
      t.start();
    }
  }

  private static final java.util.concurrent.atomic.AtomicBoolean PRELOADING =
      new java.util.concurrent.atomic.AtomicBoolean();
  private static volatile X25519Engine configured;
}
