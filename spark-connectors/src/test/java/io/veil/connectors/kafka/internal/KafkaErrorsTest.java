package io.veil.connectors.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.VeilException;
import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.connectors.kafka.internal.KafkaErrors.Access;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/**
 * What a party sees when the brokers refuse it: the problem, the topic and operation, and the
 * ACL (or credential) that fixes it. The secured broker itself is exercised by KafkaSecurityIT.
 */
class KafkaErrorsTest {
  private static final KafkaChannelConfig CONFIG =
      KafkaChannelConfig.builder().bootstrapServers("kafka-1.example.net:9093").build();

  private static TopicAuthorizationException denied(String topic) {
    return new TopicAuthorizationException(Set.of(topic));
  }

  @Test
  void aDeniedWriteNamesTopicOperationCredentialsAndThePrefixedAcl() {
    String topic = "veil.bank_b.0123abcd.blind-1";
    VeilException e = KafkaErrors.kafkaFailure("write to Kafka topic '" + topic + "' partition 0", Access.WRITE,
        topic, CONFIG, new ExecutionException(denied(topic)));
    assertThat(e.getMessage())
        .startsWith("Cannot write to Kafka topic '" + topic + "' partition 0: Kafka at kafka-1.example.net:9093 "
            + "(topics 'veil.*') denied Write on topic '" + topic + "' to the Kafka principal this party "
            + "authenticated as (TopicAuthorizationException). A party may write only its own topics, "
            + "'veil.<its party id>.*', and the control topics 'veil.ctl.*': check that this party runs with its "
            + "own Kafka credentials (the user in sasl.jaas.config, or the client certificate, in the file named "
            + "by option 'kafka.properties.file'); if it does,")
        .endsWith("kafka-acls.sh --bootstrap-server kafka-1.example.net:9093 --command-config admin.properties "
            + "--add --allow-principal User:<this party's Kafka user> --operation Write --topic veil.bank_b. "
            + "--resource-pattern-type prefixed.");
    assertThat(e).hasCauseInstanceOf(TopicAuthorizationException.class);
  }

  @Test
  void aDeniedReadOfTheControlTopicNamesTheControlPrefix() {
    String topic = "veil.ctl.customer-overlap.2026-11";
    VeilException e = KafkaErrors.kafkaFailure("read control log topic '" + topic + "'", Access.READ, topic,
        CONFIG, denied(topic));
    assertThat(e.getMessage()).contains("denied Read on topic '" + topic + "'")
        .contains("A party reads its peers' topics")
        .endsWith("--operation Read --topic veil.ctl. --resource-pattern-type prefixed.");
  }

  @Test
  void aTopicOutsideThePrefixGetsALiteralAcl() {
    KafkaChannelConfig noPrefix = CONFIG.toBuilder().topicPrefix("").build();
    VeilException e = KafkaErrors.kafkaFailure("read Kafka topic 'single' partition 0", Access.READ, "single",
        noPrefix, denied("single"));
    assertThat(e.getMessage()).endsWith("--operation Read --topic single --resource-pattern-type literal.");
  }

  @Test
  void aCreateNobodyElseDidSaysHowLongItWaitedAndWhoCreatesWhat() {
    String topic = "veil.bank_b.0123abcd.blind-1";
    VeilException e = KafkaErrors.topicDenied("create Kafka topics [" + topic + "] with 4 partition(s)",
        Access.CREATE, topic, CONFIG, denied(topic), 30_000L);
    assertThat(e.getMessage())
        .contains("denied Create on topic '" + topic + "' to the Kafka principal this party authenticated as "
            + "(TopicAuthorizationException), and nobody else created the topic within 30000 ms (option "
            + "'timeout.ms')")
        .contains("check that the peer runs the same job with the same option 'topic.prefix'")
        .contains("An administrator may also create the topics beforehand")
        .endsWith("--operation Create --topic veil.bank_b. --resource-pattern-type prefixed.");
  }

  @Test
  void aDeniedIdempotentProducerNamesWriteAndIdempotentWrite() {
    VeilException e = KafkaErrors.kafkaFailure("send to control log topic 'veil.ctl.x'", Access.WRITE,
        "veil.ctl.x", CONFIG, new ClusterAuthorizationException("Cluster authorization failed."));
    assertThat(e.getMessage()).startsWith("Cannot send to control log topic 'veil.ctl.x': ")
        .contains("idempotent producer").contains("Write on its own topics")
        .endsWith("--operation IdempotentWrite --cluster.");
  }

  @Test
  void aWrongPasswordNamesTheJaasConfigAndThePropertiesFile() {
    VeilException e = KafkaErrors.kafkaFailure("create Kafka topics [veil.ctl.x] with 1 partition(s)", CONFIG,
        new ExecutionException(new SaslAuthenticationException("Authentication failed during authentication due "
            + "to invalid credentials with SASL mechanism SCRAM-SHA-512")));
    assertThat(e.getMessage())
        .startsWith("Cannot create Kafka topics [veil.ctl.x] with 1 partition(s): Kafka at kafka-1.example.net:9093 "
            + "(topics 'veil.*') rejected this client's SASL credentials (SaslAuthenticationException: ")
        .contains("SCRAM-SHA-512")
        .contains("sasl.jaas.config")
        .contains("'kafka.properties.file'");
  }

  @Test
  void aFailedTlsHandshakeNamesTheTrustStoreAndHostNames() {
    VeilException e = KafkaErrors.kafkaFailure("create Kafka topics [veil.ctl.x] with 1 partition(s)", CONFIG,
        new SslAuthenticationException("SSL handshake failed",
            new javax.net.ssl.SSLHandshakeException("PKIX path building failed")));
    assertThat(e.getMessage()).contains("the TLS handshake with Kafka at kafka-1.example.net:9093")
        .contains("PKIX path building failed").contains("ssl.truststore.*").contains("'bootstrap.servers'");
  }
}
