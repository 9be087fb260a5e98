package io.veil.crypto.internal;

import org.bouncycastle.math.ec.rfc7748.X25519;

/** Pure-Java X25519 from BouncyCastle ({@code org.bouncycastle.math.ec.rfc7748.X25519}). */
final class JavaX25519Engine implements X25519Engine {
  static final JavaX25519Engine INSTANCE = new JavaX25519Engine();

  private JavaX25519Engine() {}

  @Override
  public void scalarMult(byte[] k, int kOff, byte[] u, int uOff, byte[] out, int outOff) {
    X25519.scalarMult(k, kOff, u, uOff, out, outOff);
  }

  @Override
  public String name() {
    return "java-bouncycastle";
  }

  @Override
  public String toString() {
    return name();
  }
}
