package io.veil.connectors.kafka.internal;

import io.veil.channel.ControlTransport;
import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.connectors.kafka.internal.KafkaErrors.Access;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * A control log on a single-partition topic: Kafka's order of that partition is the log's total
 * order, seen identically by every party. Sends go through the JVM's shared idempotent producer and
 * block until acknowledged by all in-sync replicas; reads use an assigned consumer from offset 0,
 * with a follower's settings ({@link ClientProperties#followerConsumer}): a message arrives as soon
 * as the broker has it.
 * Not thread-safe.
 */
public final class KafkaControlTransport implements ControlTransport {
  private final KafkaChannelConfig config;
  private final TopicPartition tp;
  private final String sendAction;
  private final String pollAction;
  private final SharedProducers.Lease lease;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private boolean closed;

  /** Opens the log on an existing single-partition topic. */
  public KafkaControlTransport(KafkaChannelConfig config, String topic) {
    this.config = config;
    this.tp = new TopicPartition(topic, 0);
    this.sendAction = "send to control log topic '" + topic + "'";
    this.pollAction = "read control log topic '" + topic + "'";
    this.consumer = Consumers.createFollower(config);
    try {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      // Resolves the start offset now, so that an unreachable cluster fails here, not as silence.
      consumer.position(tp, Duration.ofMillis(config.timeoutMs()));
    } catch (KafkaException e) {
      Consumers.closeQuietly(consumer, config);
      throw KafkaErrors.kafkaFailure("open control log topic '" + topic + "'", Access.READ, topic,
          config, e);
    }
    try {
      this.lease = SharedProducers.acquire(config);
    } catch (RuntimeException e) {
      Consumers.closeQuietly(consumer, config);
      throw e;
    }
  }

  @Override
  public void send(byte[] message) {
    checkOpen();
    if (message.length > config.maxBatchBytes()) {
      throw KafkaErrors.recordTooLarge(sendAction, message.length, config);
    }
    try {
      lease.producer().send(new ProducerRecord<>(tp.topic(), tp.partition(), null, message))
          .get(lease.deliveryTimeoutMs() + config.timeoutMs(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw KafkaErrors.interrupted(sendAction);
    } catch (ExecutionException e) {
      lease.invalidateAfter(e.getCause());
      throw KafkaErrors.kafkaFailure(sendAction, Access.WRITE, tp.topic(), config, e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw KafkaErrors.kafkaFailure(sendAction, config,
          new org.apache.kafka.common.errors.TimeoutException("no acknowledgement", e));
    } catch (KafkaException | IllegalStateException e) {
      lease.invalidate(); // thrown synchronously only by an unusable producer
      throw KafkaErrors.kafkaFailure(sendAction, Access.WRITE, tp.topic(), config, e);
    }
  }

  @Override
  public List<byte[]> poll(long maxWaitMs) {
    checkOpen();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, maxWaitMs));
    List<byte[]> out = new ArrayList<>();
    try {
      do {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        for (ConsumerRecord<byte[], byte[]> r
            : consumer.poll(Duration.ofMillis(Math.max(0, leftMs))).records(tp)) {
          out.add(r.value() == null ? new byte[0] : r.value());
        }
      } while (out.isEmpty() && deadline - System.nanoTime() > 0);
    } catch (KafkaException e) {
      throw KafkaErrors.kafkaFailure(pollAction, Access.READ, tp.topic(), config, e);
    }
    return out;
  }

  private void checkOpen() {
    if (closed) {
      throw KafkaErrors.closed("control log '" + tp.topic() + "'");
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      try {
        Consumers.closeQuietly(consumer, config);
      } finally {
        lease.close();
      }
    }
  }
}
