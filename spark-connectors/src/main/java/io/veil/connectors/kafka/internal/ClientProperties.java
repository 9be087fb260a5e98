package io.veil.connectors.kafka.internal;

import io.veil.connectors.kafka.KafkaChannelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Builds the properties of the Kafka clients the channel creates. Order, lowest precedence first:
 * Veil's defaults (timeouts), the properties file (read here, on the host creating the client), the
 * {@code kafka.*} options, then the settings the protocol depends on.
 */
public final class ClientProperties {
  /** Kafka's default {@code request.timeout.ms}; lowered to {@code timeout.ms} if smaller. */
  private static final long KAFKA_REQUEST_TIMEOUT_MS = 30_000;
  private static final long KAFKA_DEFAULT_BUFFER_MEMORY = 32L * 1024 * 1024;
  private static final long KAFKA_DEFAULT_FETCH_MAX_BYTES = 50L * 1024 * 1024;
  /** Upper bound on a follower consumer's {@code fetch.max.wait.ms}. */
  static final long FOLLOWER_MAX_FETCH_WAIT_MS = 100;
  /** Upper bound on a bulk reader consumer's {@code fetch.max.wait.ms}. */
  static final long READER_MAX_FETCH_WAIT_MS = 10;

  private ClientProperties() {}

  public static Properties admin(KafkaChannelConfig config) {
    Map<String, String> p = base(config);
    long requestTimeout = requestTimeout(config, p);
    p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(requestTimeout));
    p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
        Long.toString(Math.max(config.timeoutMs(), requestTimeout)));
    return toProperties(p);
  }

  public static Properties producer(KafkaChannelConfig config) {
    Map<String, String> p = base(config);
    long requestTimeout = requestTimeout(config, p);
    p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(requestTimeout));
    p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(config.timeoutMs()));
    long linger = parseLong(p.get(ProducerConfig.LINGER_MS_CONFIG), 0);
    // Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms.
    p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
        Long.toString(Math.max(config.timeoutMs(), linger + requestTimeout)));
    long buffer =
        parseLong(p.get(ProducerConfig.BUFFER_MEMORY_CONFIG), KAFKA_DEFAULT_BUFFER_MEMORY);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG,
        Long.toString(Math.max(buffer, 2L * config.maxRecordBytes())));
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(config.maxRecordBytes()));
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return toProperties(p);
  }

  /**
   * The consumer of a {@link KafkaStreamReader}: {@link #consumer}'s properties with
   * {@code fetch.max.wait.ms} at most {@value #READER_MAX_FETCH_WAIT_MS} ms. A reader reads records
   * already written, so no fetch of it waits for data, whatever {@code fetch.min.bytes} says, except
   * the one the consumer sends ahead after the last record: the broker holds that one for
   * {@code fetch.max.wait.ms}, and closing the reader waits for it (Kafka's default of 500 ms cost
   * every task that reads a stream half a second).
   */
  public static Properties readerConsumer(KafkaChannelConfig config) {
    return withFetchWaitAtMost(consumer(config), READER_MAX_FETCH_WAIT_MS);
  }

  static Properties consumer(KafkaChannelConfig config) {
    Map<String, String> p = base(config);
    long requestTimeout = requestTimeout(config, p);
    p.putIfAbsent(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(requestTimeout));
    p.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
        Long.toString(Math.max(config.timeoutMs(), requestTimeout)));
    long partitionFetch = parseLong(p.get(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
        ConsumerConfig.DEFAULT_MAX_PARTITION_FETCH_BYTES);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
        Long.toString(Math.max(partitionFetch, config.maxRecordBytes())));
    long fetchMax = parseLong(p.get(ConsumerConfig.FETCH_MAX_BYTES_CONFIG),
        KAFKA_DEFAULT_FETCH_MAX_BYTES);
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG,
        Long.toString(Math.max(fetchMax, config.maxRecordBytes())));
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return toProperties(p);
  }

  /**
   * The consumer of a {@link KafkaStreamFollower}: {@link #consumer}'s properties, except that a
   * fetch is answered as soon as one byte is there ({@code fetch.min.bytes=1}, whatever the
   * {@code kafka.*} options or the properties file set for the bulk readers), so that a record
   * reaches a waiting follower as soon as the broker has it. {@code fetch.max.wait.ms} then only
   * bounds how long the broker holds an empty fetch; it is lowered to at most
   * {@value #FOLLOWER_MAX_FETCH_WAIT_MS} ms because closing a consumer waits for its fetch in
   * flight (Kafka's default of 500 ms would delay the end of each task that follows a stream), at
   * the cost of one empty fetch per that time while a follower waits.
   */
  public static Properties followerConsumer(KafkaChannelConfig config) {
    Properties p = consumer(config);
    p.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
    return withFetchWaitAtMost(p, FOLLOWER_MAX_FETCH_WAIT_MS);
  }

  private static Properties withFetchWaitAtMost(Properties p, long maxMs) {
    long fetchWait = parseLong(p.getProperty(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), maxMs);
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Long.toString(Math.min(fetchWait, maxMs)));
    return p;
  }

  /** Properties file, then {@code kafka.*} options, then bootstrap servers. */
  private static Map<String, String> base(KafkaChannelConfig config) {
    Map<String, String> p = new HashMap<>();
    config.kafkaPropertiesFile().ifPresent(path -> p.putAll(readFile(path)));
    p.putAll(config.kafkaProperties());
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    return p;
  }

  private static long requestTimeout(KafkaChannelConfig config, Map<String, String> p) {
    String given = p.get(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG);
    return given != null ? parseLong(given, KAFKA_REQUEST_TIMEOUT_MS)
        : Math.min(KAFKA_REQUEST_TIMEOUT_MS, config.timeoutMs());
  }

  /** Reads and checks the client properties file. Values are never logged or put in messages. */
  static Map<String, String> readFile(String path) {
    Path file = Paths.get(path);
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      props.load(in); // ISO 8859-1 with escapes, as Kafka's own tools read these files
    } catch (NoSuchFileException e) {
      throw KafkaErrors.propertiesFile(path, hostName(), "no such file (working directory "
          + Paths.get("").toAbsolutePath() + ")", e);
    } catch (IOException | IllegalArgumentException e) {
      throw KafkaErrors.propertiesFile(path, hostName(), e.getClass().getSimpleName(), e);
    }
    Map<String, String> out = new HashMap<>();
    for (String key : props.stringPropertyNames()) {
      String value = props.getProperty(key).trim();
      PassThroughRules.checkFileProperty(path, key, value);
      out.put(key, value);
    }
    return out;
  }

  private static long parseLong(String value, long fallback) {
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return fallback; // Kafka's own validation reports the bad value when the client is created
    }
  }

  private static Properties toProperties(Map<String, String> map) {
    Properties props = new Properties();
    props.putAll(map);
    return props;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "(unknown)";
    }
  }
}
