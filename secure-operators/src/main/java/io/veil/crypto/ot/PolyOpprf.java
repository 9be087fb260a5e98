package io.veil.crypto.ot;

import io.veil.InvalidInputException;
import io.veil.crypto.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * The polynomial part of a table-based OPPRF (programmable OPRF) in the style of Kolesnikov,
 * Matania, Pinkas, Rosulek and Trieu, "Practical Multi-party Private Set Intersection from
 * Symmetric-Key Techniques" (CCS 2017): per bin, the sender sends the coefficients of a polynomial
 * over F_p (p = 2^61 - 1, {@link Mersenne61}) of degree below β that maps the key point of each of
 * its inputs to the value it programs minus the input's OPRF output. The receiver evaluates the
 * polynomial at the key point of its own input and adds its OPRF output: for a programmed input it
 * gets the programmed value, otherwise a value that is uniform in its view (the OPRF output is).
 *
 * <p><b>Key points.</b> {@link #keyPoint}: {@code SHA-256("veil-mlc/key-point/v1" || input)}, first
 * 8 bytes little-endian, reduced mod p; public, so both parties compute it.
 *
 * <p><b>Padding.</b> {@link #interpolate} pads the k given points to β with points whose abscissas
 * and values are drawn uniformly from the caller's PRG, so the polynomial is uniform among those of
 * degree below β through the k given points: a receiver who does not know the values at the k points
 * learns nothing from the coefficients, not even k.
 *
 * <p><b>Cost.</b> O(β^2) field multiplications and one field inversion per polynomial: the master
 * polynomial M(X) = Π (X - x_i), the denominators d_i = Π_{j≠i} (x_i - x_j) inverted together
 * (Montgomery's batch inversion), and each Lagrange basis polynomial M(X) / (X - x_i) by synthetic
 * division. Stateless.
 */
public final class PolyOpprf {
  private static final byte[] KEY_DOMAIN = "veil-mlc/key-point/v1".getBytes(StandardCharsets.US_ASCII);
  private static final ThreadLocal<MessageDigest> SHA = ThreadLocal.withInitial(Sha256::newDigest);

  private PolyOpprf() {}

  /** The key point of an OPPRF input: a domain-separated SHA-256 of it, reduced into F_p. */
  public static long keyPoint(byte[] input) {
    Objects.requireNonNull(input, "input");
    MessageDigest sha = SHA.get();
    sha.update(KEY_DOMAIN);
    sha.update(input);
    return Mersenne61.fromLittleEndian(sha.digest(), 0);
  }

  /**
   * The coefficients (constant term first, {@code beta} of them) of the polynomial of degree below
   * {@code beta} through the points {@code (xs[i], ys[i])}, i &lt; k, and {@code beta - k} uniform
   * padding points drawn from {@code prg}.
   *
   * @param xs abscissas, canonical and pairwise distinct; the first {@code k} are used
   * @param ys values, canonical; the first {@code k} are used
   * @param k number of given points, 0 .. beta
   * @param beta number of coefficients, 1 or more
   * @param prg source of the padding points
   * @throws InvalidInputException if k is out of range, a value is not canonical, or two abscissas
   *     coincide
   */
  public static long[] interpolate(long[] xs, long[] ys, int k, int beta, SeededPrg prg) {
    long[] out = new long[Math.max(beta, 0)];
    interpolate(xs, ys, k, beta, prg, out, 0);
    return out;
  }

  /** As {@link #interpolate(long[], long[], int, int, SeededPrg)}, into {@code out[off, off + beta)}. */
  public static void interpolate(long[] xs, long[] ys, int k, int beta, SeededPrg prg, long[] out, int off) {
    Objects.requireNonNull(xs, "xs");
    Objects.requireNonNull(ys, "ys");
    Objects.requireNonNull(prg, "prg");
    if (beta < 1) {
      throw new InvalidInputException("Cannot interpolate a polynomial with " + beta + " coefficients: use 1 or more.");
    }
    if (k < 0 || k > beta || k > xs.length || k > ys.length) {
      throw new InvalidInputException(
          "Cannot interpolate " + k + " points into " + beta + " coefficients (xs: " + xs.length + ", ys: "
              + ys.length + "): k must be 0 .. beta and at most the array lengths.");
    }
    Objects.checkFromIndexSize(off, beta, out.length);
    long[] x = new long[beta];
    long[] y = new long[beta];
    for (int i = 0; i < k; i++) {
      if (!Mersenne61.isCanonical(xs[i]) || !Mersenne61.isCanonical(ys[i])) {
        throw new InvalidInputException(
            "Cannot interpolate: point " + i + " is not in F_(2^61-1). Reduce abscissas and values mod p first.");
      }
      for (int j = 0; j < i; j++) {
        if (xs[j] == xs[i]) {
          throw new InvalidInputException(
              "Cannot interpolate: points " + j + " and " + i + " have the same abscissa. The inputs must be "
                  + "distinct (deduplicate them); for distinct inputs a key-point collision has probability "
                  + "about 2^-55, so retry the bucket with a new hash seed.");
        }
      }
      x[i] = xs[i];
      y[i] = ys[i];
    }
    for (int i = k; i < beta; i++) {
      long xi;
      boolean clash;
      do {
        xi = prg.nextField();
        clash = false;
        for (int j = 0; j < i && !clash; j++) {
          clash = x[j] == xi;
        }
      } while (clash);
      x[i] = xi;
      y[i] = prg.nextField();
    }
    // Master polynomial M(X) = prod (X - x_i), monic of degree beta: m[0 .. beta].
    long[] m = new long[beta + 1];
    m[0] = 1;
    for (int i = 0; i < beta; i++) {
      long negX = Mersenne61.neg(x[i]);
      for (int t = i + 1; t >= 1; t--) {
        m[t] = Mersenne61.add(m[t - 1], Mersenne61.mul(negX, m[t]));
      }
      m[0] = Mersenne61.mul(negX, m[0]);
    }
    // Denominators d_i = prod_{j != i} (x_i - x_j), nonzero as the abscissas are distinct.
    long[] d = new long[beta];
    for (int i = 0; i < beta; i++) {
      long di = 1;
      for (int j = 0; j < beta; j++) {
        if (j != i) {
          di = Mersenne61.mul(di, Mersenne61.sub(x[i], x[j]));
        }
      }
      d[i] = di;
    }
    batchInvert(d);
    for (int t = 0; t < beta; t++) {
      out[off + t] = 0;
    }
    for (int i = 0; i < beta; i++) {
      long c = Mersenne61.mul(y[i], d[i]);
      if (c == 0) {
        continue;
      }
      // q(X) = M(X) / (X - x_i): q_{beta-1} = 1, q_{t-1} = m_t + x_i q_t.
      long q = 1;
      out[off + beta - 1] = Mersenne61.add(out[off + beta - 1], c);
      for (int t = beta - 1; t >= 1; t--) {
        q = Mersenne61.add(m[t], Mersenne61.mul(x[i], q));
        out[off + t - 1] = Mersenne61.add(out[off + t - 1], Mersenne61.mul(c, q));
      }
    }
  }

  /** Replaces every (nonzero) element of {@code v} by its inverse, with a single field inversion. */
  static void batchInvert(long[] v) {
    int n = v.length;
    if (n == 0) {
      return;
    }
    long[] prefix = new long[n];
    long acc = 1;
    for (int i = 0; i < n; i++) {
      prefix[i] = acc;
      acc = Mersenne61.mul(acc, v[i]);
    }
    long inv = Mersenne61.inv(acc);
    for (int i = n - 1; i >= 0; i--) {
      long vi = v[i];
      v[i] = Mersenne61.mul(inv, prefix[i]);
      inv = Mersenne61.mul(inv, vi);
    }
  }

  /**
   * The polynomial with coefficients {@code coeffs[off, off + beta)} (constant term first) at
   * {@code x}, by Horner's rule.
   */
  public static long evaluate(long[] coeffs, int off, int beta, long x) {
    Objects.checkFromIndexSize(off, beta, coeffs.length);
    long r = 0;
    for (int t = off + beta - 1; t >= off; t--) {
      r = Mersenne61.add(Mersenne61.mul(r, x), coeffs[t]);
    }
    return r;
  }
}
