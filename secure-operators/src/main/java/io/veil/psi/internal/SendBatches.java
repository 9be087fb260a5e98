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
 * asked (for mapping answers back). Elements come as (element, local) pairs, of which each
 * element's first {@code elementBytes} bytes are sent, or packed ({@link #packed}), with no object
 * per element.
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
    return write(partition, (payload, locals) -> {
      int count = 0;
      for (; count < batchRows && elements.hasNext(); count++) {
        Tuple2<byte[], byte[]> e = elements.next();
        System.arraycopy(e._1(), 0, payload, count * elementBytes, elementBytes);
        if (locals != null) {
          locals.add(e._2());
        }
      }
      return count;
    });
  }

  /**
   * One partition's elements and their locals, read a batch at a time from arrays the producer
   * already holds, with no object per element.
   */
  public interface Packed {
    /** How many elements. */
    int size();

    /** Copies elements {@code [from, to)} back to back, {@code elementBytes} each, into {@code dst} from 0. */
    void elements(int from, int to, byte[] dst);

    /** Adds the locals of elements {@code [from, to)} to {@code locals}. */
    void locals(int from, int to, Locals.Builder locals);
  }

  /** Writes partition {@code partition} from {@code packed}. */
  public Iterator<SentBatch> packed(int partition, Packed packed) {
    int total = packed.size();
    int[] next = {0};
    return write(partition, (payload, locals) -> {
      int from = next[0];
      int to = from + Math.min(batchRows, total - from);
      packed.elements(from, to, payload);
      if (locals != null) {
        packed.locals(from, to, locals);
      }
      next[0] = to;
      return to - from;
    });
  }

  /** Fills a batch's payload (and locals, when kept) with the next elements; returns how many, 0 at the end. */
  private interface BatchSource {
    int fill(byte[] payload, Locals.Builder locals);
  }

  private Iterator<SentBatch> write(int partition, BatchSource source) {
    IdentityKeys signer = key.resolve().identity();
    List<SentBatch> out = new ArrayList<>();
    try (StreamWriter writer = channel.openWriter(stream, partition)) {
      byte[] payload = new byte[batchRows * elementBytes];
      Locals.Builder locals = keepLocals ? new Locals.Builder(batchRows, 0) : null;
      for (int seq = 0, count; (count = source.fill(payload, locals)) > 0; seq++) {
        if (cipher != null) {
          cipher.apply(stream, partition, seq, payload, count * elementBytes);
        }
        byte[] record = BatchCodec.encode(
            jobId, stream, me, partition, seq, elementBytes, payload, count, signer);
        writer.write(record);
        out.add(new SentBatch(partition, seq, count, RoundDigest.batchDigest(record),
            keepLocals ? locals.build() : null));
      }
      writer.flush();
    }
    return out.iterator();
  }
}
