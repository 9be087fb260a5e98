package io.veil.psi.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.ProtocolException;
import io.veil.testing.SparkTestSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/** The driver's buckets do what Spark's do: the same grouping and order, failures as thrown. */
class BucketsTest {
  private static SparkSession spark;
  private static JavaSparkContext jsc;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("BucketsTest");
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static List<Tuple2<byte[], byte[]>> randomPairs(int n, long seed) {
    Random rnd = new Random(seed);
    List<Tuple2<byte[], byte[]>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] k = new byte[12];
      rnd.nextBytes(k);
      out.add(new Tuple2<>(k, new byte[] {(byte) i}));
    }
    return out;
  }

  private static List<String> hex(Buckets<Tuple2<byte[], byte[]>> b) {
    return b.map((i, it) -> {
      List<String> out = new ArrayList<>();
      it.forEachRemaining(t -> out.add(i + ":" + HexFormat.of().formatHex(t._1())));
      return out.iterator();
    }).collect(x -> x);
  }

  @Test
  void sortedByPrefixGroupsAndOrdersAsSparksShuffleDoes() {
    List<Tuple2<byte[], byte[]>> pairs = randomPairs(2_000, 1);
    Buckets<Tuple2<byte[], byte[]>> inSpark = Buckets.sortedByPrefix(Buckets.spark(jsc.parallelize(pairs, 3)), 5);
    Buckets<Tuple2<byte[], byte[]>> onDriver = Buckets.sortedByPrefix(
        Buckets.local(List.of(pairs.subList(0, 700), pairs.subList(700, 2_000)), 2), 5);
    List<String> expected = hex(inSpark);
    assertThat(expected).hasSize(2_000);
    assertThat(hex(onDriver)).containsExactlyElementsOf(expected);
  }

  @Test
  void aDriverStepRunsBucketsOnSeveralThreadsAndKeepsTheirOrder() {
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    List<List<Integer>> parts = new ArrayList<>();
    for (int b = 0; b < 8; b++) {
      parts.add(List.of(b * 10, b * 10 + 1));
    }
    List<Integer> out = Buckets.local(parts, 2).map((b, it) -> {
      threads.add(Thread.currentThread());
      Thread.sleep(20);
      List<Integer> r = new ArrayList<>();
      it.forEachRemaining(x -> r.add(x + b));
      return r.iterator();
    }).collect(x -> x);
    assertThat(out).containsExactly(0, 1, 11, 12, 22, 23, 33, 34, 44, 45, 55, 56, 66, 67, 77, 78);
    assertThat(threads).hasSize(2);
    assertThat(Buckets.local(parts, 1).map((b, it) -> {
      threads.add(Thread.currentThread());
      return it;
    }).count()).isEqualTo(16);
    assertThat(threads).as("one thread: the caller's").contains(Thread.currentThread()).hasSize(3);
  }

  @Test
  void aFailingBucketFailsTheStepWithItsOwnException() {
    List<List<Integer>> parts = Arrays.asList(List.of(1), List.of(2), List.of(3), List.of(4));
    ProtocolException thrown = new ProtocolException("bank_b", "blind-1", "bucket 2 is bad");
    assertThatThrownBy(() -> Buckets.local(parts, 2).map((b, it) -> {
      if (b == 2) {
        throw thrown;
      }
      return it;
    })).isSameAs(thrown);
    assertThatThrownBy(() -> Buckets.local(parts, 2).zip(Buckets.local(parts.subList(0, 3), 2), (x, y) -> x))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4 buckets zipped with 3");
  }
}
