package io.veil.spark;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import scala.Tuple2;

/**
 * A shuffle of many small records as a few large arrays. Each task packs its records per target
 * partition into chunks (each record: its length as 4 bytes, then its bytes) and the shuffle moves
 * the chunks, keyed by partition ({@code partitionBy(new HashPartitioner(n))} sends chunk key
 * {@code p} to partition {@code p}). A shuffle of one record per element spent most of its time in
 * Kryo, which resets its reference map after every object, and in Spark's size estimates of the
 * records it buffered (profiles of OPRF-PSI's bucketing and feature aggregation's sort).
 */
public final class PackedShuffle {
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  private PackedShuffle() {}

  /** Bytes of one chunk for {@code partitions} target partitions: one task's buffers take at most about 16 MiB. */
  public static int chunkBytes(int partitions) {
    return Math.max(4 << 10, Math.min(1 << 20, (16 << 20) / Math.max(1, partitions)));
  }

  /** Reads one record of a chunk. */
  @FunctionalInterface
  public interface RecordReader {
    void read(byte[] chunk, int offset, int length);
  }

  /**
   * {@code items} packed per target partition ({@code partitionOf}, in {@code [0, partitions)}) into
   * chunks of about {@link #chunkBytes} (a larger record gets a chunk of its own), made as the items
   * are read: (partition, chunk) pairs.
   */
  public static <T> Iterator<Tuple2<Integer, byte[]>> pack(Iterator<T> items, int partitions,
      ToIntFunction<T> partitionOf, Function<T, byte[]> bytesOf) {
    int chunkBytes = chunkBytes(partitions);
    byte[][] buf = new byte[partitions][];
    int[] used = new int[partitions];
    return new Iterator<>() {
      private final ArrayDeque<Tuple2<Integer, byte[]>> ready = new ArrayDeque<>();
      private boolean drained;

      @Override
      public boolean hasNext() {
        while (ready.isEmpty() && !drained) {
          if (items.hasNext()) {
            T item = items.next();
            add(partitionOf.applyAsInt(item), bytesOf.apply(item));
          } else {
            for (int p = 0; p < partitions; p++) {
              flush(p);
            }
            drained = true;
          }
        }
        return !ready.isEmpty();
      }

      @Override
      public Tuple2<Integer, byte[]> next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.poll();
      }

      private void add(int p, byte[] record) {
        int need = 4 + record.length;
        if (used[p] > 0 && used[p] + need > chunkBytes) {
          flush(p);
        }
        if (buf[p] == null || used[p] + need > buf[p].length) {
          int size = buf[p] == null ? Math.min(chunkBytes, 4 << 10) : Math.min(chunkBytes, buf[p].length * 2);
          buf[p] = Arrays.copyOf(buf[p] == null ? new byte[0] : buf[p], Math.max(size, used[p] + need));
        }
        INT.set(buf[p], used[p], record.length);
        System.arraycopy(record, 0, buf[p], used[p] + 4, record.length);
        used[p] += need;
      }

      private void flush(int p) {
        if (used[p] > 0) {
          ready.add(new Tuple2<>(p, Arrays.copyOf(buf[p], used[p])));
          used[p] = 0;
        }
      }
    };
  }

  /** Reads every record of {@code chunks} ({@link #pack}'s), in order. */
  public static void forEachRecord(Iterator<Tuple2<Integer, byte[]>> chunks, RecordReader reader) {
    while (chunks.hasNext()) {
      byte[] c = chunks.next()._2();
      for (int at = 0; at < c.length; ) {
        int n = (int) INT.get(c, at);
        reader.read(c, at + 4, n);
        at += 4 + n;
      }
    }
  }
}
