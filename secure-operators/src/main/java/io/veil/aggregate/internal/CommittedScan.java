package io.veil.aggregate.internal;

import io.veil.spark.DatasetCommitment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import scala.Tuple2;

/**
 * One pass over a party's input that both pre-aggregates it ({@link GroupEncoder}) and hashes it
 * for its input commitment ({@link DatasetCommitment.Hasher}), so the input is read once and never
 * cached. Input rows are Spark's internal rows: the committed columns (the hasher's, made with
 * {@link DatasetCommitment.Hasher#internal}) followed by the encoder's columns.
 * Output: the encoder's entries (key {@code >= -1}, {@code long[]}) and the commitment's packed
 * buckets (key {@link #bucketKey}, {@code byte[]}); merge with {@link #merge}.
 */
public final class CommittedScan implements PairFlatMapFunction<Iterator<InternalRow>, Integer, Object> {
  private static final long serialVersionUID = 1L;
  private final GroupEncoder encoder;
  private final DatasetCommitment.Hasher hasher;

  /**
   * @param encoder reads its columns after the committed ones
   * @param hasher hashes the committed columns
   */
  public CommittedScan(GroupEncoder encoder, DatasetCommitment.Hasher hasher) {
    this.encoder = encoder;
    this.hasher = hasher;
  }

  /** Key of commitment bucket {@code b} (0..255): below the encoder's keys. */
  public static int bucketKey(int b) {
    return -2 - b;
  }

  /** The bucket of a key, or -1 for an encoder key. */
  public static int bucketOf(int key) {
    return key <= -2 ? -2 - key : -1;
  }

  /**
   * What a committed scan produced: its other entries (key, value) merged per key, and the
   * commitment to the scanned input.
   */
  public record Collected(List<Tuple2<Integer, Object>> entries, DatasetCommitment.Commitment commitment) {}

  /** Shortest input-commitment salt accepted (the runtime's is 16 bytes, derived per job and party). */
  public static final int MIN_SALT_BYTES = 16;

  /**
   * Merges a committed scan's output per key with {@code merge} (which must concatenate packed
   * hashes, as {@link #merge} does), digests each commitment bucket in the executors, and collects
   * the rest and the commitment to the driver.
   *
   * @param salt the input commitment's salt: the runtime's ({@link
   *     io.veil.job.OperatorContext#inputCommitmentSalt()}); a short or all-zero salt is refused, since
   *     an unsalted commitment lets anyone holding a guess of the input confirm it
   */
  public static Collected collect(JavaPairRDD<Integer, Object> scanned, Function2<Object, Object, Object> merge,
      byte[] salt) {
    requireSalt(salt);
    List<Tuple2<Integer, Object>> entries = new ArrayList<>();
    Map<Integer, Tuple2<Long, byte[]>> buckets = new HashMap<>();
    for (Tuple2<Integer, Object> t : scanned.reduceByKey(merge)
        .mapToPair(t -> t._2() instanceof byte[] packed
            ? new Tuple2<>(t._1(), (Object) DatasetCommitment.bucketDigest(List.of(packed))) : t)
        .collect()) {
      if (bucketOf(t._1()) >= 0) {
        @SuppressWarnings("unchecked")
        Tuple2<Long, byte[]> digest = (Tuple2<Long, byte[]>) t._2();
        buckets.put(bucketOf(t._1()), digest);
      } else {
        entries.add(t);
      }
    }
    return new Collected(entries, DatasetCommitment.root(buckets, salt));
  }

  /** Refuses a salt that is missing, shorter than {@link #MIN_SALT_BYTES} or all zero. */
  public static void requireSalt(byte[] salt) {
    boolean zero = true;
    for (int i = 0; salt != null && i < salt.length; i++) {
      zero &= salt[i] == 0;
    }
    if (salt == null || salt.length < MIN_SALT_BYTES || zero) {
      throw new IllegalArgumentException("an input commitment needs the job's salt (" + MIN_SALT_BYTES + "+ bytes, "
          + "not all zero): run the operator through the job runtime (VeilJobs), which derives it per job and party");
    }
  }

  /** Merges two values of one key: sums of encoder vectors, concatenation of packed hashes. */
  public static Object merge(Object a, Object b) {
    if (a instanceof long[] x) {
      return GroupEncoder.add(x, (long[]) b);
    }
    byte[] x = (byte[]) a;
    byte[] y = (byte[]) b;
    byte[] out = java.util.Arrays.copyOf(x, x.length + y.length);
    System.arraycopy(y, 0, out, x.length, y.length);
    return out;
  }

  @Override
  public Iterator<Tuple2<Integer, Object>> call(Iterator<InternalRow> rows) {
    DatasetCommitment.Hasher h = hasher.fresh();
    Iterator<InternalRow> hashed = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public InternalRow next() {
        InternalRow row = rows.next();
        h.add(row);
        return row;
      }
    };
    List<Tuple2<Integer, Object>> out = new ArrayList<>();
    encoder.call(hashed).forEachRemaining(t -> out.add(new Tuple2<>(t._1(), t._2())));
    h.packed().forEach(t -> out.add(new Tuple2<>(bucketKey(t._1()), t._2())));
    return out.iterator();
  }
}
