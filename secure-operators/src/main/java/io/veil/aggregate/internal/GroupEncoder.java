package io.veil.aggregate.internal;

import io.veil.InvalidInputException;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.spec.AggregateSpec;
import io.veil.spec.AggregateSpec.Buckets;
import io.veil.spec.AggregateSpec.GroupColumn;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Local pre-aggregation of one party's rows into the declared group domain, in executors. Input rows
 * are the group columns (as strings) followed by the summed columns (numeric). Output per task: one
 * entry per group seen, {@code (group index, [count, sum_1, ..., sum_k])} with sums in fixed-point
 * units, and one entry {@code (-1, problem counters)}; merge with {@link #add}.
 *
 * <p>Problem counters, per group column: NULL, outside the domain; per summed column: NULL, out
 * of range (or not finite), more decimals than the scale.
 */
public final class GroupEncoder implements PairFlatMapFunction<Iterator<Row>, Integer, long[]> {
  private static final long serialVersionUID = 1L;
  /** Key of the problem counters. */
  public static final int PROBLEMS = -1;

  private final List<GroupColumn> groupBy;
  private final List<FixedPoint> formats;
  private final int[] strides;

  public GroupEncoder(AggregateSpec spec) {
    this.groupBy = spec.groupBy();
    this.formats = spec.sums().stream().map(v -> FixedPoint.of(v.scale(), v.maxAbs())).toList();
    this.strides = strides(spec);
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
  public Iterator<Tuple2<Integer, long[]>> call(Iterator<Row> rows) {
    int g = groupBy.size();
    int k = formats.size();
    List<Map<String, Integer>> lookups = new ArrayList<>();
    for (GroupColumn c : groupBy) {
      Map<String, Integer> m = null;
      if (c.values() != null) {
        m = new HashMap<>();
        for (int i = 0; i < c.values().size(); i++) {
          m.put(c.values().get(i), i);
        }
      }
      lookups.add(m);
    }
    Map<Integer, long[]> groups = new HashMap<>();
    long[] problems = new long[2 * g + 3 * k];
    rows:
    while (rows.hasNext()) {
      Row row = rows.next();
      int index = 0;
      for (int j = 0; j < g; j++) {
        if (row.isNullAt(j)) {
          problems[2 * j]++;
          continue rows;
        }
        int i = domainIndex(groupBy.get(j), lookups.get(j), row.getString(j));
        if (i < 0) {
          problems[2 * j + 1]++;
          continue rows;
        }
        index += i * strides[j];
      }
      long[] encoded = new long[k];
      for (int c = 0; c < k; c++) {
        int at = 2 * g + 3 * c;
        Object v = row.get(g + c);
        if (v == null) {
          problems[at]++;
          continue rows;
        }
        BigDecimal d = decimal(v);
        FixedPoint f = formats.get(c);
        if (d == null || d.abs().compareTo(f.maxAbs()) > 0) {
          problems[at + 1]++;
          continue rows;
        }
        try {
          encoded[c] = f.encode(d, "a summed column");
        } catch (InvalidInputException e) {
          problems[at + 2]++; // range was checked above: only inexactness is left
          continue rows;
        }
      }
      long[] acc = groups.computeIfAbsent(index, x -> new long[k + 1]);
      acc[0]++;
      for (int c = 0; c < k; c++) {
        acc[c + 1] += encoded[c];
      }
    }
    List<Tuple2<Integer, long[]>> out = new ArrayList<>(groups.size() + 1);
    groups.forEach((i, acc) -> out.add(new Tuple2<>(i, acc)));
    out.add(new Tuple2<>(PROBLEMS, problems));
    return out.iterator();
  }

  private static int domainIndex(GroupColumn c, Map<String, Integer> lookup, String value) {
    if (lookup != null) {
      return lookup.getOrDefault(value, -1);
    }
    BigDecimal v;
    try {
      v = new BigDecimal(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
    Buckets b = c.buckets();
    if (v.compareTo(b.from()) < 0 || v.compareTo(b.to()) >= 0) {
      return -1;
    }
    return v.subtract(b.from()).divide(b.width(), 0, RoundingMode.FLOOR).intValueExact();
  }

  /** The exact decimal value of a numeric cell; null for NaN or infinite. */
  private static BigDecimal decimal(Object v) {
    if (v instanceof BigDecimal d) {
      return d;
    }
    if (v instanceof Double || v instanceof Float) {
      double x = ((Number) v).doubleValue();
      return Double.isFinite(x) ? BigDecimal.valueOf(x) : null;
    }
    return BigDecimal.valueOf(((Number) v).longValue());
  }
}
