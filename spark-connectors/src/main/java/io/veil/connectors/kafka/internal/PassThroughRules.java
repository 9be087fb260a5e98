package io.veil.connectors.kafka.internal;

import io.veil.InvalidInputException;
import io.veil.connectors.kafka.KafkaChannelConfig;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Which Kafka client properties may be passed through, as {@code kafka.*} options or in the
 * {@code kafka.properties.file}.
 */
public final class PassThroughRules {
  private static final Set<String> KNOWN = new TreeSet<>();

  static {
    KNOWN.addAll(ProducerConfig.configNames());
    KNOWN.addAll(ConsumerConfig.configNames());
    KNOWN.addAll(AdminClientConfig.configNames());
  }

  private PassThroughRules() {}

  /**
   * Checks a {@code kafka.<key>} option: no secrets (options travel in Spark closures), nothing
   * the protocol depends on, and only properties Kafka clients know.
   */
  public static void checkOption(String key, String value) {
    String source = "option '" + KafkaChannelConfig.KAFKA_PREFIX + key + "'";
    if (isSecret(key)) {
      throw KafkaErrors.secretOption(KafkaChannelConfig.KAFKA_PREFIX + key);
    }
    checkProtocol(source, key, value);
    if (!KNOWN.contains(key)) {
      throw KafkaErrors.unknownKafkaProperty(KafkaChannelConfig.KAFKA_PREFIX + key);
    }
  }

  /** Checks a property read from the client properties file: only the protocol rules apply. */
  public static void checkFileProperty(String path, String key, String value) {
    checkProtocol("property '" + key + "' in " + KafkaChannelConfig.KAFKA_PROPERTIES_FILE + " '"
        + path + "'", key, value);
  }

  static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.equals("sasl.jaas.config")
        || k.endsWith(".password")
        || k.equals("ssl.keystore.key")
        || k.contains("secret");
  }

  private static void checkProtocol(String source, String key, String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    switch (key) {
      case "key.serializer":
      case "value.serializer":
      case "key.deserializer":
      case "value.deserializer":
        throw refused(source, "the channel moves raw bytes with its own byte-array (de)serializers",
            "Remove it");
      case "group.id":
      case "group.instance.id":
      case "enable.auto.commit":
      case "auto.offset.reset":
        throw refused(source, "the channel reads assigned partitions from their start, without a "
            + "consumer group or committed offsets", "Remove it");
      case "transactional.id":
        throw refused(source, "the channel does not use Kafka transactions (the batch framing "
            + "removes duplicates)", "Remove it");
      case "acks":
        if (!v.equals("all") && !v.equals("-1")) {
          throw refused(source, "the channel needs acks=all so that an acknowledged record "
              + "survives the loss of a broker", "Remove it or set it to all");
        }
        return;
      case "enable.idempotence":
        if (!v.equals("true")) {
          throw refused(source, "the channel needs the idempotent producer so that retries neither "
              + "duplicate nor reorder records", "Remove it");
        }
        return;
      case "bootstrap.servers":
        throw refused(source, "the brokers are set by the channel option",
            "Use option '" + KafkaChannelConfig.BOOTSTRAP_SERVERS + "' instead");
      case "max.request.size":
        throw refused(source, "the channel sizes producer requests, topics and fetches together",
            "Use option '" + KafkaChannelConfig.MAX_BATCH_BYTES + "' instead");
      default:
        return;
    }
  }

  private static InvalidInputException refused(String source, String why, String fix) {
    return KafkaErrors.refusedProperty(source, why, fix);
  }
}
