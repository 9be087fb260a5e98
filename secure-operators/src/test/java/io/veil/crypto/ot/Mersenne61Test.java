package io.veil.crypto.ot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Mersenne61Test {
  private static final BigInteger P = BigInteger.valueOf(Mersenne61.P);
  private static final long[] EDGES = {0, 1, 2, Mersenne61.P - 1, Mersenne61.P - 2, (1L << 60), (1L << 32) + 7};

  private static BigInteger unsigned(long x) {
    return new BigInteger(Long.toUnsignedString(x));
  }

  private static long[] values(SplittableRandom r, int n) {
    long[] v = new long[n + EDGES.length];
    System.arraycopy(EDGES, 0, v, 0, EDGES.length);
    for (int i = EDGES.length; i < v.length; i++) {
      v[i] = r.nextLong(Mersenne61.P);
    }
    return v;
  }

  @Test
  void modulusIsTwoToTheSixtyOneMinusOne() {
    assertThat(Mersenne61.P).isEqualTo(2305843009213693951L);
    assertThat(P.isProbablePrime(64)).isTrue();
  }

  @Test
  void addSubMulMatchBigIntegerOnRandomAndEdgeValues() {
    long[] v = values(new SplittableRandom(1), 200);
    for (long a : v) {
      for (long b : v) {
        BigInteger ba = BigInteger.valueOf(a);
        BigInteger bb = BigInteger.valueOf(b);
        assertThat(Mersenne61.mul(a, b)).isEqualTo(ba.multiply(bb).mod(P).longValueExact());
        assertThat(Mersenne61.add(a, b)).isEqualTo(ba.add(bb).mod(P).longValueExact());
        assertThat(Mersenne61.sub(a, b)).isEqualTo(ba.subtract(bb).mod(P).longValueExact());
      }
      assertThat(Mersenne61.neg(a)).isEqualTo(BigInteger.valueOf(a).negate().mod(P).longValueExact());
    }
  }

  @Test
  void invMatchesBigIntegerAndInvertsProducts() {
    long[] v = values(new SplittableRandom(2), 300);
    for (long a : v) {
      if (a == 0) {
        continue;
      }
      long inv = Mersenne61.inv(a);
      assertThat(inv).isEqualTo(BigInteger.valueOf(a).modInverse(P).longValueExact());
      assertThat(Mersenne61.mul(a, inv)).isEqualTo(1);
    }
    assertThat(Mersenne61.inv(Mersenne61.P - 1)).isEqualTo(Mersenne61.P - 1);
    assertThatThrownBy(() -> Mersenne61.inv(0)).isInstanceOf(InvalidInputException.class).hasMessageContaining("0");
  }

  @Test
  void reduceAcceptsEveryBitPattern() {
    SplittableRandom r = new SplittableRandom(3);
    long[] special = {-1L, Long.MIN_VALUE, Long.MAX_VALUE, Mersenne61.P, Mersenne61.P + 1, 2 * Mersenne61.P, 0, 7};
    for (long x : special) {
      assertThat(Mersenne61.reduce(x)).isEqualTo(unsigned(x).mod(P).longValueExact());
    }
    byte[] buf = new byte[8];
    for (int i = 0; i < 10_000; i++) {
      long x = r.nextLong();
      assertThat(Mersenne61.reduce(x)).isEqualTo(unsigned(x).mod(P).longValueExact());
      Mersenne61.toLittleEndian(x, buf, 0);
      assertThat(Mersenne61.fromLittleEndian(buf, 0)).isEqualTo(Mersenne61.reduce(x));
    }
    assertThat(buf[0]).isEqualTo((byte) Mersenne61.readLong(buf, 0));
  }

  @Test
  void powFollowsFermat() {
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < 50; i++) {
      long a = 1 + r.nextLong(Mersenne61.P - 1);
      assertThat(Mersenne61.pow(a, Mersenne61.P - 1)).isEqualTo(1);
      long e = r.nextLong(1L << 40);
      long expected = BigInteger.valueOf(a).modPow(BigInteger.valueOf(e), P).longValueExact();
      assertThat(Mersenne61.pow(a, e)).isEqualTo(expected);
    }
  }
}
