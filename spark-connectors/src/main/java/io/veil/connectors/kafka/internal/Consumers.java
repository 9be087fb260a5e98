package io.veil.connectors.kafka.internal;

import io.veil.connectors.kafka.KafkaChannelConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;

/** Creates and closes the channel's assigned (group-less) byte-array consumers. */
final class Consumers {
  private Consumers() {}

  static KafkaConsumer<byte[], byte[]> create(KafkaChannelConfig config) {
    try {
      return new KafkaConsumer<>(ClientProperties.consumer(config));
    } catch (KafkaException e) {
      throw KafkaErrors.clientCreation("consumer", config, e);
    }
  }

  /** A consumer for a {@link KafkaStreamFollower} ({@link ClientProperties#followerConsumer}). */
  static KafkaConsumer<byte[], byte[]> createFollower(KafkaChannelConfig config) {
    try {
      return new KafkaConsumer<>(ClientProperties.followerConsumer(config));
    } catch (KafkaException e) {
      throw KafkaErrors.clientCreation("consumer", config, e);
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
