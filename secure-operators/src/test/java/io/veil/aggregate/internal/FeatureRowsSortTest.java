package io.veil.aggregate.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.Partitioner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import scala.Tuple2;

/** Feature aggregation's sort shuffle: rows packed per range come back whole and in unsigned byte order of their keys. */
class FeatureRowsSortTest {
  /** Ranges by the sort key's first byte, as a range partitioner's bounds would cut them. */
  private static final class FirstByteRanges extends Partitioner {
    @Override
    public int numPartitions() {
      return 3;
    }

    @Override
    public int getPartition(Object key) {
      int first = ((String) key).isEmpty() ? 0 : ((String) key).charAt(0);
      return first < 0x40 ? 0 : first < 0x90 ? 1 : 2;
    }
  }

  private static String describe(String key, FeatureRows.Encoded e) {
    return key + "|" + java.util.Arrays.toString(e.values) + "|" + java.util.Arrays.toString(e.keyText);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void packedRowsComeBackWholeAndSortedPerRange(boolean keepKeys) throws Exception {
    Random r = new Random(keepKeys ? 1 : 2);
    int dims = 3;
    List<FeatureRows.Encoded> rows = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      byte[] key = new byte[1 + r.nextInt(12)];
      r.nextBytes(key); // bytes above 0x7f too: ISO-8859-1 strings compare as unsigned bytes
      long[] values = {r.nextLong(), -r.nextInt(1000), i};
      String[] text = {"id-" + i, i % 5 == 0 ? null : "städte-" + (char) ('α' + i % 20)};
      rows.add(new FeatureRows.Encoded(new String(key, StandardCharsets.ISO_8859_1), text, values, FeatureRows.OK));
    }
    rows.add(new FeatureRows.Encoded(rows.get(7).sortKey, new String[] {"again", "x"}, new long[] {1, 2, 3},
        FeatureRows.OK)); // a repeated key stays (the caller counts repeats)
    Map<Integer, List<Tuple2<Integer, byte[]>>> byRange = new HashMap<>();
    FeatureRows.PackForSort pack = new FeatureRows.PackForSort(new FirstByteRanges(), dims, keepKeys);
    for (List<FeatureRows.Encoded> task : List.of(rows.subList(0, 2_000), rows.subList(2_000, rows.size()))) {
      pack.call(task.iterator()).forEachRemaining(c -> byRange.computeIfAbsent(c._1(), p -> new ArrayList<>()).add(c));
    }

    List<String> got = new ArrayList<>();
    List<String> keysInOrder = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      int range = p;
      Iterator<Tuple2<String, FeatureRows.Encoded>> it =
          FeatureRows.unpackSorted(byRange.getOrDefault(p, List.of()).iterator(), dims, keepKeys);
      it.forEachRemaining(t -> {
        assertThat(new FirstByteRanges().getPartition(t._1())).as("a row comes out of its own range").isEqualTo(range);
        got.add(describe(t._1(), t._2()));
        keysInOrder.add(t._1());
      });
    }
    List<String> expected = rows.stream()
        .sorted(Comparator.comparing((FeatureRows.Encoded e) -> e.sortKey))
        .map(e -> describe(e.sortKey, new FeatureRows.Encoded(null, keepKeys ? e.keyText : null, e.values, 0)))
        .toList();
    assertThat(got).hasSize(rows.size());
    // Equal keys may come in either order; everything else in the order of their keys.
    assertThat(got.stream().sorted().toList()).isEqualTo(expected.stream().sorted().toList());
    assertThat(keysInOrder).isSortedAccordingTo(Comparator.naturalOrder());
    assertThat(keysInOrder.get(0).getBytes(StandardCharsets.ISO_8859_1)[0] & 0xff)
        .as("unsigned byte order: 0x00 before 0xff").isLessThan(0x40);
  }
}
