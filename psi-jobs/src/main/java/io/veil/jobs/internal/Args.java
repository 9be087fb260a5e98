package io.veil.jobs.internal;

import io.veil.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Minimal command-line parsing: {@code --name value}, {@code --name=value}, repeated {@code --conf k=v}. */
public final class Args {
  /** A command line that does not parse: exit code 2. */
  public static final class UsageError extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    public UsageError(String message) {
      super(message);
    }
  }

  private final String command;
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, String> conf = new LinkedHashMap<>();

  private Args(String command) {
    this.command = command;
  }

  public static Args parse(String command, String[] argv, int from, Set<String> allowed) {
    Args a = new Args(command);
    for (int i = from; i < argv.length; i++) {
      String arg = argv[i];
      if (!arg.startsWith("--")) {
        throw new UsageError("Cannot parse 'veil " + command + "': unexpected argument '" + arg
            + "'. Options start with --; see 'veil help'.");
      }
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0 && !name.startsWith("conf")) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (name.startsWith("conf=")) {
        value = name.substring(5);
        name = "conf";
      } else if (allowed.contains(name + "!")) { // flag without value
        value = "true";
      } else {
        if (i + 1 >= argv.length) {
          throw new UsageError("Cannot parse 'veil " + command + "': --" + name + " needs a value.");
        }
        value = argv[++i];
      }
      if (name.equals("conf")) {
        int e = value.indexOf('=');
        if (e <= 0) {
          throw new UsageError("Cannot parse 'veil " + command + "': --conf takes key=value (got '"
              + value + "').");
        }
        a.conf.put(value.substring(0, e), value.substring(e + 1));
        continue;
      }
      if (!allowed.contains(name) && !allowed.contains(name + "!")) {
        List<String> names = new ArrayList<>();
        allowed.forEach(n -> names.add("--" + n.replace("!", "")));
        throw new UsageError("Cannot parse 'veil " + command + "': unknown option --" + name
            + ". Options: " + String.join(" ", names) + " --conf key=value.");
      }
      a.values.put(name, value);
    }
    return a;
  }

  public Optional<String> get(String name) {
    return Optional.ofNullable(values.get(name));
  }

  public String require(String name) {
    return get(name).orElseThrow(() -> new InvalidInputException("Cannot run 'veil " + command + "': --" + name
        + " is required."));
  }

  public boolean flag(String name) {
    return "true".equals(values.get(name));
  }

  public Map<String, String> conf() {
    return conf;
  }
}
