package io.veil.connectors.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.connectors.kafka.KafkaChannelConfig;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * A follower's consumer answers at once; a bulk reader's keeps the user's {@code fetch.min.bytes}
 * but never lets the broker hold a fetch long, since closing the reader waits for it.
 */
class FollowerConsumerPropertiesTest {
  private static KafkaChannelConfig.Builder base() {
    return KafkaChannelConfig.builder().bootstrapServers("localhost:9092");
  }

  @Test
  void followerFetchesReturnAsSoonAsARecordIsThere() {
    KafkaChannelConfig bulk = base().kafkaProperty("fetch.min.bytes", "1048576")
        .kafkaProperty("fetch.max.wait.ms", "2000").build();
    Properties follower = ClientProperties.followerConsumer(bulk);
    assertThat(follower.getProperty("fetch.min.bytes")).isEqualTo("1");
    assertThat(follower.getProperty("fetch.max.wait.ms"))
        .isEqualTo(Long.toString(ClientProperties.FOLLOWER_MAX_FETCH_WAIT_MS));
    Properties reader = ClientProperties.readerConsumer(bulk);
    assertThat(reader.getProperty("fetch.min.bytes")).isEqualTo("1048576");
    assertThat(reader.getProperty("fetch.max.wait.ms"))
        .isEqualTo(Long.toString(ClientProperties.READER_MAX_FETCH_WAIT_MS));
  }

  @Test
  void aShorterFetchWaitIsKept() {
    Properties follower = ClientProperties.followerConsumer(
        base().kafkaProperty("fetch.max.wait.ms", "20").build());
    assertThat(follower.getProperty("fetch.max.wait.ms")).isEqualTo("20");
    Properties defaults = ClientProperties.followerConsumer(base().build());
    assertThat(defaults.getProperty("fetch.max.wait.ms")).isEqualTo("100");
    assertThat(ClientProperties.readerConsumer(base().build()).getProperty("fetch.max.wait.ms")).isEqualTo("10");
    assertThat(ClientProperties.readerConsumer(base().kafkaProperty("fetch.max.wait.ms", "0").build())
        .getProperty("fetch.max.wait.ms")).isEqualTo("0");
  }
}
