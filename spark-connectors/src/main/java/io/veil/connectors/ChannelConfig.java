package io.veil.connectors;

import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import io.veil.connectors.kafka.KafkaChannelConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The settings of spark-connectors: the Kafka channel ({@code veil.channel.*}, see {@link
 * KafkaChannelConfig} for what each option does) and secrets for party inputs. Resolved like every
 * Veil setting ({@link VeilConf}); Kafka client properties pass through as {@code
 * veil.channel.kafka.<property>}.
 */
public final class ChannelConfig {
  private ChannelConfig() {}

  /** Prefix of the channel settings. */
  public static final String PREFIX = "veil.channel.";

  public static final ConfigKey<String> BOOTSTRAP_SERVERS = ConfigKey.string(PREFIX
      + KafkaChannelConfig.BOOTSTRAP_SERVERS, "Kafka brokers every party reaches (`host:port,...`); `veil broker` "
      + "starts one on this machine").flag("bootstrap-servers").defaultDoc("(required)");
  public static final ConfigKey<String> TOPIC_PREFIX = ConfigKey.string(PREFIX + KafkaChannelConfig.TOPIC_PREFIX,
      "prefix of every topic; every party must use the same").defaultValue(KafkaChannelConfig.DEFAULT_TOPIC_PREFIX,
      "`" + KafkaChannelConfig.DEFAULT_TOPIC_PREFIX + "`");
  public static final ConfigKey<Long> REPLICATION_FACTOR = ConfigKey.number(PREFIX
      + KafkaChannelConfig.REPLICATION_FACTOR, -1, "replication of topics Veil creates")
      .defaultValue((long) KafkaChannelConfig.DEFAULT_REPLICATION_FACTOR, "`-1` (broker default)");
  public static final ConfigKey<Long> RETENTION_MS = ConfigKey.number(PREFIX + KafkaChannelConfig.RETENTION_MS, -1,
      "retention of topics Veil creates, and the least it accepts of topics it finds").defaultValue(KafkaChannelConfig.DEFAULT_RETENTION_MS,
      "`604800000` (7 days)");
  public static final ConfigKey<Long> MAX_BATCH_BYTES = ConfigKey.number(PREFIX
      + KafkaChannelConfig.MAX_BATCH_BYTES, KafkaChannelConfig.MIN_MAX_BATCH_BYTES, "largest record; sets topic "
      + "`max.message.bytes` and client fetch/request sizes; a larger record from a peer is refused unread").defaultValue(
      (long) KafkaChannelConfig.DEFAULT_MAX_BATCH_BYTES, "`4194304`");
  public static final ConfigKey<Long> TIMEOUT_MS = ConfigKey.number(PREFIX + KafkaChannelConfig.TIMEOUT_MS, 1,
      "bound on each blocking Kafka call").defaultValue(KafkaChannelConfig.DEFAULT_TIMEOUT_MS, "`30000`");
  public static final ConfigKey<String> TOPIC_CONFIG_CHECK = ConfigKey.string(PREFIX
      + KafkaChannelConfig.TOPIC_CONFIG_CHECK, "topics found already created are refused unless `cleanup.policy` is "
      + "`delete`, `retention.ms` is at least Veil's, `max.message.bytes` at most `max.batch.bytes` + 65536 and "
      + "`compression.type` `uncompressed`; `required`: refuse them too when the principal may not describe their "
      + "configuration (ACL `DescribeConfigs`); `if-allowed`: then warn and use them unchecked").defaultValue(
      KafkaChannelConfig.DEFAULT_TOPIC_CONFIG_CHECK.option(), "`required`");
  public static final ConfigKey<String> KAFKA_PROPERTIES_FILE = ConfigKey.path(PREFIX
      + KafkaChannelConfig.KAFKA_PROPERTIES_FILE, "Kafka client properties file read where each client is created "
      + "(driver and executors): the place for `sasl.jaas.config` and passwords. Other Kafka client properties: "
      + "`veil.channel.kafka.<property>` (e.g. `security.protocol`); refused: secrets and properties the protocol "
      + "relies on").secretFile();
  public static final ConfigKey<String> JDBC_PASSWORD_FILE = ConfigKey.path("veil.jdbc.password-file",
      "password for a JDBC input (never in the spec)").flag("jdbc-password-file").secretFile();

  /** Every setting of this module, in documentation order. */
  public static final List<ConfigKey<?>> ALL = List.of(BOOTSTRAP_SERVERS, TOPIC_PREFIX, REPLICATION_FACTOR,
      RETENTION_MS, MAX_BATCH_BYTES, TIMEOUT_MS, TOPIC_CONFIG_CHECK, KAFKA_PROPERTIES_FILE, JDBC_PASSWORD_FILE);

  /**
   * The Kafka channel's options from {@code conf}: every {@code veil.channel.*} setting (prefix
   * removed), each defined one also from the environment; empty when no broker is configured.
   */
  public static Optional<Map<String, String>> channelOptions(VeilConf conf) {
    Map<String, String> options = new TreeMap<>(conf.withPrefix(PREFIX));
    for (ConfigKey<?> k : ALL) {
      if (k.name().startsWith(PREFIX) && conf.isSet(k)) {
        options.put(k.name().substring(PREFIX.length()), String.valueOf(conf.get(k).orElseThrow()));
      }
    }
    return options.containsKey(KafkaChannelConfig.BOOTSTRAP_SERVERS) ? Optional.of(options) : Optional.empty();
  }
}
