package io.veil.jobs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil broker} as a background process ({@code bin/veil broker &}): standard input closed, no
 * terminal. It keeps serving until it is terminated, then stops cleanly and promptly.
 */
class BrokerCommandTest {
  @Test
  void keepsServingWithStdinClosedUntilTerminated(@TempDir Path dir) throws Exception {
    Path stderr = dir.resolve("broker.stderr");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-cp", System.getProperty("java.class.path"), VeilCli.class.getName(),
        "broker", "--log-dir", dir.resolve("kafka").toString())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectError(stderr.toFile());
    Process broker = pb.start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(broker.getInputStream(), UTF_8));
      String ready = CompletableFuture.supplyAsync(() -> {
        try {
          return out.readLine();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }).get(60, TimeUnit.SECONDS);
      assertThat(ready).as("first line; stderr:%n%s", Files.readString(stderr))
          .matches("VEIL-KAFKA-READY 127\\.0\\.0\\.1:\\d+");
      String bootstrap = ready.substring(ready.indexOf(' ') + 1);

      // Its standard input is at end of file from the start: it must not take that as a request to stop.
      Thread.sleep(4_000);
      assertThat(broker.isAlive()).as("still running; stderr:%n%s", Files.readString(stderr)).isTrue();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000))) {
        assertThat(admin.describeCluster().nodes().get(20, TimeUnit.SECONDS)).hasSize(1);
        admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("still-here", 1, (short) 1)))
            .all().get(20, TimeUnit.SECONDS);
        assertThat(admin.listTopics().names().get(20, TimeUnit.SECONDS)).contains("still-here");
      }

      long t0 = System.nanoTime();
      broker.destroy(); // SIGTERM
      assertThat(broker.waitFor(30, TimeUnit.SECONDS)).as("stops promptly after SIGTERM").isTrue();
      System.out.printf("veil broker stopped %d ms after SIGTERM, exit %d%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), broker.exitValue());
      assertThat(broker.exitValue()).as("0, or 128 + SIGTERM").isIn(0, 143);
      assertThat(dir.resolve("kafka").resolve("meta.properties")).as("its data stays in --log-dir").exists();
    } finally {
      broker.destroyForcibly();
    }
  }
}
