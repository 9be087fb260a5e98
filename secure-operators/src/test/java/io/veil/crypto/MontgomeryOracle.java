package io.veil.crypto;

import java.math.BigInteger;

/**
 * Slow, obviously-correct BigInteger arithmetic on curve25519 (v^2 = u^3 + 486662 u^2 + u over
 * p = 2^255 - 19), independent of the code under test. For test oracles only.
 */
public final class MontgomeryOracle {
  public static final BigInteger P = BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));
  public static final BigInteger A = BigInteger.valueOf(486662);
  /** Order of the prime-order subgroup: 2^252 + 27742317777372353535851937790883648493. */
  public static final BigInteger L =
      BigInteger.ONE.shiftLeft(252).add(new BigInteger("27742317777372353535851937790883648493"));

  private static final BigInteger A24 = BigInteger.valueOf(121665);

  private MontgomeryOracle() {}

  /** u^3 + A u^2 + u mod p. */
  public static BigInteger rhs(BigInteger u) {
    return u.pow(3).add(A.multiply(u.pow(2))).add(u).mod(P);
  }

  /** Euler's criterion: x is zero or a square mod p. */
  public static boolean isSquare(BigInteger x) {
    BigInteger e = x.mod(P).modPow(P.subtract(BigInteger.ONE).shiftRight(1), P);
    return !e.equals(P.subtract(BigInteger.ONE));
  }

  /** u is the u-coordinate of a point on the curve (not only on the twist). */
  public static boolean onCurve(BigInteger u) {
    return isSquare(rhs(u));
  }

  /**
   * Projective x-only Montgomery ladder (RFC 7748 section 5, without clamping): returns {X, Z}
   * with u([n]P) = X / Z; Z = 0 means the identity.
   */
  public static BigInteger[] ladder(BigInteger n, BigInteger u) {
    BigInteger x1 = u.mod(P);
    BigInteger x2 = BigInteger.ONE;
    BigInteger z2 = BigInteger.ZERO;
    BigInteger x3 = x1;
    BigInteger z3 = BigInteger.ONE;
    for (int t = n.bitLength() - 1; t >= 0; t--) {
      boolean bit = n.testBit(t);
      if (bit) {
        BigInteger s = x2;
        x2 = x3;
        x3 = s;
        s = z2;
        z2 = z3;
        z3 = s;
      }
      BigInteger a = x2.add(z2);
      BigInteger aa = a.multiply(a).mod(P);
      BigInteger b = x2.subtract(z2);
      BigInteger bb = b.multiply(b).mod(P);
      BigInteger e = aa.subtract(bb).mod(P);
      BigInteger c = x3.add(z3);
      BigInteger d = x3.subtract(z3);
      BigInteger da = d.multiply(a).mod(P);
      BigInteger cb = c.multiply(b).mod(P);
      x3 = da.add(cb).pow(2).mod(P);
      z3 = x1.multiply(da.subtract(cb).pow(2)).mod(P);
      x2 = aa.multiply(bb).mod(P);
      z2 = e.multiply(aa.add(A24.multiply(e))).mod(P);
      if (bit) {
        BigInteger s = x2;
        x2 = x3;
        x3 = s;
        s = z2;
        z2 = z3;
        z3 = s;
      }
    }
    return new BigInteger[] {x2, z2};
  }

  /** Whether [n]P is the identity, for P with u-coordinate u. */
  public static boolean multipleIsIdentity(BigInteger n, BigInteger u) {
    return ladder(n, u)[1].signum() == 0;
  }

  /** Small order: [8]P is the identity (u = 0 counts: it is the 2-torsion point). */
  public static boolean hasSmallOrder(BigInteger u) {
    return multipleIsIdentity(BigInteger.valueOf(8), u);
  }
}
