package io.veil.psi.internal;

import io.veil.channel.BatchCodec;
import io.veil.channel.Channel;
import io.veil.channel.Locals;
import io.veil.channel.RoundDigest;
import io.veil.channel.SentBatch;
import io.veil.channel.StreamWriter;
import io.veil.crypto.IdentityKeys;
import io.veil.spark.KeyRef;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;
import scala.Tuple2;

/**
 * Writes one data-plane partition (= the Spark partition index) as signed batches of
 * {@code batchRows} elements; returns what was written, keeping each element's local value when
 * asked (for mapping answers back). Each element's first {@code elementBytes} bytes are sent: an
 * element may be a longer array, such as its own local value when that begins with it.
 */
public final class SendBatches
    implements Function2<Integer, Iterator<Tuple2<byte[], byte[]>>, Iterator<SentBatch>> {
  private static final long serialVersionUID = 1L;
  private final Channel channel;
  private final String jobId;
  private final String stream;
  private final String me;
  private final KeyRef key;
  private final int elementBytes;
  private final int batchRows;
  private final boolean keepLocals;
  private final AnswerCipher cipher; // null: send in clear (blinded points)

  public SendBatches(Channel channel, String jobId, String stream, String me, KeyRef key,
      int elementBytes, int batchRows, boolean keepLocals) {
    this(channel, jobId, stream, me, key, elementBytes, batchRows, keepLocals, null);
  }

  SendBatches(Channel channel, String jobId, String stream, String me, KeyRef key,
      int elementBytes, int batchRows, boolean keepLocals, AnswerCipher cipher) {
    this.channel = channel;
    this.jobId = jobId;
    this.stream = stream;
    this.me = me;
    this.key = key;
    this.elementBytes = elementBytes;
    this.batchRows = batchRows;
    this.keepLocals = keepLocals;
    this.cipher = cipher;
  }

  /**
   * Elements per batch: {@code configured}, capped so that a batch of {@code elementBytes}-byte
   * elements (and its framing, under 4 KiB) fits one record of {@code channel}; at least 1.
   */
  public static int batchRows(io.veil.channel.Channel channel, int configured, int elementBytes) {
    return (int) Math.max(1, Math.min(configured, (channel.maxRecordBytes() - 4096) / elementBytes));
  }

  @Override
  public Iterator<SentBatch> call(Integer partition, Iterator<Tuple2<byte[], byte[]>> elements) {
    IdentityKeys signer = key.resolve().identity();
    List<SentBatch> out = new ArrayList<>();
    try (StreamWriter writer = channel.openWriter(stream, partition)) {
      int seq = 0;
      byte[] payload = new byte[batchRows * elementBytes];
      Locals.Builder locals = keepLocals ? new Locals.Builder(batchRows, 0) : null;
      int count = 0;
      while (elements.hasNext()) {
        Tuple2<byte[], byte[]> e = elements.next();
        System.arraycopy(e._1(), 0, payload, count * elementBytes, elementBytes);
        if (keepLocals) {
          locals.add(e._2());
        }
        count++;
        if (count == batchRows || !elements.hasNext()) {
          if (cipher != null) {
            cipher.apply(stream, partition, seq, payload, count * elementBytes);
          }
          byte[] record = BatchCodec.encode(
              jobId, stream, me, partition, seq, elementBytes, payload, count, signer);
          writer.write(record);
          out.add(new SentBatch(partition, seq, count, RoundDigest.batchDigest(record),
              keepLocals ? locals.build() : null));
          seq++;
          count = 0;
        }
      }
      writer.flush();
    }
    return out.iterator();
  }
}
