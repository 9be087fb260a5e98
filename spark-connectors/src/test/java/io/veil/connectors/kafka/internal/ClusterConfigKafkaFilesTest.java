package io.veil.connectors.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.config.VeilConf;
import io.veil.connectors.ChannelConfig;
import io.veil.connectors.kafka.KafkaChannelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigData;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.provider.ConfigProvider;
import org.apache.kafka.common.security.JaasContext;
import org.junit.jupiter.api.Test;

/**
 * The Kafka client properties files shipped in {@code cluster-configs/kafka/} stay valid: each is
 * read the way {@code veil run} reads {@code --conf veil.channel.kafka.properties.file=...}
 * (settings, then {@link KafkaChannelConfig}, then {@link ClientProperties} on the host creating
 * the client, with the channel's refusals), and Kafka's own admin, producer and consumer
 * configurations accept the result, SASL JAAS configuration included. Secrets are placeholders
 * ({@code CHANGE_ME}) or taken through a Kafka config provider ({@code ${file:...}}), never
 * written in the file; the providers are swapped here for one that answers every lookup, since the
 * secret files exist only where a party runs.
 */
class ClusterConfigKafkaFilesTest {
  private static final Path KAFKA_CONFIGS = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
      .resolve("../cluster-configs/kafka").toAbsolutePath().normalize();

  /** Answers every key of every path with a fixed value, recording what was asked. */
  public static final class AnsweringProvider implements ConfigProvider {
    static final List<String> ASKED = new ArrayList<>();

    @Override
    public void configure(Map<String, ?> configs) {}

    @Override
    public ConfigData get(String path) {
      return new ConfigData(Map.of());
    }

    @Override
    public ConfigData get(String path, Set<String> keys) {
      Map<String, String> out = new HashMap<>();
      for (String k : keys) {
        synchronized (ASKED) {
          ASKED.add(path + ":" + k);
        }
        out.put(k, "answered-by-test-provider");
      }
      return new ConfigData(out);
    }

    @Override
    public void close() {}
  }

  private static List<Path> files() throws IOException {
    try (Stream<Path> s = Files.list(KAFKA_CONFIGS)) {
      return s.filter(f -> f.getFileName().toString().endsWith(".properties")).sorted().toList();
    }
  }

  /** What {@code veil run --bootstrap-servers ... --conf veil.channel.kafka.properties.file=FILE} builds. */
  private static KafkaChannelConfig asTheCliReadsIt(Path file) {
    VeilConf conf = VeilConf.of(Map.of(
        ChannelConfig.BOOTSTRAP_SERVERS.name(), "kafka-1.example.net:9093",
        ChannelConfig.KAFKA_PROPERTIES_FILE.name(), file.toString()));
    return KafkaChannelConfig.fromOptions(ChannelConfig.channelOptions(conf).orElseThrow());
  }

  /** The file's config providers replaced by {@link AnsweringProvider}. */
  private static Properties withAnsweringProviders(Properties p) {
    Properties out = new Properties();
    out.putAll(p);
    for (String key : p.stringPropertyNames()) {
      if (key.startsWith("config.providers.") && key.endsWith(".class")) {
        out.put(key, AnsweringProvider.class.getName());
      }
    }
    return out;
  }

  private static void assertResolved(AbstractConfig config, Path file) {
    for (Map.Entry<String, ?> e : config.values().entrySet()) {
      Object v = e.getValue();
      String text = v instanceof org.apache.kafka.common.config.types.Password
          ? ((org.apache.kafka.common.config.types.Password) v).value() : String.valueOf(v);
      assertThat(text).as("%s: %s", file.getFileName(), e.getKey()).doesNotContain("${");
    }
  }

  @Test
  void theShippedFilesIncludeTheSaslSslFilesOfBothReadmeParties() throws IOException {
    assertThat(files()).extracting(f -> f.getFileName().toString())
        .contains("bank_a.sasl-ssl.properties", "bank_b.sasl-ssl.properties", "client-ssl.properties");
  }

  @Test
  void everyShippedFileIsAcceptedByTheChannelAndByKafkasClientConfigs() throws IOException {
    for (Path file : files()) {
      KafkaChannelConfig config = asTheCliReadsIt(file);
      Properties admin = withAnsweringProviders(ClientProperties.admin(config));
      Properties producer = withAnsweringProviders(ClientProperties.producer(config));
      Properties consumer = withAnsweringProviders(ClientProperties.consumer(config));

      AdminClientConfig a = new AdminClientConfig(admin);
      ProducerConfig p = new ProducerConfig(producer);
      ConsumerConfig c = new ConsumerConfig(consumer);
      for (AbstractConfig k : List.of(a, p, c)) {
        assertResolved(k, file);
        assertThat(k.getString("security.protocol")).as("%s", file.getFileName()).isIn("SSL", "SASL_SSL");
        assertThat(k.getString("ssl.endpoint.identification.algorithm")).as("%s", file.getFileName())
            .isEqualTo("https");
      }
      if (p.getString("security.protocol").startsWith("SASL")) {
        JaasContext jaas = JaasContext.loadClientContext(p.values());
        assertThat(jaas.configurationEntries()).as("%s", file.getFileName()).hasSize(1);
        assertThat(jaas.configurationEntries().get(0).getOptions()).containsKeys("username", "password");
      }
    }
  }

  @Test
  void thePartyFilesNameTheirOwnUserAndTakeThePasswordFromAFileShippedBesideThem() throws IOException {
    for (String party : List.of("bank_a", "bank_b")) {
      Path file = KAFKA_CONFIGS.resolve(party + ".sasl-ssl.properties");
      Map<String, String> read = ClientProperties.readFile(file.toString());
      assertThat(read).containsEntry("security.protocol", "SASL_SSL")
          .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
          .containsEntry("ssl.truststore.location", "kafka-ca.pem")
          .containsEntry("config.providers.file.class",
              "org.apache.kafka.common.config.provider.FileConfigProvider");
      assertThat(read.get("sasl.jaas.config"))
          .contains("username=\"veil-" + party + "\"")
          .contains("password=\"${file:kafka-password.properties:password}\"");

      synchronized (AnsweringProvider.ASKED) {
        AnsweringProvider.ASKED.clear();
      }
      ProducerConfig p = new ProducerConfig(withAnsweringProviders(
          ClientProperties.producer(asTheCliReadsIt(file))));
      assertThat(AnsweringProvider.ASKED).contains("kafka-password.properties:password");
      assertThat(p.getPassword(SaslConfigs.SASL_JAAS_CONFIG).value())
          .contains("password=\"answered-by-test-provider\"");
    }
  }

  @Test
  void noFileHoldsASecret() throws IOException {
    for (Path file : files()) {
      Map<String, String> read = ClientProperties.readFile(file.toString());
      read.forEach((k, v) -> {
        if (PassThroughRules.isSecret(k) || k.endsWith(".key")) {
          String withoutReferences = v.replaceAll("\\$\\{[a-z]+:[^}]+}", "");
          boolean referenced = k.equals(SaslConfigs.SASL_JAAS_CONFIG)
              ? !withoutReferences.matches("(?s).*password=\"[^\"]+\".*")
              : withoutReferences.isBlank();
          assertThat(v.contains("CHANGE_ME") || referenced)
              .as("%s: %s is a placeholder or a config provider reference", file.getFileName(), k).isTrue();
        }
      });
    }
  }
}
