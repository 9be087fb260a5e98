package io.veil.connectors.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.channel.ControlTransport;
import io.veil.connectors.kafka.internal.SharedProducers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The control log against a real (embedded) broker: one total order, own messages included. */
class KafkaControlTransportTest {
  private static EmbeddedKafkaBroker broker;
  private static KafkaChannel partyA;
  private static KafkaChannel partyB;

  @BeforeAll
  static void startBroker() {
    broker = new EmbeddedKafkaBroker().start();
    KafkaChannelConfig config = KafkaChannelConfig.builder()
        .bootstrapServers(broker.bootstrapServers()).timeoutMs(10_000).build();
    partyA = new KafkaChannel(config);
    partyB = new KafkaChannel(config.toBuilder().build()); // equal, separately built
  }

  @AfterAll
  static void stopBroker() {
    SharedProducers.closeIdle();
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void concurrentSendersSeeOneTotalOrderIncludingTheirOwnMessages() throws Exception {
    int perParty = 25;
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (ControlTransport a = partyA.openControl("job1.control");
        ControlTransport b = partyB.openControl("job1.control")) {
      Future<List<String>> seenByA = pool.submit(() -> sendAndCollect(a, "A", "B", perParty));
      Future<List<String>> seenByB = pool.submit(() -> sendAndCollect(b, "B", "A", perParty));
      List<String> logA = seenByA.get(60, TimeUnit.SECONDS);
      List<String> logB = seenByB.get(60, TimeUnit.SECONDS);

      assertThat(logA).hasSize(2 * perParty).doesNotHaveDuplicates().isEqualTo(logB);
      for (String party : List.of("A", "B")) {
        List<String> own = logA.stream().filter(m -> m.startsWith(party))
            .collect(Collectors.toList());
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < perParty; i++) {
          sent.add(party + "-" + i);
        }
        assertThat(own).as("party %s's messages in send order", party).isEqualTo(sent);
      }

      // A party joining later reads the whole log from its start, in the same order.
      try (ControlTransport late = partyB.openControl("job1.control")) {
        assertThat(collect(late, 2 * perParty)).isEqualTo(logA);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Sends {@code count} messages, the i-th only once the peer's (i-1)-th has been seen, so that
   * the two parties' messages interleave while each pair {@code A-i}, {@code B-i} races.
   */
  private static List<String> sendAndCollect(ControlTransport t, String party, String peer,
      int count) {
    List<String> seen = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (int i = 0; i < count; i++) {
      String awaited = peer + "-" + (i - 1);
      while (i > 0 && !seen.contains(awaited) && System.nanoTime() < deadline) {
        t.poll(100).forEach(m -> seen.add(new String(m, UTF_8)));
      }
      if (i > 0) {
        assertThat(seen).as("%s saw %s", party, awaited).contains(awaited);
      }
      t.send((party + "-" + i).getBytes(UTF_8));
    }
    seen.addAll(collect(t, 2 * count - seen.size()));
    return seen;
  }

  private static List<String> collect(ControlTransport t, int count) {
    List<String> out = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (out.size() < count && System.nanoTime() < deadline) {
      t.poll(1000).forEach(m -> out.add(new String(m, UTF_8)));
    }
    return out;
  }

  @Test
  void pollReturnsOnlyNewMessagesAndEmptyAfterTheWait() {
    try (ControlTransport t = partyA.openControl("job2.control")) {
      long start = System.nanoTime();
      assertThat(t.poll(300)).isEmpty();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(290);

      t.send("hello".getBytes(UTF_8));
      assertThat(collect(t, 1)).containsExactly("hello");
      assertThat(t.poll(200)).as("nothing new since the previous call").isEmpty();

      t.send("done".getBytes(UTF_8));
      assertThat(collect(t, 1)).containsExactly("done");
    }
  }

  @Test
  void emptyAndLargeMessagesRoundTrip() {
    byte[] large = new byte[512 * 1024];
    for (int i = 0; i < large.length; i++) {
      large[i] = (byte) (i * 31);
    }
    try (ControlTransport t = partyA.openControl("job3.control")) {
      t.send(new byte[0]);
      t.send(large);
      List<byte[]> got = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (got.size() < 2 && System.nanoTime() < deadline) {
        got.addAll(t.poll(1000));
      }
      assertThat(got).hasSize(2);
      assertThat(got.get(0)).isEmpty();
      assertThat(got.get(1)).isEqualTo(large);
    }
  }

  @Test
  void controlTopicWithSeveralPartitionsIsRefused() {
    partyA.createStreams(List.of("job4.control"), 2);
    assertThatThrownBy(() -> partyB.openControl("job4.control"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'veil.job4.control' with 1 partition(s)")
        .hasMessageContaining("already exists")
        .hasMessageContaining("with 2 partition(s)");
  }

  @Test
  void closedTransportRefusesUse() {
    ControlTransport t = partyA.openControl("job5.control");
    t.close();
    t.close(); // idempotent
    assertThatThrownBy(() -> t.send(new byte[1])).hasMessageContaining("it is closed");
    assertThatThrownBy(() -> t.poll(0)).hasMessageContaining("it is closed");
  }
}
