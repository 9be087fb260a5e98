package io.veil.crypto.paillier;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Barrett} and {@link FixedBaseTable} against BigInteger mod and modPow. */
class BarrettTest {

  @Test
  void reduceMatchesModIncludingEdges() {
    Random rnd = new Random(3);
    for (int bits : new int[] {2, 63, 64, 1024, 2047, 4096}) {
      BigInteger m = new BigInteger(bits, rnd).setBit(bits - 1).setBit(0);
      Barrett b = new Barrett(m);
      BigInteger max = m.multiply(m).subtract(BigInteger.ONE);
      for (BigInteger x : new BigInteger[] {BigInteger.ZERO, BigInteger.ONE, m.subtract(BigInteger.ONE), m, max}) {
        assertThat(b.reduce(x)).isEqualTo(x.mod(m));
      }
      for (int i = 0; i < 200; i++) {
        BigInteger x = new BigInteger(2 * bits + 8, rnd).mod(m.multiply(m));
        assertThat(b.reduce(x)).isEqualTo(x.mod(m));
      }
    }
  }

  @Test
  void fixedBaseTableMatchesModPow() {
    Random rnd = new Random(4);
    BigInteger m = new BigInteger(1024, rnd).setBit(1023).setBit(0);
    BigInteger base = new BigInteger(1000, rnd);
    for (int window : new int[] {1, 4, 6, 8}) {
      FixedBaseTable table = new FixedBaseTable(base, m, 300, window);
      assertThat(table.pow(new byte[0])).isEqualTo(BigInteger.ONE);
      assertThat(table.pow(new byte[38])).isEqualTo(BigInteger.ONE);
      for (int i = 0; i < 30; i++) {
        BigInteger e = new BigInteger(300, rnd);
        assertThat(table.pow(PaillierPublicKey.unsigned(e))).isEqualTo(base.modPow(e, m));
      }
      BigInteger allOnes = BigInteger.ONE.shiftLeft(300).subtract(BigInteger.ONE);
      assertThat(table.pow(allOnes.toByteArray())).isEqualTo(base.modPow(allOnes, m));
    }
  }
}
