package io.veil.channel;

import io.veil.channel.BatchCodec.Batch;
import io.veil.crypto.IdentityPublicKey;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * One round's stream from a peer, as the peer announced it: read partition by partition inside
 * executor tasks, every batch verified (signature, job, stream, sender, partition, element size),
 * byte-identical duplicates dropped, and the counts and digest checked against the announcement.
 *
 * <p><b>Bounds.</b> A peer may write anything to its stream, so a reader trusts nothing it has not
 * announced (on the signed control log) and reads no more than that:
 * <ul>
 *   <li>the announcement itself must be one an honest sender can make: per partition, at least one
 *       element per batch and at most {@code maxElementsPerBatch} (the spec's batch size); else the
 *       stream is refused before anything is read;
 *   <li>a record larger than a full batch, or than the channel accepts ({@link Channel#maxRecordBytes}),
 *       is refused before it is decoded or verified;
 *   <li>a batch numbered beyond the announced count, or bringing more elements than announced, is
 *       refused when it is read;
 *   <li>byte-identical copies (task retries, resumed attempts) are skipped without verifying them
 *       again, up to {@link #MAX_COPIES} per announced batch;
 *   <li>reading stops as soon as every announced batch has arrived; later records are not read.
 * </ul>
 * So a reading task keeps at most the announced elements of its partition, and reads at most
 * {@code MAX_COPIES + 1} times the announced batches. Each violation is a {@link
 * io.veil.ProtocolException} naming the peer, the step, the stream and partition, and the bound.
 *
 * @param channel the transport
 * @param jobId the job every batch must be bound to
 * @param stream the stream name
 * @param sender the peer that wrote it
 * @param senderKey the peer's pinned identity key
 * @param step the protocol step, for errors
 * @param announced what the peer announced for the round
 * @param elementBytes size of one element of a batch
 * @param maxElementsPerBatch most elements an honest sender puts in one batch (from the spec)
 */
public record PeerStream(Channel channel, String jobId, String stream, String sender, IdentityPublicKey senderKey,
    String step, RoundStats announced, int elementBytes, int maxElementsPerBatch) implements Serializable {

  /**
   * Most byte-identical copies of each announced batch a reader skips before it gives up. Copies
   * come from task retries and from resumed attempts of a job, each of which writes a partition again
   * up to where it stopped; a reader stops at the first complete set.
   */
  public static final int MAX_COPIES = 64;

  /**
   * Checks the announcement for every partition.
   *
   * @throws io.veil.ProtocolException if the announcement is one no honest sender makes
   */
  public PeerStream {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(announced, "announced");
    if (elementBytes < 1 || elementBytes > 0xffff || maxElementsPerBatch < 1) {
      throw new IllegalArgumentException("elementBytes " + elementBytes + " / maxElementsPerBatch "
          + maxElementsPerBatch);
    }
    for (int p = 0; p < announced.partitions(); p++) {
      long batches = announced.batches(p);
      long elements = announced.elements(p);
      if (batches > elements || batches > Integer.MAX_VALUE
          || (elements - 1) / maxElementsPerBatch + 1 > batches && elements > 0) {
        throw BatchCollector.violation(sender, step, stream, p, "was announced with " + elements + " elements in "
            + batches + " batches of at most " + maxElementsPerBatch + " elements each, which no honest sender "
            + "writes (every batch holds 1 to " + maxElementsPerBatch + ")");
      }
    }
  }

  /**
   * Largest record a batch of partition {@code partition} can take: a full batch (or the announced
   * elements, if fewer), or what the channel accepts, whichever is smaller.
   */
  public long maxRecordBytes(int partition) {
    long elements = Math.min(maxElementsPerBatch, announced.elements(partition));
    return Math.min(channel.maxRecordBytes(), BatchCodec.recordBytes(jobId, stream, sender, elementBytes, elements));
  }

  /** The verified batches of {@code partition}, in sequence order; no more than were announced. */
  public List<Batch> read(int partition) {
    BatchCollector collector = new BatchCollector(sender, step, stream, partition, announced.batches(partition),
        announced.elements(partition));
    if (!collector.isComplete()) {
      long maxRecord = maxRecordBytes(partition);
      try (StreamReader reader = channel.openReader(stream, partition)) {
        Iterator<byte[]> records = reader.records();
        while (!collector.isComplete() && records.hasNext()) {
          byte[] record = records.next();
          if (record.length > maxRecord) {
            throw collector.violation("holds a record of " + record.length + " bytes, larger than the "
                + maxRecord + " bytes " + (maxRecord == channel.maxRecordBytes() ? "the channel accepts"
                : "of a batch of at most " + Math.min(maxElementsPerBatch, announced.elements(partition))
                + " elements of " + elementBytes + " bytes") + " (refused unread)");
          }
          byte[] digest = RoundDigest.batchDigest(record);
          if (collector.isCopy(digest)) {
            continue;
          }
          collector.accept(
              BatchCodec.decode(record, jobId, stream, sender, senderKey, partition, elementBytes, step), digest);
        }
      }
    }
    return collector.complete(announced.digest(partition));
  }

  /** The elements of {@code partition}, concatenated in sequence order ({@link #read}'s payloads without framing). */
  public byte[] readAll(int partition) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(
        (int) Math.min(Integer.MAX_VALUE - 8, announced.elements(partition) * elementBytes));
    for (Batch b : read(partition)) {
      out.write(b.payload(), 0, b.count() * elementBytes);
    }
    return out.toByteArray();
  }
}
