package io.veil.crypto.internal;

import io.veil.crypto.InvalidPointException.Reason;
import org.bouncycastle.math.ec.rfc7748.X25519Field;
import org.bouncycastle.util.encoders.Hex;

/**
 * Validation of curve25519 u-coordinates received from a peer. Peer points are public, so these
 * checks may take time that depends on the input.
 */
public final class Curve25519Points {
  /**
   * u-coordinates of the points of order 1 (by the RFC 7748 convention u = 0), 2, 4 and 8 on
   * curve25519. The curve group is cyclic of order 8 * l, so its 8-torsion has exactly these
   * u-values: 0 (orders 1 and 2), 1 (order 4) and two of order 8.
   */
  private static final byte[][] SMALL_ORDER_U = {
    new byte[32],
    Hex.decode("0100000000000000000000000000000000000000000000000000000000000000"),
    Hex.decode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    Hex.decode("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
  };

  private Curve25519Points() {}

  /**
   * Returns null if {@code in[off, off+32)} is the canonical u-coordinate of a point on curve25519
   * (not its twist) that is not of small order; otherwise the reason it is not.
   */
  public static Reason check(byte[] in, int off) {
    if (!isCanonical(in, off)) {
      return Reason.NON_CANONICAL;
    }
    if (isSmallOrder(in, off)) {
      return Reason.SMALL_ORDER;
    }
    return isOnCurve(in, off) ? null : Reason.NOT_ON_CURVE;
  }

  /** Top bit clear and value below p = 2^255 - 19. */
  public static boolean isCanonical(byte[] in, int off) {
    if ((in[off + 31] & 0xFF) > 0x7F) {
      return false;
    }
    if ((in[off + 31] & 0xFF) < 0x7F) {
      return true;
    }
    for (int i = 30; i >= 1; i--) {
      if ((in[off + i] & 0xFF) != 0xFF) {
        return true;
      }
    }
    return (in[off] & 0xFF) < 0xED;
  }

  /** For a canonical encoding: whether it is one of the small-order u-coordinates on the curve. */
  static boolean isSmallOrder(byte[] in, int off) {
    for (byte[] u : SMALL_ORDER_U) {
      boolean eq = true;
      for (int i = 0; i < 32 && eq; i++) {
        eq = in[off + i] == u[i];
      }
      if (eq) {
        return true;
      }
    }
    return false;
  }

  /** Whether u^3 + A u^2 + u is a square (zero included), i.e. u is on the curve, not the twist. */
  public static boolean isOnCurve(byte[] in, int off) {
    int[] u = X25519Field.create();
    X25519Field.decode(in, off, u);
    int[] g = X25519Field.create();
    X25519Field.copy(u, 0, g, 0);
    g[0] += Field25519.A; // u + A
    X25519Field.mul(g, u, g); // u^2 + A u
    X25519Field.addOne(g);
    X25519Field.mul(g, u, g); // u^3 + A u^2 + u
    return Field25519.isSquare(g);
  }
}
