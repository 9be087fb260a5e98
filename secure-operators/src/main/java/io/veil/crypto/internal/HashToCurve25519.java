package io.veil.crypto.internal;

import java.util.Objects;
import org.bouncycastle.math.ec.rfc7748.X25519Field;

/**
 * Hashing to curve25519 (RFC 9380): suites {@code curve25519_XMD:SHA-512_ELL2_RO_}
 * ({@code hash_to_curve}, random oracle) and {@code curve25519_XMD:SHA-512_ELL2_NU_}
 * ({@code encode_to_curve}, nonuniform), with a caller-chosen domain separation tag.
 *
 * <p>Steps: {@code hash_to_field} with {@code expand_message_xmd}/SHA-512 and L = 48
 * (section 5.2); the Elligator 2 map (section 6.7.1) in the straight-line form of appendix G.2.1;
 * for the RO suite the two mapped points are added; cofactor clearing multiplies by h_eff = 8
 * (section 7). Point addition and doubling are done on the birationally equivalent edwards25519 in
 * extended coordinates, whose formulas are complete, so there are no exceptional cases; a single
 * field inversion returns to the Montgomery u-coordinate at the end (shared across a batch with
 * Montgomery's trick in {@link #hashToUBatch}).
 *
 * <p>The result is encoded as in RFC 7748: the 32-byte little-endian canonical u-coordinate (the
 * identity, reached with negligible probability, encodes as u = 0).
 *
 * <p>Field arithmetic uses BouncyCastle's {@link X25519Field} limbs; square roots use the
 * exponentiation chain of {@link Field25519#powPm5d8}. The computation has no branches or memory
 * accesses that depend on the message (selections use {@code cmov}/{@code cnegate}), apart from
 * what SHA-512 and the JIT do. Immutable and thread-safe.
 */
public final class HashToCurve25519 {
  /** Suite id of the random-oracle variant. */
  public static final String SUITE_RO = "curve25519_XMD:SHA-512_ELL2_RO_";
  /** Suite id of the nonuniform variant. */
  public static final String SUITE_NU = "curve25519_XMD:SHA-512_ELL2_NU_";
  /** Bytes of an encoded u-coordinate. */
  public static final int U_BYTES = 32;

  /** hash_to_field length per element: ceil((ceil(log2(p)) + k) / 8) with k = 128. */
  static final int L = 48;
  private static final int BATCH_CHUNK = 64;

  private final ExpandMessageXmd expander;
  private final int fieldElements;

  private HashToCurve25519(byte[] dst, int fieldElements) {
    this.expander = ExpandMessageXmd.sha512(dst);
    this.fieldElements = fieldElements;
  }

  /** {@code hash_to_curve} of suite {@value #SUITE_RO} with domain separation tag {@code dst}. */
  public static HashToCurve25519 randomOracle(byte[] dst) {
    return new HashToCurve25519(Objects.requireNonNull(dst, "dst").clone(), 2);
  }

  /** {@code encode_to_curve} of suite {@value #SUITE_NU} with domain separation tag {@code dst}. */
  public static HashToCurve25519 nonUniform(byte[] dst) {
    return new HashToCurve25519(Objects.requireNonNull(dst, "dst").clone(), 1);
  }

  public boolean isRandomOracle() {
    return fieldElements == 2;
  }

  /** Writes the 32-byte little-endian u-coordinate of H(msg) to {@code out[outOff...]}. */
  public void hashToU(byte[] msg, byte[] out, int outOff) {
    Objects.checkFromIndexSize(outOff, U_BYTES, out.length);
    Workspace w = new Workspace();
    hashToEdwards(msg, w);
    int[] num = w.f0;
    int[] den = w.f1;
    edwardsToMontgomeryFraction(w.p, num, den);
    int denIsZero = Field25519.isZero(den);
    X25519Field.inv(den, den);
    X25519Field.mul(num, den, num);
    X25519Field.cmov(denIsZero, Field25519.ZERO, 0, num, 0);
    Field25519.encode(num, out, outOff);
  }

  /**
   * Hashes {@code msgs[0..count)} and writes their u-coordinates, 32 bytes each, to {@code
   * out[outOff...]}. Same results as {@link #hashToU} per message, with one field inversion per
   * chunk of messages instead of one per message.
   */
  public void hashToUBatch(byte[][] msgs, int count, byte[] out, int outOff) {
    Objects.checkFromIndexSize(0, count, msgs.length);
    Objects.checkFromIndexSize(outOff, Math.multiplyExact(count, U_BYTES), out.length);
    Workspace w = new Workspace();
    int chunk = Math.min(count, BATCH_CHUNK);
    int[][] nums = new int[chunk][X25519Field.SIZE];
    int[][] prefix = new int[chunk][X25519Field.SIZE];
    int[][] dens = new int[chunk][X25519Field.SIZE];
    int[] zeroMask = new int[chunk];
    int[] acc = X25519Field.create();
    int[] t = X25519Field.create();
    for (int start = 0; start < count; start += chunk) {
      int n = Math.min(chunk, count - start);
      X25519Field.one(acc);
      for (int i = 0; i < n; i++) {
        hashToEdwards(Objects.requireNonNull(msgs[start + i], "element"), w);
        edwardsToMontgomeryFraction(w.p, nums[i], dens[i]);
        zeroMask[i] = Field25519.isZero(dens[i]);
        X25519Field.cmov(zeroMask[i], Field25519.ONE, 0, dens[i], 0);
        X25519Field.mul(acc, dens[i], acc);
        X25519Field.copy(acc, 0, prefix[i], 0);
      }
      X25519Field.inv(acc, acc); // acc = 1 / (d_0 ... d_{n-1})
      for (int i = n - 1; i >= 0; i--) {
        if (i > 0) {
          X25519Field.mul(acc, prefix[i - 1], t); // 1 / d_i
          X25519Field.mul(acc, dens[i], acc); // 1 / (d_0 ... d_{i-1})
        } else {
          X25519Field.copy(acc, 0, t, 0);
        }
        X25519Field.mul(nums[i], t, t);
        X25519Field.cmov(zeroMask[i], Field25519.ZERO, 0, t, 0);
        Field25519.encode(t, out, outOff + (start + i) * U_BYTES);
      }
    }
  }

  /**
   * The full point H(msg) = (u, v) on curve25519, each coordinate as 32 canonical little-endian
   * bytes. For tests and diagnostics; PSI only needs {@link #hashToU}.
   */
  public void hashToPoint(byte[] msg, byte[] uOut, byte[] vOut) {
    Workspace w = new Workspace();
    hashToEdwards(msg, w);
    edwardsToMontgomery(w.p, uOut, vOut);
  }

  /**
   * {@code hash_to_field(msg, count)} with count = 2 (RO) or 1 (NU): the field elements as 32-byte
   * canonical little-endian encodings. For tests.
   */
  public byte[][] hashToField(byte[] msg) {
    int[][] u = new int[fieldElements][X25519Field.SIZE];
    hashToField(msg, u);
    byte[][] out = new byte[fieldElements][U_BYTES];
    for (int i = 0; i < fieldElements; i++) {
      Field25519.encode(u[i], out[i], 0);
    }
    return out;
  }

  /**
   * The Elligator 2 map alone ({@code map_to_curve}, no cofactor clearing) of the field element
   * encoded little-endian in {@code fieldElement}; writes the affine (u, v). For tests.
   */
  public static void mapToCurve(byte[] fieldElement, byte[] uOut, byte[] vOut) {
    Workspace w = new Workspace();
    int[] u = X25519Field.create();
    X25519Field.decode(fieldElement, 0, u);
    int[] xn = X25519Field.create();
    int[] xd = X25519Field.create();
    int[] y = X25519Field.create();
    map(u, xn, xd, y, w);
    X25519Field.inv(xd, xd);
    X25519Field.mul(xn, xd, xn);
    Field25519.encode(xn, uOut, 0);
    Field25519.encode(y, vOut, 0);
  }

  // ---------------------------------------------------------------------------------------------

  private void hashToField(byte[] msg, int[][] u) {
    byte[] uniform = expander.expand(msg, fieldElements * L);
    for (int i = 0; i < fieldElements; i++) {
      Field25519.decodeBigEndian48(uniform, i * L, u[i]);
    }
  }

  /** w.p = clear_cofactor(sum of map_to_curve(u_i)), on edwards25519. */
  private void hashToEdwards(byte[] msg, Workspace w) {
    hashToField(msg, w.u);
    map(w.u[0], w.xn, w.xd, w.y, w);
    toEdwards(w.xn, w.xd, w.y, w.p, w);
    if (fieldElements == 2) {
      map(w.u[1], w.xn, w.xd, w.y, w);
      toEdwards(w.xn, w.xd, w.y, w.q, w);
      add(w.p, w.q, w.p, w);
    }
    dbl(w.p, w.p, w); // h_eff = 8
    dbl(w.p, w.p, w);
    dbl(w.p, w.p, w);
  }

  /**
   * map_to_curve_elligator2_curve25519 (RFC 9380 appendix G.2.1): (xn / xd, y) is a point on
   * curve25519. Constant time.
   */
  static void map(int[] u, int[] xn, int[] xd, int[] y, Workspace w) {
    int[] tv1 = w.m0;
    int[] tv2 = w.m1;
    int[] tv3 = w.m2;
    int[] gxd = w.m3;
    int[] gx1 = w.m4;
    int[] gx2 = w.m5;
    int[] y11 = w.m6;
    int[] y12 = w.m7;
    int[] y21 = w.m8;
    int[] y22 = w.m9;
    int[] y1 = w.m10;
    int[] y2 = w.m11;
    int[] x2n = w.m12;

    X25519Field.sqr(u, tv1);
    X25519Field.add(tv1, tv1, tv1); // tv1 = 2 u^2
    X25519Field.copy(tv1, 0, xd, 0);
    X25519Field.addOne(xd); // xd = 1 + 2 u^2, never 0 since -1/2 is not a square
    X25519Field.sqr(xd, tv2);
    X25519Field.mul(tv2, xd, gxd); // gxd = xd^3
    X25519Field.mul(xd, Field25519.A, gx1);
    X25519Field.add(gx1, Field25519.MINUS_A, gx1); // x1n + A xd
    X25519Field.mul(gx1, Field25519.MINUS_A, gx1);
    X25519Field.add(gx1, tv2, gx1);
    X25519Field.mul(gx1, Field25519.MINUS_A, gx1); // gx1 = x1n^3 + A x1n^2 xd + x1n xd^2
    X25519Field.sqr(gxd, tv3);
    X25519Field.sqr(tv3, tv2); // gxd^4
    X25519Field.mul(tv3, gxd, tv3); // gxd^3
    X25519Field.mul(tv3, gx1, tv3); // gx1 gxd^3
    X25519Field.mul(tv2, tv3, tv2); // gx1 gxd^7
    Field25519.powPm5d8(tv2, y11);
    X25519Field.mul(y11, tv3, y11); // candidate sqrt of gx1 / gxd
    X25519Field.mul(y11, Field25519.SQRT_MINUS_ONE, y12);
    X25519Field.sqr(y11, tv2);
    X25519Field.mul(tv2, gxd, tv2);
    int e1 = Field25519.eq(tv2, gx1);
    X25519Field.copy(y12, 0, y1, 0);
    X25519Field.cmov(e1, y11, 0, y1, 0); // if g(x1) is square, y1 is its root

    X25519Field.mul(Field25519.MINUS_A, tv1, x2n); // x2 = x2n / xd = 2 u^2 x1n / xd
    X25519Field.mul(y11, u, y21);
    X25519Field.mul(y21, Field25519.TWO_POW_P_PLUS_3_DIV_8, y21);
    X25519Field.mul(y21, Field25519.SQRT_MINUS_ONE, y22);
    X25519Field.mul(gx1, tv1, gx2); // g(x2) = gx2 / gxd = 2 u^2 g(x1)
    X25519Field.sqr(y21, tv2);
    X25519Field.mul(tv2, gxd, tv2);
    int e2 = Field25519.eq(tv2, gx2);
    X25519Field.copy(y22, 0, y2, 0);
    X25519Field.cmov(e2, y21, 0, y2, 0); // if g(x2) is square, y2 is its root

    X25519Field.sqr(y1, tv2);
    X25519Field.mul(tv2, gxd, tv2);
    int e3 = Field25519.eq(tv2, gx1);
    X25519Field.copy(x2n, 0, xn, 0);
    X25519Field.cmov(e3, Field25519.MINUS_A, 0, xn, 0);
    X25519Field.copy(y2, 0, y, 0);
    X25519Field.cmov(e3, y1, 0, y, 0);
    // RFC 9380 section 6.7.1 steps 6-7: sgn0(y) == 1 if x = x1, sgn0(y) == 0 if x = x2
    X25519Field.cnegate(Field25519.sgn0(y) ^ (e3 & 1), y);
  }

  /**
   * Montgomery (xn / xd, y) to extended edwards25519 coordinates via the RFC 7748 birational map
   * x = sqrt(-486664) u / v, y = (u - 1) / (u + 1). The only rational Montgomery point with v = 0,
   * (0, 0), maps to the 2-torsion point (0, -1). (u = -1 is not on curve25519.)
   */
  private static void toEdwards(int[] xn, int[] xd, int[] y, EdwardsPoint r, Workspace w) {
    int[] exn = w.f0;
    int[] exd = w.f1;
    int[] eyn = w.f2;
    int[] eyd = w.f3;
    X25519Field.mul(xn, Field25519.SQRT_MINUS_A_PLUS_2, exn);
    X25519Field.mul(xd, y, exd);
    X25519Field.sub(xn, xd, eyn);
    X25519Field.carry(eyn);
    X25519Field.add(xn, xd, eyd);
    X25519Field.carry(eyd);
    int e = Field25519.isZero(exd);
    X25519Field.cmov(e, Field25519.ZERO, 0, exn, 0);
    X25519Field.cmov(e, Field25519.ONE, 0, exd, 0);
    X25519Field.cmov(e, Field25519.MINUS_ONE, 0, eyn, 0);
    X25519Field.cmov(e, Field25519.ONE, 0, eyd, 0);
    X25519Field.mul(exn, eyd, r.x);
    X25519Field.mul(eyn, exd, r.y);
    X25519Field.mul(exd, eyd, r.z);
    X25519Field.mul(exn, eyn, r.t);
  }

  /** u = (Z + Y) / (Z - Y): writes numerator and denominator. */
  private static void edwardsToMontgomeryFraction(EdwardsPoint p, int[] num, int[] den) {
    X25519Field.add(p.z, p.y, num);
    X25519Field.carry(num);
    X25519Field.sub(p.z, p.y, den);
    X25519Field.carry(den);
  }

  /** Affine Montgomery (u, v) of p; u = (Z+Y)/(Z-Y), v = sqrt(-486664) u Z / X. */
  private static void edwardsToMontgomery(EdwardsPoint p, byte[] uOut, byte[] vOut) {
    int[] num = X25519Field.create();
    int[] den = X25519Field.create();
    edwardsToMontgomeryFraction(p, num, den);
    int[] vNum = X25519Field.create();
    int[] vDen = X25519Field.create();
    X25519Field.mul(num, p.z, vNum);
    X25519Field.mul(vNum, Field25519.SQRT_MINUS_A_PLUS_2, vNum);
    X25519Field.mul(den, p.x, vDen);
    int[] uv = X25519Field.create();
    X25519Field.inv(vDen, vDen); // inverse of 0 is 0: v = 0 for the identity and (0, 0)
    X25519Field.mul(vNum, vDen, uv); // v
    Field25519.encode(uv, vOut, 0);
    int denIsZero = Field25519.isZero(den);
    X25519Field.inv(den, den);
    X25519Field.mul(num, den, uv); // u
    X25519Field.cmov(denIsZero, Field25519.ZERO, 0, uv, 0);
    Field25519.encode(uv, uOut, 0);
  }

  /** r = p + q on edwards25519 (a = -1), extended coordinates, add-2008-hwcd-3. */
  private static void add(EdwardsPoint p, EdwardsPoint q, EdwardsPoint r, Workspace w) {
    int[] a = w.e0;
    int[] b = w.e1;
    int[] c = w.e2;
    int[] d = w.e3;
    int[] e = w.e4;
    int[] f = w.e5;
    int[] g = w.e6;
    int[] h = w.e7;
    X25519Field.sub(p.y, p.x, a);
    X25519Field.sub(q.y, q.x, e);
    X25519Field.mul(a, e, a); // A = (Y1 - X1)(Y2 - X2)
    X25519Field.add(p.y, p.x, b);
    X25519Field.add(q.y, q.x, e);
    X25519Field.mul(b, e, b); // B = (Y1 + X1)(Y2 + X2)
    X25519Field.mul(p.t, q.t, c);
    X25519Field.mul(c, Field25519.EDWARDS_2D, c); // C = 2d T1 T2
    X25519Field.mul(p.z, q.z, d);
    X25519Field.add(d, d, d); // D = 2 Z1 Z2
    X25519Field.sub(b, a, e); // E = B - A
    X25519Field.sub(d, c, f); // F = D - C
    X25519Field.carry(f);
    X25519Field.add(d, c, g); // G = D + C
    X25519Field.carry(g);
    X25519Field.add(b, a, h); // H = B + A
    X25519Field.mul(e, f, r.x);
    X25519Field.mul(g, h, r.y);
    X25519Field.mul(e, h, r.t);
    X25519Field.mul(f, g, r.z);
  }

  /** r = 2 p on edwards25519 (a = -1), extended coordinates, dbl-2008-hwcd. */
  private static void dbl(EdwardsPoint p, EdwardsPoint r, Workspace w) {
    int[] a = w.e0;
    int[] b = w.e1;
    int[] c = w.e2;
    int[] e = w.e4;
    int[] f = w.e5;
    int[] g = w.e6;
    int[] h = w.e7;
    X25519Field.sqr(p.x, a); // A = X^2
    X25519Field.sqr(p.y, b); // B = Y^2
    X25519Field.sqr(p.z, c);
    X25519Field.add(c, c, c); // C = 2 Z^2
    X25519Field.add(p.x, p.y, e);
    X25519Field.sqr(e, e);
    X25519Field.sub(e, a, e);
    X25519Field.sub(e, b, e);
    X25519Field.carry(e); // E = (X + Y)^2 - A - B
    X25519Field.sub(b, a, g); // G = -A + B
    X25519Field.sub(g, c, f);
    X25519Field.carry(f); // F = G - C
    X25519Field.add(a, b, h);
    X25519Field.negate(h, h); // H = -A - B
    X25519Field.mul(e, f, r.x);
    X25519Field.mul(g, h, r.y);
    X25519Field.mul(e, h, r.t);
    X25519Field.mul(f, g, r.z);
  }

  /** Extended twisted Edwards coordinates: x = X/Z, y = Y/Z, xy = T/Z. */
  static final class EdwardsPoint {
    final int[] x = X25519Field.create();
    final int[] y = X25519Field.create();
    final int[] z = X25519Field.create();
    final int[] t = X25519Field.create();
  }

  /** Per-call scratch space, so one hash allocates once. */
  static final class Workspace {
    final int[][] u = new int[2][X25519Field.SIZE];
    final int[] xn = X25519Field.create();
    final int[] xd = X25519Field.create();
    final int[] y = X25519Field.create();
    final EdwardsPoint p = new EdwardsPoint();
    final EdwardsPoint q = new EdwardsPoint();
    // map_to_curve temporaries
    final int[] m0 = X25519Field.create();
    final int[] m1 = X25519Field.create();
    final int[] m2 = X25519Field.create();
    final int[] m3 = X25519Field.create();
    final int[] m4 = X25519Field.create();
    final int[] m5 = X25519Field.create();
    final int[] m6 = X25519Field.create();
    final int[] m7 = X25519Field.create();
    final int[] m8 = X25519Field.create();
    final int[] m9 = X25519Field.create();
    final int[] m10 = X25519Field.create();
    final int[] m11 = X25519Field.create();
    final int[] m12 = X25519Field.create();
    // conversion temporaries
    final int[] f0 = X25519Field.create();
    final int[] f1 = X25519Field.create();
    final int[] f2 = X25519Field.create();
    final int[] f3 = X25519Field.create();
    // group law temporaries
    final int[] e0 = X25519Field.create();
    final int[] e1 = X25519Field.create();
    final int[] e2 = X25519Field.create();
    final int[] e3 = X25519Field.create();
    final int[] e4 = X25519Field.create();
    final int[] e5 = X25519Field.create();
    final int[] e6 = X25519Field.create();
    final int[] e7 = X25519Field.create();
  }
}
