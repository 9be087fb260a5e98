package io.veil.connectors.kafka.internal;

import io.veil.channel.StreamFollower;
import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.connectors.kafka.internal.KafkaErrors.Access;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;

/**
 * Follows one partition live from its start, with an assigned consumer (no consumer group, nothing
 * committed). {@link #next} returns the rest of the last poll if any, else polls with the time
 * left until its deadline, so it returns as soon as a record arrives: the consumer asks for fetches
 * to be answered as soon as one byte is there ({@link ClientProperties#followerConsumer}). It holds
 * one poll's records at most, like {@link KafkaStreamReader}. Not thread-safe.
 */
public final class KafkaStreamFollower implements StreamFollower {
  private final KafkaChannelConfig config;
  private final TopicPartition tp;
  private final String action;
  private final KafkaConsumer<byte[], byte[]> consumer;
  /** The rest of the last poll; polled again only once empty. */
  private final ArrayDeque<byte[]> buffer = new ArrayDeque<>();
  private boolean closed;

  /**
   * Opens the follower: checks that the topic and partition exist (metadata fetch bounded by
   * timeout.ms) and positions it at the partition's first record.
   */
  public KafkaStreamFollower(KafkaChannelConfig config, String topic, int partition) {
    this.config = config;
    this.tp = new TopicPartition(topic, partition);
    this.action = "follow Kafka topic '" + topic + "' partition " + partition;
    if (partition < 0) {
      throw KafkaErrors.noSuchPartition("open a follower", topic, partition, 0);
    }
    this.consumer = Consumers.createFollower(config);
    Consumers.assignFromStart(consumer, config, tp, "open a follower on Kafka topic '" + topic + "' partition "
        + partition, () -> { });
  }

  @Override
  public byte[] next(long timeoutMs) {
    if (closed) {
      throw KafkaErrors.closed("follower for topic '" + tp.topic() + "' partition "
          + tp.partition());
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMs));
    while (buffer.isEmpty()) {
      long leftNanos = Math.max(0, deadline - System.nanoTime());
      poll(Duration.ofNanos(leftNanos));
      if (buffer.isEmpty() && leftNanos == 0) {
        return null;
      }
    }
    return buffer.poll();
  }

  private void poll(Duration timeout) {
    try {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout).records(tp)) {
        buffer.add(r.value() == null ? new byte[0] : r.value());
      }
    } catch (InterruptException e) {
      Thread.currentThread().interrupt(); // Kafka clears the flag when it throws this
      throw KafkaErrors.interrupted(action);
    } catch (KafkaException e) {
      throw KafkaErrors.kafkaFailure(action, Access.READ, tp.topic(), config, e);
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      Consumers.closeQuietly(consumer, config);
    }
  }
}
