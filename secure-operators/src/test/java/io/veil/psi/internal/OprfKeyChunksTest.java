package io.veil.psi.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import scala.Tuple2;

/** OPRF-PSI's bucketing shuffle moves chunks of keys: each chunk holds keys of its bucket only, and every key arrives. */
class OprfKeyChunksTest {

  private static Iterator<Row> rows(List<byte[]> keys) {
    return keys.stream().map(k -> RowFactory.create((Object) k)).iterator();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 8, 3000})
  void chunksHoldTheirBucketsKeysAndUnpackToTheDistinctKeys(int buckets) {
    Random r = new Random(buckets);
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      byte[] k = new byte[r.nextInt(81)]; // 0 to 80 bytes
      r.nextBytes(k);
      keys.add(k);
      if (i % 7 == 0) {
        keys.add(k.clone()); // a duplicate, in the same task
      }
    }
    keys.add(new byte[3 * io.veil.spark.PackedShuffle.chunkBytes(buckets)]); // larger than a chunk: a chunk of its own
    Map<Integer, Set<ByteBuffer>> expected = new HashMap<>();
    for (byte[] k : keys) {
      expected.computeIfAbsent(OprfPsiProtocol.bucket(k, buckets), b -> new HashSet<>()).add(ByteBuffer.wrap(k));
    }

    Map<Integer, List<Tuple2<Integer, byte[]>>> byBucket = new HashMap<>();
    // Two tasks, as the shuffle would bring them together.
    int half = keys.size() / 2;
    for (List<byte[]> task : List.of(keys.subList(0, half), keys.subList(half, keys.size()))) {
      OprfTasks.keyChunks(rows(task), buckets).forEachRemaining(c -> {
        assertThat(c._2().length).as("a chunk holds at most its size, or one larger key")
            .satisfiesAnyOf(n -> assertThat(n).isLessThanOrEqualTo(io.veil.spark.PackedShuffle.chunkBytes(buckets)),
                n -> assertThat(n).isEqualTo(4 + 3 * io.veil.spark.PackedShuffle.chunkBytes(buckets)));
        byBucket.computeIfAbsent(c._1(), b -> new ArrayList<>()).add(c);
      });
    }
    assertThat(byBucket.keySet()).isEqualTo(expected.keySet());
    for (Map.Entry<Integer, List<Tuple2<Integer, byte[]>>> e : byBucket.entrySet()) {
      List<ByteBuffer> got = new ArrayList<>();
      OprfTasks.distinctKeys(e.getValue().iterator()).forEachRemaining(k -> got.add(ByteBuffer.wrap(k)));
      assertThat(got).as("bucket %d", e.getKey()).doesNotHaveDuplicates();
      assertThat(new HashSet<>(got)).as("bucket %d", e.getKey()).isEqualTo(expected.get(e.getKey()));
    }
    if (buckets == 8) {
      assertThat(byBucket.values().stream().mapToInt(List::size).sum()).as("few chunks, not a record per key")
          .isLessThan(100);
    }
  }

  @Test
  void anEmptyTaskMakesNoChunk() {
    assertThat(OprfTasks.keyChunks(rows(List.of()), 8).hasNext()).isFalse();
    assertThat(OprfTasks.distinctKeys(List.<Tuple2<Integer, byte[]>>of().iterator()).hasNext()).isFalse();
  }
}
