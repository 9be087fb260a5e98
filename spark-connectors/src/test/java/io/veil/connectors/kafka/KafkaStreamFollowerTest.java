package io.veil.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import io.veil.channel.StreamFollower;
import io.veil.channel.StreamWriter;
import io.veil.connectors.kafka.internal.SharedProducers;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link KafkaChannel#openFollower} against a real (embedded) broker, one for the class. */
class KafkaStreamFollowerTest {
  private static EmbeddedKafkaBroker broker;
  private static KafkaChannelConfig config;
  private static KafkaChannel channel;

  @BeforeAll
  static void startBroker() {
    broker = new EmbeddedKafkaBroker().start();
    config = KafkaChannelConfig.builder().bootstrapServers(broker.bootstrapServers())
        .timeoutMs(10_000).build();
    channel = new KafkaChannel(config);
  }

  @AfterAll
  static void stopBroker() {
    SharedProducers.closeIdle();
    if (broker != null) {
      broker.close();
    }
  }

  private static byte[] num(long i) {
    return ByteBuffer.allocate(8).putLong(i).array();
  }

  private static long num(byte[] b) {
    return ByteBuffer.wrap(b).getLong();
  }

  @Test
  void returnsManyRecordsFromTheStartInOrder() {
    channel.createStreams(List.of("f1.data"), 3);
    int count = 5_000;
    try (StreamWriter w = channel.openWriter("f1.data", 1);
        StreamWriter other = channel.openWriter("f1.data", 0)) {
      for (int i = 0; i < count / 2; i++) {
        w.write(num(i));
        other.write(num(-1));
      }
      w.flush();
      try (StreamFollower f = channel.openFollower("f1.data", 1)) {
        for (int i = count / 2; i < count; i++) { // written while the follower reads
          w.write(num(i));
        }
        w.flush();
        for (int i = 0; i < count; i++) {
          byte[] r = f.next(10_000);
          assertThat(r).as("record %d", i).isNotNull();
          assertThat(num(r)).isEqualTo(i);
        }
        assertThat(f.next(200)).isNull();
      }
    }
  }

  @Test
  void deliversARecordWrittenWhileItWaits() throws Exception {
    channel.createStreams(List.of("f2.data"), 1);
    try (StreamFollower f = channel.openFollower("f2.data", 0);
        StreamWriter w = channel.openWriter("f2.data", 0)) {
      assertThat(f.next(300)).isNull(); // positioned and waiting
      CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> f.next(10_000));
      Thread.sleep(300);
      assertThat(got).isNotDone();
      byte[] payload = "hello".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      long written = System.nanoTime();
      w.write(payload);
      w.flush();
      byte[] r = got.get(10, TimeUnit.SECONDS);
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - written);
      assertThat(r).isEqualTo(payload);
      System.out.println("follower: a record written while waiting arrived after " + tookMs + " ms");
    }
  }

  @Test
  void returnsNullAfterAboutTheTimeout() {
    channel.createStreams(List.of("f3.data"), 1);
    try (StreamFollower f = channel.openFollower("f3.data", 0)) {
      f.next(200); // the first poll also finds the partition's start
      for (long timeoutMs : new long[] {0, 100, 500}) {
        long start = System.nanoTime();
        assertThat(f.next(timeoutMs)).isNull();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(tookMs).as("next(%d)", timeoutMs)
            .isGreaterThanOrEqualTo(timeoutMs - 1).isLessThan(timeoutMs + 1_000);
      }
    }
  }

  @Test
  void missingTopicsAndPartitionsAreClearErrors() {
    assertThatThrownBy(() -> channel.openFollower("f4.nope", 0))
        .isInstanceOf(VeilException.class)
        .hasMessageContaining("follower")
        .hasMessageContaining("topic 'veil.f4.nope' does not exist on Kafka at "
            + broker.bootstrapServers())
        .hasMessageContaining("createStreams");
    channel.createStreams(List.of("f4.data"), 2);
    assertThatThrownBy(() -> channel.openFollower("f4.data", 2))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("topic 'veil.f4.data' has 2 partition(s), numbered 0 to 1, not 2");
    assertThatThrownBy(() -> channel.openFollower("f4.data", -1))
        .isInstanceOf(InvalidInputException.class);
    StreamFollower closed = channel.openFollower("f4.data", 0);
    closed.close();
    assertThatThrownBy(() -> closed.next(0)).hasMessageContaining("closed");
  }

  @Test
  void bulkFetchSettingsDoNotDelayFollowers() throws Exception {
    // Readers may wait for full fetches; a follower must still get a lone small record at once,
    // and close without waiting out a long fetch.max.wait.ms.
    KafkaChannel bulk = new KafkaChannel(config.toBuilder()
        .kafkaProperty("fetch.min.bytes", "10000000")
        .kafkaProperty("fetch.max.wait.ms", "5000").build());
    bulk.createStreams(List.of("f5.data"), 1);
    try (StreamFollower f = bulk.openFollower("f5.data", 0);
        StreamWriter w = bulk.openWriter("f5.data", 0)) {
      assertThat(f.next(300)).isNull();
      long start = System.nanoTime();
      w.write(num(42));
      w.flush();
      assertThat(num(f.next(10_000))).isEqualTo(42);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_500);
      start = System.nanoTime();
      f.close(); // waits for the fetch in flight, which the broker would hold for 5 s
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_500);
    }
  }

  @Test
  void pingPongOfAThousandRoundTrips() throws Exception {
    int rounds = 1_000;
    int warmup = 50;
    channel.createStreams(List.of("f6.a-to-b", "f6.b-to-a"), 2);
    int partition = 1;
    CompletableFuture<Void> partyB = CompletableFuture.runAsync(() -> {
      try (StreamFollower in = channel.openFollower("f6.a-to-b", partition);
          StreamWriter out = channel.openWriter("f6.b-to-a", partition)) {
        for (int i = 0; i < warmup + rounds; i++) {
          byte[] r = in.next(10_000);
          if (r == null) {
            throw new AssertionError("party B: no record " + i + " within 10 s");
          }
          out.write(num(num(r) + 1));
          out.flush();
        }
      }
    });
    long[] nanos = new long[rounds];
    try (StreamWriter out = channel.openWriter("f6.a-to-b", partition);
        StreamFollower in = channel.openFollower("f6.b-to-a", partition)) {
      long v = 0;
      for (int i = 0; i < warmup + rounds; i++) {
        long start = System.nanoTime();
        out.write(num(v));
        out.flush();
        byte[] r = in.next(10_000);
        long took = System.nanoTime() - start;
        assertThat(r).as("answer %d", i).isNotNull();
        assertThat(num(r)).isEqualTo(v + 1);
        v = num(r) + 1;
        if (i >= warmup) {
          nanos[i - warmup] = took;
        }
      }
    }
    partyB.get(30, TimeUnit.SECONDS);
    Arrays.sort(nanos);
    System.out.printf("follower ping-pong over Kafka: %d round trips (after %d warm-up): "
        + "median %.2f ms, p99 %.2f ms, max %.2f ms%n", rounds, warmup,
        nanos[rounds / 2] / 1e6, nanos[(int) Math.ceil(rounds * 0.99) - 1] / 1e6,
        nanos[rounds - 1] / 1e6);
  }
}
