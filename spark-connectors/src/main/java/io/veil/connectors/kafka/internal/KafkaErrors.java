package io.veil.connectors.kafka.internal;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import io.veil.connectors.kafka.KafkaChannelConfig;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Every error message of the Kafka channel, in the form
 * "Cannot &lt;do X&gt;: &lt;why&gt;. &lt;How to fix&gt;." Messages name options and topics, never
 * property values that could be secrets.
 */
public final class KafkaErrors {
  private KafkaErrors() {}

  // ---- configuration ----

  public static InvalidInputException badOption(String key, String why, String fix) {
    return new InvalidInputException(
        "Cannot configure the Kafka channel: option '" + key + "' " + why + ". " + fix + ".");
  }

  public static InvalidInputException unknownOption(String key) {
    return new InvalidInputException("Cannot configure the Kafka channel: '" + key
        + "' is not a channel option. Use one of " + KafkaChannelConfig.BOOTSTRAP_SERVERS + ", "
        + KafkaChannelConfig.TOPIC_PREFIX + ", " + KafkaChannelConfig.REPLICATION_FACTOR + ", "
        + KafkaChannelConfig.RETENTION_MS + ", " + KafkaChannelConfig.MAX_BATCH_BYTES + ", "
        + KafkaChannelConfig.TIMEOUT_MS + ", " + KafkaChannelConfig.TOPIC_CONFIG_CHECK + ", "
        + KafkaChannelConfig.KAFKA_PROPERTIES_FILE
        + ", or kafka.<property> for a Kafka client property.");
  }

  public static InvalidInputException secretOption(String fullKey) {
    return new InvalidInputException("Cannot use option '" + fullKey + "': it holds a secret, and "
        + "channel options travel in Spark closures, plans and event logs. Put the property in the "
        + "Kafka client properties file named by option '"
        + KafkaChannelConfig.KAFKA_PROPERTIES_FILE + "' instead.");
  }

  public static InvalidInputException unknownKafkaProperty(String fullKey) {
    return new InvalidInputException("Cannot use option '" + fullKey + "': '"
        + fullKey.substring(KafkaChannelConfig.KAFKA_PREFIX.length())
        + "' is not a Kafka 3.9 producer, consumer or admin client property. Check its spelling "
        + "against the Kafka client documentation, or put non-standard (plugin) properties in the "
        + "file named by option '" + KafkaChannelConfig.KAFKA_PROPERTIES_FILE + "'.");
  }

  public static InvalidInputException refusedProperty(String source, String why, String fix) {
    return new InvalidInputException(
        "Cannot use Kafka " + source + ": " + why + ". " + fix + ".");
  }

  public static InvalidInputException propertiesFile(String path, String host, String why,
      Throwable cause) {
    return new InvalidInputException("Cannot read the Kafka client properties file '" + path
        + "' (option '" + KafkaChannelConfig.KAFKA_PROPERTIES_FILE + "') on host " + host + ": "
        + why + ". Make the file readable at that path on every host that runs a driver or "
        + "executor, for example ship it with spark-submit --files and give its bare file name.",
        cause);
  }

  public static InvalidInputException badName(String name) {
    return new InvalidInputException("Cannot use stream or control log name '" + name
        + "': names must be non-empty and use only the characters [A-Za-z0-9._-]. Choose another "
        + "name.");
  }

  public static InvalidInputException badTopicName(String topic, String prefixOption, int max) {
    return new InvalidInputException("Cannot use Kafka topic '" + topic + "': Kafka allows topic "
        + "names of at most " + max + " characters other than '.' and '..'. Use a shorter name "
        + "or a shorter option '" + prefixOption + "'.");
  }

  // ---- client creation ----

  /** A Kafka client could not be created (bad pass-through value, unresolvable servers). */
  public static InvalidInputException clientCreation(String client, KafkaChannelConfig config,
      Throwable cause) {
    return new InvalidInputException("Cannot create a Kafka " + client + " for "
        + config.describe() + ": " + rootMessage(cause) + ". Check option '"
        + KafkaChannelConfig.BOOTSTRAP_SERVERS + "' (every host must resolve from this host), the "
        + "kafka.* options and the file named by '" + KafkaChannelConfig.KAFKA_PROPERTIES_FILE
        + "'.",
        cause);
  }

  // ---- topics ----

  public static InvalidInputException partitionMismatch(String topic, int existing, int wanted,
      KafkaChannelConfig config) {
    return new InvalidInputException("Cannot use Kafka topic '" + topic + "' with " + wanted
        + " partition(s): it already exists on " + config.describe() + " with " + existing
        + " partition(s). Both parties must ask for the same partition count; if the topic is left "
        + "over from an earlier run with other settings, delete it or change option '"
        + KafkaChannelConfig.TOPIC_PREFIX + "'.");
  }

  /**
   * An existing topic has settings under which a job is unsafe: {@code problems} says which and
   * why, {@code fixes} are the {@code name=value} settings that make it safe.
   */
  public static InvalidInputException unsafeTopic(String topic, List<String> problems,
      List<String> fixes, KafkaChannelConfig config) {
    return new InvalidInputException("Cannot use Kafka topic '" + topic + "' on "
        + config.describe() + ": it already exists with settings a job cannot rely on: "
        + String.join("; ", problems) + ". Change them, for example with kafka-configs.sh "
        + "--bootstrap-server " + config.bootstrapServers() + " --alter --entity-type topics "
        + "--entity-name " + topic + " --add-config " + String.join(",", fixes) + "; or delete "
        + "the topic (a left-over of an earlier run) so that Veil creates it with these settings. "
        + "If the other party created it, check that both parties use the same options '"
        + KafkaChannelConfig.RETENTION_MS + "' and '" + KafkaChannelConfig.MAX_BATCH_BYTES
        + "' and the same Veil version.");
  }

  /** The principal may not describe an existing topic's configuration and the check is required. */
  public static VeilException topicConfigHidden(String topic, KafkaChannelConfig config,
      Throwable cause) {
    return new VeilException("Cannot use Kafka topic '" + topic + "' on " + config.describe()
        + ": it already exists and the Kafka principal may not describe its configuration ("
        + cause.getClass().getSimpleName() + "), so its cleanup policy, retention and record "
        + "size limit cannot be checked. Grant DescribeConfigs on the topics (kafka-acls.sh --add "
        + "--allow-principal <principal> --operation DescribeConfigs --topic "
        + config.topicPrefix() + " --resource-pattern-type prefixed), or, if an administrator "
        + "creates the topics with safe settings, set option '"
        + KafkaChannelConfig.TOPIC_CONFIG_CHECK + "' to '"
        + KafkaChannelConfig.TopicConfigCheck.IF_ALLOWED.option() + "'.", cause);
  }

  public static InvalidInputException noSuchPartition(String action, String topic, int partition,
      int count) {
    return new InvalidInputException("Cannot " + action + ": topic '" + topic + "' has " + count
        + " partition(s), numbered 0 to " + (count - 1) + ", not " + partition + ". Use a "
        + "partition number below the count given to createStreams.");
  }

  public static VeilException missingTopic(String action, String topic, KafkaChannelConfig config) {
    return new VeilException("Cannot " + action + ": topic '" + topic + "' does not exist on "
        + config.describe() + ". Call createStreams for it first, and check that both parties use "
        + "the same option '" + KafkaChannelConfig.TOPIC_PREFIX + "'.");
  }

  public static VeilException topicNotReady(String topic, KafkaChannelConfig config) {
    return new VeilException("Cannot use Kafka topic '" + topic + "': it was not visible with a "
        + "leader for every partition on " + config.describe() + " within "
        + config.timeoutMs() + " ms. Check the brokers' health, or raise option '"
        + KafkaChannelConfig.TIMEOUT_MS + "'.");
  }

  public static InvalidInputException recordTooLarge(String action, int size,
      KafkaChannelConfig config) {
    return new InvalidInputException("Cannot " + action + ": the record has " + size
        + " bytes, more than option '" + KafkaChannelConfig.MAX_BATCH_BYTES + "' = "
        + config.maxBatchBytes() + ". Write smaller batches, or raise '"
        + KafkaChannelConfig.MAX_BATCH_BYTES + "' on both parties before the topics are created.");
  }

  public static VeilException closed(String what) {
    return new VeilException("Cannot use the Kafka " + what + ": it is closed. Open a new one.");
  }

  public static VeilException interrupted(String action) {
    return new VeilException("Cannot " + action + ": the thread was interrupted. Nothing to fix "
        + "unless the job was not meant to be cancelled.");
  }

  // ---- failures reported by Kafka ----

  /** The ACL operation a call needs on its topic; named when the broker denies it. */
  public enum Access {
    CREATE("Create"), DESCRIBE("Describe"), READ("Read"), WRITE("Write");

    private final String aclName;

    Access(String aclName) {
      this.aclName = aclName;
    }

    /** The operation as {@code kafka-acls.sh --operation} takes it. */
    public String aclName() {
      return aclName;
    }
  }

  /**
   * {@link #kafkaFailure(String, KafkaChannelConfig, Throwable)} for a call that needs {@code
   * access} on {@code topic}: if the broker denied it, the error names the topic, the operation and
   * the ACL that grants it.
   */
  public static VeilException kafkaFailure(String action, Access access, String topic,
      KafkaChannelConfig config, Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof TopicAuthorizationException) {
      Set<String> denied = new TreeSet<>(((TopicAuthorizationException) t).unauthorizedTopics());
      String named = denied.contains(topic) || denied.isEmpty() ? topic : denied.iterator().next();
      return topicDenied(action, access, named, config, t, null);
    }
    if (t instanceof ClusterAuthorizationException && access == Access.WRITE) {
      return new VeilException("Cannot " + action + ": " + config.describe() + " denied this party's "
          + "Kafka principal the idempotent producer (" + t.getClass().getSimpleName() + ": "
          + t.getMessage() + "). Have the Kafka administrator grant its user Write on its own "
          + "topics, which brokers from Kafka 2.8 on accept for idempotent producers, or "
          + "IdempotentWrite on the cluster: kafka-acls.sh --bootstrap-server "
          + config.bootstrapServers() + " --command-config admin.properties --add --allow-principal "
          + "User:<this party's Kafka user> --operation IdempotentWrite --cluster.", t);
    }
    return kafkaFailure(action, config, failure);
  }

  /**
   * The broker denied this party {@code access} on {@code topic}. {@code notCreatedWithinMs}, for
   * {@link Access#CREATE}: how long the channel waited for someone else to create the topic.
   */
  public static VeilException topicDenied(String action, Access access, String topic,
      KafkaChannelConfig config, Throwable cause, Long notCreatedWithinMs) {
    String prefix = config.topicPrefix();
    String name = topic.startsWith(prefix) ? topic.substring(prefix.length()) : topic;
    int dot = name.indexOf('.');
    boolean prefixed = topic.startsWith(prefix) && dot > 0;
    String resource = prefixed ? prefix + name.substring(0, dot + 1) : topic;
    String credentials = "this party runs with its own Kafka credentials (the user in "
        + "sasl.jaas.config, or the client certificate, in the file named by option '"
        + KafkaChannelConfig.KAFKA_PROPERTIES_FILE + "')";
    String rule;
    switch (access) {
      case WRITE:
        rule = "A party may write only its own topics, '" + prefix + "<its party id>.*', and the "
            + "control topics '" + prefix + "ctl.*': check that " + credentials;
        break;
      case CREATE:
        rule = "Each party creates its own topics, '" + prefix + "<its party id>.*', and the "
            + "control topics, and waits for its peers to create theirs: check that the peer runs "
            + "the same job with the same option '" + KafkaChannelConfig.TOPIC_PREFIX + "' at the "
            + "same time and that " + credentials + ". An administrator may also create the "
            + "topics beforehand";
        break;
      default:
        rule = "A party reads its peers' topics, '" + prefix + "<peer's party id>.*', and the "
            + "control topics '" + prefix + "ctl.*': check that " + credentials;
        break;
    }
    return new VeilException("Cannot " + action + ": " + config.describe() + " denied "
        + access.aclName() + " on topic '" + topic + "' to the Kafka principal this party "
        + "authenticated as (" + cause.getClass().getSimpleName() + ")"
        + (notCreatedWithinMs == null ? "" : ", and nobody else created the topic within "
            + notCreatedWithinMs + " ms (option '" + KafkaChannelConfig.TIMEOUT_MS + "')")
        + ". " + rule + "; if it does, the Kafka administrator must grant its user the ACL: "
        + "kafka-acls.sh --bootstrap-server " + config.bootstrapServers()
        + " --command-config admin.properties --add --allow-principal User:<this party's Kafka "
        + "user> --operation " + access.aclName() + " --topic " + resource
        + " --resource-pattern-type " + (prefixed ? "prefixed" : "literal") + ".", cause);
  }

  /** Translates a failure of a Kafka call into an error that says what to check. */
  public static VeilException kafkaFailure(String action, KafkaChannelConfig config,
      Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof VeilException) {
      return (VeilException) t;
    }
    String where = config.describe();
    if (t instanceof TimeoutException) {
      return new VeilException("Cannot " + action + ": no answer from " + where + " within "
          + config.timeoutMs() + " ms (" + t.getMessage() + "). Check that option '"
          + KafkaChannelConfig.BOOTSTRAP_SERVERS + "' is right, that the brokers are running and "
          + "reachable from this host, that kafka.security.protocol matches the brokers' listener, "
          + "and that the topic exists; or raise option '" + KafkaChannelConfig.TIMEOUT_MS + "'.",
          t);
    }
    if (t instanceof SaslAuthenticationException) {
      return new VeilException("Cannot " + action + ": " + where + " rejected this client's SASL "
          + "credentials (" + t.getClass().getSimpleName() + ": " + t.getMessage() + "). Check the "
          + "user name and password of sasl.jaas.config (and the file or variable it takes the "
          + "password from) in the file named by option '" + KafkaChannelConfig.KAFKA_PROPERTIES_FILE
          + "', that sasl.mechanism is the one the Kafka administrator created the user's "
          + "credentials for, and that the administrator created them.", t);
    }
    if (t instanceof SslAuthenticationException) {
      return new VeilException("Cannot " + action + ": the TLS handshake with " + where + " failed ("
          + t.getClass().getSimpleName() + ": " + rootMessage(t) + "). Check that ssl.truststore.* "
          + "(in the kafka.* options or the file named by option '"
          + KafkaChannelConfig.KAFKA_PROPERTIES_FILE + "') trusts the CA that signed the brokers' "
          + "certificates, that those certificates name the hosts of option '"
          + KafkaChannelConfig.BOOTSTRAP_SERVERS + "', and that kafka.security.protocol matches the "
          + "brokers' listener.", t);
    }
    if (t instanceof AuthenticationException) {
      return new VeilException("Cannot " + action + ": " + where + " rejected this client's "
          + "credentials (" + t.getClass().getSimpleName() + ": " + t.getMessage() + "). Check the "
          + "SASL/TLS settings in the kafka.* options and the file named by option '"
          + KafkaChannelConfig.KAFKA_PROPERTIES_FILE + "'.", t);
    }
    if (t instanceof AuthorizationException) {
      return new VeilException("Cannot " + action + ": the Kafka principal is not authorised ("
          + t.getClass().getSimpleName() + ": " + t.getMessage() + "). Ask the administrator of "
          + where + " for the ACLs the channel needs: Describe and Read on the peer's topics, "
          + "Describe and Write (and Create, unless topics are created for you) on this party's, "
          + "IdempotentWrite on the cluster for Kafka before 3.0.", t);
    }
    if (t instanceof RecordTooLargeException || t instanceof RecordBatchTooLargeException) {
      return new VeilException("Cannot " + action + ": the record is larger than the topic or "
          + "broker accepts (" + t.getMessage() + "). Both parties must use the same option '"
          + KafkaChannelConfig.MAX_BATCH_BYTES + "'; the topic keeps the max.message.bytes of the "
          + "party that created it.", t);
    }
    if (t instanceof InvalidReplicationFactorException) {
      return new InvalidInputException("Cannot " + action + ": " + t.getMessage() + ". Set option '"
          + KafkaChannelConfig.REPLICATION_FACTOR + "' to at most the number of brokers, or -1 for "
          + "the broker default.", t);
    }
    if (t instanceof UnknownTopicOrPartitionException) {
      return new VeilException("Cannot " + action + ": " + t.getMessage() + " on " + where
          + ". Call createStreams first, and check that both parties use the same option '"
          + KafkaChannelConfig.TOPIC_PREFIX + "'.", t);
    }
    return new VeilException("Cannot " + action + ": " + where + " failed with "
        + t.getClass().getSimpleName() + ": " + t.getMessage() + ". Check the brokers' health and "
        + "logs, and the channel options.", t);
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof ExecutionException || t instanceof CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    StringBuilder sb = new StringBuilder(String.valueOf(t.getMessage()));
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
      if (root.getMessage() != null && !sb.toString().contains(root.getMessage())) {
        sb.append(": ").append(root.getMessage());
      }
    }
    return sb.toString();
  }
}
