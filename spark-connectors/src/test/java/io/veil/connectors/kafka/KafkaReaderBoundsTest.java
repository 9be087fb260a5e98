package io.veil.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.VeilException;
import io.veil.channel.BatchCodec;
import io.veil.channel.BatchCodec.Batch;
import io.veil.channel.Channel;
import io.veil.channel.ControlTransport;
import io.veil.channel.PeerStream;
import io.veil.channel.RoundDigest;
import io.veil.channel.RoundStats;
import io.veil.channel.SentBatch;
import io.veil.channel.StreamFollower;
import io.veil.channel.StreamReader;
import io.veil.channel.StreamWriter;
import io.veil.connectors.kafka.KafkaChannelConfig.TopicConfigCheck;
import io.veil.connectors.kafka.internal.SharedProducers;
import io.veil.connectors.kafka.internal.TopicAdmin;
import io.veil.crypto.IdentityKeys;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.DescribeConfigsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.internals.KafkaFutureImpl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Against a real (embedded) broker: a peer that floods its stream cannot make a reader read past
 * what it announced, and topics the channel finds already created are refused when their settings
 * would let records vanish, be replaced, or be larger than this party accepts.
 */
class KafkaReaderBoundsTest {
  private static final IdentityKeys BANK_B = IdentityKeys.fromSeed(filled(9));
  private static final String JOB = "jb";
  private static final int ELEMENT_BYTES = 32;
  private static final int BATCH_ROWS = 4;
  private static EmbeddedKafkaBroker broker;
  private static KafkaChannelConfig config;
  private static KafkaChannel channel;

  @BeforeAll
  static void startBroker() {
    broker = new EmbeddedKafkaBroker().start();
    config = KafkaChannelConfig.builder().bootstrapServers(broker.bootstrapServers()).timeoutMs(10_000).build();
    channel = new KafkaChannel(config);
  }

  @AfterAll
  static void stopBroker() {
    SharedProducers.closeIdle();
    if (broker != null) {
      broker.close();
    }
  }

  private static byte[] filled(int b) {
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) b);
    return s;
  }

  private static byte[] batch(String stream, int seq, int count) {
    byte[] payload = new byte[count * ELEMENT_BYTES];
    new Random(seq).nextBytes(payload);
    return BatchCodec.encode(JOB, stream, "bank_b", 0, seq, ELEMENT_BYTES, payload, count, BANK_B);
  }

  /** What bank_b announces for partition 0 of {@code stream} when it sent {@code records}. */
  private static RoundStats announce(String stream, List<byte[]> records) {
    List<SentBatch> sent = new ArrayList<>();
    for (byte[] r : records) {
      Batch b = BatchCodec.decode(r, JOB, stream, "bank_b", BANK_B.publicKey(), 0, ELEMENT_BYTES, "blind-1");
      sent.add(new SentBatch(0, b.seq(), b.count(), RoundDigest.batchDigest(r), null));
    }
    return RoundStats.fromBatches(1, sent);
  }

  private static Admin admin() {
    return Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
  }

  private static void createTopic(String topic, Map<String, String> configs) throws Exception {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(configs))).all()
          .get(10, TimeUnit.SECONDS);
    }
  }

  /** The settings the channel gives its own topics, with {@code overrides}. */
  private static Map<String, String> safe(String... overrides) {
    Map<String, String> m = new HashMap<>(Map.of("cleanup.policy", "delete", "compression.type", "uncompressed",
        "retention.ms", Long.toString(config.retentionMs()), "max.message.bytes",
        Integer.toString(config.maxRecordBytes())));
    for (int i = 0; i < overrides.length; i += 2) {
      m.put(overrides[i], overrides[i + 1]);
    }
    return m;
  }

  @Test
  void aFloodOverKafkaIsReadOnlyUpToTheFirstBatchBeyondTheAnnouncedCount() {
    String stream = "bank_b.jb.flood";
    channel.createStreams(List.of(stream), 1);
    List<byte[]> honest = List.of(batch(stream, 0, 4), batch(stream, 1, 4), batch(stream, 2, 2));
    try (StreamWriter w = channel.openWriter(stream, 0)) {
      w.write(honest.get(0));
      w.write(honest.get(1));
      for (int seq = 3; seq < 3_003; seq++) {
        w.write(batch(stream, seq, 4));
      }
      w.write(honest.get(2));
    }
    CountingChannel counting = new CountingChannel(channel);
    PeerStream in = new PeerStream(counting, JOB, stream, "bank_b", BANK_B.publicKey(), "blind-1",
        announce(stream, honest), ELEMENT_BYTES, BATCH_ROWS);

    assertThatThrownBy(() -> in.read(0))
        .isInstanceOf(ProtocolException.class)
        .hasMessageStartingWith("Cannot accept data from bank_b in step 'blind-1': partition 0 of stream '"
            + stream + "' holds a batch with sequence number 3, beyond the 3 batches bank_b announced")
        .satisfies(e -> assertThat(((ProtocolException) e).peer()).isEqualTo("bank_b"));
    assertThat(counting.pulled).as("records taken of the 3,003 in the partition").isEqualTo(3);
  }

  @Test
  void anHonestStreamFollowedByAFloodReadsOverKafka() {
    String stream = "bank_b.jb.tail";
    channel.createStreams(List.of(stream), 1);
    List<byte[]> honest = List.of(batch(stream, 0, 4), batch(stream, 1, 3));
    try (StreamWriter w = channel.openWriter(stream, 0)) {
      honest.forEach(w::write);
      for (int seq = 2; seq < 2_002; seq++) {
        w.write(batch(stream, seq, 4));
      }
    }
    CountingChannel counting = new CountingChannel(channel);
    List<Batch> got = new PeerStream(counting, JOB, stream, "bank_b", BANK_B.publicKey(), "blind-1",
        announce(stream, honest), ELEMENT_BYTES, BATCH_ROWS).read(0);

    assertThat(got).extracting(Batch::count).containsExactly(4, 3);
    assertThat(counting.pulled).isEqualTo(2);
  }

  @Test
  void anExistingCompactedTopicIsRefusedSayingWhatToChange() throws Exception {
    createTopic("veil.jb.compacted", safe("cleanup.policy", "compact"));

    assertThatThrownBy(() -> channel.createStreams(List.of("jb.compacted"), 1))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot use Kafka topic 'veil.jb.compacted' on Kafka at " + broker.bootstrapServers()
            + " (topics 'veil.*'): it already exists with settings a job cannot rely on: cleanup.policy is "
            + "'compact' (with compaction, records can vanish or be replaced while a job reads them). Change them, "
            + "for example with kafka-configs.sh --bootstrap-server " + broker.bootstrapServers()
            + " --alter --entity-type topics --entity-name veil.jb.compacted --add-config cleanup.policy=delete;");
    assertThatThrownBy(() -> channel.openControl("jb.compacted"))
        .as("the control log too")
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("cleanup.policy is 'compact'");
  }

  @Test
  void anExistingTopicWithShortRetentionLargeRecordsAndCompressionIsRefusedNamingEach() throws Exception {
    createTopic("veil.jb.loose", safe("cleanup.policy", "compact,delete", "retention.ms", "60000",
        "max.message.bytes", "67108864", "compression.type", "producer"));

    assertThatThrownBy(() -> channel.createStreams(List.of("jb.loose"), 1))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("cleanup.policy is 'compact,delete'")
        .hasMessageContaining("retention.ms is 60000, shorter than option 'retention.ms' = 604800000")
        .hasMessageContaining("max.message.bytes is 67108864, more than this party accepts (option "
            + "'max.batch.bytes' + 65536 = " + config.maxRecordBytes() + ")")
        .hasMessageContaining("compression.type is 'producer'")
        .hasMessageContaining("--add-config cleanup.policy=delete,retention.ms=604800000,max.message.bytes="
            + config.maxRecordBytes() + ",compression.type=uncompressed;");
  }

  @Test
  void topicsThePeerCreatedWithTheSameOptionsAreAcceptedAndReadable() {
    KafkaChannel peer = new KafkaChannel(config.toBuilder().build());
    peer.createStreams(List.of("jb.shared"), 2);
    channel.createStreams(List.of("jb.shared"), 2); // found, described, accepted
    channel.createStreams(List.of("jb.shared"), 2);
    KafkaChannel longer = new KafkaChannel(config.toBuilder().retentionMs(-1).build());
    assertThatThrownBy(() -> longer.createStreams(List.of("jb.shared"), 2))
        .as("a party that needs the records kept forever")
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("retention.ms is 604800000, shorter than option 'retention.ms' = -1");
  }

  @Test
  void whenThePrincipalMayNotDescribeConfigsTheCheckIsRequiredUnlessOptedOut() throws Exception {
    createTopic("veil.jb.hidden", safe());
    try (Admin real = admin()) {
      Admin denying = describeConfigsDenied(real);
      assertThatThrownBy(() -> TopicAdmin.ensureTopics(denying, config, List.of("veil.jb.hidden"), 1))
          .isInstanceOf(VeilException.class)
          .hasMessageStartingWith("Cannot use Kafka topic 'veil.jb.hidden' on Kafka at ")
          .hasMessageContaining("may not describe its configuration (TopicAuthorizationException)")
          .hasMessageContaining("--operation DescribeConfigs --topic veil. --resource-pattern-type prefixed")
          .hasMessageContaining("set option 'topic.config.check' to 'if-allowed'");

      KafkaChannelConfig optedOut = config.toBuilder().topicConfigCheck(TopicConfigCheck.IF_ALLOWED).build();
      TopicAdmin.ensureTopics(denying, optedOut, List.of("veil.jb.hidden"), 1);
      // Topics this party creates itself need no description.
      TopicAdmin.ensureTopics(denying, config, List.of("veil.jb.mine"), 1);
    }
  }

  /** {@code real}, except that describing configurations is denied as on an ACL-restricted broker. */
  private static Admin describeConfigsDenied(Admin real) {
    return (Admin) Proxy.newProxyInstance(Admin.class.getClassLoader(), new Class<?>[] {Admin.class},
        (proxy, method, args) -> {
          if (method.getName().equals("describeConfigs")) {
            Map<ConfigResource, KafkaFuture<Config>> failed = new HashMap<>();
            for (Object r : (Collection<?>) args[0]) {
              KafkaFutureImpl<Config> f = new KafkaFutureImpl<>();
              f.completeExceptionally(new TopicAuthorizationException("DescribeConfigs denied"));
              failed.put((ConfigResource) r, f);
            }
            return new DescribeConfigsResult(failed) {};
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** Counts the records readers take from a channel. */
  private static final class CountingChannel implements Channel {
    private static final long serialVersionUID = 1L;
    private final Channel delegate;
    private int pulled;

    CountingChannel(Channel delegate) {
      this.delegate = delegate;
    }

    @Override
    public ControlTransport openControl(String name) {
      return delegate.openControl(name);
    }

    @Override
    public void createStreams(Collection<String> streams, int partitions) {
      delegate.createStreams(streams, partitions);
    }

    @Override
    public StreamWriter openWriter(String stream, int partition) {
      return delegate.openWriter(stream, partition);
    }

    @Override
    public StreamFollower openFollower(String stream, int partition) {
      return delegate.openFollower(stream, partition);
    }

    @Override
    public StreamReader openReader(String stream, int partition) {
      StreamReader r = delegate.openReader(stream, partition);
      return new StreamReader() {
        @Override
        public Iterator<byte[]> records() {
          Iterator<byte[]> it = r.records();
          return new Iterator<>() {
            @Override
            public boolean hasNext() {
              return it.hasNext();
            }

            @Override
            public byte[] next() {
              pulled++;
              return it.next();
            }
          };
        }

        @Override
        public void close() {
          r.close();
        }
      };
    }

    @Override
    public int maxRecordBytes() {
      return delegate.maxRecordBytes();
    }

    @Override
    public String describe() {
      return delegate.describe();
    }
  }
}
