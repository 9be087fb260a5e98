package io.veil.config;

import io.veil.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Veil's settings for one run, resolved in one place and one order: <b>command line → Spark
 * configuration ({@code spark.veil.*}) → environment ({@code VEIL_*}) → default</b>.
 *
 * <ul>
 *   <li>command line: the option of the setting (e.g. {@code --key}) or {@code --conf veil.x=y};
 *   <li>Spark configuration: {@code spark.veil.x}, from {@code spark-defaults.conf}, {@code
 *       spark-submit --conf}, or a SparkSession's runtime configuration (SQL: {@code SET
 *       spark.veil.x=y});
 *   <li>environment: {@link ConfigKey#envName()}, e.g. {@code VEIL_CHAIN_URL};
 *   <li>the setting's default.
 * </ul>
 *
 * <p>Immutable. Holds paths and names only: settings never carry key material (key files are
 * read where they are used).
 */
public final class VeilConf {
  private final Map<String, String> options;
  private final Function<String, Optional<String>> spark;
  private final Function<String, Map<String, String>> sparkPrefixed;
  private final Map<String, String> env;

  private VeilConf(Map<String, String> options, Function<String, Optional<String>> spark,
      Function<String, Map<String, String>> sparkPrefixed, Map<String, String> env) {
    this.options = Map.copyOf(options);
    this.spark = spark;
    this.sparkPrefixed = sparkPrefixed;
    this.env = Map.copyOf(env);
  }

  /**
   * Settings from command-line values (setting name to value), Spark configuration entries
   * ({@code spark.veil.*}, full key to value) and environment variables.
   */
  public static VeilConf of(Map<String, String> options, Map<String, String> sparkConf, Map<String, String> env) {
    Map<String, String> sc = Map.copyOf(sparkConf);
    return new VeilConf(options, k -> Optional.ofNullable(sc.get(k)), prefix -> withPrefix(sc, prefix), env);
  }

  /** Settings from command-line values only (tests, library callers that pass everything). */
  public static VeilConf of(Map<String, String> options) {
    return of(options, Map.of(), Map.of());
  }

  /** The same settings with more command-line values (they win over this object's own). */
  public VeilConf withOptions(Map<String, String> more) {
    Map<String, String> merged = new LinkedHashMap<>(options);
    merged.putAll(more);
    return new VeilConf(merged, spark, sparkPrefixed, env);
  }

  /** The value of {@code key} from the first layer that has it, or its default (empty when it has none). */
  public <T> Optional<T> get(ConfigKey<T> key) {
    Optional<Located> raw = locate(key);
    if (raw.isPresent()) {
      return Optional.of(key.parse(raw.get().value(), raw.get().source()));
    }
    return Optional.ofNullable(key.defaultValue());
  }

  /** Whether any layer (not the default) gives {@code key}. */
  public boolean isSet(ConfigKey<?> key) {
    return locate(key).isPresent();
  }

  /**
   * The value of a setting that must be given.
   *
   * @param action what needs it, for the error ("run the job")
   * @throws InvalidInputException naming every place it may come from
   */
  public <T> T require(ConfigKey<T> key, String action) {
    return get(key).orElseThrow(() -> new InvalidInputException("Cannot " + action + ": setting " + key.name()
        + " is not set. " + howToSet(key) + "."));
  }

  /** "Pass --key FILE (or set spark.veil.party.key-file, or VEIL_PARTY_KEY_FILE)": every way to give {@code key}. */
  public static String howToSet(ConfigKey<?> key) {
    return (key.flag() != null ? "Pass --" + key.flag() + " (or --conf " + key.name() + "=...), or set "
        : "Pass --conf " + key.name() + "=..., or set ") + key.sparkName() + " or " + key.envName();
  }

  /**
   * Every setting under {@code prefix} (e.g. {@code veil.channel.}), prefix removed, merged over the
   * layers in order (command line wins); for pass-through groups such as Kafka client properties.
   * The environment is not consulted for these.
   */
  public Map<String, String> withPrefix(String prefix) {
    Map<String, String> out = new TreeMap<>(sparkPrefixed.apply("spark." + prefix));
    options.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put(k.substring(prefix.length()), v);
      }
    });
    return out;
  }

  private record Located(String value, String source) {}

  private Optional<Located> locate(ConfigKey<?> key) {
    String v = options.get(key.name());
    if (v != null) {
      return Optional.of(new Located(v, key.flag() != null ? "--" + key.flag() : "--conf " + key.name()));
    }
    Optional<String> s = spark.apply(key.sparkName());
    if (s.isPresent()) {
      return Optional.of(new Located(s.get(), "Spark configuration " + key.sparkName()));
    }
    String e = env.get(key.envName());
    if (e != null && !e.isBlank()) {
      return Optional.of(new Located(e.strip(), "environment variable " + key.envName()));
    }
    return Optional.empty();
  }

  private static Map<String, String> withPrefix(Map<String, String> m, String prefix) {
    Map<String, String> out = new TreeMap<>();
    m.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put(k.substring(prefix.length()), v);
      }
    });
    return out;
  }

  /**
   * A Markdown table of {@code keys}: setting, option, environment variable, default, meaning. The
   * README's configuration reference is this table (a test holds them equal).
   */
  public static String markdownTable(Iterable<ConfigKey<?>> keys) {
    StringBuilder b = new StringBuilder();
    b.append("| setting (`--conf key=value`, `spark.<key>`) | option | environment | default | meaning |\n");
    b.append("|---|---|---|---|---|\n");
    for (ConfigKey<?> k : keys) {
      b.append("| `").append(k.name()).append("` | ")
          .append(k.flag() == null ? "" : "`--" + k.flag() + "`").append(" | `")
          .append(k.envName()).append("` | ")
          .append(k.defaultDoc() == null ? "(none)" : k.defaultDoc()).append(" | ")
          .append(k.doc().replace("|", "\\|")).append(" |\n");
    }
    return b.toString();
  }
}
