package io.veil.connectors.kafka.internal;

import io.veil.VeilException;
import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.connectors.kafka.internal.KafkaErrors.Access;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Creates the channel's topics (idempotently) and waits until they can be used. */
public final class TopicAdmin {
  private TopicAdmin() {}

  /**
   * Makes sure every topic exists with exactly {@code partitions} partitions and a leader for each,
   * creating missing ones with the channel's topic settings. Safe to call concurrently from both
   * parties. If this principal may not create topics, topics created by someone else are accepted.
   */
  public static void ensureTopics(KafkaChannelConfig config, Collection<String> topics,
      int partitions) {
    Set<String> names = new LinkedHashSet<>(topics);
    if (names.isEmpty()) {
      return;
    }
    String action = "create Kafka topics " + names + " with " + partitions + " partition(s)";
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMs());
    Admin admin = createAdmin(config);
    try {
      Map<String, AuthorizationException> createDenied =
          create(admin, config, names, partitions, action);
      waitUntilUsable(admin, config, names, partitions, deadline, createDenied, action);
    } catch (KafkaException e) {
      throw KafkaErrors.kafkaFailure(action, config, e);
    } finally {
      admin.close(closeTimeout(config));
    }
  }

  static Admin createAdmin(KafkaChannelConfig config) {
    try {
      return Admin.create(ClientProperties.admin(config));
    } catch (KafkaException e) {
      throw KafkaErrors.clientCreation("admin client", config, e);
    }
  }

  /** Creates the topics; returns the topics this principal may not create, with the failure. */
  private static Map<String, AuthorizationException> create(Admin admin, KafkaChannelConfig config,
      Set<String> names, int partitions, String action) {
    Map<String, String> topicConfigs = new HashMap<>();
    topicConfigs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
        Integer.toString(config.maxRecordBytes()));
    topicConfigs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(config.retentionMs()));
    topicConfigs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
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
          continue; // the peer (or an earlier run) created it; checked below
        }
        if (cause instanceof AuthorizationException) {
          // created by the peer whose topic it is, or by an administrator: checked below
          denied.put(e.getKey(), (AuthorizationException) cause);
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
