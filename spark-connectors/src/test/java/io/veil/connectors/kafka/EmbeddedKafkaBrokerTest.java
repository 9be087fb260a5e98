package io.veil.connectors.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.VeilException;
import io.veil.channel.StreamReader;
import io.veil.channel.StreamWriter;
import io.veil.connectors.kafka.internal.SharedProducers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Life cycle of the in-process broker: start, raw log files, restart, clean close. */
class EmbeddedKafkaBrokerTest {

  private static KafkaChannel channelTo(EmbeddedKafkaBroker broker) {
    return new KafkaChannel(KafkaChannelConfig.builder()
        .bootstrapServers(broker.bootstrapServers()).timeoutMs(10_000).build());
  }

  private static void write(KafkaChannel channel, String stream, byte[] record) {
    try (StreamWriter w = channel.openWriter(stream, 0)) {
      w.write(record);
    }
  }

  private static List<byte[]> read(KafkaChannel channel, String stream) {
    List<byte[]> out = new ArrayList<>();
    try (StreamReader r = channel.openReader(stream, 0)) {
      r.records().forEachRemaining(out::add);
    }
    return out;
  }

  private static List<Path> segmentFiles(Path partitionDir) {
    try (Stream<Path> files = Files.list(partitionDir)) {
      return files.filter(f -> f.toString().endsWith(".log")).collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void servesOnLoopbackExposesRawLogFilesAndDeletesItsTemporaryDirectory() throws Exception {
    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker().start();
    Path logDir;
    try {
      assertThat(broker.bootstrapServers()).matches("127\\.0\\.0\\.1:\\d+");
      assertThat(broker.logDirs()).hasSize(1);
      logDir = broker.logDirs().get(0);
      assertThat(logDir.resolve("meta.properties")).exists();

      KafkaChannel channel = channelTo(broker);
      channel.createStreams(List.of("scan"), 1);
      byte[] marker = "VEIL-MARKER-7f3a9c".getBytes(UTF_8);
      write(channel, "scan", marker);

      // A test can scan what Kafka stored on disk, byte for byte.
      Path partitionDir = logDir.resolve("veil.scan-0");
      assertThat(partitionDir).isDirectory();
      boolean found = false;
      for (Path segment : segmentFiles(partitionDir)) {
        found |= contains(Files.readAllBytes(segment), marker);
      }
      assertThat(found).as("marker in a raw segment file").isTrue();
    } finally {
      SharedProducers.closeIdle();
      broker.close();
    }
    assertThat(logDir).doesNotExist();
    broker.close(); // idempotent
  }

  @Test
  void restartsOverAGivenLogDirectoryWithItsData(@TempDir Path dir) {
    Path logDir = dir.resolve("kafka");
    try (EmbeddedKafkaBroker first = new EmbeddedKafkaBroker(logDir, 0).start()) {
      KafkaChannel channel = channelTo(first);
      channel.createStreams(List.of("kept"), 1);
      write(channel, "kept", new byte[] {4, 2});
      SharedProducers.closeIdle();
    }
    assertThat(logDir.resolve("meta.properties")).exists();
    try (EmbeddedKafkaBroker second = new EmbeddedKafkaBroker(logDir, 0).start()) {
      KafkaChannel channel = channelTo(second);
      channel.createStreams(List.of("kept"), 1);
      assertThat(read(channel, "kept")).containsExactly(new byte[] {4, 2});
      SharedProducers.closeIdle();
    }
    assertThat(logDir).as("a given log directory is kept").isDirectory();
  }

  @Test
  void aTakenPortIsAClearError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(null, port);
      assertThatThrownBy(broker::start)
          .isInstanceOf(VeilException.class)
          .hasMessageStartingWith("Cannot start the embedded Kafka broker on 127.0.0.1:" + port)
          .hasMessageContaining("Address already in use")
          .hasMessageEndingWith("Free the port or pick another one.");
      broker.close();
    }
  }

  /** The listeners may not share a port: a CI run once drew the same free port twice. */
  @Test
  void theBrokersPortsAreDistinctAndAvoidTheRequestedOne() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      for (int round = 0; round < 200; round++) {
        int[] ports = EmbeddedKafkaBroker.freePorts(3, taken.getLocalPort());
        assertThat(ports).doesNotHaveDuplicates().doesNotContain(taken.getLocalPort(), 0);
      }
    }
  }

  /** The secured broker itself runs in KafkaSecurityIT; its settings refuse what would break it. */
  @Test
  void saslSslSettingsRefuseAnUnknownMechanismAndPasswordsTheBrokerCouldNotQuote(@TempDir Path dir) {
    Path store = dir.resolve("broker.p12");
    char[] good = "0123456789abcdef".toCharArray();
    assertThat(new EmbeddedKafkaBroker.SaslSsl("SCRAM-SHA-256", store, good, "admin", good).adminUser())
        .isEqualTo("admin");
    assertThatThrownBy(() -> new EmbeddedKafkaBroker.SaslSsl("PLAIN", store, good, "admin", good))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SCRAM-SHA-512");
    assertThatThrownBy(() -> new EmbeddedKafkaBroker.SaslSsl("SCRAM-SHA-512", store, good, "admin",
        "with,comma]and\"quote".toCharArray()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("adminPassword");
    assertThatThrownBy(() -> new EmbeddedKafkaBroker.SaslSsl("SCRAM-SHA-512", store, good,
        "veil-embedded-broker", good))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("adminUser");
  }
}
