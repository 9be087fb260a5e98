package io.veil.jobs;

import io.veil.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.SparkConf;

/**
 * Veil's settings for one job run, resolved in one place: command-line option ({@code --conf
 * veil.x=y} or a named flag) → Spark conf ({@code spark.veil.x}, e.g. from spark-defaults.conf or
 * {@code spark-submit --conf}) → default.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>veil.party.key-file</td><td>(required)</td><td>this party's key file ({@code veil keygen})</td></tr>
 *   <tr><td>veil.party.policy-file</td><td>(required)</td><td>this party's approval policy</td></tr>
 *   <tr><td>veil.ledger.path</td><td>veil-ledger-&lt;party&gt;.jsonl</td><td>local hash-chained receipt ledger</td></tr>
 *   <tr><td>veil.jdbc.password-file</td><td>(none)</td><td>password for a JDBC input</td></tr>
 *   <tr><td>veil.channel.bootstrap.servers</td><td>(required)</td><td>Kafka brokers both parties reach</td></tr>
 *   <tr><td>veil.channel.*</td><td></td><td>every other Kafka channel option (topic.prefix, timeout.ms, kafka.* client properties, kafka.properties.file); see README</td></tr>
 * </table>
 */
public final class VeilConf {
  public static final String KEY_FILE = "veil.party.key-file";
  public static final String POLICY_FILE = "veil.party.policy-file";
  public static final String LEDGER_PATH = "veil.ledger.path";
  public static final String JDBC_PASSWORD_FILE = "veil.jdbc.password-file";
  public static final String CHANNEL_PREFIX = "veil.channel.";

  private final Map<String, String> options;
  private final SparkConf sparkConf;

  public VeilConf(Map<String, String> options, SparkConf sparkConf) {
    this.options = new LinkedHashMap<>(options);
    this.sparkConf = sparkConf;
  }

  public Optional<String> get(String key) {
    String v = options.get(key);
    if (v == null && sparkConf != null) {
      v = sparkConf.get("spark." + key, null);
    }
    return Optional.ofNullable(v);
  }

  public String require(String key, String flag) {
    return get(key).orElseThrow(() -> new InvalidInputException("Cannot run the job: " + key
        + " is not set. Pass " + flag + " (or --conf " + key + "=..., or spark.conf spark." + key + ")."));
  }

  /** All {@code veil.channel.*} settings with the prefix removed (CLI over Spark conf). */
  public Map<String, String> channelOptions() {
    Map<String, String> out = new TreeMap<>();
    if (sparkConf != null) {
      for (scala.Tuple2<String, String> t : sparkConf.getAllWithPrefix("spark." + CHANNEL_PREFIX)) {
        out.put(t._1(), t._2());
      }
    }
    options.forEach((k, v) -> {
      if (k.startsWith(CHANNEL_PREFIX)) {
        out.put(k.substring(CHANNEL_PREFIX.length()), v);
      }
    });
    return out;
  }
}
