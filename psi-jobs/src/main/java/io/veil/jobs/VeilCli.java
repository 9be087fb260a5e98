package io.veil.jobs;

import io.veil.InvalidInputException;
import io.veil.PeerTimeoutException;
import io.veil.PolicyRefusedException;
import io.veil.ProtocolException;
import io.veil.VeilException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code veil} command line, and the spark-submit entry point:
 * {@code spark-submit --class io.veil.jobs.VeilCli veil-psi-jobs-<v>.jar run --spec psi.yaml --party bank_a ...}
 * (the {@code run} word may be left out: arguments that start with an option mean {@code run}).
 *
 * <p>Commands: {@code run}, {@code keygen}, {@code spec-hash}, {@code verify}, {@code anchor}, {@code report},
 * {@code chain deploy}, {@code asset register|authorise|revoke|show|usage|quota}, {@code blacklist encode|serve|check},
 * {@code broker}, {@code demo [report]}, {@code bench}, {@code agg-bench}, {@code vfl-bench}, {@code blacklist-bench},
 * {@code isum-bench}, {@code mlc-bench}, {@code crypto-bench}, {@code config} and
 * {@code help}; {@code veil --help} and {@code veil <command> --help} describe every option. The
 * options of {@code run} are made from the settings' definitions ({@link io.veil.config.ConfigKey})
 * of the modules on the classpath.
 *
 * <p>Exit codes: {@value #EXIT_OK} success; {@value #EXIT_FAILED} the job or command failed (the
 * message on standard error says what, why and how to fix it, as {@code veil: <message>} or {@code
 * veil: <kind>: <message>} with kind {@code policy refused}, {@code peer timeout} or {@code protocol
 * error}); {@value #EXIT_USAGE} usage error (unknown, repeated or missing option, a value of the wrong
 * type), reported on one line naming the option. Only a {@link VeilException}'s message reaches the
 * user; anything else is reported as an internal error without its stack trace (set {@code
 * VEIL_DEBUG=1} to print it).
 */
public final class VeilCli {
  /** Exit code: success. */
  public static final int EXIT_OK = 0;
  /** Exit code: the job or command failed. */
  public static final int EXIT_FAILED = 1;
  /** Exit code: the command line is wrong. */
  public static final int EXIT_USAGE = 2;

  private static final Set<String> HELP = Set.of("-h", "--help");
  /** Width of every help text. */
  private static final int WIDTH = 80;
  /** Room for an option's description: picocli starts it in column 27; some space for expanded defaults. */
  private static final int OPTION_TEXT_WIDTH = WIDTH - 27 - 4;

  private VeilCli() {}

  /** Where a command prints: its results on {@code out}, errors on {@code err}. */
  record Streams(PrintStream out, PrintStream err) {}

  /** A development tool's name in the cluster jar, which does not carry the tools. */
  @Command(description = "Development tool: not in the cluster jar (use bin/veil).")
  static final class NotInThisJar implements Callable<Integer> {
    /** The development tools ({@link DevCommands}). */
    static final List<String> TOOLS = List.of("broker", "demo", "bench", "agg-bench", "vfl-bench",
        "blacklist-bench", "isum-bench", "mlc-bench");
    private final String name;
    @picocli.CommandLine.Unmatched List<String> ignored;

    NotInThisJar(String name) {
      this.name = name;
    }

    /** Whether this classpath holds the development tools (the tools jar, a build tree, the tests). */
    static boolean toolsPresent() {
      ClassLoader cl = VeilCli.class.getClassLoader();
      try {
        Class.forName("io.veil.jobs.DevCommands", false, cl);
        Class.forName("kafka.server.KafkaRaftServer", false, cl);
        return true;
      } catch (ClassNotFoundException | LinkageError e) {
        return false;
      }
    }

    @Override
    public Integer call() {
      throw new io.veil.VeilException("Cannot run 'veil " + name + "': it is a development tool, and this is the "
          + "cluster jar, which carries no Kafka broker, demo or benchmark. Run it with bin/veil, or with "
          + "psi-jobs/target/dist/veil-tools-<version>.jar on the classpath.");
    }
  }

  /** The top of the tree: {@code veil}. */
  @Command(name = "veil",
      description = {
          "Privacy-preserving joint computations (private set intersection, secure SUM/COUNT, feature "
              + "aggregation) as Spark jobs in each party's own cluster, parties talking over Kafka, every "
              + "job leaving a signed, hash-chained receipt (optionally anchored on an EVM chain).",
          ""},
      commandListHeading = "%nCommands:%n",
      footer = {
          "",
          "Run 'veil <command> --help' for a command's options, 'veil config' for every setting.",
          "'veil --spec ...' (no command) means 'veil run --spec ...', for spark-submit.",
          "",
          "Exit codes: 0 success; 1 the job or command failed (the message says what, why and how to fix it: "
              + "bad input, 'policy refused', 'peer timeout', 'protocol error'); 2 usage error (unknown, repeated or "
              + "missing option, bad value)."})
  static final class Veil {}

  /**
   * Runs {@code veil}: prints results to standard output, errors and logs to standard error, and
   * exits with the command's exit code.
   */
  public static void main(String[] argv) {
    if (System.getProperty("log4j2.configurationFile") == null && System.getProperty("spark.master") == null) {
      System.setProperty("log4j2.configurationFile", "classpath:io/veil/jobs/veil-cli-log4j2.properties");
    }
    int code = run(argv, System.out, System.err);
    if (inYarnClusterDriver()) {
      // The driver of --deploy-mode cluster runs inside YARN's application master, which reports the
      // application's final status from how main ends: System.exit (even with 0) would be reported as
      // FAILED ("Shutdown hook called before final status was reported"). So return on success, and
      // throw on failure (the AM then reports FAILED, spark-submit exits non-zero); the job's own message
      // is already on the driver's standard error (yarn logs -applicationId <id>).
      if (code != EXIT_OK) {
        throw new IllegalStateException("veil " + (argv.length > 0 ? argv[0] : "") + " failed with "
            + "exit code " + code + "; the reason is on the driver's standard error and, with --output json, its "
            + "standard output (yarn logs -applicationId <application id>)");
      }
      return;
    }
    System.exit(code);
  }

  /** Whether this JVM is the driver of a YARN cluster-mode application (Spark sets these as system properties there). */
  static boolean inYarnClusterDriver() {
    return "cluster".equals(System.getProperty("spark.submit.deployMode"))
        && System.getProperty("spark.master", "").startsWith("yarn")
        && System.getProperty("spark.yarn.app.id") != null;
  }

  /**
   * Runs a command; returns its exit code ({@link #EXIT_OK}, {@link #EXIT_FAILED} or {@link
   * #EXIT_USAGE}). Never exits the JVM (except {@code broker}, which runs until the process is
   * terminated).
   */
  public static int run(String[] argv, PrintStream out, PrintStream err) {
    try {
      CommandLine veil = commandLine(new Streams(out, err));
      ParseResult parsed;
      try {
        parsed = veil.parseArgs(impliedRun(argv));
      } catch (ParameterException e) {
        err.println("veil: " + usageMessage(e));
        return EXIT_USAGE;
      }
      if (CommandLine.printHelpIfRequested(parsed)) {
        veil.getOut().flush();
        return EXIT_OK;
      }
      ParseResult leaf = parsed;
      while (leaf.hasSubcommand()) {
        leaf = leaf.subcommand();
      }
      CommandSpec spec = leaf.commandSpec();
      if (!(spec.userObject() instanceof Callable<?> command)) {
        if (leaf == parsed) { // `veil` alone
          veil.usage(out, Help.Ansi.OFF);
          return EXIT_OK;
        }
        throw new ParameterException(spec.commandLine(), "a sub-command is missing; use " + spec.subcommands().keySet()
            .stream().map(s -> "'" + spec.qualifiedName(" ") + " " + s + "'").collect(Collectors.joining(", ")));
      }
      Object code = command.call();
      return code instanceof Integer i ? i : EXIT_OK;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("veil: interrupted.");
      return EXIT_FAILED;
    } catch (Exception | Error e) {
      return report(e, err);
    }
  }

  /** {@code veil --spec ...} means {@code veil run --spec ...}: what spark-submit users write. */
  private static String[] impliedRun(String[] argv) {
    if (argv.length == 0 || !argv[0].startsWith("-") || HELP.contains(argv[0])) {
      return argv;
    }
    String[] withRun = new String[argv.length + 1];
    withRun[0] = "run";
    System.arraycopy(argv, 0, withRun, 1, argv.length);
    return withRun;
  }

  /** The whole command tree, printing to {@code io}. */
  static CommandLine commandLine(Streams io) {
    CommandLine veil = new CommandLine(new Veil());
    veil.addSubcommand("run", RunCommand.commandLine(io));
    veil.addSubcommand(new ToolCommands.Keygen(io));
    veil.addSubcommand(new ToolCommands.SpecHash(io));
    veil.addSubcommand(LedgerCommands.verify(io));
    veil.addSubcommand(LedgerCommands.anchor(io));
    veil.addSubcommand("report", ReportCommand.commandLine(io));
    veil.addSubcommand(ChainCommands.chain(io));
    veil.addSubcommand(ChainCommands.asset(io));
    veil.addSubcommand(BlacklistCommands.blacklist(io));
    if (NotInThisJar.toolsPresent()) {
      DevCommands.register(veil, io);
    } else {
      NotInThisJar.TOOLS.forEach(n -> veil.addSubcommand(n, new CommandLine(new NotInThisJar(n))));
    }
    veil.addSubcommand(new ToolCommands.CryptoBench());
    veil.addSubcommand(new ToolCommands.Config(io));
    veil.addSubcommand("help", new CommandLine.HelpCommand());
    addHelpOption(veil);
    // Settings that apply to every command added so far, i.e. all of them.
    veil.setExpandAtFiles(false); // a value may start with @
    veil.setOut(new PrintWriter(io.out(), true));
    veil.setErr(new PrintWriter(io.err(), true));
    veil.setColorScheme(Help.defaultColorScheme(Help.Ansi.OFF));
    veil.registerConverter(Integer.class, VeilCli::wholeNumber);
    veil.registerConverter(Integer.TYPE, VeilCli::wholeNumber);
    veil.registerConverter(Long.class, VeilCli::longNumber);
    veil.registerConverter(Long.TYPE, VeilCli::longNumber);
    veil.registerConverter(Double.class, VeilCli::number);
    veil.registerConverter(Double.TYPE, VeilCli::number);
    veil.setUsageHelpWidth(WIDTH);
    rewrapHelp(veil);
    return veil;
  }

  /**
   * Wraps every description at spaces only. picocli would otherwise break lines at any punctuation,
   * splitting setting names such as veil.party.key-file. The first line of a command's description
   * is its summary in the command list and stays whole.
   */
  private static void rewrapHelp(CommandLine cl) {
    CommandSpec spec = cl.getCommandSpec();
    spec.usageMessage().description(wrap(spec.usageMessage().description(), WIDTH - 1));
    spec.usageMessage().footer(wrap(spec.usageMessage().footer(), WIDTH - 1));
    // The command's own options first, in the order written, then its settings, --conf and --help.
    spec.usageMessage().sortOptions(false);
    spec.usageMessage().abbreviateSynopsis(spec.options().size() > 8);
    for (OptionSpec o : new ArrayList<>(spec.options())) {
      spec.remove(o);
      spec.addOption(o.toBuilder().description(wrap(o.description(), OPTION_TEXT_WIDTH)).build());
    }
    cl.getSubcommands().values().forEach(VeilCli::rewrapHelp);
  }

  /** Each of {@code lines} (empty ones kept) broken at spaces into lines of at most {@code width}. */
  static String[] wrap(String[] lines, int width) {
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      if (line.length() <= width) {
        out.add(line);
        continue;
      }
      StringBuilder cur = new StringBuilder();
      for (String word : line.split(" ")) {
        if (cur.length() > 0 && cur.length() + 1 + word.length() > width) {
          out.add(cur.toString());
          cur.setLength(0);
        }
        cur.append(cur.length() > 0 ? " " : "").append(word);
      }
      out.add(cur.toString());
    }
    // picocli formats each line (String.format): a lone % must be doubled, %n and %% stay.
    return out.stream().map(l -> l.replaceAll("(?<!%)%(?![%n])", "%%")).toArray(String[]::new);
  }

  /** {@code -h, --help} on every command that does not have it. */
  private static void addHelpOption(CommandLine cl) {
    CommandSpec spec = cl.getCommandSpec();
    if (spec.findOption("--help") == null) {
      spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
          .description("Print this command's help and exit.").build());
    }
    cl.getSubcommands().values().forEach(VeilCli::addHelpOption);
  }

  private static Integer wholeNumber(String v) {
    try {
      return Integer.valueOf(v.strip());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + v + "' is not a whole number");
    }
  }

  private static Long longNumber(String v) {
    try {
      return Long.valueOf(v.strip());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + v + "' is not a whole number");
    }
  }

  private static Double number(String v) {
    try {
      double d = Double.parseDouble(v.strip());
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + v + "' is not a number");
    }
  }

  /** Prints {@code e} as the user sees it; returns the exit code. */
  static int report(Throwable e, PrintStream err) {
    String kind = kindLabel(e);
    err.println("veil: " + (kind == null ? "" : kind + ": ") + message(e));
    if (!(e instanceof VeilException || e instanceof ParameterException) && "1".equals(System.getenv("VEIL_DEBUG"))) {
      e.printStackTrace(err);
    }
    return e instanceof ParameterException ? EXIT_USAGE : EXIT_FAILED;
  }

  /** The label printed before the message of a job failure, or null. */
  private static String kindLabel(Throwable e) {
    if (e instanceof PolicyRefusedException) {
      return "policy refused";
    }
    if (e instanceof PeerTimeoutException) {
      return "peer timeout";
    }
    if (e instanceof ProtocolException) {
      return "protocol error";
    }
    return null;
  }

  /**
   * The error kind of {@code e} as {@code veil run --output json} reports it: {@code usage-error},
   * {@code invalid-input}, {@code policy-refused}, {@code peer-timeout}, {@code protocol-error} or
   * {@code error}.
   */
  static String errorKind(Throwable e) {
    if (e instanceof ParameterException) {
      return "usage-error";
    }
    String label = kindLabel(e);
    if (label != null) {
      return label.replace(' ', '-');
    }
    return e instanceof InvalidInputException ? "invalid-input" : "error";
  }

  /** What the user reads about {@code e}: a Veil error's own message, never a foreign exception's text. */
  static String message(Throwable e) {
    if (e instanceof ParameterException p) {
      return usageMessage(p);
    }
    if (e instanceof VeilException) {
      return e.getMessage();
    }
    if (e instanceof OutOfMemoryError) {
      return "Cannot finish: this JVM ran out of memory. Give it more heap: VEIL_JAVA_OPTS=-Xmx4g for bin/veil, "
          + "--driver-memory for spark-submit.";
    }
    if (e instanceof LinkageError) {
      return "Cannot run: a class is missing from the classpath (" + e.getClass().getSimpleName() + ": "
          + e.getMessage() + "). Run Veil with spark-submit or bin/veil, which put Spark's jars next to Veil's.";
    }
    // Its text may quote input values or paths: only the class is named.
    return "Cannot finish: unexpected internal error (" + e.getClass().getName() + "). This is a bug in Veil; "
        + "report it with the log above. Set VEIL_DEBUG=1 to print its stack trace.";
  }

  /**
   * One line for a command line that does not parse: "Cannot run '&lt;command&gt;': &lt;why&gt;. See
   * '&lt;command&gt; --help'.", naming the option.
   */
  static String usageMessage(ParameterException e) {
    CommandLine cl = e.getCommandLine();
    String name = cl == null ? "veil" : cl.getCommandSpec().qualifiedName(" ");
    String hint = " See '" + name + " --help'.";
    if (e.getCause() instanceof SettingOptions.BadSettingValue bad) {
      return bad.getMessage() + hint;
    }
    if (!(e instanceof UnmatchedArgumentException) && cl != null && !cl.getUnmatchedArguments().isEmpty()) {
      // picocli checks required options before it reports an unknown one; the unknown one is the mistake.
      return usageMessage(new UnmatchedArgumentException(cl, cl.getUnmatchedArguments()));
    }
    String why;
    if (e instanceof UnmatchedArgumentException u) {
      String arg = u.getUnmatched().isEmpty() ? "" : u.getUnmatched().get(0);
      if (arg.startsWith("-")) {
        int eq = arg.indexOf('=');
        String option = eq > 0 ? arg.substring(0, eq) : arg;
        why = "unknown option " + option + didYouMean(option, cl == null ? List.of()
            : cl.getCommandSpec().options().stream().map(OptionSpec::longestName).toList());
      } else if (cl != null && !cl.getSubcommands().isEmpty()) {
        why = "unknown " + (cl.getParent() == null ? "command" : "sub-command") + " '" + arg + "'"
            + didYouMean(arg, List.copyOf(cl.getSubcommands().keySet()));
      } else {
        why = "unexpected argument '" + arg + "' (options start with --)";
      }
    } else if (e instanceof OverwrittenOptionException o) {
      why = "option " + optionName(o.getOverwritten()) + " is given more than once; give it once";
    } else if (e instanceof MissingParameterException m && m.getMissing() != null && !m.getMissing().isEmpty()) {
      String names = m.getMissing().stream().map(VeilCli::optionName).collect(Collectors.joining(", "));
      why = String.valueOf(m.getMessage()).startsWith("Missing required parameter")
          ? "option " + names + " needs a value"
          : "missing required option" + (m.getMissing().size() > 1 ? "s " : " ") + names;
    } else if (e.getCause() instanceof TypeConversionException t && e.getArgSpec() != null) {
      why = "invalid value '" + e.getValue() + "' for " + optionName(e.getArgSpec()) + ": " + t.getMessage();
    } else {
      why = String.valueOf(e.getMessage());
    }
    why = why.endsWith(".") ? why.substring(0, why.length() - 1) : why;
    return "Cannot run '" + name + "': " + why + "." + hint;
  }

  /** " (did you mean --spec?)" for the names within a few typing mistakes of {@code given}, or "". */
  static String didYouMean(String given, List<String> names) {
    List<String> close = names.stream()
        .filter(n -> editDistance(given, n) <= Math.max(2, n.length() / 4))
        .sorted(java.util.Comparator.comparingInt(n -> editDistance(given, n)))
        .limit(3).toList();
    return close.isEmpty() ? "" : " (did you mean " + String.join(" or ", close) + "?)";
  }

  /** Edits (insert, delete, replace, swap two neighbours) that turn {@code a} into {@code b}. */
  static int editDistance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      for (int j = 0; j <= b.length(); j++) {
        if (i == 0 || j == 0) {
          d[i][j] = i + j;
          continue;
        }
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  private static String optionName(ArgSpec a) {
    if (a instanceof OptionSpec o) {
      return o.longestName();
    }
    return a == null ? "?" : a.paramLabel();
  }
}
