package io.veil.connectors.kafka;

import io.veil.InvalidInputException;
import io.veil.connectors.kafka.internal.KafkaErrors;
import io.veil.connectors.kafka.internal.PassThroughRules;
import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Settings of a {@link KafkaChannel}: where the Kafka cluster is, how topics are named and created,
 * and which standard Kafka client properties to pass through. Immutable, validated when built, and
 * {@link Serializable} (it travels to Spark executors inside the channel).
 *
 * <p>Build one with {@link #builder()} or from string options with {@link #fromOptions(Map)}. Every
 * option:
 *
 * <table>
 *   <caption>Kafka channel options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code bootstrap.servers}</td><td>(required)</td>
 *       <td>Comma-separated {@code host:port} list of the Kafka brokers both parties use.</td></tr>
 *   <tr><td>{@code topic.prefix}</td><td>{@code veil.}</td>
 *       <td>Prefix of every topic the channel uses; a stream or control log {@code name} is topic
 *       {@code <topic.prefix><name>}. Characters {@code [A-Za-z0-9._-]}, may be empty. Both parties
 *       must use the same prefix.</td></tr>
 *   <tr><td>{@code replication.factor}</td><td>{@code -1}</td>
 *       <td>Replication factor of topics the channel creates; {@code -1} uses the broker's
 *       {@code default.replication.factor}.</td></tr>
 *   <tr><td>{@code retention.ms}</td><td>{@code 604800000} (7 days)</td>
 *       <td>{@code retention.ms} of topics the channel creates ({@code -1}: keep forever). Existing
 *       topics are not changed, but refused if they keep records for less.</td></tr>
 *   <tr><td>{@code max.batch.bytes}</td><td>{@code 4194304} (4 MiB)</td>
 *       <td>Largest record (one framed batch, or one control message) a party may write, from 1 KiB
 *       to 64 MiB. Topics the channel creates get {@code max.message.bytes} = this plus
 *       {@value #RECORD_OVERHEAD_BYTES} bytes of Kafka framing allowance; the producer's
 *       {@code max.request.size} and the consumers' {@code max.partition.fetch.bytes} and
 *       {@code fetch.max.bytes} are raised to at least the same. Both parties should use the same
 *       value: topics are created by whichever party comes first, and an existing topic that allows
 *       larger records is refused. Readers refuse a larger record from a peer without decoding
 *       it.</td></tr>
 *   <tr><td>{@code topic.config.check}</td><td>{@code required}</td>
 *       <td>What to do with topics the channel finds already created (by the peer, an administrator
 *       or an earlier run), whose settings it did not choose. Either way it describes their
 *       configuration and refuses a topic with {@code cleanup.policy} other than {@code delete},
 *       {@code retention.ms} shorter than option {@code retention.ms}, {@code max.message.bytes}
 *       above {@code max.batch.bytes} + {@value #RECORD_OVERHEAD_BYTES}, or
 *       {@code compression.type} other than {@code uncompressed} (topics the channel creates get
 *       exactly these), saying which setting to change and how. {@code required}: the Kafka
 *       principal must be allowed {@code DescribeConfigs} on the topics, else the channel
 *       refuses to use them. {@code if-allowed}: where {@code DescribeConfigs} is denied, log a
 *       warning and use the topic unchecked (for ACL-restricted clusters whose administrator
 *       creates the topics with safe settings).</td></tr>
 *   <tr><td>{@code timeout.ms}</td><td>{@code 30000}</td>
 *       <td>Bound on each blocking call to Kafka (creating topics, fetching metadata and offsets,
 *       waiting for acknowledgements, a reader waiting for data); sets the clients'
 *       {@code default.api.timeout.ms} and {@code max.block.ms}, and caps
 *       {@code request.timeout.ms}, unless those are passed through explicitly.</td></tr>
 *   <tr><td>{@code kafka.<property>}</td><td>(none)</td>
 *       <td>A standard Kafka producer, consumer or admin client property passed through unchanged,
 *       for example {@code kafka.security.protocol=SASL_SSL},
 *       {@code kafka.sasl.mechanism=SCRAM-SHA-512},
 *       {@code kafka.ssl.truststore.location=/etc/kafka/truststore.jks}, {@code kafka.client.id}.
 *       Must be a property Kafka 3.9 clients know. Refused: properties holding secrets
 *       ({@code sasl.jaas.config}, {@code *.password}, {@code ssl.keystore.key}; put them in
 *       {@code kafka.properties.file}) and properties the channel's protocol depends on:
 *       serializers and deserializers, {@code group.id}, {@code group.instance.id},
 *       {@code enable.auto.commit}, {@code auto.offset.reset}, {@code transactional.id},
 *       {@code acks} other than {@code all}, {@code enable.idempotence=false},
 *       {@code bootstrap.servers} (use the option above) and {@code max.request.size} (use
 *       {@code max.batch.bytes}).</td></tr>
 *   <tr><td>{@code kafka.properties.file}</td><td>(none)</td>
 *       <td>Path of a Kafka client properties file, read on each host when a client is created
 *       (driver and executors), never shipped by Veil: the place for secrets such as
 *       {@code sasl.jaas.config} or {@code ssl.keystore.password}. A relative path is resolved
 *       against the process's working directory, so a file shipped with
 *       {@code spark-submit --files client.properties} is named {@code client.properties}.
 *       {@code kafka.*} options override the file; the file may hold any property except the
 *       protocol ones refused above.</td></tr>
 * </table>
 *
 * <p>Unknown options are refused, so that a misspelt option cannot silently fall back to a default;
 * pass only the channel's options to {@link #fromOptions(Map)}.
 *
 * <p>{@link #toString()} shows option names but no pass-through values; the object never holds
 * secrets (they are refused as options and read from the properties file where used).
 */
public final class KafkaChannelConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Option: comma-separated {@code host:port} list of Kafka brokers. Required. */
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  /** Option: prefix of every topic name. */
  public static final String TOPIC_PREFIX = "topic.prefix";
  /** Option: replication factor of created topics, {@code -1} for the broker default. */
  public static final String REPLICATION_FACTOR = "replication.factor";
  /** Option: {@code retention.ms} of created topics. */
  public static final String RETENTION_MS = "retention.ms";
  /** Option: largest record a party writes, in bytes. */
  public static final String MAX_BATCH_BYTES = "max.batch.bytes";
  /** Option: bound on each blocking Kafka call, in milliseconds. */
  public static final String TIMEOUT_MS = "timeout.ms";
  /** Option: whether existing topics whose configuration cannot be described are refused. */
  public static final String TOPIC_CONFIG_CHECK = "topic.config.check";
  /** Prefix of options passed through to the Kafka clients (without the prefix). */
  public static final String KAFKA_PREFIX = "kafka.";
  /** Option: path of a Kafka client properties file read where each client is created. */
  public static final String KAFKA_PROPERTIES_FILE = "kafka.properties.file";

  public static final String DEFAULT_TOPIC_PREFIX = "veil.";
  public static final int DEFAULT_REPLICATION_FACTOR = -1;
  public static final long DEFAULT_RETENTION_MS = 7L * 24 * 60 * 60 * 1000;
  public static final int DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
  public static final long DEFAULT_TIMEOUT_MS = 30_000;
  public static final TopicConfigCheck DEFAULT_TOPIC_CONFIG_CHECK = TopicConfigCheck.REQUIRED;

  public static final int MIN_MAX_BATCH_BYTES = 1024;
  public static final int MAX_MAX_BATCH_BYTES = 64 * 1024 * 1024;
  /** Allowance for Kafka's record and batch headers on top of {@code max.batch.bytes}. */
  public static final int RECORD_OVERHEAD_BYTES = 64 * 1024;
  /** Kafka's limit on topic name length. */
  static final int MAX_TOPIC_NAME_LENGTH = 249;

  private static final Pattern NAME_CHARS = Pattern.compile("[A-Za-z0-9._-]*");

  private final String bootstrapServers;
  private final String topicPrefix;
  private final int replicationFactor;
  private final long retentionMs;
  private final int maxBatchBytes;
  private final long timeoutMs;
  private final TopicConfigCheck topicConfigCheck;
  private final Map<String, String> kafkaProperties; // sorted, unmodifiable, keys without prefix
  private final String kafkaPropertiesFile; // nullable

  private KafkaChannelConfig(Builder b) {
    this.bootstrapServers = b.bootstrapServers;
    this.topicPrefix = b.topicPrefix;
    this.replicationFactor = b.replicationFactor;
    this.retentionMs = b.retentionMs;
    this.maxBatchBytes = b.maxBatchBytes;
    this.timeoutMs = b.timeoutMs;
    this.topicConfigCheck = b.topicConfigCheck;
    this.kafkaProperties = Collections.unmodifiableMap(new TreeMap<>(b.kafkaProperties));
    this.kafkaPropertiesFile = b.kafkaPropertiesFile;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this configuration's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.bootstrapServers = bootstrapServers;
    b.topicPrefix = topicPrefix;
    b.replicationFactor = replicationFactor;
    b.retentionMs = retentionMs;
    b.maxBatchBytes = maxBatchBytes;
    b.timeoutMs = timeoutMs;
    b.topicConfigCheck = topicConfigCheck;
    b.kafkaProperties.putAll(kafkaProperties);
    b.kafkaPropertiesFile = kafkaPropertiesFile;
    return b;
  }

  /**
   * Parses string options (see the table in the class documentation).
   *
   * @throws InvalidInputException naming the first wrong option
   */
  public static KafkaChannelConfig fromOptions(Map<String, String> options) {
    Objects.requireNonNull(options, "options");
    Builder b = builder();
    for (Map.Entry<String, String> e : new TreeMap<>(options).entrySet()) {
      String key = e.getKey();
      String value = e.getValue();
      if (value == null) {
        throw KafkaErrors.badOption(key, "it has no value", "Give it a value or leave it out");
      }
      switch (key) {
        case BOOTSTRAP_SERVERS:
          b.bootstrapServers(value);
          break;
        case TOPIC_PREFIX:
          b.topicPrefix(value);
          break;
        case REPLICATION_FACTOR:
          b.replicationFactor((int) parseLong(key, value, "a whole number such as 3, or -1"));
          break;
        case RETENTION_MS:
          b.retentionMs(parseLong(key, value, "a number of milliseconds such as 604800000"));
          break;
        case MAX_BATCH_BYTES:
          b.maxBatchBytes((int) parseLong(key, value, "a number of bytes such as 4194304"));
          break;
        case TIMEOUT_MS:
          b.timeoutMs(parseLong(key, value, "a number of milliseconds such as 30000"));
          break;
        case TOPIC_CONFIG_CHECK:
          b.topicConfigCheck(TopicConfigCheck.parse(value));
          break;
        case KAFKA_PROPERTIES_FILE:
          b.kafkaPropertiesFile(value);
          break;
        default:
          if (key.startsWith(KAFKA_PREFIX)) {
            b.kafkaProperty(key.substring(KAFKA_PREFIX.length()), value);
          } else {
            throw KafkaErrors.unknownOption(key);
          }
      }
    }
    return b.build();
  }

  private static long parseLong(String key, String value, String expected) {
    try {
      long v = Long.parseLong(value.trim());
      if (v > Integer.MAX_VALUE && !key.endsWith(".ms")) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw KafkaErrors.badOption(key, "'" + value + "' is not a valid whole number",
          "Give " + expected);
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public String topicPrefix() {
    return topicPrefix;
  }

  /** Replication factor of created topics; {@code -1} means the broker default. */
  public int replicationFactor() {
    return replicationFactor;
  }

  public long retentionMs() {
    return retentionMs;
  }

  public int maxBatchBytes() {
    return maxBatchBytes;
  }

  /** Largest record Kafka must accept: {@link #maxBatchBytes()} plus framing allowance. */
  public int maxRecordBytes() {
    return maxBatchBytes + RECORD_OVERHEAD_BYTES;
  }

  public long timeoutMs() {
    return timeoutMs;
  }

  /** What to do with existing topics whose configuration may not be described. */
  public TopicConfigCheck topicConfigCheck() {
    return topicConfigCheck;
  }

  /** Pass-through Kafka client properties, keys without the {@code kafka.} prefix. */
  public Map<String, String> kafkaProperties() {
    return kafkaProperties;
  }

  public Optional<String> kafkaPropertiesFile() {
    return Optional.ofNullable(kafkaPropertiesFile);
  }

  /**
   * The Kafka topic for a stream or control log name.
   *
   * @throws InvalidInputException if the name has characters outside {@code [A-Za-z0-9._-]} or the
   *     topic name would be too long for Kafka
   */
  public String topicFor(String name) {
    if (name == null || name.isEmpty() || !NAME_CHARS.matcher(name).matches()) {
      throw KafkaErrors.badName(name);
    }
    String topic = topicPrefix + name;
    if (topic.length() > MAX_TOPIC_NAME_LENGTH || topic.equals(".") || topic.equals("..")) {
      throw KafkaErrors.badTopicName(topic, TOPIC_PREFIX, MAX_TOPIC_NAME_LENGTH);
    }
    return topic;
  }

  /** Bootstrap servers and topic prefix; never pass-through values. */
  public String describe() {
    return "Kafka at " + bootstrapServers + " (topics '" + topicPrefix + "*')";
  }

  @Override
  public String toString() {
    return "KafkaChannelConfig{" + BOOTSTRAP_SERVERS + "=" + bootstrapServers
        + ", " + TOPIC_PREFIX + "='" + topicPrefix + "'"
        + ", " + REPLICATION_FACTOR + "=" + replicationFactor
        + ", " + RETENTION_MS + "=" + retentionMs
        + ", " + MAX_BATCH_BYTES + "=" + maxBatchBytes
        + ", " + TIMEOUT_MS + "=" + timeoutMs
        + ", " + TOPIC_CONFIG_CHECK + "=" + topicConfigCheck.option()
        + ", kafka.* keys=" + kafkaProperties.keySet()
        + (kafkaPropertiesFile == null
            ? "" : ", " + KAFKA_PROPERTIES_FILE + "=" + kafkaPropertiesFile)
        + "}";
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof KafkaChannelConfig)) {
      return false;
    }
    KafkaChannelConfig c = (KafkaChannelConfig) o;
    return replicationFactor == c.replicationFactor
        && retentionMs == c.retentionMs
        && maxBatchBytes == c.maxBatchBytes
        && timeoutMs == c.timeoutMs
        && topicConfigCheck == c.topicConfigCheck
        && bootstrapServers.equals(c.bootstrapServers)
        && topicPrefix.equals(c.topicPrefix)
        && kafkaProperties.equals(c.kafkaProperties)
        && Objects.equals(kafkaPropertiesFile, c.kafkaPropertiesFile);
  }

  @Override
  public int hashCode() {
    return Objects.hash(bootstrapServers, topicPrefix, replicationFactor, retentionMs,
        maxBatchBytes, timeoutMs, topicConfigCheck, kafkaProperties, kafkaPropertiesFile);
  }

  /**
   * What the channel does with a topic it finds already created when the Kafka principal may not
   * describe its configuration (option {@value #TOPIC_CONFIG_CHECK}). A topic whose configuration
   * it can read and finds unsafe is refused either way.
   */
  public enum TopicConfigCheck {
    /** Refuse the topic: its retention, cleanup policy and record size limit are unknown. */
    REQUIRED("required"),
    /** Log a warning and use the topic unchecked. */
    IF_ALLOWED("if-allowed");

    private final String option;

    TopicConfigCheck(String option) {
      this.option = option;
    }

    /** The option value. */
    public String option() {
      return option;
    }

    static TopicConfigCheck parse(String value) {
      for (TopicConfigCheck c : values()) {
        if (c.option.equals(value.trim())) {
          return c;
        }
      }
      throw KafkaErrors.badOption(TOPIC_CONFIG_CHECK, "'" + value + "' is not a known value",
          "Give 'required' (refuse existing topics whose configuration may not be described) or "
              + "'if-allowed' (warn and use them)");
    }
  }

  /** Builder; {@link #build()} validates every value. Not thread-safe. */
  public static final class Builder {
    private String bootstrapServers;
    private String topicPrefix = DEFAULT_TOPIC_PREFIX;
    private int replicationFactor = DEFAULT_REPLICATION_FACTOR;
    private long retentionMs = DEFAULT_RETENTION_MS;
    private int maxBatchBytes = DEFAULT_MAX_BATCH_BYTES;
    private long timeoutMs = DEFAULT_TIMEOUT_MS;
    private TopicConfigCheck topicConfigCheck = DEFAULT_TOPIC_CONFIG_CHECK;
    private final Map<String, String> kafkaProperties = new TreeMap<>();
    private String kafkaPropertiesFile;

    private Builder() {}

    public Builder bootstrapServers(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      return this;
    }

    public Builder topicPrefix(String topicPrefix) {
      this.topicPrefix = topicPrefix;
      return this;
    }

    public Builder replicationFactor(int replicationFactor) {
      this.replicationFactor = replicationFactor;
      return this;
    }

    public Builder retentionMs(long retentionMs) {
      this.retentionMs = retentionMs;
      return this;
    }

    public Builder maxBatchBytes(int maxBatchBytes) {
      this.maxBatchBytes = maxBatchBytes;
      return this;
    }

    public Builder timeoutMs(long timeoutMs) {
      this.timeoutMs = timeoutMs;
      return this;
    }

    public Builder topicConfigCheck(TopicConfigCheck topicConfigCheck) {
      this.topicConfigCheck = Objects.requireNonNull(topicConfigCheck, "topicConfigCheck");
      return this;
    }

    /**
     * Adds a Kafka client property, {@code key} without the {@code kafka.} prefix (for example
     * {@code security.protocol}). Validated by {@link #build()}.
     */
    public Builder kafkaProperty(String key, String value) {
      kafkaProperties.put(Objects.requireNonNull(key, "key"),
          Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Path of a Kafka client properties file, read where each client is created. */
    public Builder kafkaPropertiesFile(String path) {
      this.kafkaPropertiesFile = path;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws InvalidInputException naming the first wrong option
     */
    public KafkaChannelConfig build() {
      bootstrapServers = validateBootstrap(bootstrapServers);
      if (topicPrefix == null || !NAME_CHARS.matcher(topicPrefix).matches()
          || topicPrefix.length() > MAX_TOPIC_NAME_LENGTH - 1) {
        throw KafkaErrors.badOption(TOPIC_PREFIX, "'" + topicPrefix
                + "' must be at most " + (MAX_TOPIC_NAME_LENGTH - 1)
                + " characters from [A-Za-z0-9._-]",
            "Use a prefix such as 'veil.' or 'acme-veil.'");
      }
      if (replicationFactor != -1
          && (replicationFactor < 1 || replicationFactor > Short.MAX_VALUE)) {
        throw KafkaErrors.badOption(REPLICATION_FACTOR, "it is " + replicationFactor,
            "Give a number of replicas from 1 up, or -1 for the broker's "
                + "default.replication.factor");
      }
      if (retentionMs != -1 && retentionMs < 1) {
        throw KafkaErrors.badOption(RETENTION_MS, "it is " + retentionMs,
            "Give a positive number of milliseconds, or -1 to keep records forever");
      }
      if (maxBatchBytes < MIN_MAX_BATCH_BYTES || maxBatchBytes > MAX_MAX_BATCH_BYTES) {
        throw KafkaErrors.badOption(MAX_BATCH_BYTES, "it is " + maxBatchBytes,
            "Give a number of bytes from " + MIN_MAX_BATCH_BYTES + " to " + MAX_MAX_BATCH_BYTES);
      }
      if (timeoutMs < 1) {
        throw KafkaErrors.badOption(TIMEOUT_MS, "it is " + timeoutMs,
            "Give a positive number of milliseconds, such as 30000");
      }
      for (Map.Entry<String, String> e : kafkaProperties.entrySet()) {
        PassThroughRules.checkOption(e.getKey(), e.getValue());
      }
      if (kafkaPropertiesFile != null && kafkaPropertiesFile.isBlank()) {
        throw KafkaErrors.badOption(KAFKA_PROPERTIES_FILE, "it is empty",
            "Give the path of a Kafka client properties file, or leave the option out");
      }
      return new KafkaChannelConfig(this);
    }

    private static String validateBootstrap(String servers) {
      if (servers == null || servers.isBlank()) {
        throw KafkaErrors.badOption(BOOTSTRAP_SERVERS, "it is missing",
            "Give the Kafka brokers both parties use as host:port[,host:port...], "
                + "for example broker1.example.com:9092");
      }
      StringBuilder normalised = new StringBuilder();
      for (String raw : servers.split(",")) {
        String s = raw.trim();
        int colon = s.lastIndexOf(':');
        boolean ok = colon > 0 && colon < s.length() - 1;
        if (ok) {
          try {
            int port = Integer.parseInt(s.substring(colon + 1));
            ok = port >= 1 && port <= 65535;
          } catch (NumberFormatException e) {
            ok = false;
          }
        }
        if (!ok) {
          throw KafkaErrors.badOption(BOOTSTRAP_SERVERS, "entry '" + s + "' is not host:port",
              "Give host:port[,host:port...], for example broker1.example.com:9092");
        }
        if (normalised.length() > 0) {
          normalised.append(',');
        }
        normalised.append(s);
      }
      return normalised.toString();
    }
  }
}
