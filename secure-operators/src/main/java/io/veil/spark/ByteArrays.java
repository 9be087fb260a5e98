package io.veil.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;

/** Deduplication, ordering and partitioning of byte strings (keys, blinded points, hashes, row hashes). */
public final class ByteArrays {
  private ByteArrays() {}

  /**
   * The distinct values among {@code values}, each where it first occurs. An open-addressing table
   * of indices sized for all of them: no wrapper or node object per value, no rehashing.
   */
  public static List<byte[]> distinct(Iterator<byte[]> values) {
    List<byte[]> all = new ArrayList<>();
    values.forEachRemaining(all::add);
    if (all.size() > 1 << 29) {
      throw new IllegalArgumentException(all.size() + " values are more than one table of indices takes");
    }
    int bits = Math.max(2, 33 - Integer.numberOfLeadingZeros(Math.max(1, all.size()))); // 2^bits >= 2 * size
    int[] table = new int[1 << bits]; // index + 1 of a value; 0: empty
    int mask = table.length - 1;
    List<byte[]> out = new ArrayList<>(all.size());
    for (int i = 0; i < all.size(); i++) {
      byte[] v = all.get(i);
      int slot = (Arrays.hashCode(v) * 0x9E3779B9) >>> (32 - bits);
      while (true) {
        int at = table[slot];
        if (at == 0) {
          table[slot] = i + 1;
          out.add(v);
          break;
        }
        if (Arrays.equals(all.get(at - 1), v)) {
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    return out;
  }

  /**
   * The order of {@code count} records of {@code size} bytes packed in {@code flat} under {@link
   * UnsignedOrder}: the record indices, smallest record first. Sorts primitives (each record's first
   * five bytes and its index in one long), then orders the rare runs that share those five bytes by
   * their whole records: several times faster than sorting objects with a comparator.
   */
  public static int[] sortedOrder(byte[] flat, int size, int count) {
    int[] order = new int[count];
    if (size < 5 || count >= 1 << 23) {
      Integer[] boxed = new Integer[count];
      for (int i = 0; i < count; i++) {
        boxed[i] = i;
      }
      Arrays.sort(boxed, (x, y) -> compare(flat, size, x, y));
      for (int i = 0; i < count; i++) {
        order[i] = boxed[i];
      }
      return order;
    }
    long[] packed = new long[count];
    for (int i = 0; i < count; i++) {
      int o = i * size;
      long prefix = ((flat[o] & 0xffL) << 32) | ((flat[o + 1] & 0xffL) << 24) | ((flat[o + 2] & 0xffL) << 16)
          | ((flat[o + 3] & 0xffL) << 8) | (flat[o + 4] & 0xffL);
      packed[i] = (prefix << 23) | i;
    }
    Arrays.sort(packed);
    for (int i = 0; i < count; i++) {
      order[i] = (int) (packed[i] & ((1 << 23) - 1));
    }
    for (int start = 0; start < count; ) {
      int end = start + 1;
      while (end < count && packed[end] >>> 23 == packed[start] >>> 23) {
        end++;
      }
      if (end - start > 1) {
        Integer[] run = new Integer[end - start];
        for (int i = start; i < end; i++) {
          run[i - start] = order[i];
        }
        Arrays.sort(run, (x, y) -> compare(flat, size, x, y));
        for (int i = start; i < end; i++) {
          order[i] = run[i - start];
        }
      }
      start = end;
    }
    return order;
  }

  private static int compare(byte[] flat, int size, int x, int y) {
    return Arrays.compareUnsigned(flat, x * size, (x + 1) * size, flat, y * size, (y + 1) * size);
  }

  /** Unsigned lexicographic order. */
  public static final class UnsignedOrder implements Comparator<byte[]>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(byte[] a, byte[] b) {
      return Arrays.compareUnsigned(a, b);
    }
  }

  /**
   * Partitions by the first four bytes (after a few fixed bits, which for blinded points are
   * uniform). Used only on values that are pseudo-random to anyone without the keys, so the
   * partition of an element tells nothing about the input table.
   */
  public static final class PrefixPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;

    public PrefixPartitioner(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      byte[] b = (byte[]) key;
      int v = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
      return Integer.remainderUnsigned(v, partitions);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof PrefixPartitioner p && p.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return partitions;
    }
  }
}
