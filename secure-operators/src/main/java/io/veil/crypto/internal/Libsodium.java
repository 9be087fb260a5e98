package io.veil.crypto.internal;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.bouncycastle.util.encoders.Hex;

/**
 * Loads the libsodium build bundled in the {@code lazysodium-java} jar (libsodium 1.0.18, for
 * example {@code linux64/libsodium.so}) and binds the few functions Veil uses with a JNA
 * <em>direct mapping</em> (static native methods on {@code byte[]}, the lowest-overhead JNA call).
 *
 * <p>lazysodium's own loader is not used: it needs SLF4J and its resource-loader at run time and
 * binds hundreds of functions through JNA interface proxies. Instead the library resource for the
 * current platform is copied to a fresh owner-only temporary directory, loaded, and the file is
 * deleted again (POSIX keeps the mapping; elsewhere it is deleted at exit).
 *
 * <p>Loading happens once, on first use. If anything fails (unsupported platform, jar missing, JNA
 * missing, {@code sodium_init} failing, or a wrong known-answer from X25519), {@link
 * #isAvailable()} is false and {@link #unavailableReason()} says why; nothing is thrown.
 */
public final class Libsodium {
  private static final System.Logger LOG = System.getLogger(Libsodium.class.getName());

  // RFC 7748 section 5.2, first test vector: a load-time known-answer test.
  private static final byte[] KAT_SCALAR =
      Hex.decode("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
  private static final byte[] KAT_U =
      Hex.decode("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
  private static final byte[] KAT_OUT =
      Hex.decode("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");

  // RFC 8032 section 5.1: the base point B, which is 1 B.
  private static final byte[] KAT_BASE =
      Hex.decode("5866666666666666666666666666666666666666666666666666666666666666");

  private static final String VERSION;
  private static final String FAILURE;
  private static final String EDWARDS_FAILURE;

  static {
    String version = null;
    String failure = null;
    String edwardsFailure = "libsodium itself is unavailable";
    try {
      NativeLibrary library = loadBundled();
      Native.register(Direct.class, library);
      if (Direct.sodium_init() < 0) {
        throw new IllegalStateException("sodium_init() failed");
      }
      byte[] out = new byte[32];
      int rc = Direct.crypto_scalarmult_curve25519(out, KAT_SCALAR.clone(), KAT_U.clone());
      if (rc != 0 || !Arrays.equals(out, KAT_OUT)) {
        throw new IllegalStateException("crypto_scalarmult_curve25519 failed the RFC 7748 known-answer test");
      }
      version = Direct.sodium_version_string();
      LOG.log(System.Logger.Level.DEBUG, "Loaded bundled libsodium {0}", version);
      edwardsFailure = registerEdwards(library);
    } catch (Exception | LinkageError e) {
      failure = e.getClass().getSimpleName() + ": " + e.getMessage();
      LOG.log(System.Logger.Level.DEBUG, "Native libsodium unavailable: {0}", failure);
    }
    VERSION = version;
    FAILURE = failure;
    EDWARDS_FAILURE = edwardsFailure;
  }

  /**
   * Binds the edwards25519 functions on their own, so that a build without them (libsodium before
   * 1.0.18) still serves X25519. Returns null on success, else why not.
   */
  private static String registerEdwards(NativeLibrary library) {
    try {
      Native.register(Edwards.class, library);
      byte[] one = new byte[32];
      one[0] = 1;
      byte[] out = new byte[32];
      if (Edwards.crypto_scalarmult_ed25519_base_noclamp(out, one) != 0 || !Arrays.equals(out, KAT_BASE)) {
        throw new IllegalStateException("crypto_scalarmult_ed25519_base_noclamp failed its known-answer test");
      }
      return null;
    } catch (Exception | LinkageError e) {
      String why = e.getClass().getSimpleName() + ": " + e.getMessage();
      LOG.log(System.Logger.Level.DEBUG, "Native edwards25519 unavailable: {0}", why);
      return why;
    }
  }

  private Libsodium() {}

  /** Whether the native library loaded and passed its known-answer test. */
  public static boolean isAvailable() {
    return FAILURE == null;
  }

  /** Whether libsodium's edwards25519 functions are bound too (libsodium 1.0.18 or later). */
  public static boolean edwardsAvailable() {
    return EDWARDS_FAILURE == null;
  }

  /** Why the edwards25519 functions are unavailable, or null if they are available. */
  public static String edwardsUnavailableReason() {
    return EDWARDS_FAILURE;
  }

  /** Why the library is unavailable, or null if it is available. */
  public static String unavailableReason() {
    return FAILURE;
  }

  /** libsodium's version string (e.g. {@code 1.0.18}), or null if unavailable. */
  public static String version() {
    return VERSION;
  }

  /** Path of the library inside the lazysodium jar for this OS and CPU, or null if none. */
  static String bundledResourcePath() {
    String arch = Platform.ARCH;
    if (Platform.isLinux()) {
      switch (arch) {
        case "x86-64":
          return "linux64/libsodium.so";
        case "x86":
          return "linux/libsodium.so";
        case "aarch64":
          return "arm64/libsodium.so";
        case "arm":
          return "armv6/libsodium.so";
        default:
          return null;
      }
    }
    if (Platform.isMac()) {
      switch (arch) {
        case "aarch64":
          return "mac/aarch64/libsodium.dylib";
        case "x86-64":
          return "mac/intel/libsodium.dylib";
        default:
          return null;
      }
    }
    if (Platform.isWindows()) {
      switch (arch) {
        case "x86-64":
          return "windows64/libsodium.dll";
        case "x86":
          return "windows/libsodium.dll";
        default:
          return null;
      }
    }
    return null;
  }

  private static NativeLibrary loadBundled() throws IOException {
    String resource = bundledResourcePath();
    if (resource == null) {
      throw new UnsupportedOperationException(
          "no bundled libsodium for " + System.getProperty("os.name") + "/" + Platform.ARCH);
    }
    ClassLoader loader = Libsodium.class.getClassLoader();
    URL url = loader == null ? ClassLoader.getSystemResource(resource) : loader.getResource(resource);
    if (url == null) {
      throw new IOException(resource + " not found on the class path (is lazysodium-java present?)");
    }
    Path dir = Files.createTempDirectory("veil-sodium-"); // owner-only permissions on POSIX
    Path file = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
    try (InputStream in = url.openStream()) {
      Files.copy(in, file);
    }
    try {
      return NativeLibrary.getInstance(file.toAbsolutePath().toString());
    } finally {
      try {
        Files.delete(file);
        Files.delete(dir);
      } catch (IOException e) {
        file.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
      }
    }
  }

  /** JNA direct mapping; registered in the static initialiser of {@link Libsodium}. */
  static final class Direct {
    private Direct() {}

    static native int sodium_init();

    static native String sodium_version_string();

    static native int crypto_scalarmult_curve25519(byte[] q, byte[] n, byte[] p);
  }

  /** JNA direct mapping of the edwards25519 functions; registered by {@link #registerEdwards}. */
  static final class Edwards {
    private Edwards() {}

    static native int crypto_scalarmult_ed25519_base_noclamp(byte[] q, byte[] n);

    static native int crypto_scalarmult_ed25519_noclamp(byte[] q, byte[] n, byte[] p);

    static native int crypto_core_ed25519_is_valid_point(byte[] p);

    static native int crypto_core_ed25519_add(byte[] r, byte[] p, byte[] q);

    static native int crypto_core_ed25519_sub(byte[] r, byte[] p, byte[] q);
  }
}
