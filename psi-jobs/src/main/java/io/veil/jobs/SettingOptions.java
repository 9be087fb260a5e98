package io.veil.jobs;

import io.veil.InvalidInputException;
import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.TypeConversionException;

/**
 * Command-line options made from Veil's setting definitions ({@link ConfigKey}): one option per
 * setting that has a flag, described by the setting's own documentation, plus {@code --conf
 * key=value} for any of them; and the {@link VeilConf} they give, resolved like every Veil setting
 * (command line, then {@code spark.veil.*}, then {@code VEIL_*} environment variables, then the
 * default).
 *
 * <p>An option's value is checked against its setting's type while the command line is parsed, so a
 * bad number is a usage error naming the option; it is kept as text for {@link VeilConf}.
 */
final class SettingOptions {
  /** The option that gives any setting by name. */
  static final String CONF = "--conf";

  /** Values shown for an option's parameter where the setting's type alone says too little. */
  private static final Map<String, String> LABELS = Map.of("party", "ID", "bootstrap-servers", "HOST:PORT",
      "chain-url", "URL", "chain-contract", "0x...", "chain-gas-price", "WEI", "chain-gas-limit", "GAS",
      "period", "PERIOD");

  private SettingOptions() {}

  /** A setting's value that does not parse: its message names the setting and the option. */
  static final class BadSettingValue extends TypeConversionException {
    private static final long serialVersionUID = 1L;

    BadSettingValue(String message) {
      super(message);
    }
  }

  /** Adds an option for each of {@code keys} that has a flag. */
  static void addOptions(CommandSpec spec, List<ConfigKey<?>> keys) {
    for (ConfigKey<?> key : keys) {
      if (key.flag() != null) {
        spec.addOption(option(key));
      }
    }
  }

  /** The option of {@code key} (which must have a flag): text, checked against the setting's type. */
  static OptionSpec option(ConfigKey<?> key) {
    String flag = "--" + key.flag();
    return OptionSpec.builder(flag)
        .paramLabel(label(key))
        .type(String.class)
        .converters(value -> {
          check(key, value, flag);
          return value;
        })
        .description(describe(key))
        .build();
  }

  /**
   * {@code --conf KEY=VALUE}, repeatable: any of {@code keys} by name, and (when {@code passThrough}
   * is not null) any key under that prefix, left to the module that reads it.
   */
  static OptionSpec confOption(List<ConfigKey<?>> keys, String passThrough) {
    Map<String, ConfigKey<?>> byName = new LinkedHashMap<>();
    keys.forEach(k -> byName.put(k.name(), k));
    return OptionSpec.builder(CONF)
        .paramLabel("KEY=VALUE")
        .type(List.class)
        .auxiliaryTypes(String.class)
        .arity("1")
        .converters(value -> {
          int eq = value.indexOf('=');
          if (eq <= 0) {
            throw new BadSettingValue("Cannot use --conf " + value + ": it takes KEY=VALUE, e.g. --conf "
                + "veil.channel.topic.prefix=veil.a-b. ('veil config' lists every setting).");
          }
          String name = value.substring(0, eq);
          if (name.startsWith("spark.")) {
            throw new BadSettingValue("Cannot use --conf " + name + ": this --conf takes Veil settings, named without "
                + "the spark. prefix (e.g. --conf veil.ledger.path=...). Give Spark settings to spark-submit --conf or "
                + "spark-defaults.conf.");
          }
          ConfigKey<?> key = byName.get(name);
          if (key != null) {
            check(key, value.substring(eq + 1), "--conf " + name);
          } else if (passThrough == null || !name.startsWith(passThrough)) {
            throw new BadSettingValue("Cannot use --conf " + name + ": this command has no such setting. 'veil config' "
                + "lists every setting; this command's are in its --help.");
          }
          return value;
        })
        .description("Any setting by name" + (passThrough == null ? "" : ", and any " + passThrough + "* (passed to the "
            + "channel, e.g. " + passThrough + "kafka.security.protocol=SASL_SSL)") + "; repeatable. An option above "
            + "wins over --conf for its setting. Every setting: 'veil config'.")
        .build();
  }

  /**
   * The settings given on the command line: {@code --conf} entries, then each setting's own option
   * (which wins); setting name to text.
   */
  @SuppressWarnings("unchecked")
  static Map<String, String> given(CommandSpec spec, List<ConfigKey<?>> keys) {
    Map<String, String> out = new TreeMap<>();
    OptionSpec conf = spec.findOption(CONF);
    if (conf != null && conf.getValue() != null) {
      for (String kv : (List<String>) conf.getValue()) {
        int eq = kv.indexOf('=');
        out.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    for (ConfigKey<?> key : keys) {
      if (key.flag() != null) {
        OptionSpec o = spec.findOption("--" + key.flag());
        if (o != null && o.getValue() != null) {
          out.put(key.name(), o.getValue());
        }
      }
    }
    return out;
  }

  /** Settings from the command line, this JVM's {@code spark.veil.*} system properties and the environment. */
  static VeilConf conf(Map<String, String> commandLine) {
    return VeilConf.of(commandLine, sparkProperties(System.getProperties()), System.getenv());
  }

  /**
   * The {@code spark.veil.*} entries of {@code properties}: what spark-submit gives the driver
   * (spark-defaults.conf, {@code --conf}, {@code --properties-file}) before any SparkSession exists.
   */
  static Map<String, String> sparkProperties(Properties properties) {
    Map<String, String> out = new TreeMap<>();
    for (String name : properties.stringPropertyNames()) {
      if (name.startsWith("spark.veil.")) {
        out.put(name, properties.getProperty(name));
      }
    }
    return out;
  }

  private static void check(ConfigKey<?> key, String value, String source) {
    try {
      key.parse(value, source);
    } catch (InvalidInputException e) {
      throw new BadSettingValue(e.getMessage());
    }
  }

  private static String label(ConfigKey<?> key) {
    String l = LABELS.get(key.flag());
    if (l != null) {
      return l;
    }
    return switch (key.type()) {
      case "path" -> "FILE";
      case "number" -> "N";
      default -> key.flag().substring(key.flag().lastIndexOf('-') + 1).toUpperCase(Locale.ROOT);
    };
  }

  /** The option's help: the setting's documentation, its names elsewhere and its default. */
  static String describe(ConfigKey<?> key) {
    Function<String, String> plain = s -> s.replace("`", "");
    String doc = plain.apply(key.doc());
    StringBuilder b = new StringBuilder();
    b.append(Character.toUpperCase(doc.charAt(0))).append(doc.substring(1));
    b.append(". Setting ").append(key.name()).append(" (also ").append(key.sparkName()).append(", ")
        .append(key.envName()).append(')');
    String d = key.defaultDoc();
    if (d != null) {
      d = plain.apply(d);
      b.append(d.startsWith("(") && d.endsWith(")") ? "; " + d.substring(1, d.length() - 1) : "; default: " + d);
    }
    b.append('.');
    // picocli formats descriptions (String.format): a literal % must be doubled.
    return b.toString().replace("%", "%%");
  }
}
