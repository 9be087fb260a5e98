package io.veil.psi.internal;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;
import org.apache.spark.Partitioner;

/** Ordering and partitioning of pseudo-random byte strings (blinded points, hashes). */
public final class ByteArrays {
  private ByteArrays() {}

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
