package io.veil.config;

import io.veil.InvalidInputException;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One Veil setting: its key (kebab-case with {@code .} hierarchy, e.g. {@code veil.party.key-file}),
 * the command-line option and environment variable that may also give it, its type, its default
 * and its documentation. Immutable; each module lists its settings in one class (for example
 * {@link JobConfig}), and {@link VeilConf} resolves them all with one precedence order.
 *
 * <p>Modelled on Kafka's {@code ConfigDef}: the documentation a user reads (the README's
 * configuration table, {@code veil config}) is generated from the same definitions the code reads.
 *
 * @param <T> the value's type
 */
public final class ConfigKey<T> {
  private final String name;
  private final String flag;
  private final String type;
  private final Function<String, T> parser;
  private final T defaultValue;
  private final String defaultDoc;
  private final String doc;
  private final boolean secretPath;

  private ConfigKey(String name, String flag, String type, Function<String, T> parser, T defaultValue,
      String defaultDoc, String doc, boolean secretPath) {
    this.name = name;
    this.flag = flag;
    this.type = type;
    this.parser = parser;
    this.defaultValue = defaultValue;
    this.defaultDoc = defaultDoc;
    this.doc = doc;
    this.secretPath = secretPath;
  }

  /** A text setting. */
  public static ConfigKey<String> string(String name, String doc) {
    return new ConfigKey<>(check(name), null, "text", v -> v, null, null, doc, false);
  }

  /** A whole-number setting of at least {@code min}. */
  public static ConfigKey<Long> number(String name, long min, String doc) {
    return new ConfigKey<>(check(name), null, "number", v -> {
      long n;
      try {
        n = Long.parseLong(v.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + v + "' is not a whole number");
      }
      if (n < min) {
        throw new IllegalArgumentException(n + " is below the minimum " + min);
      }
      return n;
    }, null, null, doc, false);
  }

  /** A path setting (a local file or any Hadoop path). */
  public static ConfigKey<String> path(String name, String doc) {
    return new ConfigKey<>(check(name), null, "path", v -> v, null, null, doc, false);
  }

  /** The same setting with a command-line option (name without {@code --}). */
  public ConfigKey<T> flag(String option) {
    return new ConfigKey<>(name, option, type, parser, defaultValue, defaultDoc, doc, secretPath);
  }

  /** The same setting with a default value, documented as {@code shown}. */
  public ConfigKey<T> defaultValue(T value, String shown) {
    return new ConfigKey<>(name, flag, type, parser, value, shown, doc, secretPath);
  }

  /** The same setting with a default that depends on the context, documented as {@code shown}. */
  public ConfigKey<T> defaultDoc(String shown) {
    return new ConfigKey<>(name, flag, type, parser, defaultValue, shown, doc, secretPath);
  }

  /** The same setting, marked as the path of a file holding a secret (the path is shown; the file is never read here). */
  public ConfigKey<T> secretFile() {
    return new ConfigKey<>(name, flag, type, parser, defaultValue, defaultDoc, doc, true);
  }

  public String name() {
    return name;
  }

  /** The command-line option without {@code --}, or null when there is none. */
  public String flag() {
    return flag;
  }

  /** The environment variable: {@code VEIL_} and the key after {@code veil.}, upper case, with {@code _} for {@code .} and {@code -}. */
  public String envName() {
    return "VEIL_" + name.substring("veil.".length()).toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** The Spark configuration key: {@code spark.} and the key. */
  public String sparkName() {
    return "spark." + name;
  }

  public String type() {
    return type;
  }

  public T defaultValue() {
    return defaultValue;
  }

  /** The default as documented, or null when the setting has none. */
  public String defaultDoc() {
    return defaultDoc;
  }

  public String doc() {
    return doc;
  }

  /** Whether the value names a file that holds a secret. */
  public boolean isSecretFile() {
    return secretPath;
  }

  /**
   * Parses a value given at {@code source}.
   *
   * @throws InvalidInputException naming the setting, where it came from, and what is wrong
   */
  public T parse(String value, String source) {
    try {
      return parser.apply(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("Cannot use setting " + name + " from " + source + ": " + e.getMessage()
          + ". Give a " + type + (flag == null ? "" : " (option --" + flag + ")") + ".");
    }
  }

  private static String check(String name) {
    Objects.requireNonNull(name, "name");
    if (!name.matches("veil(\\.[a-z0-9][a-z0-9-]*)+")) {
      throw new IllegalArgumentException("setting names are veil.<kebab-case parts>: " + name);
    }
    return name;
  }

  @Override
  public String toString() {
    return name;
  }
}
