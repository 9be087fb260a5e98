package io.veil.crypto.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Java long arithmetic agrees with exact integer arithmetic reduced mod 2^64. */
class Ring64Test {
  private static final BigInteger MOD = BigInteger.ONE.shiftLeft(64);

  private static BigInteger u(long x) {
    return Ring64.toUnsigned(x);
  }

  @Property(tries = 500)
  void operationsAreModTwoToThe64(@ForAll long a, @ForAll long b) {
    assertThat(u(Ring64.add(a, b))).isEqualTo(u(a).add(u(b)).mod(MOD));
    assertThat(u(Ring64.sub(a, b))).isEqualTo(u(a).subtract(u(b)).mod(MOD));
    assertThat(u(Ring64.neg(a))).isEqualTo(u(a).negate().mod(MOD));
    assertThat(u(Ring64.mul(a, b))).isEqualTo(u(a).multiply(u(b)).mod(MOD));
    assertThat(Ring64.add(Ring64.sub(a, b), b)).isEqualTo(a);
  }

  @Property(tries = 200)
  void unsignedAndReduceRoundTrip(@ForAll long a) {
    BigInteger v = Ring64.toUnsigned(a);
    assertThat(v.signum()).isGreaterThanOrEqualTo(0);
    assertThat(v).isLessThan(MOD);
    assertThat(Ring64.reduce(v)).isEqualTo(a);
    assertThat(Ring64.reduce(v.add(MOD.multiply(BigInteger.valueOf(7))))).isEqualTo(a);
    assertThat(Ring64.toSigned(a)).isEqualTo(a);
  }

  @Test
  void vectorOperations() {
    long[] a = {1, Long.MAX_VALUE, -5};
    long[] b = {2, 1, 5};
    assertThat(Ring64.add(a, b)).containsExactly(3, Long.MIN_VALUE, 0);
    assertThat(Ring64.sub(a, b)).containsExactly(-1, Long.MAX_VALUE - 1, -10);
    assertThat(Ring64.neg(a)).containsExactly(-1, -Long.MAX_VALUE, 5);
    assertThat(Ring64.sum(new long[][] {a, b, b})).containsExactly(5, Long.MIN_VALUE + 1, 5);
    assertThat(Ring64.sum(new long[] {Long.MAX_VALUE, 1})).isEqualTo(Long.MIN_VALUE);
    long[] acc = a.clone();
    Ring64.addInPlace(acc, b);
    Ring64.subInPlace(acc, b);
    assertThat(acc).containsExactly(a);
  }
}
