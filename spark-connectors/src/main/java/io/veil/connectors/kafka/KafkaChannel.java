package io.veil.connectors.kafka;

import io.veil.InvalidInputException;
import io.veil.channel.Channel;
import io.veil.channel.ControlTransport;
import io.veil.channel.StreamFollower;
import io.veil.channel.StreamReader;
import io.veil.channel.StreamWriter;
import io.veil.connectors.kafka.internal.KafkaControlTransport;
import io.veil.connectors.kafka.internal.KafkaStreamFollower;
import io.veil.connectors.kafka.internal.KafkaStreamReader;
import io.veil.connectors.kafka.internal.KafkaStreamWriter;
import io.veil.connectors.kafka.internal.TopicAdmin;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link Channel} over Apache Kafka: each control log and each data stream is one topic named
 * {@code <topic.prefix><name>}.
 *
 * <ul>
 *   <li><b>Control log</b> ({@link #openControl}): a topic with one partition, so every party sees
 *       the same total order, its own messages included. {@code send} blocks until the record is
 *       acknowledged by all in-sync replicas ({@code acks=all}, idempotent producer); {@code poll}
 *       reads with an assigned consumer from offset 0, without consumer group or commits.
 *   <li><b>Data streams</b> ({@link #createStreams}): topics with a fixed partition count, created
 *       by whichever party comes first; the other finds them and checks the count. A writer
 *       ({@link #openWriter}) appends to exactly one partition through a producer shared by every
 *       task of the JVM with this configuration; a reader ({@link #openReader}) returns the records
 *       the partition held when it was opened, from the start, then ends; a follower
 *       ({@link #openFollower}) reads the partition from the start and waits for new records.
 * </ul>
 *
 * <p>The object is a small serializable value (its {@link KafkaChannelConfig}); Spark ships it to
 * executors, which create their clients there. It holds no secret: secrets are read on each host
 * from {@code kafka.properties.file}. Every blocking call is bounded by {@code timeout.ms}, and a
 * failure names the bootstrap servers and the option to check. Thread-safe; the transports, writers
 * and readers it opens are not.
 *
 * <p>Delivery guarantees: records a writer flushed are durable (acknowledged by all in-sync
 * replicas) and read back in write order. A retried Spark task writes its records again; removing
 * such duplicates, and authenticating records, is done above the channel. Kafka itself is not
 * trusted with confidentiality: only blinded or secret-shared values should be written.
 *
 * <p>Options: see {@link KafkaChannelConfig}.
 */
public final class KafkaChannel implements Channel {
  private static final long serialVersionUID = 1L;

  private final KafkaChannelConfig config;

  public KafkaChannel(KafkaChannelConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /**
   * A channel from string options (see {@link KafkaChannelConfig}).
   *
   * @throws InvalidInputException naming the first wrong option
   */
  public static KafkaChannel fromOptions(Map<String, String> options) {
    return new KafkaChannel(KafkaChannelConfig.fromOptions(options));
  }

  public KafkaChannelConfig config() {
    return config;
  }

  /** The Kafka topic used for a stream or control log name. */
  public String topicFor(String name) {
    return config.topicFor(name);
  }

  /**
   * Opens the control log {@code name}, creating its single-partition topic if missing.
   *
   * @throws io.veil.VeilException if the cluster is unreachable within {@code timeout.ms}, or the
   *     topic exists with more than one partition or unsafe settings
   */
  @Override
  public ControlTransport openControl(String name) {
    String topic = config.topicFor(name);
    TopicAdmin.ensureTopics(config, List.of(topic), 1);
    return new KafkaControlTransport(config, topic);
  }

  /**
   * Creates the streams' topics with {@code partitions} partitions each, tolerating topics the peer
   * created, then checks that every topic has exactly {@code partitions} partitions, that topics it
   * did not create have safe settings (see option {@code topic.config.check}), and waits until each
   * has a leader.
   *
   * @throws InvalidInputException if a name is invalid, {@code partitions < 1}, or an existing
   *     topic has another partition count or unsafe settings
   */
  @Override
  public void createStreams(Collection<String> streams, int partitions) {
    if (partitions < 1) {
      throw new InvalidInputException("Cannot create streams " + streams + " with " + partitions
          + " partitions: a stream needs at least one partition. Pass a positive count.");
    }
    List<String> topics = new ArrayList<>();
    for (String stream : streams) {
      topics.add(config.topicFor(stream));
    }
    TopicAdmin.ensureTopics(config, topics, partitions);
  }

  /**
   * Opens a writer on one partition of a stream created with {@link #createStreams}. Records larger
   * than {@code max.batch.bytes} are refused by {@code write}.
   */
  @Override
  public StreamWriter openWriter(String stream, int partition) {
    return new KafkaStreamWriter(config, config.topicFor(stream), partition);
  }

  /** Opens a reader over the records the partition holds now, fetched as they are taken. */
  @Override
  public StreamReader openReader(String stream, int partition) {
    return new KafkaStreamReader(config, config.topicFor(stream), partition);
  }

  /**
   * Opens a follower on one partition of a stream created with {@link #createStreams}: an assigned
   * consumer reading from the partition's first record, whose fetches the broker answers as soon as
   * a record is there. A record a writer flushed reaches a waiting follower after about one network
   * round trip; a {@code kafka.linger.ms} set for the writers' producer adds to that delay (Kafka's
   * default is 0).
   *
   * @throws io.veil.VeilException if the topic does not exist or the cluster is unreachable within
   *     {@code timeout.ms}
   * @throws InvalidInputException if the stream has no such partition
   */
  @Override
  public StreamFollower openFollower(String stream, int partition) {
    return new KafkaStreamFollower(config, config.topicFor(stream), partition);
  }

  /** Option {@code max.batch.bytes}: writers refuse larger records, and readers refuse them too. */
  @Override
  public int maxRecordBytes() {
    return config.maxBatchBytes();
  }

  @Override
  public String describe() {
    return config.describe();
  }

  @Override
  public String toString() {
    return "KafkaChannel{" + config.describe() + "}";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KafkaChannel && ((KafkaChannel) o).config.equals(config);
  }

  @Override
  public int hashCode() {
    return config.hashCode();
  }
}
