package io.veil.crypto.sharing;

import io.veil.InvalidInputException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Objects;

/**
 * Fixed-point encoding of decimals as signed 64-bit integers, for additive sharing in Z_2^64.
 *
 * <p><b>Encoding.</b> With decimal scale {@code s}, a decimal {@code v} is encoded as the integer
 * {@code v * 10^s} (e.g. scale 2: {@code 12.34 -> 1234}, {@code -0.5 -> -50}); it is decoded with
 * {@link #decode(long)} as {@code n / 10^s}. A format is declared with a range {@code maxAbs}: every
 * encoded value satisfies {@code |v| <= maxAbs}, i.e. {@code |encoded| <= }{@link #maxEncoded()}
 * {@code = floor(maxAbs * 10^s)}, which must be below 2^62.
 *
 * <p><b>No silent wrapping.</b> Sums in Z_2^64 wrap modulo 2^64. A sum of {@code r} encoded
 * values is recovered exactly (read as a signed {@code long}) when {@code r * maxEncoded <= 2^63 - 1};
 * {@link #maxRowsBeforeOverflow()} is the largest such {@code r} and {@link #checkSumFits(long)}
 * rejects larger row counts before anything is shared. Callers must call it with the (upper bound
 * on the) number of rows summed across all parties.
 *
 * <p><b>Errors never contain values.</b> Input values may be personal data, so rejection messages
 * name the column or quantity ({@code what}) and the declared range, never the value.
 *
 * <p>Values are exact by default: a value with more decimal places than the scale is rejected,
 * unless a {@link RoundingMode} is given. {@code double} inputs are taken at their shortest
 * decimal representation ({@link BigDecimal#valueOf(double)}, so {@code 12.34} is exactly
 * {@code 12.34}), not at their binary expansion.
 *
 * <p>Immutable and thread-safe.
 */
public final class FixedPoint implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  /** Largest supported scale (10^18 < 2^62). */
  public static final int MAX_SCALE = 18;

  private static final BigDecimal TWO_POW_62 = new BigDecimal(BigInteger.ONE.shiftLeft(62));
  private static final long[] POW10 = new long[MAX_SCALE + 1];

  static {
    POW10[0] = 1;
    for (int i = 1; i <= MAX_SCALE; i++) {
      POW10[i] = POW10[i - 1] * 10;
    }
  }

  private final int scale;
  private final BigDecimal maxAbs;
  private final long maxEncoded;

  private FixedPoint(int scale, BigDecimal maxAbs, long maxEncoded) {
    this.scale = scale;
    this.maxAbs = maxAbs;
    this.maxEncoded = maxEncoded;
  }

  /**
   * A format with {@code scale} decimal places for values with {@code |v| <= maxAbs}.
   *
   * @throws InvalidInputException if the scale is outside 0..{@value #MAX_SCALE}, {@code maxAbs}
   *     is not positive, smaller than one unit at this scale, or {@code maxAbs * 10^scale >= 2^62}
   */
  public static FixedPoint of(int scale, BigDecimal maxAbs) {
    Objects.requireNonNull(maxAbs, "maxAbs");
    if (scale < 0 || scale > MAX_SCALE) {
      throw new InvalidInputException(
          "Cannot use fixed-point scale " + scale + ": the scale must be 0.." + MAX_SCALE
              + ". Declare a scale in that range.");
    }
    if (maxAbs.signum() <= 0) {
      throw new InvalidInputException(
          "Cannot use fixed-point range " + maxAbs.toPlainString() + ": the maximum absolute value must "
              + "be positive. Declare a positive range.");
    }
    BigDecimal scaled = maxAbs.movePointRight(scale);
    if (scaled.compareTo(TWO_POW_62) >= 0) {
      throw new InvalidInputException(
          "Cannot use fixed-point range " + maxAbs.toPlainString() + " at scale " + scale
              + ": maxAbs * 10^scale must be below 2^62. Declare a smaller range or a smaller scale.");
    }
    long maxEncoded = scaled.setScale(0, RoundingMode.FLOOR).longValueExact();
    if (maxEncoded == 0) {
      throw new InvalidInputException(
          "Cannot use fixed-point range " + maxAbs.toPlainString() + " at scale " + scale
              + ": the range is smaller than one unit (10^-" + scale + "), so only zero could be "
              + "encoded. Declare a larger range or a larger scale.");
    }
    return new FixedPoint(scale, maxAbs, maxEncoded);
  }

  /** Number of decimal places. */
  public int scale() {
    return scale;
  }

  /** The declared maximum absolute value. */
  public BigDecimal maxAbs() {
    return maxAbs;
  }

  /** {@code floor(maxAbs * 10^scale)}: the largest absolute encoded value. */
  public long maxEncoded() {
    return maxEncoded;
  }

  /**
   * Encodes {@code value}, which must be exact at this scale and within the declared range.
   *
   * @param what names the value in error messages, e.g. {@code "column LIMIT_BAL"}
   * @throws InvalidInputException if the value is null, out of range or inexact at this scale
   */
  public long encode(BigDecimal value, String what) {
    return encode(value, null, what);
  }

  /**
   * Encodes {@code value}, rounding it to this scale with {@code rounding} (null: must be exact).
   * The range is checked both before and after rounding.
   */
  public long encode(BigDecimal value, RoundingMode rounding, String what) {
    if (value == null) {
      throw new InvalidInputException(
          "Cannot encode a value in " + what + ": it is NULL. Filter or impute NULLs before aggregating.");
    }
    if (value.abs().compareTo(maxAbs) > 0) {
      throw outOfRange(what);
    }
    BigDecimal atScale;
    if (rounding == null) {
      if (value.scale() > scale && value.stripTrailingZeros().scale() > scale) {
        throw new InvalidInputException(
            "Cannot encode a value in " + what + ": it has more than " + scale
                + " decimal places, the declared scale. Declare a larger scale, or round the column "
                + "(or pass a rounding mode).");
      }
      atScale = value.setScale(scale, RoundingMode.UNNECESSARY);
    } else {
      atScale = value.setScale(scale, rounding);
    }
    long encoded = atScale.unscaledValue().longValue(); // |atScale| <= maxAbs + 1 unit < 2^62
    if (encoded > maxEncoded || encoded < -maxEncoded) {
      throw outOfRange(what);
    }
    return encoded;
  }

  /** Encodes a finite {@code double} at its shortest decimal representation; see {@link #encode(BigDecimal, String)}. */
  public long encode(double value, String what) {
    return encode(value, null, what);
  }

  /** Encodes a finite {@code double}, rounding to this scale with {@code rounding} (null: exact). */
  public long encode(double value, RoundingMode rounding, String what) {
    if (!Double.isFinite(value)) {
      throw new InvalidInputException(
          "Cannot encode a value in " + what + ": it is not a finite number (NaN or infinite). "
              + "Filter such values before aggregating.");
    }
    return encode(BigDecimal.valueOf(value), rounding, what);
  }

  /** {@link #tryEncode}: the value was encoded. */
  public static final int ENCODED = 0;
  /** {@link #tryEncode}: the value is outside the declared range, or not finite. */
  public static final int OUT_OF_RANGE = 1;
  /** {@link #tryEncode}: the value has more decimal places than the scale. */
  public static final int INEXACT = 2;

  /**
   * Encodes a numeric cell ({@code BigDecimal}, {@code Double}, {@code Float} or an integral
   * {@code Number}, not null) into {@code out[at]} without throwing, for executors encoding millions
   * of cells: returns {@link #ENCODED}, {@link #OUT_OF_RANGE} or {@link #INEXACT}. Same results as
   * {@link #encode(BigDecimal, String)} on the cell's exact decimal value ({@code double}s at their
   * shortest representation), but integers and doubles that are exact at this scale take a path
   * without {@code BigDecimal}.
   */
  public int tryEncode(Object cell, long[] out, int at) {
    if (cell instanceof Long || cell instanceof Integer || cell instanceof Short || cell instanceof Byte) {
      return tryEncodeLong(((Number) cell).longValue(), out, at);
    }
    if (cell instanceof Double || cell instanceof Float) {
      return tryEncodeDouble(((Number) cell).doubleValue(), out, at);
    }
    return tryEncodeExact(cell instanceof BigDecimal d ? d : new BigDecimal(cell.toString()), out, at);
  }

  /** {@link #tryEncode} of an integral cell, unboxed. */
  public int tryEncodeLong(long v, long[] out, int at) {
    if (v > maxEncoded / POW10[scale] || v < -(maxEncoded / POW10[scale])) {
      return OUT_OF_RANGE; // |v * 10^s| > maxEncoded: v * 10^s is a multiple of 10^s
    }
    out[at] = v * POW10[scale];
    return ENCODED;
  }

  /** {@link #tryEncode} of a {@code double} (or {@code float}) cell, unboxed. */
  public int tryEncodeDouble(double x, long[] out, int at) {
    if (!Double.isFinite(x)) {
      return OUT_OF_RANGE;
    }
    double y = x * POW10[scale];
    if (Math.abs(y) < 0x1p52) {
      long r = Math.round(y);
      // r and 10^s are exact doubles and division rounds correctly: x is the double nearest to
      // r / 10^s, so r / 10^s is x's shortest decimal (two decimals at this scale are further apart
      // than the spacing of doubles below 2^52 / 10^s).
      if ((double) r / POW10[scale] == x) {
        if (r > maxEncoded || r < -maxEncoded) {
          return OUT_OF_RANGE;
        }
        out[at] = r;
        return ENCODED;
      }
    }
    return tryEncodeExact(BigDecimal.valueOf(x), out, at);
  }

  private int tryEncodeExact(BigDecimal exact, long[] out, int at) {
    if (exact.abs().compareTo(maxAbs) > 0) {
      return OUT_OF_RANGE;
    }
    if (exact.scale() > scale && exact.stripTrailingZeros().scale() > scale) {
      return INEXACT;
    }
    long r = exact.setScale(scale, RoundingMode.UNNECESSARY).unscaledValue().longValue();
    if (r > maxEncoded || r < -maxEncoded) {
      return OUT_OF_RANGE;
    }
    out[at] = r;
    return ENCODED;
  }

  /** Encodes an integer value; see {@link #encode(BigDecimal, String)}. */
  public long encode(long value, String what) {
    return encode(BigDecimal.valueOf(value), null, what);
  }

  /** Decodes an encoded value, or a sum of encoded values read as a signed {@code long}. */
  public BigDecimal decode(long encoded) {
    return BigDecimal.valueOf(encoded, scale);
  }

  /**
   * {@code floor((2^63 - 1) / maxEncoded)}: how many values of this format can be summed with no
   * possibility of the exact sum leaving the signed 64-bit range.
   */
  public long maxRowsBeforeOverflow() {
    return Long.MAX_VALUE / maxEncoded;
  }

  /**
   * How many values of this format can be summed, with {@code headroom >= 0} further units added
   * (e.g. a bound on differential-privacy noise), with no possibility of leaving the signed 64-bit
   * range: {@code floor((2^63 - 1 - headroom) / maxEncoded)}.
   */
  public long maxRowsBeforeOverflow(long headroom) {
    if (headroom < 0) {
      throw new IllegalArgumentException("headroom must be >= 0");
    }
    return (Long.MAX_VALUE - headroom) / maxEncoded;
  }

  /** {@link #checkSumFits(long, String)} naming the quantity generically. */
  public void checkSumFits(long rows) {
    checkSumFits(rows, "a value");
  }

  /**
   * Checks that {@code rows} values of this format can be summed without wrapping.
   *
   * @throws InvalidInputException if {@code rows > }{@link #maxRowsBeforeOverflow()} or negative
   */
  public void checkSumFits(long rows, String what) {
    if (rows < 0) {
      throw new InvalidInputException(
          "Cannot sum " + what + " over " + rows + " rows: the row count is negative.");
    }
    if (rows > maxRowsBeforeOverflow()) {
      throw new InvalidInputException(
          "Cannot sum " + what + " over " + rows + " rows: with range " + maxAbs.toPlainString()
              + " at scale " + scale + " at most " + maxRowsBeforeOverflow()
              + " rows can be summed in 64 bits without overflow. Declare a smaller range or a "
              + "smaller scale.");
    }
  }

  private InvalidInputException outOfRange(String what) {
    return new InvalidInputException(
        "Cannot encode a value in " + what + ": it exceeds the declared range (absolute value at most "
            + maxAbs.toPlainString() + " at scale " + scale + "). Declare a larger range, or filter "
            + "or clip the column.");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FixedPoint f && f.scale == scale && f.maxAbs.compareTo(maxAbs) == 0;
  }

  @Override
  public int hashCode() {
    return 31 * scale + Long.hashCode(maxEncoded);
  }

  @Override
  public String toString() {
    return "FixedPoint(scale=" + scale + ", maxAbs=" + maxAbs.toPlainString() + ")";
  }
}
