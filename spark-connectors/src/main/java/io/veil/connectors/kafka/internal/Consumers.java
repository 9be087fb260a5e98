package io.veil.connectors.kafka.internal;

import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.connectors.kafka.internal.KafkaErrors.Access;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** Creates and closes the channel's assigned (group-less) byte-array consumers. */
final class Consumers {
  private Consumers() {}

  /** A consumer for a {@link KafkaStreamReader} ({@link ClientProperties#readerConsumer}). */
  static KafkaConsumer<byte[], byte[]> createReader(KafkaChannelConfig config) {
    return create(ClientProperties.readerConsumer(config), config);
  }

  /**
   * A consumer that follows a log as records arrive: a {@link KafkaStreamFollower}'s or the control
   * log's ({@link ClientProperties#followerConsumer}).
   */
  static KafkaConsumer<byte[], byte[]> createFollower(KafkaChannelConfig config) {
    return create(ClientProperties.followerConsumer(config), config);
  }

  private static KafkaConsumer<byte[], byte[]> create(java.util.Properties properties, KafkaChannelConfig config) {
    try {
      return new KafkaConsumer<>(properties);
    } catch (KafkaException e) {
      throw KafkaErrors.clientCreation("consumer", config, e);
    }
  }

  /**
   * Checks that {@code topic} has partition {@code tp}, assigns the consumer to it from its first
   * record and runs {@code andThen} (more setup), all bounded by timeout.ms; on any failure closes
   * the consumer and throws the error naming {@code openAction}.
   */
  static void assignFromStart(KafkaConsumer<byte[], byte[]> consumer, KafkaChannelConfig config, TopicPartition tp,
      String openAction, Runnable andThen) {
    try {
      List<PartitionInfo> partitions = consumer.partitionsFor(tp.topic(), Duration.ofMillis(config.timeoutMs()));
      if (partitions == null || partitions.isEmpty()) {
        throw KafkaErrors.missingTopic(openAction, tp.topic(), config);
      }
      if (tp.partition() >= partitions.size()) {
        throw KafkaErrors.noSuchPartition(openAction, tp.topic(), tp.partition(), partitions.size());
      }
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      andThen.run();
    } catch (KafkaException e) {
      closeQuietly(consumer, config);
      throw KafkaErrors.kafkaFailure(openAction, Access.READ, tp.topic(), config, e);
    } catch (RuntimeException e) {
      closeQuietly(consumer, config);
      throw e;
    }
  }

  static void closeQuietly(KafkaConsumer<?, ?> consumer, KafkaChannelConfig config) {
    try {
      consumer.close(TopicAdmin.closeTimeout(config));
    } catch (RuntimeException ignored) {
      // closing only releases connections and threads; nothing to report
    }
  }
}
