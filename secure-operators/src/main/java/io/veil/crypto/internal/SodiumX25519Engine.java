package io.veil.crypto.internal;

import java.util.Arrays;

/**
 * X25519 by libsodium's {@code crypto_scalarmult_curve25519}, called through a JNA direct mapping
 * (see {@link Libsodium}). Use only when {@link Libsodium#isAvailable()}.
 *
 * <p>libsodium returns -1, leaving the output undefined, when {@code u} is one of the small-order
 * encodings it blacklists or when the result is all-zero; in both cases RFC 7748 defines the
 * output as all-zero, which this engine then writes, so it matches {@link JavaX25519Engine} on
 * every input.
 */
final class SodiumX25519Engine implements X25519Engine {
  static final SodiumX25519Engine INSTANCE = new SodiumX25519Engine();

  private SodiumX25519Engine() {
    Libsodium.isAvailable(); // runs the loader, which registers the native methods
  }

  @Override
  public void scalarMult(byte[] k, int kOff, byte[] u, int uOff, byte[] out, int outOff) {
    byte[] n = (kOff == 0 && k.length == BYTES) ? k : Arrays.copyOfRange(k, kOff, kOff + BYTES);
    byte[] p = Arrays.copyOfRange(u, uOff, uOff + BYTES);
    boolean direct = outOff == 0 && out.length == BYTES && out != u;
    byte[] q = direct ? out : new byte[BYTES];
    int rc = Libsodium.Direct.crypto_scalarmult_curve25519(q, n, p);
    if (rc != 0) {
      Arrays.fill(q, (byte) 0);
    }
    if (!direct) {
      System.arraycopy(q, 0, out, outOff, BYTES);
    }
    if (n != k) {
      Arrays.fill(n, (byte) 0);
    }
  }

  @Override
  public String name() {
    return "native-libsodium";
  }

  @Override
  public String toString() {
    return name();
  }
}
