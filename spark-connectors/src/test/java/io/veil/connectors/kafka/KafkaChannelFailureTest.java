package io.veil.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import io.veil.connectors.kafka.internal.SharedProducers;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures that need no broker: nothing listening, a missing properties file. */
class KafkaChannelFailureTest {
  private static final long TIMEOUT_MS = 1500;
  private static String unreachable;
  private static KafkaChannel channel;

  @BeforeAll
  static void nothingListening() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      unreachable = "127.0.0.1:" + s.getLocalPort();
    }
    channel = new KafkaChannel(KafkaChannelConfig.builder().bootstrapServers(unreachable)
        .timeoutMs(TIMEOUT_MS).build());
  }

  @AfterAll
  static void closeProducers() {
    SharedProducers.closeIdle(); // stop the cached producer retrying the closed port
  }

  private static void failsClearlyWithinTimeout(ThrowingCallable call) {
    long start = System.nanoTime();
    assertThatThrownBy(call)
        .isInstanceOf(VeilException.class)
        .hasMessageStartingWith("Cannot ")
        .hasMessageContaining("no answer from Kafka at " + unreachable)
        .hasMessageContaining("within " + TIMEOUT_MS + " ms")
        .hasMessageContaining("bootstrap.servers")
        .hasMessageContaining("timeout.ms");
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(tookMs).isLessThan(TIMEOUT_MS + 5_000);
  }

  @Test
  void createStreamsFailsClearlyWhenNoBrokerAnswers() {
    failsClearlyWithinTimeout(() -> channel.createStreams(List.of("s"), 2));
  }

  @Test
  void openControlFailsClearlyWhenNoBrokerAnswers() {
    failsClearlyWithinTimeout(() -> channel.openControl("c"));
  }

  @Test
  void openWriterFailsClearlyWhenNoBrokerAnswers() {
    failsClearlyWithinTimeout(() -> channel.openWriter("s", 0));
  }

  @Test
  void openReaderFailsClearlyWhenNoBrokerAnswers() {
    failsClearlyWithinTimeout(() -> channel.openReader("s", 0));
  }

  @Test
  void unresolvableBootstrapHostIsAClearError() {
    KafkaChannel ch = new KafkaChannel(KafkaChannelConfig.builder()
        .bootstrapServers("no-such-host.invalid:9092").timeoutMs(TIMEOUT_MS).build());
    assertThatThrownBy(() -> ch.openReader("s", 0))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith(
            "Cannot create a Kafka consumer for Kafka at no-such-host.invalid:9092")
        .hasMessageContaining("bootstrap.servers");
  }

  @Test
  void missingPropertiesFileNamesPathOptionAndHost(@TempDir Path dir) {
    String path = dir.resolve("nope.properties").toString();
    KafkaChannel ch = new KafkaChannel(KafkaChannelConfig.builder().bootstrapServers(unreachable)
        .kafkaPropertiesFile(path).build());
    assertThatThrownBy(() -> ch.openWriter("s", 0))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot read the Kafka client properties file '" + path
            + "' (option 'kafka.properties.file') on host ")
        .hasMessageContaining("no such file")
        .hasMessageContaining("--files");
  }
}
