package io.veil.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KafkaChannelConfigTest {

  private static Map<String, String> options(String... keyValues) {
    Map<String, String> m = new HashMap<>();
    m.put("bootstrap.servers", "broker1:9092");
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  @Test
  void defaults() {
    KafkaChannelConfig c = KafkaChannelConfig.fromOptions(options());
    assertThat(c.bootstrapServers()).isEqualTo("broker1:9092");
    assertThat(c.topicPrefix()).isEqualTo("veil.");
    assertThat(c.replicationFactor()).isEqualTo(-1);
    assertThat(c.retentionMs()).isEqualTo(7L * 24 * 3600 * 1000);
    assertThat(c.maxBatchBytes()).isEqualTo(4 * 1024 * 1024);
    assertThat(c.timeoutMs()).isEqualTo(30_000);
    assertThat(c.topicConfigCheck()).isEqualTo(KafkaChannelConfig.TopicConfigCheck.REQUIRED);
    assertThat(c.kafkaProperties()).isEmpty();
    assertThat(c.kafkaPropertiesFile()).isEmpty();
  }

  @Test
  void parsesEveryOption() {
    KafkaChannelConfig c = KafkaChannelConfig.fromOptions(options(
        "bootstrap.servers", " a:1 , [::1]:9093 ",
        "topic.prefix", "acme-veil.",
        "replication.factor", "3",
        "retention.ms", "3600000",
        "max.batch.bytes", "1048576",
        "timeout.ms", "5000",
        "topic.config.check", "if-allowed",
        "kafka.security.protocol", "SASL_SSL",
        "kafka.sasl.mechanism", "SCRAM-SHA-512",
        "kafka.ssl.truststore.location", "/etc/kafka/truststore.jks",
        "kafka.acks", "all",
        "kafka.enable.idempotence", "true",
        "kafka.properties.file", "client.properties"));
    assertThat(c.bootstrapServers()).isEqualTo("a:1,[::1]:9093");
    assertThat(c.topicPrefix()).isEqualTo("acme-veil.");
    assertThat(c.replicationFactor()).isEqualTo(3);
    assertThat(c.retentionMs()).isEqualTo(3_600_000);
    assertThat(c.maxBatchBytes()).isEqualTo(1 << 20);
    assertThat(c.timeoutMs()).isEqualTo(5000);
    assertThat(c.topicConfigCheck()).isEqualTo(KafkaChannelConfig.TopicConfigCheck.IF_ALLOWED);
    assertThat(c.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.jks")
        .hasSize(5);
    assertThat(c.kafkaPropertiesFile()).contains("client.properties");
    assertThat(c.maxRecordBytes()).isGreaterThan(c.maxBatchBytes());
  }

  @Test
  void builderAndOptionsAgree() {
    KafkaChannelConfig built = KafkaChannelConfig.builder().bootstrapServers("broker1:9092")
        .timeoutMs(5000).kafkaProperty("client.id", "x").build();
    assertThat(built).isEqualTo(KafkaChannelConfig.fromOptions(
        options("timeout.ms", "5000", "kafka.client.id", "x")));
    assertThat(built.toBuilder().build()).isEqualTo(built).hasSameHashCodeAs(built);
  }

  @Test
  void missingBootstrapServersNamesTheOption() {
    assertThatThrownBy(() -> KafkaChannelConfig.fromOptions(Map.of()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot configure the Kafka channel: option 'bootstrap.servers'")
        .hasMessageContaining("host:port");
  }

  @ParameterizedTest
  @ValueSource(strings = {"broker1", "broker1:", ":9092", "broker1:x", "broker1:70000", "a:1,,b:2"})
  void badBootstrapServers(String servers) {
    assertThatThrownBy(() -> KafkaChannelConfig.fromOptions(
        Map.of("bootstrap.servers", servers)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'bootstrap.servers'")
        .hasMessageContaining("host:port");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "retention.ms|abc|not a valid whole number",
      "retention.ms|0|positive number of milliseconds",
      "timeout.ms|-5|positive number of milliseconds",
      "max.batch.bytes|100|from 1024 to 67108864",
      "max.batch.bytes|99999999999|not a valid whole number",
      "replication.factor|0|-1 for the broker's default",
      "topic.prefix|a/b|[A-Za-z0-9._-]",
      "kafka.properties.file|' '|path of a Kafka client properties file",
      "topic.config.check|never|is not a known value. Give 'required'",
  })
  void badValuesNameTheOption(String key, String value, String fix) {
    assertThatThrownBy(() -> KafkaChannelConfig.fromOptions(options(key, value)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot configure the Kafka channel: option '" + key + "'")
        .hasMessageContaining(fix);
  }

  @Test
  void unknownOptionIsRefused() {
    assertThatThrownBy(() -> KafkaChannelConfig.fromOptions(options("retention.msec", "1")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'retention.msec' is not a channel option")
        .hasMessageContaining("retention.ms");
  }

  @Test
  void unknownKafkaPropertyIsRefused() {
    assertThatThrownBy(() -> KafkaChannelConfig.fromOptions(
        options("kafka.security.protocl", "SSL")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'kafka.security.protocl'")
        .hasMessageContaining("not a Kafka 3.9 producer, consumer or admin client property")
        .hasMessageContaining("kafka.properties.file");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "kafka.key.serializer|org.apache.kafka.common.serialization.StringSerializer|Remove it",
      "kafka.value.serializer|x|Remove it",
      "kafka.key.deserializer|x|Remove it",
      "kafka.value.deserializer|x|Remove it",
      "kafka.group.id|g1|without a consumer group",
      "kafka.group.instance.id|i1|without a consumer group",
      "kafka.enable.auto.commit|true|without a consumer group",
      "kafka.auto.offset.reset|latest|from their start",
      "kafka.acks|1|set it to all",
      "kafka.acks|0|set it to all",
      "kafka.enable.idempotence|false|idempotent producer",
      "kafka.transactional.id|t1|does not use Kafka transactions",
      "kafka.bootstrap.servers|b:9092|Use option 'bootstrap.servers' instead",
      "kafka.max.request.size|100|Use option 'max.batch.bytes' instead",
  })
  void protocolBreakingPassThroughIsRefused(String key, String value, String fix) {
    assertThatThrownBy(() -> KafkaChannelConfig.fromOptions(options(key, value)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot use Kafka option '" + key + "'")
        .hasMessageContaining(fix);
  }

  @ParameterizedTest
  @ValueSource(strings = {"kafka.sasl.jaas.config", "kafka.ssl.keystore.password",
      "kafka.ssl.key.password", "kafka.ssl.truststore.password", "kafka.ssl.keystore.key"})
  void secretsAreRefusedAsOptionsWithoutEchoingThem(String key) {
    String secret = "org.apache.kafka.common.security.scram.ScramLoginModule required "
        + "username=\"alice\" password=\"hunter2-s3cret\";";
    assertThatThrownBy(() -> KafkaChannelConfig.fromOptions(options(key, secret)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'" + key + "'")
        .hasMessageContaining("holds a secret")
        .hasMessageContaining("kafka.properties.file")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
  }

  @Test
  void serializableAndToStringShowsNoPassThroughValues() throws Exception {
    KafkaChannelConfig c = KafkaChannelConfig.fromOptions(options(
        "kafka.ssl.truststore.location", "/secret/place/truststore.jks",
        "kafka.properties.file", "client.properties"));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(new KafkaChannel(c));
    }
    Object back;
    try (ObjectInputStream in = new ObjectInputStream(
        new ByteArrayInputStream(bytes.toByteArray()))) {
      back = in.readObject();
    }
    assertThat(back).isEqualTo(new KafkaChannel(c));
    assertThat(((KafkaChannel) back).config().kafkaProperties())
        .containsEntry("ssl.truststore.location", "/secret/place/truststore.jks");
    assertThat(c.toString()).contains("ssl.truststore.location").doesNotContain("/secret/place");
    assertThat(new KafkaChannel(c).describe())
        .isEqualTo("Kafka at broker1:9092 (topics 'veil.*')");
  }

  @Test
  void topicNames() {
    KafkaChannelConfig c = KafkaChannelConfig.fromOptions(options("topic.prefix", "p."));
    assertThat(c.topicFor("job-1.round_2")).isEqualTo("p.job-1.round_2");
    assertThatThrownBy(() -> c.topicFor("a/b")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("[A-Za-z0-9._-]");
    assertThatThrownBy(() -> c.topicFor("")).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> c.topicFor("x".repeat(248)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("at most 249 characters")
        .hasMessageContaining("topic.prefix");
  }
}
