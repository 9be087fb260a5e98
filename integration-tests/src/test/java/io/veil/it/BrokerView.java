package io.veil.it;

import io.veil.channel.ControlCodec;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.RoundComplete;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the operator of the Kafka cluster sees of Veil jobs, read as that operator would: every
 * record of every topic with an ordinary consumer, decoded with the public formats only (the
 * control message JSON and the data batch header documented in {@code BatchCodec}), holding no
 * party key. Tests assert that this view is exactly what the README's leakage table says the
 * broker operator learns, and nothing more.
 */
final class BrokerView {
  /** A control message as the operator reads it (its signature is not checked: the operator may not know the keys). */
  record ControlRecord(String topic, ControlMessage message) {}

  /** A data batch's header as the operator reads it; the payload is {@code count * elementBytes} bytes. */
  record DataRecord(String topic, String jobId, String stream, String sender, int partition, int seq,
      int elementBytes, int count, byte[] payload) {}

  final List<ControlRecord> control = new ArrayList<>();
  final List<DataRecord> data = new ArrayList<>();
  /** Records that are neither: topic and offset. */
  final List<String> unreadable = new ArrayList<>();

  private BrokerView() {}

  /** Reads every record of every topic on the cluster. */
  static BrokerView read(String bootstrapServers) throws Exception {
    BrokerView view = new BrokerView();
    readRecords(bootstrapServers, topic -> true, view::add);
    return view;
  }

  /** Hands every record (topic, offset, value) of the topics {@code wanted} accepts to {@code sink}. */
  static void readRecords(String bootstrapServers, Predicate<String> wanted, RecordSink sink) throws Exception {
    Set<String> topics;
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      topics = new TreeSet<>(admin.listTopics().names().get());
    }
    topics.removeIf(wanted.negate());
    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    cp.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(16 << 20));
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : topics) {
        consumer.partitionsFor(t).forEach(pi -> parts.add(new TopicPartition(t, pi.partition())));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 120_000;
      while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("the topics were not read within 120 s");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          sink.accept(r.topic(), r.offset(), r.value());
        }
      }
    }
  }

  /** Receives records read by {@link #readRecords}. */
  interface RecordSink {
    void accept(String topic, long offset, byte[] value);
  }

  private void add(String topic, long offset, byte[] value) {
    DataRecord batch = batchHeader(topic, value);
    if (batch != null) {
      data.add(batch);
      return;
    }
    byte[][] parts = ControlCodec.open(value);
    if (parts != null) {
      try {
        control.add(new ControlRecord(topic, ControlCodec.decode(parts[0])));
        return;
      } catch (ControlCodec.MalformedException e) {
        // falls through: unreadable
      }
    }
    unreadable.add(topic + "@" + offset);
  }

  /** Parses the documented batch framing; null if {@code v} is not a well-formed batch. */
  private static DataRecord batchHeader(String topic, byte[] v) {
    if (v == null || v.length < 4 || !Arrays.equals(Arrays.copyOf(v, 4), "VB02".getBytes(StandardCharsets.US_ASCII))) {
      return null;
    }
    try {
      ByteBuffer b = ByteBuffer.wrap(v, 4, v.length - 4);
      String job = shortString(b);
      String stream = shortString(b);
      String sender = shortString(b);
      int partition = b.getInt();
      int seq = b.getInt();
      int elementBytes = Short.toUnsignedInt(b.getShort());
      int count = b.getInt();
      long payloadBytes = (long) count * elementBytes;
      if (count < 0 || payloadBytes + 64 != b.remaining()) {
        return null;
      }
      byte[] payload = new byte[(int) payloadBytes];
      b.get(payload);
      return new DataRecord(topic, job, stream, sender, partition, seq, elementBytes, count, payload);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String shortString(ByteBuffer b) {
    byte[] s = new byte[Byte.toUnsignedInt(b.get())];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }

  /** The control messages of one job. */
  List<ControlMessage> controlOf(String jobId) {
    return control.stream().map(ControlRecord::message).filter(m -> m.jobId().equals(jobId)).toList();
  }

  /** The distinct data batches of one job (a retried batch appears twice on the log, once here). */
  List<DataRecord> dataOf(String jobId) {
    Map<String, DataRecord> distinct = new LinkedHashMap<>();
    for (DataRecord d : data) {
      if (d.jobId().equals(jobId)) {
        distinct.putIfAbsent(d.sender() + "|" + d.stream() + "|" + d.partition() + "|" + d.seq(), d);
      }
    }
    return List.copyOf(distinct.values());
  }

  /** Elements per (sender, stream) of one job, from the distinct batches. */
  Map<String, Long> elementsPerStream(String jobId) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (DataRecord d : dataOf(jobId)) {
      out.merge(d.sender() + " " + d.stream(), (long) d.count(), Long::sum);
    }
    return out;
  }

  /** Every total the senders announced in {@code round-complete} messages of one job. */
  Set<Long> announcedTotals(String jobId) {
    Set<Long> out = new TreeSet<>();
    for (ControlMessage m : controlOf(jobId)) {
      if (m.body() instanceof RoundComplete rc) {
        out.add(rc.stats().totalElements());
      }
    }
    return out;
  }

  /** The kinds of control message one job put on the log (their body classes' simple names). */
  Set<String> kinds(String jobId) {
    Set<String> out = new TreeSet<>();
    for (ControlMessage m : controlOf(jobId)) {
      out.add(m.body().getClass().getSimpleName());
    }
    return out;
  }
}
