package io.veil.channel.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.channel.StreamFollower;
import io.veil.channel.StreamWriter;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link InMemoryChannel#openFollower}: order, waiting, timeouts and an interactive exchange. */
class InMemoryFollowerTest {
  private final InMemoryChannel channel = new InMemoryChannel("follower-" + UUID.randomUUID());

  private static byte[] num(int i) {
    return ByteBuffer.allocate(4).putInt(i).array();
  }

  private static int num(byte[] b) {
    return ByteBuffer.wrap(b).getInt();
  }

  @Test
  void returnsEveryRecordFromTheStartInAppendOrder() {
    channel.createStreams(List.of("s"), 2);
    StreamWriter w = channel.openWriter("s", 1);
    for (int i = 0; i < 50; i++) {
      w.write(num(i));
    }
    w.flush();
    channel.openWriter("s", 0).write(num(-1)); // another partition is not followed
    try (StreamFollower f = channel.openFollower("s", 1)) {
      for (int i = 0; i < 50; i++) {
        assertThat(num(f.next(1_000))).isEqualTo(i);
      }
      w.write(num(50)); // written after the follower was opened
      assertThat(num(f.next(1_000))).isEqualTo(50);
      assertThat(f.next(0)).isNull();
    }
  }

  @Test
  void waitsForARecordWrittenLater() throws Exception {
    channel.createStreams(List.of("s"), 1);
    try (StreamFollower f = channel.openFollower("s", 0)) {
      CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> f.next(10_000));
      Thread.sleep(100);
      assertThat(got).isNotDone();
      channel.openWriter("s", 0).write(num(7));
      assertThat(num(got.get(5, TimeUnit.SECONDS))).isEqualTo(7);
    }
  }

  @Test
  void returnsNullWhenNothingArrivesInTime() {
    channel.createStreams(List.of("s"), 1);
    try (StreamFollower f = channel.openFollower("s", 0)) {
      long start = System.nanoTime();
      assertThat(f.next(200)).isNull();
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(tookMs).isBetween(190L, 2_000L);
      channel.openWriter("s", 0).write(num(1)); // a later call still gets it
      assertThat(num(f.next(0))).isEqualTo(1);
    }
  }

  @Test
  void refusesAMissingStreamOrPartition() {
    assertThatThrownBy(() -> channel.openFollower("nope", 0))
        .hasMessageContaining("'nope'").hasMessageContaining("createStreams");
    channel.createStreams(List.of("s"), 2);
    assertThatThrownBy(() -> channel.openFollower("s", 2))
        .hasMessageContaining("partition 2").hasMessageContaining("2 partition(s)");
  }

  @Test
  void twoThreadsPlayPingPong() throws Exception {
    int rounds = 2_000;
    channel.createStreams(List.of("ping", "pong"), 1);
    CompletableFuture<Void> b = CompletableFuture.runAsync(() -> {
      try (StreamFollower in = channel.openFollower("ping", 0);
          StreamWriter out = channel.openWriter("pong", 0)) {
        for (int i = 0; i < rounds; i++) {
          byte[] r = in.next(10_000);
          assertThat(r).isNotNull();
          out.write(num(num(r) + 1));
          out.flush();
        }
      }
    });
    try (StreamWriter out = channel.openWriter("ping", 0);
        StreamFollower in = channel.openFollower("pong", 0)) {
      int v = 0;
      for (int i = 0; i < rounds; i++) {
        out.write(num(v));
        out.flush();
        byte[] r = in.next(10_000);
        assertThat(r).isNotNull();
        assertThat(num(r)).isEqualTo(v + 1);
        v = num(r) + 1;
      }
      assertThat(v).isEqualTo(2 * rounds);
    }
    b.get(30, TimeUnit.SECONDS);
  }
}
