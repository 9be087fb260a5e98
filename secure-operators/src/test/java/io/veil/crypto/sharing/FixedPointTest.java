package io.veil.crypto.sharing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.security.SecureRandom;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class FixedPointTest {
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  /** A value in [-maxUnits, maxUnits] derived from an arbitrary long. */
  private static long within(long raw, long maxUnits) {
    return Math.floorMod(raw, 2 * maxUnits + 1) - maxUnits;
  }

  @Property(tries = 500)
  void decimalsRoundTrip(
      @ForAll @IntRange(min = 0, max = 6) int scale,
      @ForAll @LongRange(min = 1, max = 1_000_000_000_000_000L) long maxUnits,
      @ForAll long raw) {
    FixedPoint fp = FixedPoint.of(scale, BigDecimal.valueOf(maxUnits, scale));
    long units = within(raw, maxUnits);
    BigDecimal v = BigDecimal.valueOf(units, scale);
    long encoded = fp.encode(v, "column x");
    assertThat(encoded).isEqualTo(units);
    assertThat(fp.decode(encoded)).isEqualByComparingTo(v);
    // Trailing zeros beyond the scale are exact, so still accepted.
    assertThat(fp.encode(v.setScale(scale + 3), "column x")).isEqualTo(units);
  }

  @Property(tries = 300)
  void doublesRoundTripAtTheirDecimalValue(
      @ForAll @IntRange(min = 0, max = 6) int scale, @ForAll long raw) {
    long maxUnits = 1_000_000_000L;
    FixedPoint fp = FixedPoint.of(scale, BigDecimal.valueOf(maxUnits, scale));
    long units = within(raw, maxUnits);
    double d = BigDecimal.valueOf(units, scale).doubleValue();
    assertThat(fp.encode(d, "column x")).isEqualTo(units);
  }

  @Test
  void examples() {
    FixedPoint fp = FixedPoint.of(2, new BigDecimal("1000000"));
    assertThat(fp.encode(new BigDecimal("12.34"), "c")).isEqualTo(1234);
    assertThat(fp.encode(12.34, "c")).isEqualTo(1234);
    assertThat(fp.encode(-0.5, "c")).isEqualTo(-50);
    assertThat(fp.encode(7L, "c")).isEqualTo(700);
    assertThat(fp.decode(-1234)).isEqualTo(new BigDecimal("-12.34"));
    assertThat(fp.encode(new BigDecimal("1000000"), "c")).isEqualTo(100_000_000);
    assertThat(fp.encode(new BigDecimal("-1000000.00"), "c")).isEqualTo(-100_000_000);
    assertThat(fp.maxEncoded()).isEqualTo(100_000_000);
  }

  @Test
  void roundingModeAllowsInexactValues() {
    FixedPoint fp = FixedPoint.of(2, new BigDecimal("100"));
    assertThat(fp.encode(new BigDecimal("1.005"), RoundingMode.HALF_EVEN, "c")).isEqualTo(100);
    assertThat(fp.encode(new BigDecimal("1.015"), RoundingMode.HALF_EVEN, "c")).isEqualTo(102);
    assertThat(fp.encode(1.0049, RoundingMode.HALF_UP, "c")).isEqualTo(100);
    // Rounding up past the range is still rejected.
    FixedPoint tight = FixedPoint.of(2, new BigDecimal("1.005"));
    assertThatThrownBy(() -> tight.encode(new BigDecimal("1.004"), RoundingMode.UP, "column c"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("exceeds the declared range");
  }

  @Test
  void rejectsOutOfRangeWithoutRevealingTheValue() {
    FixedPoint fp = FixedPoint.of(2, new BigDecimal("50000"));
    for (BigDecimal v : new BigDecimal[] {new BigDecimal("987654.32"), new BigDecimal("-987654.32")}) {
      assertThatThrownBy(() -> fp.encode(v, "column LIMIT_BAL"))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("column LIMIT_BAL")
          .hasMessageContaining("exceeds the declared range")
          .hasMessageNotContaining("987654")
          .hasMessageNotContaining("98765432");
    }
    assertThatThrownBy(() -> fp.encode(987654.32, "column LIMIT_BAL"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageNotContaining("987654");
    assertThatThrownBy(() -> fp.encode(987654L, "column LIMIT_BAL"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageNotContaining("987654");
    assertThatThrownBy(() -> fp.encode(new BigDecimal("50000.01"), "column LIMIT_BAL"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageNotContaining("50000.01");
  }

  @Test
  void rejectsInexactValuesWithoutRevealingTheValue() {
    FixedPoint fp = FixedPoint.of(2, new BigDecimal("50000"));
    assertThatThrownBy(() -> fp.encode(new BigDecimal("4321.987"), "column BILL_AMT1"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("column BILL_AMT1")
        .hasMessageContaining("more than 2 decimal places")
        .hasMessageNotContaining("4321")
        .hasMessageNotContaining("987");
    assertThatThrownBy(() -> fp.encode(4321.987, "column BILL_AMT1"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageNotContaining("4321");
  }

  @Test
  void rejectsNullAndNonFinite() {
    FixedPoint fp = FixedPoint.of(0, BigDecimal.TEN);
    assertThatThrownBy(() -> fp.encode((BigDecimal) null, "column c"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("NULL");
    for (double d : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      assertThatThrownBy(() -> fp.encode(d, "column c"))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("finite");
    }
  }

  @Test
  void validatesTheFormat() {
    BigInteger twoPow62 = BigInteger.ONE.shiftLeft(62);
    assertThat(FixedPoint.of(0, new BigDecimal(twoPow62.subtract(BigInteger.ONE))).maxEncoded())
        .isEqualTo((1L << 62) - 1);
    assertThatThrownBy(() -> FixedPoint.of(0, new BigDecimal(twoPow62)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("2^62");
    assertThatThrownBy(() -> FixedPoint.of(6, new BigDecimal("5000000000000"))) // 5e18 > 2^62
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("smaller range or a smaller scale");
    assertThatThrownBy(() -> FixedPoint.of(-1, BigDecimal.ONE)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> FixedPoint.of(19, BigDecimal.ONE)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> FixedPoint.of(2, BigDecimal.ZERO)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> FixedPoint.of(2, new BigDecimal("-1"))).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> FixedPoint.of(2, new BigDecimal("0.001")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("smaller than one unit");
    assertThat(FixedPoint.of(2, new BigDecimal("10"))).isEqualTo(FixedPoint.of(2, new BigDecimal("10.00")));
  }

  @Property(tries = 500)
  void checkSumFitsIsExactlyTheOverflowBoundary(
      @ForAll @IntRange(min = 0, max = 6) int scale,
      @ForAll @LongRange(min = 1, max = (1L << 62) - 1) long maxUnits) {
    FixedPoint fp = FixedPoint.of(scale, BigDecimal.valueOf(maxUnits, scale));
    long rows = fp.maxRowsBeforeOverflow();
    BigInteger m = BigInteger.valueOf(maxUnits);
    assertThat(BigInteger.valueOf(rows).multiply(m)).isLessThanOrEqualTo(LONG_MAX);
    assertThat(BigInteger.valueOf(rows).add(BigInteger.ONE).multiply(m)).isGreaterThan(LONG_MAX);
    fp.checkSumFits(rows);
    fp.checkSumFits(0);
    if (rows == Long.MAX_VALUE) {
      return; // maxUnits == 1: no row count can overflow
    }
    assertThatThrownBy(() -> fp.checkSumFits(rows + 1, "SUM(LIMIT_BAL)"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("SUM(LIMIT_BAL)")
        .hasMessageContaining("Declare a smaller range or a smaller scale");
  }

  @Test
  void withoutTheCheckTheSumWouldWrap() {
    FixedPoint fp = FixedPoint.of(0, new BigDecimal((1L << 62) - 1));
    assertThat(fp.maxRowsBeforeOverflow()).isEqualTo(2);
    long max = fp.encode(BigDecimal.valueOf((1L << 62) - 1), "c");
    assertThat(fp.decode(max + max)).isEqualByComparingTo(BigDecimal.valueOf(2 * ((1L << 62) - 1)));
    assertThat(max + max + max).isNegative(); // a third row wraps: exactly what checkSumFits(3) forbids
    assertThatThrownBy(() -> fp.checkSumFits(3)).isInstanceOf(InvalidInputException.class);
  }

  @Property(tries = 200)
  void sharedSumsWithinTheRowLimitDecodeExactly(
      @ForAll @IntRange(min = 0, max = 6) int scale,
      @ForAll @LongRange(min = 1, max = (1L << 62) - 1) long maxUnits,
      @ForAll @IntRange(min = 2, max = 5) int parties,
      @ForAll long seed) {
    FixedPoint fp = FixedPoint.of(scale, BigDecimal.valueOf(maxUnits, scale));
    int rows = (int) Math.min(fp.maxRowsBeforeOverflow(), 300);
    fp.checkSumFits(rows);
    Random r = new Random(seed);
    SecureRandom sr = new SecureRandom();
    BigDecimal exact = BigDecimal.ZERO;
    long[] partyTotals = new long[parties];
    for (int i = 0; i < rows; i++) {
      // Bias towards the extremes, where wrapping would show.
      long units = r.nextInt(3) == 0 ? (r.nextBoolean() ? maxUnits : -maxUnits) : within(r.nextLong(), maxUnits);
      BigDecimal v = BigDecimal.valueOf(units, scale);
      exact = exact.add(v);
      long[] shares = AdditiveShares.share(fp.encode(v, "c"), parties, sr);
      Ring64.addInPlace(partyTotals, shares);
    }
    long total = AdditiveShares.reconstruct(partyTotals);
    assertThat(fp.decode(Ring64.toSigned(total))).isEqualByComparingTo(exact);
  }

  /** The status and value {@link FixedPoint#encode(BigDecimal, String)} gives for a cell's decimal value. */
  private static long[] reference(FixedPoint fp, BigDecimal exact) {
    if (exact.abs().compareTo(fp.maxAbs()) > 0) {
      return new long[] {FixedPoint.OUT_OF_RANGE, 0};
    }
    try {
      return new long[] {FixedPoint.ENCODED, fp.encode(exact, "x")};
    } catch (InvalidInputException e) {
      return new long[] {FixedPoint.INEXACT, 0};
    }
  }

  private static long[] fast(FixedPoint fp, Object cell) {
    long[] out = new long[3];
    int status = fp.tryEncode(cell, out, 1);
    return new long[] {status, status == FixedPoint.ENCODED ? out[1] : 0};
  }

  @Property(tries = 2000)
  void fastEncodingOfDoublesAgreesWithDecimalEncoding(
      @ForAll @IntRange(min = 0, max = 8) int scale,
      @ForAll @LongRange(min = 1, max = 1_000_000_000_000L) long maxUnits,
      @ForAll long raw,
      @ForAll @IntRange(min = 0, max = 3) int extraDigits,
      @ForAll double any) {
    FixedPoint fp = FixedPoint.of(scale, BigDecimal.valueOf(maxUnits, scale));
    // Values exact at the scale, values with more digits than the scale, beyond the range, anything.
    double exactAtScale = BigDecimal.valueOf(within(raw, maxUnits), scale).doubleValue();
    double finer = BigDecimal.valueOf(within(raw, maxUnits * 1000), scale + extraDigits).doubleValue();
    double beyond = BigDecimal.valueOf(maxUnits + 1 + Math.floorMod(raw, 1000), scale).doubleValue();
    for (double x : new double[] {exactAtScale, -exactAtScale, finer, beyond, -beyond, any}) {
      long[] expected = Double.isFinite(x) ? reference(fp, BigDecimal.valueOf(x))
          : new long[] {FixedPoint.OUT_OF_RANGE, 0};
      assertThat(fast(fp, x)).as("%s at scale %d, maxUnits %d", x, scale, maxUnits).containsExactly(expected);
    }
  }

  @Property(tries = 1000)
  void fastEncodingOfIntegersAndDecimalsAgreesWithDecimalEncoding(
      @ForAll @IntRange(min = 0, max = 8) int scale,
      @ForAll @LongRange(min = 1, max = 1_000_000_000_000L) long maxUnits,
      @ForAll long raw) {
    FixedPoint fp = FixedPoint.of(scale, BigDecimal.valueOf(maxUnits, scale));
    long maxWhole = maxUnits / BigInteger.TEN.pow(scale).longValueExact();
    for (long v : new long[] {within(raw, maxWhole + 2), raw, maxWhole, -maxWhole, maxWhole + 1, Long.MIN_VALUE}) {
      long[] expected = reference(fp, BigDecimal.valueOf(v));
      assertThat(fast(fp, v)).as("long %d", v).containsExactly(expected);
      if (v == (int) v) {
        assertThat(fast(fp, (int) v)).as("int %d", v).containsExactly(expected);
      }
      BigDecimal d = BigDecimal.valueOf(raw, scale + 1);
      assertThat(fast(fp, d)).as("decimal %s", d).containsExactly(reference(fp, d));
    }
  }

  @Test
  void fastEncodingRejectsNonFiniteDoubles() {
    FixedPoint fp = FixedPoint.of(2, new BigDecimal("1000"));
    assertThat(fast(fp, Double.NaN)[0]).isEqualTo(FixedPoint.OUT_OF_RANGE);
    assertThat(fast(fp, Double.POSITIVE_INFINITY)[0]).isEqualTo(FixedPoint.OUT_OF_RANGE);
    assertThat(fast(fp, 0.125)[0]).isEqualTo(FixedPoint.INEXACT);
    assertThat(fast(fp, 12.34)).containsExactly(FixedPoint.ENCODED, 1234);
    assertThat(fast(fp, 1000.0f)).containsExactly(FixedPoint.ENCODED, 100000);
  }
}
