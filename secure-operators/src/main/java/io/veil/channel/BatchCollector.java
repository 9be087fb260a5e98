package io.veil.channel;

import io.veil.ProtocolException;
import io.veil.channel.BatchCodec.Batch;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * Collects the verified batches of one partition of one round within what the sender announced:
 * drops byte-identical copies (Spark task retries and resumed attempts write a batch again), up to
 * {@link PeerStream#MAX_COPIES} per announced batch; rejects at once a batch numbered beyond the
 * announced count, elements beyond the announced number, and equivocation (two different batches
 * with the same sequence number); and checks completeness and the digest at the end. What it keeps
 * is bounded by the announcement: at most the announced batches and elements.
 */
public final class BatchCollector {
  private final String sender;
  private final String step;
  private final String stream;
  private final int partition;
  private final long announcedBatches;
  private final long announcedElements;
  private final TreeMap<Integer, Batch> batches = new TreeMap<>();
  private final TreeMap<Integer, byte[]> digests = new TreeMap<>();
  private final Set<ByteBuffer> kept = new HashSet<>();
  private long elements;
  private long copies;

  /**
   * A collector for partition {@code partition} of {@code stream}, written by {@code sender} in
   * {@code step}, which announced {@code announcedBatches} batches holding
   * {@code announcedElements} elements.
   */
  public BatchCollector(String sender, String step, String stream, int partition, long announcedBatches,
      long announcedElements) {
    this.sender = sender;
    this.step = step;
    this.stream = stream;
    this.partition = partition;
    this.announcedBatches = announcedBatches;
    this.announcedElements = announcedElements;
  }

  /** Whether every announced batch has arrived: a reader stops reading then. */
  public boolean isComplete() {
    return batches.size() == announcedBatches;
  }

  /**
   * Whether a record with this digest ({@link RoundDigest#batchDigest}) is a byte-identical copy
   * of a batch already collected, to be skipped without verifying it again.
   *
   * @throws ProtocolException if there were more copies than {@link PeerStream#MAX_COPIES} per
   *     announced batch
   */
  public boolean isCopy(byte[] recordDigest) {
    if (!kept.contains(ByteBuffer.wrap(recordDigest))) {
      return false;
    }
    copies++;
    if (copies > PeerStream.MAX_COPIES * announcedBatches) {
      throw violation("holds more than " + PeerStream.MAX_COPIES + " copies of each of the " + announcedBatches
          + " batches " + sender + " announced (" + copies + " so far), more than task retries and re-runs write");
    }
    return true;
  }

  /**
   * Adds a verified batch; {@code recordDigest} is the digest of the record it was decoded from.
   *
   * @throws ProtocolException at once if its sequence number is beyond the announced count, it is
   *     empty, it brings the partition beyond the announced number of elements, or another batch with
   *     its sequence number arrived before
   */
  public void accept(Batch batch, byte[] recordDigest) {
    if (batch.seq() >= announcedBatches) {
      throw violation("holds a batch with sequence number " + batch.seq() + ", beyond the " + announcedBatches
          + " batches " + sender + " announced");
    }
    byte[] previous = digests.get(batch.seq());
    if (previous != null) {
      if (!MessageDigest.isEqual(previous, recordDigest)) {
        throw violation("holds two different batches with sequence number " + batch.seq());
      }
      return;
    }
    if (batch.count() < 1) {
      throw violation("holds an empty batch (sequence number " + batch.seq() + ")");
    }
    if (batch.count() > announcedElements - elements) {
      throw violation("holds more than the " + announcedElements + " elements " + sender + " announced ("
          + (elements + batch.count()) + " in the " + (batches.size() + 1) + " batches read so far)");
    }
    elements += batch.count();
    digests.put(batch.seq(), recordDigest);
    kept.add(ByteBuffer.wrap(recordDigest));
    batches.put(batch.seq(), batch);
  }

  /**
   * Returns the batches in sequence order after checking that exactly the announced batches and
   * elements arrived, and that they have {@code expectedDigest} (when not null).
   */
  public List<Batch> complete(byte[] expectedDigest) {
    if (batches.size() != announcedBatches || elements != announcedElements) {
      throw violation("has " + batches.size() + " batches / " + elements + " elements but " + sender + " announced "
          + announcedBatches + " / " + announcedElements + "; check the channel's retention");
    }
    byte[] digest = digest();
    if (expectedDigest != null && !Arrays.equals(digest, expectedDigest)) {
      throw violation("does not match the digest " + sender + " announced");
    }
    return new ArrayList<>(batches.values());
  }

  /** Digest of what was collected so far, in sequence order. */
  public byte[] digest() {
    return RoundDigest.partitionDigest(new ArrayList<>(digests.values()));
  }

  /** A protocol error about this partition: {@code what} it holds, said of "partition p of stream s". */
  ProtocolException violation(String what) {
    return violation(sender, step, stream, partition, what);
  }

  /** The protocol error for data {@code sender} wrote to partition {@code partition} of {@code stream}. */
  static ProtocolException violation(String sender, String step, String stream, int partition, String what) {
    return new ProtocolException(sender, step,
        "Cannot accept data from " + sender + " in step '" + step + "': partition " + partition + " of stream '"
            + stream + "' " + what + ". The job was aborted and nothing was revealed; check that only the job's "
            + "parties can write to the channel and that every party runs the same spec and Veil version, then "
            + "re-run the job.");
  }
}
