package io.veil.aggregate.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.crypto.sharing.FixedPoint;
import java.math.BigDecimal;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;

/**
 * Numeric cells of internal rows, read unboxed ({@link FeatureRows#tryEncode}), encode exactly as
 * their boxed values do through {@link FixedPoint#tryEncode(Object, long[], int)}: the same status
 * and the same value, at the edges of the range, for inexact and non-finite values.
 */
class FeatureRowsCellsTest {
  private static final List<Double> EDGE_DOUBLES = List.of(0.0, -0.0, 0.1, -0.1, 0.125, 1e-9, 123456.789, 1e15,
      -1e300, Double.MAX_VALUE, Double.MIN_VALUE, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
  private static final List<Long> EDGE_LONGS = List.of(0L, 1L, -1L, 999_999L, 1_000_000L, -1_000_001L,
      Long.MAX_VALUE, Long.MIN_VALUE, (long) Integer.MAX_VALUE, (long) Integer.MIN_VALUE);

  private static long[] unboxed(FixedPoint fp, Object cell, DataType type) {
    long[] out = new long[3];
    int status = FeatureRows.tryEncode(fp, new GenericInternalRow(new Object[] {null, cell}), 1, type, out, 2);
    return new long[] {status, status == FixedPoint.ENCODED ? out[2] : 0};
  }

  private static long[] boxed(FixedPoint fp, Object cell) {
    long[] out = new long[3];
    int status = fp.tryEncode(cell, out, 2);
    return new long[] {status, status == FixedPoint.ENCODED ? out[2] : 0};
  }

  private static void same(FixedPoint fp, Object cell, DataType type) {
    assertThat(unboxed(fp, cell, type)).as("%s %s at %s", type, cell, fp).containsExactly(boxed(fp, cell));
  }

  @Property(tries = 300)
  void everyNumericTypeEncodesAsItsBoxedValue(@ForAll @IntRange(min = 0, max = 6) int scale,
      @ForAll long l, @ForAll int i, @ForAll short s, @ForAll byte b, @ForAll double d, @ForAll float f,
      @ForAll @IntRange(min = 0, max = 12) int digits) {
    FixedPoint fp = FixedPoint.of(scale, new BigDecimal("1" + "0".repeat(digits)));
    // Values a feature column holds: mostly small, with few decimals, some beyond the range or the scale.
    double rounded = Math.round(d % 1e7 * 1000) / 1000.0;
    for (Object[] c : new Object[][] {
        {l, DataTypes.LongType}, {l % 100_000, DataTypes.LongType}, {i, DataTypes.IntegerType},
        {s, DataTypes.ShortType}, {b, DataTypes.ByteType}, {d, DataTypes.DoubleType},
        {rounded, DataTypes.DoubleType}, {f, DataTypes.FloatType}, {(float) rounded, DataTypes.FloatType}}) {
      same(fp, c[0], (DataType) c[1]);
    }
    EDGE_DOUBLES.forEach(x -> same(fp, x, DataTypes.DoubleType));
    EDGE_DOUBLES.forEach(x -> same(fp, (float) (double) x, DataTypes.FloatType));
    EDGE_LONGS.forEach(x -> same(fp, x, DataTypes.LongType));
  }

  @Property(tries = 100)
  void decimalsStillTakeTheExactPath(@ForAll long unscaled, @ForAll @IntRange(min = 0, max = 6) int cellScale) {
    FixedPoint fp = FixedPoint.of(2, new BigDecimal("1000000"));
    Decimal cell = Decimal.apply(BigDecimal.valueOf(unscaled % 1_000_000_000_000L, cellScale), 18, cellScale);
    assertThat(unboxed(fp, cell, DataTypes.createDecimalType(18, cellScale)))
        .containsExactly(boxed(fp, cell.toJavaBigDecimal()));
  }
}
