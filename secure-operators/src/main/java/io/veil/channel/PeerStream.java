package io.veil.channel;

import io.veil.channel.BatchCodec.Batch;
import io.veil.crypto.IdentityPublicKey;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;

/**
 * One round's stream from a peer, as the peer announced it: read partition by partition inside
 * executor tasks, every batch verified (signature, job, stream, sender, partition, element size),
 * byte-identical duplicates dropped, and the counts and digest checked against the announcement.
 *
 * @param channel the transport
 * @param jobId the job every batch must be bound to
 * @param stream the stream name
 * @param sender the peer that wrote it
 * @param senderKey the peer's pinned identity key
 * @param step the protocol step, for errors
 * @param announced what the peer announced for the round
 * @param elementBytes size of one element of a batch
 */
public record PeerStream(Channel channel, String jobId, String stream, String sender, IdentityPublicKey senderKey,
    String step, RoundStats announced, int elementBytes) implements Serializable {

  /** The verified batches of {@code partition}, in sequence order. */
  public List<Batch> read(int partition) {
    BatchCollector collector = new BatchCollector(sender, step, partition);
    try (StreamReader reader = channel.openReader(stream, partition)) {
      Iterator<byte[]> records = reader.records();
      while (records.hasNext()) {
        byte[] record = records.next();
        collector.add(BatchCodec.decode(record, jobId, stream, sender, senderKey, partition, elementBytes, step),
            record);
      }
    }
    return collector.complete(announced.batches(partition), announced.elements(partition),
        announced.digest(partition));
  }
}
