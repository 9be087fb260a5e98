package io.veil.channel;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * What a sender announces for one round: per data-plane partition, the number of batches and
 * elements and the partition digest; and the round digest over all partitions.
 */
public final class RoundStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long[] batches;
  private final long[] elements;
  private final byte[][] digests;

  public RoundStats(long[] batches, long[] elements, byte[][] digests) {
    this.batches = batches;
    this.elements = elements;
    this.digests = digests;
  }

  /** Builds the stats from per-batch facts {@code (partition, seq, count, batchDigest)}. */
  public static RoundStats fromBatches(int partitions, List<SentBatch> sent) {
    long[] b = new long[partitions];
    long[] e = new long[partitions];
    List<List<byte[]>> perPartition = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      perPartition.add(new ArrayList<>());
    }
    List<SentBatch> sorted = new ArrayList<>(sent);
    sorted.sort((x, y) -> x.partition() != y.partition()
        ? Integer.compare(x.partition(), y.partition()) : Integer.compare(x.seq(), y.seq()));
    for (SentBatch s : sorted) {
      b[s.partition()]++;
      e[s.partition()] += s.count();
      perPartition.get(s.partition()).add(s.digest());
    }
    byte[][] d = new byte[partitions][];
    for (int p = 0; p < partitions; p++) {
      d[p] = RoundDigest.partitionDigest(perPartition.get(p));
    }
    return new RoundStats(b, e, d);
  }

  public int partitions() {
    return batches.length;
  }

  public long batches(int p) {
    return batches[p];
  }

  public long elements(int p) {
    return elements[p];
  }

  public byte[] digest(int p) {
    return digests[p];
  }

  public long totalBatches() {
    long t = 0;
    for (long x : batches) {
      t += x;
    }
    return t;
  }

  public long totalElements() {
    long t = 0;
    for (long x : elements) {
      t += x;
    }
    return t;
  }

  public byte[] roundDigest() {
    return RoundDigest.roundDigest(List.of(digests));
  }
}
