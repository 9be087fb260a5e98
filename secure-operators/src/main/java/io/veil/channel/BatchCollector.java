package io.veil.channel;

import io.veil.ProtocolException;
import io.veil.channel.BatchCodec.Batch;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * Collects the verified batches of one partition of one round, drops byte-identical duplicates
 * (Spark task retries write a batch twice), rejects equivocation (two different batches with the
 * same sequence number), and checks completeness against what the sender announced.
 */
public final class BatchCollector {
  private final String sender;
  private final String step;
  private final int partition;
  private final TreeMap<Integer, Batch> batches = new TreeMap<>();
  private final TreeMap<Integer, byte[]> digests = new TreeMap<>();

  public BatchCollector(String sender, String step, int partition) {
    this.sender = sender;
    this.step = step;
    this.partition = partition;
  }

  /** Adds a verified batch; {@code record} is the raw record it was decoded from. */
  public void add(Batch batch, byte[] record) {
    byte[] digest = RoundDigest.batchDigest(record);
    byte[] previous = digests.get(batch.seq());
    if (previous != null) {
      if (!MessageDigest.isEqual(previous, digest)) {
        throw new ProtocolException(sender, step,
            "Cannot accept data from " + sender + " in step '" + step + "': partition " + partition
                + " holds two different batches with sequence " + batch.seq()
                + ". The job was aborted; re-run it.");
      }
      return;
    }
    digests.put(batch.seq(), digest);
    batches.put(batch.seq(), batch);
  }

  /**
   * Returns the batches in sequence order after checking that exactly {@code expectedBatches}
   * batches with {@code expectedElements} elements and the announced digest arrived.
   */
  public List<Batch> complete(long expectedBatches, long expectedElements, byte[] expectedDigest) {
    long elements = batches.values().stream().mapToLong(Batch::count).sum();
    boolean contiguous = batches.isEmpty()
        || (batches.firstKey() == 0 && batches.lastKey() == batches.size() - 1);
    if (batches.size() != expectedBatches || !contiguous || elements != expectedElements) {
      throw new ProtocolException(sender, step,
          "Cannot accept data from " + sender + " in step '" + step + "': partition " + partition
              + " has " + batches.size() + " batches / " + elements + " elements but "
              + expectedBatches + " / " + expectedElements + " were announced. The job was aborted; "
              + "check the channel's retention and re-run the job.");
    }
    byte[] digest = RoundDigest.partitionDigest(new ArrayList<>(digests.values()));
    if (expectedDigest != null && !Arrays.equals(digest, expectedDigest)) {
      throw new ProtocolException(sender, step,
          "Cannot accept data from " + sender + " in step '" + step + "': partition " + partition
              + " does not match the digest " + sender + " announced. The job was aborted; re-run it.");
    }
    return new ArrayList<>(batches.values());
  }

  /** Digest of what was collected so far, in sequence order. */
  public byte[] digest() {
    return RoundDigest.partitionDigest(new ArrayList<>(digests.values()));
  }
}
