package io.veil.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import io.veil.channel.StreamReader;
import io.veil.channel.StreamWriter;
import io.veil.connectors.kafka.internal.ReaderPool;
import io.veil.connectors.kafka.internal.SharedProducers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data streams against a real (embedded) broker. */
class KafkaStreamsTest {
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
    ReaderPool.closeIdle();
    if (broker != null) {
      broker.close();
    }
  }

  private static byte[] record(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }

  private static List<byte[]> readAll(KafkaChannel ch, String stream, int partition) {
    List<byte[]> out = new ArrayList<>();
    try (StreamReader reader = ch.openReader(stream, partition)) {
      reader.records().forEachRemaining(out::add);
    }
    return out;
  }

  private static Map<String, TopicDescription> describe(String... topics) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      return admin.describeTopics(List.of(topics)).allTopicNames().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void createStreamsIsIdempotentAcrossBothParties() throws Exception {
    KafkaChannel partyA = new KafkaChannel(config);
    KafkaChannel partyB = new KafkaChannel(config.toBuilder().build());
    List<String> streams = List.of("j1.a-to-b.r1", "j1.b-to-a.r1");
    CompletableFuture<Void> a = CompletableFuture.runAsync(() -> partyA.createStreams(streams, 3));
    CompletableFuture<Void> b = CompletableFuture.runAsync(() -> partyB.createStreams(streams, 3));
    a.get(30, TimeUnit.SECONDS);
    b.get(30, TimeUnit.SECONDS);
    partyA.createStreams(streams, 3); // and again, later
    Map<String, TopicDescription> topics = describe("veil.j1.a-to-b.r1", "veil.j1.b-to-a.r1");
    assertThat(topics.values()).allSatisfy(d -> assertThat(d.partitions()).hasSize(3));
    // Usable immediately: each partition can be written and read.
    for (int p = 0; p < 3; p++) {
      try (StreamWriter w = partyB.openWriter("j1.a-to-b.r1", p)) {
        w.write(new byte[] {(byte) p});
      }
      assertThat(readAll(partyA, "j1.a-to-b.r1", p)).containsExactly(new byte[] {(byte) p});
    }
  }

  @Test
  void partitionCountMismatchIsAClearError() {
    channel.createStreams(List.of("j2.s"), 2);
    assertThatThrownBy(() -> channel.createStreams(List.of("j2.s"), 4))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot use Kafka topic 'veil.j2.s' with 4 partition(s): it "
            + "already exists on Kafka at " + broker.bootstrapServers())
        .hasMessageContaining("with 2 partition(s)")
        .hasMessageContaining("topic.prefix");
    assertThatThrownBy(() -> channel.createStreams(List.of("j2.t"), 0))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("at least one partition");
  }

  @Test
  void writersAndReadersRoundTripLargeRecordsPerPartition() throws Exception {
    int partitions = 3;
    int perPartition = 4;
    channel.createStreams(List.of("j3.data"), partitions);
    Random random = new Random(42);
    List<List<byte[]>> written = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      List<byte[]> records = new ArrayList<>();
      for (int i = 0; i < perPartition; i++) {
        records.add(record(random, 1_000_000 + random.nextInt(48_000)));
      }
      written.add(records);
    }
    // One writer per partition, concurrently, as Spark tasks of one executor would.
    List<CompletableFuture<Void>> tasks = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      int partition = p;
      tasks.add(CompletableFuture.runAsync(() -> {
        try (StreamWriter w = channel.openWriter("j3.data", partition)) {
          written.get(partition).forEach(w::write);
          w.flush();
        }
      }));
    }
    CompletableFuture.allOf(tasks.toArray(CompletableFuture<?>[]::new)).get(60, TimeUnit.SECONDS);

    // The reading party gets the channel as Spark would ship it: serialised.
    KafkaChannel shipped = roundTripSerialise(channel);
    for (int p = 0; p < partitions; p++) {
      List<byte[]> read = readAll(shipped, "j3.data", p);
      assertThat(read).hasSize(perPartition);
      for (int i = 0; i < perPartition; i++) {
        assertThat(read.get(i)).as("partition %d record %d", p, i).isEqualTo(written.get(p).get(i));
      }
    }
  }

  private static KafkaChannel roundTripSerialise(KafkaChannel ch) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(ch);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (KafkaChannel) in.readObject();
    }
  }

  @Test
  void readerSeesOnlyRecordsPresentWhenOpened() {
    channel.createStreams(List.of("j4.data"), 1);
    try (StreamWriter w = channel.openWriter("j4.data", 0)) {
      w.write(new byte[] {1});
      w.write(new byte[] {2});
      w.flush();
      try (StreamReader reader = channel.openReader("j4.data", 0)) {
        w.write(new byte[] {3});
        w.flush();
        List<byte[]> got = new ArrayList<>();
        reader.records().forEachRemaining(got::add);
        assertThat(got).containsExactly(new byte[] {1}, new byte[] {2});
        assertThatThrownBy(reader::records).isInstanceOf(IllegalStateException.class);
      }
    }
    assertThat(readAll(channel, "j4.data", 0))
        .containsExactly(new byte[] {1}, new byte[] {2}, new byte[] {3});
  }

  @Test
  void emptyPartitionReadsAsEmpty() {
    channel.createStreams(List.of("j5.data"), 2);
    try (StreamReader reader = channel.openReader("j5.data", 1)) {
      Iterator<byte[]> it = reader.records();
      assertThat(it.hasNext()).isFalse();
    }
  }

  @Test
  void wrongPartitionsAndMissingTopicsAreClearErrors() {
    channel.createStreams(List.of("j6.data"), 2);
    assertThatThrownBy(() -> channel.openWriter("j6.data", 2))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("topic 'veil.j6.data' has 2 partition(s), numbered 0 to 1, not 2");
    assertThatThrownBy(() -> channel.openReader("j6.data", 5))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("not 5");
    assertThatThrownBy(() -> channel.openReader("j6.nope", 0))
        .isInstanceOf(VeilException.class)
        .hasMessageContaining("topic 'veil.j6.nope' does not exist on Kafka at "
            + broker.bootstrapServers())
        .hasMessageContaining("createStreams");
    assertThatThrownBy(() -> channel.openWriter("bad/name", 0))
        .isInstanceOf(InvalidInputException.class);
  }

  @Test
  void recordsAboveMaxBatchBytesAreRefused() {
    KafkaChannel small = new KafkaChannel(config.toBuilder().maxBatchBytes(4096).build());
    small.createStreams(List.of("j7.data"), 1);
    try (StreamWriter w = small.openWriter("j7.data", 0)) {
      w.write(new byte[4096]);
      assertThatThrownBy(() -> w.write(new byte[4097]))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("4097 bytes, more than option 'max.batch.bytes' = 4096");
    }
  }

  @Test
  void flushRethrowsTheFirstFailureFromTheBroker() {
    // The peer created the topic with a small max.batch.bytes; this party writes a larger record.
    new KafkaChannel(config.toBuilder().maxBatchBytes(2048).build())
        .createStreams(List.of("j8.data"), 1);
    StreamWriter w = channel.openWriter("j8.data", 0);
    w.write(new byte[10]);
    w.write(new byte[512 * 1024]);
    assertThatThrownBy(w::flush)
        .isInstanceOf(VeilException.class)
        .hasMessageStartingWith("Cannot write to Kafka topic 'veil.j8.data' partition 0")
        .hasMessageContaining("max.batch.bytes");
    assertThatThrownBy(w::close).isInstanceOf(VeilException.class);
  }

  @Test
  void clientPropertiesFileIsReadWhereTheClientIsCreated(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "security.protocol=PLAINTEXT\nclient.id=veil-test\nlinger.ms=5\n");
    KafkaChannel withFile = new KafkaChannel(config.toBuilder()
        .kafkaPropertiesFile(file.toString()).build());
    withFile.createStreams(List.of("j9.data"), 1);
    try (StreamWriter w = withFile.openWriter("j9.data", 0)) {
      w.write(new byte[] {9});
    }
    assertThat(readAll(withFile, "j9.data", 0)).containsExactly(new byte[] {9});

    Path bad = dir.resolve("bad.properties");
    Files.writeString(bad, "group.id=mine\nsasl.jaas.config=secret-value\n");
    KafkaChannel withBadFile = new KafkaChannel(config.toBuilder()
        .kafkaPropertiesFile(bad.toString()).build());
    assertThatThrownBy(() -> withBadFile.openReader("j9.data", 0))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("property 'group.id' in kafka.properties.file '" + bad + "'")
        .hasMessageContaining("Remove it")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret-value"));
  }

  @Test
  void writersOfOneConfigurationShareOneProducer() {
    channel.createStreams(List.of("j10.data"), 2);
    SharedProducers.closeIdle();
    KafkaChannel sameConfig = new KafkaChannel(config.toBuilder().build());
    try (StreamWriter w0 = channel.openWriter("j10.data", 0);
        StreamWriter w1 = sameConfig.openWriter("j10.data", 1)) {
      w0.write(new byte[] {0});
      w1.write(new byte[] {1});
      assertThat(SharedProducers.closeIdle()).as("in use: not closed").isZero();
    }
    assertThat(SharedProducers.closeIdle()).as("one producer for both writers").isEqualTo(1);
    assertThat(readAll(channel, "j10.data", 1)).containsExactly(new byte[] {1});
  }

  /**
   * Readers opened one after another share one consumer (given back unassigned), and each still
   * reads exactly its own partition from the start: what a driver running a small job's steps does.
   * Two readers open at once use two; a reader whose read failed does not give its consumer back.
   */
  @Test
  void readersOneAfterAnotherReuseOneConsumer() {
    channel.createStreams(List.of("j11.data"), 3);
    for (int p = 0; p < 3; p++) {
      try (StreamWriter w = channel.openWriter("j11.data", p)) {
        w.write(new byte[] {(byte) p, 1});
        w.write(new byte[] {(byte) p, 2});
        w.flush();
      }
    }
    ReaderPool.closeIdle();
    for (int round = 0; round < 2; round++) {
      for (int p = 0; p < 3; p++) {
        assertThat(readAll(channel, "j11.data", p)).containsExactly(new byte[] {(byte) p, 1}, new byte[] {(byte) p, 2});
      }
    }
    assertThat(ReaderPool.closeIdle()).as("six reads, one after another: one consumer").isEqualTo(1);

    try (StreamReader r0 = channel.openReader("j11.data", 0); StreamReader r1 = channel.openReader("j11.data", 1)) {
      Iterator<byte[]> a = r0.records();
      Iterator<byte[]> b = r1.records();
      assertThat(a.next()).containsExactly(0, 1);
      assertThat(b.next()).containsExactly(1, 1);
      assertThat(a.next()).containsExactly(0, 2);
      assertThat(b.next()).containsExactly(1, 2);
      assertThat(a.hasNext()).isFalse();
      assertThat(b.hasNext()).isFalse();
    }
    assertThat(ReaderPool.closeIdle()).as("two readers at once: two consumers").isEqualTo(2);

    assertThatThrownBy(() -> channel.openReader("j11.nope", 0)).isInstanceOf(VeilException.class);
    assertThat(ReaderPool.closeIdle()).as("a reader that failed to open keeps nothing").isZero();
  }
}
