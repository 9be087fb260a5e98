package io.veil.connectors.kafka.internal;

import io.veil.VeilException;
import io.veil.channel.StreamWriter;
import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.connectors.kafka.internal.KafkaErrors.Access;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;

/**
 * Writes records to one partition of a topic through the JVM's shared producer. {@link #flush()}
 * waits for this writer's own acknowledgements only. Not thread-safe (callbacks arrive on the
 * producer's I/O thread and are synchronised).
 */
public final class KafkaStreamWriter implements StreamWriter {
  private final KafkaChannelConfig config;
  private final String topic;
  private final int partition;
  private final String action;
  private final SharedProducers.Lease lease;
  private final Callback callback = this::onCompletion;

  private final Object lock = new Object();
  private long pending; // guarded by lock
  private Exception firstFailure; // guarded by lock
  private boolean closed;

  /** Opens a writer; checks that the partition exists (metadata fetch bounded by timeout.ms). */
  public KafkaStreamWriter(KafkaChannelConfig config, String topic, int partition) {
    this.config = config;
    this.topic = topic;
    this.partition = partition;
    this.action = "write to Kafka topic '" + topic + "' partition " + partition;
    if (partition < 0) {
      throw KafkaErrors.noSuchPartition("open a writer", topic, partition, 0);
    }
    this.lease = SharedProducers.acquire(config);
    try {
      List<PartitionInfo> partitions = lease.producer().partitionsFor(topic);
      if (partition >= partitions.size()) {
        throw KafkaErrors.noSuchPartition("open a writer", topic, partition, partitions.size());
      }
    } catch (KafkaException e) {
      lease.close();
      throw KafkaErrors.kafkaFailure("open a writer on Kafka topic '" + topic + "' partition "
          + partition, Access.DESCRIBE, topic, config, e);
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  @Override
  public void write(byte[] record) {
    if (closed) {
      throw KafkaErrors.closed("writer for topic '" + topic + "' partition " + partition);
    }
    if (record.length > config.maxBatchBytes()) {
      throw KafkaErrors.recordTooLarge(action, record.length, config);
    }
    synchronized (lock) {
      pending++;
    }
    try {
      lease.producer().send(new ProducerRecord<>(topic, partition, null, record), callback);
    } catch (KafkaException | IllegalStateException e) {
      // Thrown synchronously only when the producer itself is unusable (closed, fatal error);
      // the callback is not called then.
      lease.invalidate();
      synchronized (lock) {
        pending--;
      }
      throw KafkaErrors.kafkaFailure(action, Access.WRITE, topic, config, e);
    }
  }

  private void onCompletion(RecordMetadata metadata, Exception exception) {
    if (exception != null) {
      lease.invalidateAfter(exception);
    }
    synchronized (lock) {
      if (exception != null && firstFailure == null) {
        firstFailure = exception;
      }
      pending--;
      if (pending == 0) {
        lock.notifyAll();
      }
    }
  }

  @Override
  public void flush() {
    // The producer completes every record within delivery.timeout.ms; the extra bound only guards
    // against a producer that never calls back.
    long boundMs = lease.deliveryTimeoutMs() + config.timeoutMs();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMs);
    synchronized (lock) {
      while (pending > 0) {
        long leftNanos = deadline - System.nanoTime();
        if (leftNanos <= 0) {
          throw new VeilException("Cannot " + action + ": " + pending + " record(s) were neither "
              + "acknowledged nor failed by " + config.describe() + " within " + boundMs
              + " ms. Check the brokers' health, or raise option '"
              + KafkaChannelConfig.TIMEOUT_MS + "'.");
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, leftNanos);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw KafkaErrors.interrupted(action);
        }
      }
      if (firstFailure != null) {
        throw KafkaErrors.kafkaFailure(action, Access.WRITE, topic, config, firstFailure);
      }
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      flush();
    } finally {
      lease.close();
    }
  }
}
