package io.veil.crypto.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bouncycastle.math.ec.rfc7748.X25519Field;
import org.junit.jupiter.api.Test;

/** Field25519 against BigInteger arithmetic, including the values around p. */
class Field25519Test {
  private static final BigInteger P = Field25519.P;
  private static final BigInteger A = BigInteger.valueOf(486662);
  private final Random random = new Random(20251122);

  private List<BigInteger> samples() {
    List<BigInteger> out = new ArrayList<>();
    for (long v : new long[] {0, 1, 2, 3, 18, 19, 20, 486662}) {
      out.add(BigInteger.valueOf(v));
      out.add(P.subtract(BigInteger.valueOf(v)).mod(P));
    }
    out.add(BigInteger.ONE.shiftLeft(254));
    out.add(BigInteger.ONE.shiftLeft(254).subtract(BigInteger.ONE));
    for (int i = 0; i < 200; i++) {
      out.add(new BigInteger(255, random).mod(P));
    }
    return out;
  }

  private static BigInteger legendre(BigInteger x) {
    return x.modPow(P.subtract(BigInteger.ONE).shiftRight(1), P);
  }

  @Test
  void constantsHaveTheirDefiningProperties() {
    BigInteger i = Field25519.toBigInteger(Field25519.SQRT_MINUS_ONE);
    assertThat(i.multiply(i).mod(P)).isEqualTo(P.subtract(BigInteger.ONE));
    BigInteger c2 = Field25519.toBigInteger(Field25519.TWO_POW_P_PLUS_3_DIV_8);
    assertThat(c2).isEqualTo(BigInteger.TWO.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P));
    BigInteger s = Field25519.toBigInteger(Field25519.SQRT_MINUS_A_PLUS_2);
    assertThat(s.multiply(s).mod(P)).isEqualTo(BigInteger.valueOf(-486664).mod(P));
    BigInteger d2 = Field25519.toBigInteger(Field25519.EDWARDS_2D);
    BigInteger d = BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
    assertThat(d2).isEqualTo(d.shiftLeft(1).mod(P));
    assertThat(Field25519.toBigInteger(Field25519.MINUS_A)).isEqualTo(A.negate().mod(P));
    assertThat(Field25519.toBigInteger(Field25519.MINUS_ONE)).isEqualTo(P.subtract(BigInteger.ONE));
  }

  @Test
  void encodeIsCanonicalForNonCanonicalInputs() {
    // decode keeps 255 bits; values in [p, 2^255) must encode reduced
    for (long k = 0; k < 19; k++) {
      BigInteger v = P.add(BigInteger.valueOf(k));
      byte[] le = Field25519.toLittleEndian32(v);
      int[] x = X25519Field.create();
      X25519Field.decode(le, 0, x);
      assertThat(Field25519.toBigInteger(x)).isEqualTo(BigInteger.valueOf(k));
    }
  }

  @Test
  void subtractionResultsNormaliseCorrectlyIncludingNegativeIntermediates() {
    List<BigInteger> s = samples();
    for (int i = 0; i < s.size(); i++) {
      BigInteger a = s.get(i);
      BigInteger b = s.get((i * 7 + 3) % s.size());
      int[] x = Field25519.fromBigInteger(a);
      int[] y = Field25519.fromBigInteger(b);
      int[] z = X25519Field.create();
      X25519Field.sub(x, y, z);
      X25519Field.carry(z);
      assertThat(Field25519.toBigInteger(z)).isEqualTo(a.subtract(b).mod(P));
      X25519Field.sub(x, y, z);
      X25519Field.mul(z, z, z);
      assertThat(Field25519.toBigInteger(z)).isEqualTo(a.subtract(b).pow(2).mod(P));
      assertThat(Field25519.eq(x, y) != 0).isEqualTo(a.equals(b));
    }
  }

  @Test
  void decodeBigEndian48ReducesModP() {
    for (int i = 0; i < 300; i++) {
      byte[] be = new byte[48];
      random.nextBytes(be);
      if (i == 0) {
        java.util.Arrays.fill(be, (byte) 0xFF);
      } else if (i == 1) {
        java.util.Arrays.fill(be, (byte) 0);
      }
      int[] z = X25519Field.create();
      Field25519.decodeBigEndian48(be, 0, z);
      assertThat(Field25519.toBigInteger(z)).isEqualTo(new BigInteger(1, be).mod(P));
    }
  }

  @Test
  void powPm5d8AndLegendreMatchModPow() {
    for (BigInteger a : samples()) {
      int[] x = Field25519.fromBigInteger(a);
      int[] z = X25519Field.create();
      Field25519.powPm5d8(x, z);
      assertThat(Field25519.toBigInteger(z)).isEqualTo(a.modPow(P.subtract(BigInteger.valueOf(5)).shiftRight(3), P));
      Field25519.legendre(x, z);
      assertThat(Field25519.toBigInteger(z)).isEqualTo(legendre(a));
      assertThat(Field25519.isSquare(x)).isEqualTo(!legendre(a).equals(P.subtract(BigInteger.ONE)));
    }
  }

  @Test
  void sgn0IsParityOfCanonicalValue() {
    for (BigInteger a : samples()) {
      int[] x = Field25519.fromBigInteger(a);
      assertThat(Field25519.sgn0(x)).isEqualTo(a.testBit(0) ? 1 : 0);
      int[] n = X25519Field.create();
      X25519Field.negate(x, n);
      assertThat(Field25519.sgn0(n)).isEqualTo(a.negate().mod(P).testBit(0) ? 1 : 0);
      assertThat(Field25519.isZero(n) != 0).isEqualTo(a.signum() == 0);
    }
  }
}
