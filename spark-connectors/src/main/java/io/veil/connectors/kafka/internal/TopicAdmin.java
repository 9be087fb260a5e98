package io.veil.connectors.kafka.internal;

import io.veil.VeilException;
import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.connectors.kafka.internal.KafkaErrors.Access;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the channel's topics (idempotently), checks the settings of those it finds already
 * created, and waits until they can be used.
 */
public final class TopicAdmin {
  private static final System.Logger LOG = System.getLogger(TopicAdmin.class.getName());

  /**
   * Topic settings the channel creates its topics with and requires of topics it finds: records are
   * only deleted by age, never compacted away or replaced; kept at least {@code retention.ms}; and
   * no record batch larger than this party accepts. Batches are stored uncompressed, so the broker
   * checks {@code max.message.bytes} against their real size (with {@code producer} a small
   * compressed batch can unpack to records of any size in a reader).
   */
  private static final String CLEANUP_POLICY = TopicConfig.CLEANUP_POLICY_DELETE;
  private static final String COMPRESSION_TYPE = "uncompressed";

  private TopicAdmin() {}

  /**
   * Makes sure every topic exists with exactly {@code partitions} partitions and a leader for each,
   * creating missing ones with the channel's topic settings. Safe to call concurrently from both
   * parties. If this principal may not create topics, topics created by someone else are accepted.
   * Topics it did not create are checked (see {@link #checkFound}).
   */
  public static void ensureTopics(KafkaChannelConfig config, Collection<String> topics,
      int partitions) {
    if (topics.isEmpty()) {
      return;
    }
    Admin admin = createAdmin(config);
    try {
      ensureTopics(admin, config, topics, partitions);
    } finally {
      admin.close(closeTimeout(config));
    }
  }

  /** {@link #ensureTopics(KafkaChannelConfig, Collection, int)} with a given admin client. */
  public static void ensureTopics(Admin admin, KafkaChannelConfig config, Collection<String> topics,
      int partitions) {
    Set<String> names = new LinkedHashSet<>(topics);
    if (names.isEmpty()) {
      return;
    }
    String action = "create Kafka topics " + names + " with " + partitions + " partition(s)";
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMs());
    try {
      Set<String> found = new LinkedHashSet<>();
      Map<String, AuthorizationException> createDenied =
          create(admin, config, names, partitions, found, action);
      waitUntilUsable(admin, config, names, partitions, deadline, createDenied, action);
      checkFound(admin, config, found, deadline, action);
    } catch (KafkaException e) {
      throw KafkaErrors.kafkaFailure(action, config, e);
    }
  }

  static Admin createAdmin(KafkaChannelConfig config) {
    try {
      return Admin.create(ClientProperties.admin(config));
    } catch (KafkaException e) {
      throw KafkaErrors.clientCreation("admin client", config, e);
    }
  }

  /**
   * Creates the topics, adding to {@code found} those that exist already (or may, where creating
   * was not allowed); returns the topics this principal may not create, with the failure.
   */
  private static Map<String, AuthorizationException> create(Admin admin, KafkaChannelConfig config,
      Set<String> names, int partitions, Set<String> found, String action) {
    Map<String, String> topicConfigs = new HashMap<>();
    topicConfigs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
        Integer.toString(config.maxRecordBytes()));
    topicConfigs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(config.retentionMs()));
    topicConfigs.put(TopicConfig.CLEANUP_POLICY_CONFIG, CLEANUP_POLICY);
    topicConfigs.put(TopicConfig.COMPRESSION_TYPE_CONFIG, COMPRESSION_TYPE);
    Optional<Short> replication = config.replicationFactor() == -1
        ? Optional.empty() : Optional.of((short) config.replicationFactor());
    List<NewTopic> newTopics = new ArrayList<>();
    for (String name : names) {
      newTopics.add(new NewTopic(name, Optional.of(partitions), replication).configs(topicConfigs));
    }
    Map<String, AuthorizationException> denied = new LinkedHashMap<>();
    Map<String, KafkaFuture<Void>> results = admin.createTopics(newTopics).values();
    for (Map.Entry<String, KafkaFuture<Void>> e : results.entrySet()) {
      try {
        get(e.getValue(), config, action);
      } catch (ExecutionException ex) {
        Throwable cause = ex.getCause();
        if (cause instanceof TopicExistsException) {
          found.add(e.getKey()); // the peer (or an earlier run) created it; checked below
          continue;
        }
        if (cause instanceof AuthorizationException) {
          // created by the peer whose topic it is, or by an administrator: checked below
          denied.put(e.getKey(), (AuthorizationException) cause);
          found.add(e.getKey());
          continue;
        }
        throw KafkaErrors.kafkaFailure(action, Access.CREATE, e.getKey(), config, cause);
      }
    }
    return denied;
  }

  private static void waitUntilUsable(Admin admin, KafkaChannelConfig config, Set<String> names,
      int partitions, long deadline, Map<String, AuthorizationException> createDenied,
      String action) {
    long sleepMs = 20;
    while (true) {
      Map<String, TopicDescription> described = new HashMap<>();
      Throwable lastFailure = null;
      for (Map.Entry<String, KafkaFuture<TopicDescription>> e
          : admin.describeTopics(names).topicNameValues().entrySet()) {
        try {
          described.put(e.getKey(), get(e.getValue(), config, action));
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof UnknownTopicOrPartitionException)) {
            throw KafkaErrors.kafkaFailure(action, Access.DESCRIBE, e.getKey(), config,
                ex.getCause());
          }
          lastFailure = ex.getCause();
        }
      }
      boolean ready = described.size() == names.size();
      for (TopicDescription d : described.values()) {
        if (d.partitions().size() != partitions) {
          throw KafkaErrors.partitionMismatch(d.name(), d.partitions().size(), partitions, config);
        }
        for (TopicPartitionInfo p : d.partitions()) {
          ready &= p.leader() != null && !p.leader().isEmpty();
        }
      }
      if (ready && leadersServe(admin, config, described.values(), action)) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        Set<String> missing = new LinkedHashSet<>(names);
        missing.removeAll(described.keySet());
        for (String topic : missing) {
          if (createDenied.containsKey(topic)) {
            throw KafkaErrors.topicDenied(action, Access.CREATE, topic, config,
                createDenied.get(topic), config.timeoutMs());
          }
        }
        String topic = missing.isEmpty() ? described.keySet().iterator().next()
            : missing.iterator().next();
        VeilException e = KafkaErrors.topicNotReady(topic, config);
        if (lastFailure != null) {
          e.addSuppressed(lastFailure);
        }
        throw e;
      }
      sleep(sleepMs, action);
      sleepMs = Math.min(sleepMs * 2, 250);
    }
  }

  /**
   * Checks the settings of topics this party did not create (the peer, an administrator or an
   * earlier run did): a topic whose records could be compacted away or replaced, deleted sooner
   * than option {@code retention.ms}, larger than this party accepts, or compressed (see
   * {@link #COMPRESSION_TYPE}) is refused, naming the settings to change. Where the principal may
   * not describe the configuration, option {@code topic.config.check} decides.
   */
  private static void checkFound(Admin admin, KafkaChannelConfig config, Set<String> found,
      long deadline, String action) {
    Map<String, ConfigResource> pending = new LinkedHashMap<>();
    for (String topic : found) {
      pending.put(topic, new ConfigResource(ConfigResource.Type.TOPIC, topic));
    }
    long sleepMs = 20;
    while (!pending.isEmpty()) {
      Map<ConfigResource, KafkaFuture<Config>> described =
          admin.describeConfigs(pending.values()).values();
      Throwable unknown = null;
      Iterator<Map.Entry<String, ConfigResource>> it = pending.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<String, ConfigResource> e = it.next();
        try {
          check(e.getKey(), get(described.get(e.getValue()), config, action), config);
          it.remove();
        } catch (ExecutionException ex) {
          Throwable cause = ex.getCause();
          if (cause instanceof AuthorizationException) {
            if (config.topicConfigCheck() != KafkaChannelConfig.TopicConfigCheck.IF_ALLOWED) {
              throw KafkaErrors.topicConfigHidden(e.getKey(), config, cause);
            }
            warnUnchecked(e.getKey(), config, cause);
            it.remove();
          } else if (cause instanceof UnknownTopicOrPartitionException) {
            unknown = cause; // not yet known to the broker that answered: ask again
          } else {
            throw KafkaErrors.kafkaFailure(action, config, cause);
          }
        }
      }
      if (!pending.isEmpty()) {
        if (System.nanoTime() - deadline > 0) {
          VeilException e = KafkaErrors.topicNotReady(pending.keySet().iterator().next(), config);
          if (unknown != null) {
            e.addSuppressed(unknown);
          }
          throw e;
        }
        sleep(sleepMs, action);
        sleepMs = Math.min(sleepMs * 2, 250);
      }
    }
  }

  private static void warnUnchecked(String topic, KafkaChannelConfig config, Throwable cause) {
    LOG.log(System.Logger.Level.WARNING, "Using Kafka topic ''{0}'' unchecked: the Kafka "
        + "principal may not describe its configuration ({1}), and option ''{2}'' is ''{3}''. "
        + "Make sure its cleanup.policy is delete, its retention.ms at least {4}, its "
        + "max.message.bytes at most {5} and its compression.type {6}.", topic,
        cause.getClass().getSimpleName(), KafkaChannelConfig.TOPIC_CONFIG_CHECK,
        config.topicConfigCheck().option(), Long.toString(config.retentionMs()),
        Integer.toString(config.maxRecordBytes()), COMPRESSION_TYPE);
  }

  /** Refuses {@code topic} if its configuration {@code c} is unsafe for the channel. */
  static void check(String topic, Config c, KafkaChannelConfig config) {
    List<String> problems = new ArrayList<>();
    List<String> fixes = new ArrayList<>();
    String cleanup = value(c, TopicConfig.CLEANUP_POLICY_CONFIG);
    if (!CLEANUP_POLICY.equals(cleanup.replace(" ", ""))) {
      problems.add(TopicConfig.CLEANUP_POLICY_CONFIG + " is '" + cleanup + "' (with compaction, "
          + "records can vanish or be replaced while a job reads them)");
      fixes.add(TopicConfig.CLEANUP_POLICY_CONFIG + "=" + CLEANUP_POLICY);
    }
    String retention = value(c, TopicConfig.RETENTION_MS_CONFIG);
    long wanted = config.retentionMs();
    Long kept = number(retention);
    if (kept == null || (kept != -1 && (wanted == -1 || kept < wanted))) {
      problems.add(TopicConfig.RETENTION_MS_CONFIG + " is " + retention + ", shorter than option '"
          + KafkaChannelConfig.RETENTION_MS + "' = " + wanted + " (records could be deleted "
          + "before a job and its re-runs are done)");
      fixes.add(TopicConfig.RETENTION_MS_CONFIG + "=" + wanted);
    }
    String maxMessage = value(c, TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
    Long largest = number(maxMessage);
    if (largest == null || largest > config.maxRecordBytes()) {
      problems.add(TopicConfig.MAX_MESSAGE_BYTES_CONFIG + " is " + maxMessage + ", more than this "
          + "party accepts (option '" + KafkaChannelConfig.MAX_BATCH_BYTES + "' + "
          + KafkaChannelConfig.RECORD_OVERHEAD_BYTES + " = " + config.maxRecordBytes() + ")");
      fixes.add(TopicConfig.MAX_MESSAGE_BYTES_CONFIG + "=" + config.maxRecordBytes());
    }
    String compression = value(c, TopicConfig.COMPRESSION_TYPE_CONFIG);
    if (!COMPRESSION_TYPE.equals(compression)) {
      problems.add(TopicConfig.COMPRESSION_TYPE_CONFIG + " is '" + compression + "' (a compressed "
          + "record batch can unpack to records far larger than "
          + TopicConfig.MAX_MESSAGE_BYTES_CONFIG + ")");
      fixes.add(TopicConfig.COMPRESSION_TYPE_CONFIG + "=" + COMPRESSION_TYPE);
    }
    if (!problems.isEmpty()) {
      throw KafkaErrors.unsafeTopic(topic, problems, fixes, config);
    }
  }

  /** A setting's value; {@code "(unset)"} when the broker did not return it (then refused). */
  private static String value(Config c, String name) {
    ConfigEntry e = c.get(name);
    return e == null || e.value() == null ? "(unset)" : e.value().trim();
  }

  /** A number, or null when the value is not one (then refused). */
  private static Long number(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * Whether every partition's leader answers a ListOffsets request: the leader learns it leads a
   * new partition slightly after the metadata says so, and producers meanwhile get (retried)
   * NOT_LEADER_OR_FOLLOWER errors.
   */
  private static boolean leadersServe(Admin admin, KafkaChannelConfig config,
      Collection<TopicDescription> topics, String action) {
    Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
    for (TopicDescription d : topics) {
      for (TopicPartitionInfo p : d.partitions()) {
        partitions.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
      }
    }
    try {
      get(admin.listOffsets(partitions).all(), config, action);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RetriableException) {
        return false;
      }
      String topic = topics.iterator().next().name();
      throw KafkaErrors.kafkaFailure(action, Access.DESCRIBE, topic, config, e.getCause());
    }
  }

  /** Waits for a future, bounded in case the admin client's own timeout does not fire. */
  private static <T> T get(KafkaFuture<T> future, KafkaChannelConfig config, String action)
      throws ExecutionException {
    try {
      return future.get(config.timeoutMs() + 5_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw KafkaErrors.interrupted(action);
    } catch (java.util.concurrent.TimeoutException e) {
      throw KafkaErrors.kafkaFailure(action, config,
          new org.apache.kafka.common.errors.TimeoutException("no result", e));
    }
  }

  private static void sleep(long ms, String action) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw KafkaErrors.interrupted(action);
    }
  }

  /** How long to wait when closing a client: short, it only releases connections. */
  static Duration closeTimeout(KafkaChannelConfig config) {
    return Duration.ofMillis(Math.min(config.timeoutMs(), 5_000));
  }
}
