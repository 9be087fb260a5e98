package io.veil.crypto.ot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PolyOpprfTest {
  private static final BigInteger P = BigInteger.valueOf(Mersenne61.P);

  private static SeededPrg prg(String label) {
    return new SeededPrg(OtTestKeys.seed(label), "test", 0);
  }

  private static long[] distinctPoints(SplittableRandom r, int n) {
    long[] xs = new long[n];
    for (int i = 0; i < n; i++) {
      boolean clash;
      do {
        xs[i] = r.nextLong(Mersenne61.P);
        clash = false;
        for (int j = 0; j < i; j++) {
          clash |= xs[j] == xs[i];
        }
      } while (clash);
    }
    return xs;
  }

  /** Lagrange interpolation over BigInteger, with one modular inverse per point. */
  private static long[] lagrange(long[] xs, long[] ys) {
    int n = xs.length;
    BigInteger[] result = new BigInteger[n];
    Arrays.fill(result, BigInteger.ZERO);
    for (int i = 0; i < n; i++) {
      BigInteger[] basis = {BigInteger.ONE};
      BigInteger denom = BigInteger.ONE;
      for (int j = 0; j < n; j++) {
        if (j == i) {
          continue;
        }
        BigInteger xj = BigInteger.valueOf(xs[j]);
        BigInteger[] next = new BigInteger[basis.length + 1];
        Arrays.fill(next, BigInteger.ZERO);
        for (int t = 0; t < basis.length; t++) {
          next[t + 1] = next[t + 1].add(basis[t]);
          next[t] = next[t].subtract(basis[t].multiply(xj));
        }
        basis = next;
        denom = denom.multiply(BigInteger.valueOf(xs[i]).subtract(xj)).mod(P);
      }
      BigInteger c = BigInteger.valueOf(ys[i]).multiply(denom.modInverse(P));
      for (int t = 0; t < n; t++) {
        result[t] = result[t].add(basis[t].multiply(c)).mod(P);
      }
    }
    long[] out = new long[n];
    for (int t = 0; t < n; t++) {
      out[t] = result[t].longValueExact();
    }
    return out;
  }

  @Test
  void interpolationHitsEveryGivenPoint() {
    SplittableRandom r = new SplittableRandom(11);
    SeededPrg prg = prg("hits");
    for (int trial = 0; trial < 200; trial++) {
      int beta = 1 + r.nextInt(40);
      int k = r.nextInt(beta + 1);
      long[] xs = distinctPoints(r, k);
      long[] ys = new long[k];
      for (int i = 0; i < k; i++) {
        ys[i] = r.nextLong(Mersenne61.P);
      }
      long[] c = PolyOpprf.interpolate(xs, ys, k, beta, prg);
      assertThat(c).hasSize(beta);
      for (int i = 0; i < k; i++) {
        assertThat(PolyOpprf.evaluate(c, 0, beta, xs[i])).as("beta %d k %d point %d", beta, k, i).isEqualTo(ys[i]);
      }
    }
  }

  @Test
  void fullInterpolationMatchesBigIntegerLagrange() {
    SplittableRandom r = new SplittableRandom(12);
    for (int beta = 1; beta <= 12; beta++) {
      long[] xs = distinctPoints(r, beta);
      long[] ys = new long[beta];
      for (int i = 0; i < beta; i++) {
        ys[i] = r.nextLong(Mersenne61.P);
      }
      assertThat(PolyOpprf.interpolate(xs, ys, beta, beta, prg("unused"))).containsExactly(lagrange(xs, ys));
    }
    // Edge values, and a known polynomial: 3 + 2X + X^2 through X = 0, 1, p-1.
    long[] xs = {0, 1, Mersenne61.P - 1};
    long[] ys = {3, 6, 2};
    assertThat(PolyOpprf.interpolate(xs, ys, 3, 3, prg("unused")))
        .containsExactly(3, 2, 1)
        .containsExactly(lagrange(xs, ys));
  }

  @Test
  void paddedPolynomialsAgreeOnTheGivenPointsOnly() {
    SplittableRandom r = new SplittableRandom(13);
    int beta = 20;
    int k = 7;
    long[] xs = distinctPoints(r, k + 50);
    long[] ys = new long[k];
    for (int i = 0; i < k; i++) {
      ys[i] = r.nextLong(Mersenne61.P);
    }
    long[] a = PolyOpprf.interpolate(xs, ys, k, beta, prg("pad-a"));
    long[] b = PolyOpprf.interpolate(xs, ys, k, beta, prg("pad-b"));
    assertThat(a).isNotEqualTo(b);
    for (int i = 0; i < k; i++) {
      assertThat(PolyOpprf.evaluate(a, 0, beta, xs[i])).isEqualTo(PolyOpprf.evaluate(b, 0, beta, xs[i]));
    }
    for (int i = k; i < xs.length; i++) {
      long va = PolyOpprf.evaluate(a, 0, beta, xs[i]);
      assertThat(va).isNotEqualTo(PolyOpprf.evaluate(b, 0, beta, xs[i]));
      assertThat(ys).doesNotContain(va);
    }
    // The same PRG stream gives the same polynomial (re-runs are byte-identical).
    assertThat(PolyOpprf.interpolate(xs, ys, k, beta, prg("pad-a"))).containsExactly(a);
  }

  @Test
  void evaluateReadsAtAnOffset() {
    long[] c = {9, 9, 5, 0, 1, 9};
    // 5 + 0 X + 1 X^2 at X = 3
    assertThat(PolyOpprf.evaluate(c, 2, 3, 3)).isEqualTo(14);
  }

  @Test
  void batchInvertMatchesInv() {
    long[] v = {1, 2, Mersenne61.P - 1, 123456789, Mersenne61.P - 2};
    long[] w = v.clone();
    PolyOpprf.batchInvert(w);
    for (int i = 0; i < v.length; i++) {
      assertThat(w[i]).isEqualTo(Mersenne61.inv(v[i]));
    }
  }

  @Test
  void keyPointsAreCanonicalAndDomainSeparated() {
    byte[] in = "alice".getBytes(StandardCharsets.UTF_8);
    long x = PolyOpprf.keyPoint(in);
    assertThat(Mersenne61.isCanonical(x)).isTrue();
    assertThat(PolyOpprf.keyPoint(in.clone())).isEqualTo(x);
    assertThat(PolyOpprf.keyPoint(CuckooHash.oprfInput(in, 0)))
        .isNotEqualTo(PolyOpprf.keyPoint(CuckooHash.oprfInput(in, 1)));
  }

  @Test
  void misuseFailsClearly() {
    long[] xs = {5, 6, 5};
    long[] ys = {1, 2, 3};
    assertThatThrownBy(() -> PolyOpprf.interpolate(xs, ys, 3, 4, prg("x")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("points 0 and 2 have the same abscissa");
    assertThatThrownBy(() -> PolyOpprf.interpolate(xs, ys, 3, 2, prg("x")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("k must be 0 .. beta");
    assertThatThrownBy(() -> PolyOpprf.interpolate(new long[] {Mersenne61.P}, ys, 1, 2, prg("x")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("not in F_(2^61-1)");
  }
}
