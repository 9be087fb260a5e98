package io.veil.psi.internal;

import io.veil.spark.ByteArrays;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction2;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * One party's data of a job, one part per data-plane partition (bucket {@code b} is partition
 * {@code b} of every stream): in Spark's executors, one task per bucket, or, for a small job, in
 * lists on the driver, where each step is a loop instead of a Spark job (a Spark job costs a few
 * hundred milliseconds however little it does). Both run the same per-bucket functions, so what
 * the peer receives does not depend on which one a party uses.
 */
public abstract sealed class Buckets<T> {
  private Buckets() {}

  /** Spark's: every step a Spark job over {@code rdd}'s partitions. */
  static <T> Buckets<T> spark(JavaRDD<T> rdd) {
    return new InSpark<>(rdd);
  }

  /**
   * The driver's: part {@code b} of {@code parts} is bucket {@code b}; each step runs up to {@code
   * threads} buckets at once ({@link #driverThreads}).
   */
  static <T> Buckets<T> local(List<List<T>> parts, int threads) {
    return new OnDriver<>(parts, threads);
  }

  /**
   * The threads a driver-side step may use: the cores of {@code local[N]} (the driver is the
   * executor), else {@code spark.driver.cores} (default 1), at most the JVM's processors.
   */
  static int driverThreads(org.apache.spark.SparkContext sc) {
    int threads = sc.isLocal() ? sc.defaultParallelism() : sc.getConf().getInt("spark.driver.cores", 1);
    return Math.max(1, Math.min(threads, Runtime.getRuntime().availableProcessors()));
  }

  /**
   * {@code n} buckets whose only element is their own index, for steps that read their bucket from
   * the channel: the driver's ({@link #driverThreads} at once) or Spark's.
   */
  static Buckets<Integer> indices(JavaSparkContext jsc, boolean onDriver, int n) {
    if (onDriver) {
      return local(IntStream.range(0, n).mapToObj(List::of).toList(), driverThreads(jsc.sc()));
    }
    return spark(jsc.parallelize(IntStream.range(0, n).boxed().toList(), n));
  }

  /**
   * {@code pairs} regrouped into {@code n} buckets by the first bytes of their first element ({@link
   * ByteArrays.PrefixPartitioner}), each sorted by it ({@link ByteArrays.UnsignedOrder}): Spark's
   * shuffle, or the same grouping and order on the driver.
   */
  static Buckets<Tuple2<byte[], byte[]>> sortedByPrefix(Buckets<Tuple2<byte[], byte[]>> pairs, int n) {
    ByteArrays.PrefixPartitioner partitioner = new ByteArrays.PrefixPartitioner(n);
    ByteArrays.UnsignedOrder order = new ByteArrays.UnsignedOrder();
    if (pairs instanceof InSpark<Tuple2<byte[], byte[]>> s) {
      return spark(JavaPairRDD.fromJavaRDD(s.rdd).repartitionAndSortWithinPartitions(partitioner, order).rdd()
          .toJavaRDD());
    }
    OnDriver<Tuple2<byte[], byte[]>> in = (OnDriver<Tuple2<byte[], byte[]>>) pairs;
    List<List<Tuple2<byte[], byte[]>>> parts = new ArrayList<>(n);
    for (int b = 0; b < n; b++) {
      parts.add(new ArrayList<>());
    }
    for (List<Tuple2<byte[], byte[]>> part : in.parts) {
      for (Tuple2<byte[], byte[]> t : part) {
        parts.get(partitioner.getPartition(t._1())).add(t);
      }
    }
    in.each(n, b -> {
      parts.get(b).sort((x, y) -> order.compare(x._1(), y._1()));
      return null;
    });
    return local(parts, in.threads);
  }

  /** Applies {@code f} to each bucket (its index and its elements); lazy in Spark. */
  abstract <R> Buckets<R> map(Function2<Integer, Iterator<T>, Iterator<R>> f);

  /**
   * Applies {@code f} to each bucket of this and the same bucket of {@code other} (which must be of
   * the same kind, Spark's or the driver's, with as many buckets); lazy in Spark.
   */
  abstract <U, R> Buckets<R> zip(Buckets<U> other, FlatMapFunction2<Iterator<T>, Iterator<U>, R> f);

  /** Kept for a second use (Spark: cached, memory then disk; the driver's lists already are). */
  abstract Buckets<T> kept();

  /** Applies {@code f} to each element. */
  <R> Buckets<R> mapEach(Function<T, R> f) {
    return map((b, it) -> {
      List<R> out = new ArrayList<>();
      while (it.hasNext()) {
        out.add(f.call(it.next()));
      }
      return out.iterator();
    });
  }

  /** {@code f} of every element, bucket by bucket, on the driver. */
  abstract <R> List<R> collect(Function<T, R> f);

  abstract long count();

  /**
   * As a DataFrame of {@code schema}, one row per element, for joining with Spark data (the
   * driver's lists become a local relation, which Spark broadcasts to the join).
   */
  abstract Dataset<Row> toFrame(SparkSession spark, StructType schema, Function<T, Row> row);

  /** Drops what {@link #kept()} cached. */
  abstract void release();

  private static final class InSpark<T> extends Buckets<T> {
    private final JavaRDD<T> rdd;

    InSpark(JavaRDD<T> rdd) {
      this.rdd = rdd;
    }

    @Override
    <R> Buckets<R> map(Function2<Integer, Iterator<T>, Iterator<R>> f) {
      return new InSpark<>(rdd.mapPartitionsWithIndex(f, true));
    }

    @Override
    <U, R> Buckets<R> zip(Buckets<U> other, FlatMapFunction2<Iterator<T>, Iterator<U>, R> f) {
      return new InSpark<>(rdd.zipPartitions(((InSpark<U>) other).rdd, f));
    }

    @Override
    Buckets<T> kept() {
      return new InSpark<>(rdd.persist(StorageLevel.MEMORY_AND_DISK()));
    }

    @Override
    <R> List<R> collect(Function<T, R> f) {
      return rdd.map(f).collect();
    }

    @Override
    long count() {
      return rdd.count();
    }

    @Override
    Dataset<Row> toFrame(SparkSession spark, StructType schema, Function<T, Row> row) {
      return spark.createDataFrame(rdd.map(row), schema);
    }

    @Override
    void release() {
      rdd.unpersist(false);
    }
  }

  private static final class OnDriver<T> extends Buckets<T> {
    private final List<List<T>> parts;
    private final int threads;

    OnDriver(List<List<T>> parts, int threads) {
      this.parts = parts;
      this.threads = threads;
    }

    @Override
    <R> Buckets<R> map(Function2<Integer, Iterator<T>, Iterator<R>> f) {
      return new OnDriver<>(each(parts.size(), b -> drain(f.call(b, parts.get(b).iterator()))), threads);
    }

    @Override
    <U, R> Buckets<R> zip(Buckets<U> other, FlatMapFunction2<Iterator<T>, Iterator<U>, R> f) {
      List<List<U>> theirs = ((OnDriver<U>) other).parts;
      if (theirs.size() != parts.size()) {
        throw new IllegalArgumentException(parts.size() + " buckets zipped with " + theirs.size());
      }
      return new OnDriver<>(each(parts.size(), b -> drain(f.call(parts.get(b).iterator(), theirs.get(b).iterator()))),
          threads);
    }

    private static <R> List<R> drain(Iterator<R> it) {
      List<R> out = new ArrayList<>();
      it.forEachRemaining(out::add);
      return out;
    }

    /**
     * {@code f} of each bucket index below {@code n}, in index order: up to {@link #threads} at once.
     * The first failure (in index order) is thrown as {@code f} threw it; the other buckets are
     * cancelled.
     */
    <R> List<R> each(int n, Bucket<R> f) {
      int pool = Math.min(threads, n);
      if (pool <= 1) {
        List<R> out = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
          int bucket = b;
          out.add(unchecked(() -> f.call(bucket)));
        }
        return out;
      }
      java.util.concurrent.ExecutorService exec = java.util.concurrent.Executors.newFixedThreadPool(pool, r -> {
        Thread t = new Thread(r, "veil-driver-bucket");
        t.setDaemon(true);
        return t;
      });
      try {
        List<java.util.concurrent.Future<R>> running = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
          int bucket = b;
          running.add(exec.submit(() -> unchecked(() -> f.call(bucket))));
        }
        List<R> out = new ArrayList<>(n);
        for (java.util.concurrent.Future<R> r : running) {
          out.add(PsiProtocol.await(r, "running a step on the driver"));
        }
        return out;
      } finally {
        exec.shutdownNow();
      }
    }

    /** One bucket's work, by index. */
    interface Bucket<R> {
      R call(int bucket) throws Exception;
    }

    @Override
    Buckets<T> kept() {
      return this;
    }

    @Override
    <R> List<R> collect(Function<T, R> f) {
      List<R> out = new ArrayList<>();
      for (List<T> part : parts) {
        for (T t : part) {
          out.add(unchecked(() -> f.call(t)));
        }
      }
      return out;
    }

    @Override
    long count() {
      return parts.stream().mapToLong(List::size).sum();
    }

    @Override
    Dataset<Row> toFrame(SparkSession spark, StructType schema, Function<T, Row> row) {
      return spark.createDataFrame(collect(row), schema);
    }

    @Override
    void release() {}

    /** Spark's functions declare Exception; Veil's throw unchecked ones, passed on as they are. */
    private static <R> R unchecked(java.util.concurrent.Callable<R> f) {
      try {
        return f.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
