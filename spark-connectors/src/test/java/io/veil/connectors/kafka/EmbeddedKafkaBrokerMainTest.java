package io.veil.connectors.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.veil.channel.StreamReader;
import io.veil.channel.StreamWriter;
import io.veil.connectors.kafka.internal.SharedProducers;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EmbeddedKafkaBroker#main} as a child JVM, the way a party's launcher starts it. */
class EmbeddedKafkaBrokerMainTest {

  private static Process startChild(Path logDir) throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xmx512m",
        "-cp", System.getProperty("java.class.path"),
        EmbeddedKafkaBroker.class.getName(), "--log-dir", logDir.toString()));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectError(stderrFile(logDir).toFile()); // shown by readyLine if the child fails
    return pb.start();
  }

  private static Path stderrFile(Path logDir) {
    return logDir.resolveSibling("child.stderr");
  }

  /** Reads the first stdout line within 60 s and checks it is the READY line. */
  private static String readyLine(Process child, Path logDir) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8));
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).get(60, TimeUnit.SECONDS);
    assertThat(line)
        .as("READY line; child stderr:%n%s", Files.readString(stderrFile(logDir)))
        .matches("VEIL-KAFKA-READY 127\\.0\\.0\\.1:\\d+");
    return line;
  }

  @Test
  void childProcessServesUntilDestroyed(@TempDir Path dir) throws Exception {
    assertThat(System.getProperty("java.class.path").split(File.pathSeparator))
        .as("surefire must pass the real class path (useManifestOnlyJar=false)")
        .anyMatch(e -> e.contains("kafka_2.12"));
    Path logDir = dir.resolve("kafka");
    Process child = startChild(logDir);
    try {
      String line = readyLine(child, logDir);
      String bootstrap = line.substring("VEIL-KAFKA-READY ".length());

      KafkaChannel channel = new KafkaChannel(KafkaChannelConfig.builder()
          .bootstrapServers(bootstrap).timeoutMs(10_000).build());
      channel.createStreams(List.of("child"), 1);
      try (StreamWriter w = channel.openWriter("child", 0)) {
        w.write("over the child broker".getBytes(UTF_8));
      }
      List<String> got = new ArrayList<>();
      try (StreamReader r = channel.openReader("child", 0)) {
        r.records().forEachRemaining(b -> got.add(new String(b, UTF_8)));
      }
      assertThat(got).containsExactly("over the child broker");
    } finally {
      SharedProducers.closeIdle();
      child.destroy(); // SIGTERM: the shutdown hook closes the broker
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child exits after SIGTERM").isTrue();
    }
  }

  @Test
  void childProcessStopsCleanlyWhenStdinCloses(@TempDir Path dir) throws Exception {
    Path logDir = dir.resolve("kafka");
    Process child = startChild(logDir);
    try {
      assertThat(readyLine(child, logDir)).startsWith(EmbeddedKafkaBroker.READY_LINE_PREFIX + " ");
      child.getOutputStream().close();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child exits when stdin closes").isTrue();
      assertThat(child.exitValue()).isZero();
      assertThat(new String(child.getInputStream().readAllBytes(), UTF_8))
          .as("nothing but the READY line on stdout").isEmpty();
      assertThat(dir.resolve("kafka").resolve("meta.properties")).exists();
    } finally {
      child.destroyForcibly();
    }
  }
}
