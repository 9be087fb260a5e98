package io.veil.connectors.kafka.internal;

import io.veil.VeilException;
import io.veil.channel.StreamReader;
import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.connectors.kafka.internal.KafkaErrors.Access;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads one partition from its start up to the end offset it had when the reader was opened, with
 * an assigned consumer (no consumer group, nothing committed). Records are fetched as the caller
 * takes them: the reader holds one poll's records at most (bounded by the consumer's
 * {@code max.partition.fetch.bytes}, or one record batch, which the topic's checked
 * {@code max.message.bytes} bounds), and a caller that stops early fetches no further. Its
 * consumer comes from, and goes back to, the {@link ReaderPool}. Not thread-safe.
 */
public final class KafkaStreamReader implements StreamReader {
  private static final Duration MAX_POLL = Duration.ofMillis(500);

  private final KafkaChannelConfig config;
  private final TopicPartition tp;
  private final String action;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final long endOffset;
  private boolean iteratorTaken;
  private boolean closed;
  /** A Kafka error or a timeout: the consumer is closed, not given back to the {@link ReaderPool}. */
  private boolean failed;

  /** Opens the reader and fixes its end offset (bounded by timeout.ms). */
  public KafkaStreamReader(KafkaChannelConfig config, String topic, int partition) {
    this.config = config;
    this.tp = new TopicPartition(topic, partition);
    this.action = "read Kafka topic '" + topic + "' partition " + partition;
    if (partition < 0) {
      throw KafkaErrors.noSuchPartition("open a reader", topic, partition, 0);
    }
    this.consumer = ReaderPool.take(config);
    long[] end = new long[1];
    Consumers.assignFromStart(consumer, config, tp, "open a reader on Kafka topic '" + topic + "' partition "
        + partition, () -> end[0] = consumer.endOffsets(List.of(tp), Duration.ofMillis(config.timeoutMs())).get(tp));
    this.endOffset = end[0];
  }

  /** Offset one past the last record this reader returns. */
  public long endOffset() {
    return endOffset;
  }

  @Override
  public Iterator<byte[]> records() {
    if (iteratorTaken) {
      throw new IllegalStateException("records() may be called once per reader");
    }
    iteratorTaken = true;
    return new RecordIterator();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      if (failed) {
        Consumers.closeQuietly(consumer, config);
      } else {
        ReaderPool.giveBack(config, consumer);
      }
    }
  }

  private final class RecordIterator implements Iterator<byte[]> {
    /** The rest of the last poll; polled again only once empty. */
    private final ArrayDeque<byte[]> buffer = new ArrayDeque<>();
    private boolean done = endOffset == 0;
    private long lastPosition = -1;
    private long lastProgressNanos = System.nanoTime();

    @Override
    public boolean hasNext() {
      while (buffer.isEmpty() && !done) {
        fetch();
      }
      return !buffer.isEmpty();
    }

    @Override
    public byte[] next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return buffer.poll();
    }

    private void fetch() {
      if (closed) {
        throw KafkaErrors.closed("reader for topic '" + tp.topic() + "' partition "
            + tp.partition());
      }
      try {
        long position = consumer.position(tp, Duration.ofMillis(config.timeoutMs()));
        if (position >= endOffset) {
          done = true; // also covers offsets taken by transaction markers or deleted records
          return;
        }
        if (position != lastPosition) {
          lastPosition = position;
          lastProgressNanos = System.nanoTime();
        } else if (System.nanoTime() - lastProgressNanos
            > TimeUnit.MILLISECONDS.toNanos(config.timeoutMs())) {
          failed = true;
          throw new VeilException("Cannot " + action + ": no records arrived from "
              + config.describe() + " for " + config.timeoutMs() + " ms at offset " + position
              + " of " + endOffset + ". Check that the brokers are reachable and healthy, or raise "
              + "option '" + KafkaChannelConfig.TIMEOUT_MS + "'.");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(MAX_POLL).records(tp)) {
          if (r.offset() >= endOffset) {
            done = true; // written after this reader was opened
            break;
          }
          buffer.add(r.value() == null ? new byte[0] : r.value());
          lastProgressNanos = System.nanoTime();
        }
      } catch (KafkaException e) {
        failed = true;
        throw KafkaErrors.kafkaFailure(action, Access.READ, tp.topic(), config, e);
      }
    }
  }
}
