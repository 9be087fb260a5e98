package io.veil.aggregate.internal;

import io.veil.crypto.sharing.FixedPoint;
import io.veil.spec.AggregateSpec;
import io.veil.spec.AggregateSpec.Buckets;
import io.veil.spec.AggregateSpec.GroupColumn;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Tuple2;

/**
 * Local pre-aggregation of one party's rows into the declared group domain, in executors. Input rows
 * are Spark's internal rows; from a given column on, they hold the group columns (as strings for
 * listed values, numeric for buckets) followed by the summed columns (numeric). Output per task:
 * one entry per group seen, {@code (group index, [count, sum_1, ..., sum_k])} with sums in
 * fixed-point units, and one entry {@code (-1, problem counters)}; merge with {@link #add}.
 *
 * <p>Problem counters, per group column: NULL, outside the domain; per summed column: NULL, out
 * of range (or not finite), more decimals than the scale.
 */
public final class GroupEncoder implements PairFlatMapFunction<Iterator<InternalRow>, Integer, long[]> {
  private static final long serialVersionUID = 1L;
  /** Key of the problem counters. */
  public static final int PROBLEMS = -1;

  private final List<GroupColumn> groupBy;
  private final List<FixedPoint> formats;
  private final int[] strides;
  private final long[][] integralBuckets;
  private final int domainSize;
  private final int first;
  private final DataType[] types; // of the rows' columns from `first` on

  /**
   * @param schema the schema of the rows given to {@link #call}
   * @param first the index of the first group column in those rows: columns before it are not read
   */
  public GroupEncoder(AggregateSpec spec, StructType schema, int first) {
    this.first = first;
    this.types = Arrays.stream(schema.fields()).skip(first).map(StructField::dataType)
        .toArray(DataType[]::new);
    this.groupBy = spec.groupBy();
    this.formats = spec.sums().stream().map(v -> FixedPoint.of(v.scale(), v.maxAbs())).toList();
    this.strides = strides(spec);
    this.integralBuckets = spec.groupBy().stream().map(GroupEncoder::integralBuckets).toArray(long[][]::new);
    this.domainSize = spec.groups();
  }

  /** Row-major strides of the group columns: the first column varies slowest. */
  public static int[] strides(AggregateSpec spec) {
    int[] s = new int[spec.groupBy().size()];
    int stride = 1;
    for (int j = s.length - 1; j >= 0; j--) {
      s[j] = stride;
      stride *= spec.groupBy().get(j).size();
    }
    return s;
  }

  /** Number of problem counters for a spec. */
  public static int problemCounters(AggregateSpec spec) {
    return 2 * spec.groupBy().size() + 3 * spec.sums().size();
  }

  /** Element-wise sum (rows and sums per group; counters). */
  public static long[] add(long[] a, long[] b) {
    long[] out = a.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] += b[i];
    }
    return out;
  }

  @Override
  public Iterator<Tuple2<Integer, long[]>> call(Iterator<InternalRow> rows) {
    int g = groupBy.size();
    int k = formats.size();
    List<Map<UTF8String, Integer>> lookups = new ArrayList<>();
    for (GroupColumn c : groupBy) {
      Map<UTF8String, Integer> m = null;
      if (c.values() != null) {
        m = new HashMap<>();
        for (int i = 0; i < c.values().size(); i++) {
          m.put(UTF8String.fromString(c.values().get(i)), i);
        }
      }
      lookups.add(m);
    }
    // Accumulators of the groups seen, in one array, found through a dense index over the domain
    // (at most AggregateSpec.MAX_GROUPS ints): no boxing or hashing per row.
    int[] slotOf = new int[domainSize];
    Arrays.fill(slotOf, -1);
    int[] seen = new int[Math.min(domainSize, 1024)];
    long[] acc = new long[seen.length * (k + 1)];
    int slots = 0;
    long[] problems = new long[2 * g + 3 * k];
    long[] encoded = new long[k];
    rows:
    while (rows.hasNext()) {
      InternalRow row = rows.next();
      int index = 0;
      for (int j = 0; j < g; j++) {
        if (row.isNullAt(first + j)) {
          problems[2 * j]++;
          continue rows;
        }
        Map<UTF8String, Integer> lookup = lookups.get(j);
        int i = lookup != null ? lookup.getOrDefault(row.getUTF8String(first + j), -1)
            : bucketIndex(groupBy.get(j).buckets(), integralBuckets[j], FeatureRows.number(row, first + j, types[j]));
        if (i < 0) {
          problems[2 * j + 1]++;
          continue rows;
        }
        index += i * strides[j];
      }
      for (int c = 0; c < k; c++) {
        int at = 2 * g + 3 * c;
        if (row.isNullAt(first + g + c)) {
          problems[at]++;
          continue rows;
        }
        int status = FeatureRows.tryEncode(formats.get(c), row, first + g + c, types[g + c], encoded, c);
        if (status != FixedPoint.ENCODED) {
          problems[at + (status == FixedPoint.OUT_OF_RANGE ? 1 : 2)]++;
          continue rows;
        }
      }
      int slot = slotOf[index];
      if (slot < 0) {
        if (slots == seen.length) {
          seen = Arrays.copyOf(seen, Math.min(domainSize, 2 * slots));
          acc = Arrays.copyOf(acc, seen.length * (k + 1));
        }
        slot = slots++;
        slotOf[index] = slot;
        seen[slot] = index;
      }
      int at = slot * (k + 1);
      acc[at]++;
      for (int c = 0; c < k; c++) {
        acc[at + c + 1] += encoded[c];
      }
    }
    List<Tuple2<Integer, long[]>> out = new ArrayList<>(slots + 1);
    for (int slot = 0; slot < slots; slot++) {
      out.add(new Tuple2<>(seen[slot], Arrays.copyOfRange(acc, slot * (k + 1), (slot + 1) * (k + 1))));
    }
    out.add(new Tuple2<>(PROBLEMS, problems));
    return out.iterator();
  }

  /**
   * {@code [from, to, width]} of a bucketing rule whose bounds and width are integers that fit a
   * {@code long} (with room for {@code to - from}), for index arithmetic without {@code BigDecimal};
   * null otherwise, or for a column with listed values.
   */
  private static long[] integralBuckets(GroupColumn c) {
    Buckets b = c.buckets();
    if (b == null) {
      return null;
    }
    try {
      long from = b.from().longValueExact();
      long to = b.to().longValueExact();
      long width = b.width().longValueExact();
      Math.subtractExact(to, from);
      return new long[] {from, to, width};
    } catch (ArithmeticException e) {
      return null;
    }
  }

  /** Index of a numeric cell's bucket, or -1 outside {@code [from, to)} (or not a finite number). */
  private static int bucketIndex(Buckets b, long[] integral, Object cell) {
    if (integral != null && (cell instanceof Integer || cell instanceof Long || cell instanceof Short
        || cell instanceof Byte)) {
      long v = ((Number) cell).longValue();
      return v < integral[0] || v >= integral[1] ? -1 : (int) ((v - integral[0]) / integral[2]);
    }
    BigDecimal v;
    if (cell instanceof BigDecimal d) {
      v = d;
    } else if (cell instanceof Double || cell instanceof Float) {
      double x = ((Number) cell).doubleValue();
      if (!Double.isFinite(x)) {
        return -1;
      }
      v = BigDecimal.valueOf(x);
    } else if (cell instanceof Number n) {
      v = new BigDecimal(n.toString());
    } else {
      try {
        v = new BigDecimal(cell.toString().trim());
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    if (v.compareTo(b.from()) < 0 || v.compareTo(b.to()) >= 0) {
      return -1;
    }
    return v.subtract(b.from()).divide(b.width(), 0, RoundingMode.FLOOR).intValueExact();
  }
}
