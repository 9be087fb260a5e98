package io.veil.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veil.InvalidInputException;
import io.veil.config.ConfigKey;
import io.veil.config.JobConfig;
import io.veil.config.VeilConf;
import io.veil.connectors.ChannelConfig;
import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.PartySecret;
import io.veil.job.JobOutcome;
import io.veil.job.VeilJobs;
import io.veil.jobs.internal.HeapPeak;
import io.veil.jobs.internal.ProgressReporter;
import io.veil.ledger.LedgerConfig;
import io.veil.ledger.chain.AssetGate;
import io.veil.spec.JobSpec;
import io.veil.spec.PartyPolicy;
import io.veil.spec.PartySpec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code veil run}: this party's side of a job. Its options are made from the settings of the
 * modules on the classpath ({@link VeilJobs#settings()}): every setting with a flag is an option,
 * described by the setting's documentation; {@code --conf key=value} gives any setting by name.
 *
 * <p>Everything that can be checked without Spark is checked before a SparkSession starts: the
 * required settings, their types, the spec, the party, its key (against the key the spec pins),
 * the policy, the channel's and the chain's settings. With {@code --output json} the run prints
 * exactly one JSON object on standard output ({@link JobOutcome#toJson()} and {@code peakHeapMiB},
 * or {@link JobOutcome#failureJson}), and everything else on standard error.
 */
final class RunCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The settings a run cannot do without (the channel's, checked separately, too). */
  private static final List<ConfigKey<?>> REQUIRED = List.of(JobConfig.SPEC, JobConfig.PARTY, JobConfig.KEY_FILE,
      JobConfig.POLICY_FILE);
  private static final String OUTPUT = "--output";
  private static final String MASTER = "--master";
  private static final String PROGRESS = "--progress";

  private final VeilCli.Streams io;
  private final List<ConfigKey<?>> settings;
  private final CommandSpec spec;

  private RunCommand(VeilCli.Streams io, List<ConfigKey<?>> settings) {
    this.io = io;
    this.settings = settings;
    this.spec = CommandSpec.wrapWithoutInspection(this);
    spec.name("run");
    spec.usageMessage()
        .description(
            "Run this party's side of a job.",
            "",
            "It checks the spec against the party's key and policy, approves it, waits "
                + "for every other party's approval, runs the operator over Kafka, writes the output and records "
                + "a signed receipt (anchored on the chain when the chain settings are given; needed when the spec "
                + "says 'authorisation: required').",
            "",
            "Each option below is a setting; every setting can also come from --conf, from Spark conf "
                + "(spark.<setting>: spark-defaults.conf, spark-submit --conf) or from its VEIL_* environment "
                + "variable, in that order of precedence.",
            "")
        .sortOptions(false)
        .abbreviateSynopsis(true)
        .footer("", "Settings without an option (give them with --conf): " + String.join(", ",
                settings.stream().filter(k -> k.flag() == null).map(ConfigKey::name).toList())
                + ". 'veil config' lists every setting with its default.",
            "",
            "Exit codes: 0 the job succeeded; 1 it failed ('veil: <message>' on standard error, or 'veil: policy "
                + "refused: ...', 'veil: peer timeout: ...', 'veil: protocol error: ...'); 2 usage error.");
    SettingOptions.addOptions(spec, settings);
    spec.addOption(SettingOptions.confOption(settings, ChannelConfig.PREFIX + KafkaChannelConfig.KAFKA_PREFIX));
    spec.addOption(OptionSpec.builder(MASTER).paramLabel("URL").type(String.class)
        .description("Spark master; default: the one spark-submit sets, else local[2] (this machine).").build());
    spec.addOption(OptionSpec.builder(OUTPUT).paramLabel("text|json").type(String.class).defaultValue("text")
        .converters(v -> {
          if (!v.equals("text") && !v.equals("json")) {
            throw new TypeConversionException("it must be text or json");
          }
          return v;
        })
        .description("text: the job summary (default); json: exactly one JSON object on standard output (the "
            + "outcome, or the error with its kind), logs on standard error.").build());
    spec.addOption(OptionSpec.builder(PROGRESS).paramLabel("auto|bar|log|off").type(ProgressReporter.Mode.class)
        .defaultValue("auto")
        .converters(v -> {
          try {
            return ProgressReporter.Mode.parse(v);
          } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
          }
        })
        .description("progress of each step while it runs (tasks done of total, rate, time left): bar redraws one "
            + "line on standard error, log writes a log line every " + ProgressReporter.LOG_EVERY.toSeconds()
            + " s, auto (default) is bar on a terminal and log otherwise; off shows none. The Spark UI and history "
            + "server show the same steps as job descriptions.").build());
  }

  /** The {@code run} command, with the settings of the modules on the classpath. */
  static CommandLine commandLine(VeilCli.Streams io) {
    return new CommandLine(new RunCommand(io, VeilJobs.settings()).spec);
  }

  @Override
  public Integer call() {
    Map<String, String> options = SettingOptions.given(spec, settings);
    boolean json = "json".equals(spec.findOption(OUTPUT).getValue());
    String master = spec.findOption(MASTER).getValue();
    PrintStream result = io.out();
    // In JSON mode nothing but the outcome may reach standard output, whatever a library prints.
    boolean redirected = json && result == System.out;
    if (redirected) {
      System.setOut(System.err);
    }
    try {
      HeapPeak.start();
      VeilConf conf = SettingOptions.conf(options);
      String party = check(spec, settings, conf);
      SparkSession spark = session(master, "veil-" + party);
      ProgressReporter.Mode progress = spec.findOption(PROGRESS).getValue();
      try {
        JobOutcome outcome;
        try (ProgressReporter shown = ProgressReporter.start(spark.sparkContext(), progress,
            System.console() != null, io.err())) {
          outcome = VeilJobs.run(spark, VeilJobs.conf(spark, options));
        }
        if (json) {
          result.println(json(outcome));
        } else {
          result.println(outcome.summary());
          result.println("  peak heap:         " + HeapPeak.mib() + " MiB");
        }
      } finally {
        spark.stop();
      }
      return VeilCli.EXIT_OK;
    } catch (RuntimeException | Error e) {
      if (json) {
        result.println(JobOutcome.failureJson(VeilCli.errorKind(e), VeilCli.message(e)));
      }
      throw e;
    } finally {
      if (redirected) {
        System.setOut(result);
      }
    }
  }

  /**
   * The checks that need no Spark, in the order a user fixes them; returns the party.
   *
   * @throws ParameterException for a required setting that is missing (exit code 2)
   * @throws io.veil.VeilException for a setting, spec, key or policy that is wrong (exit code 1)
   */
  static String check(CommandSpec spec, List<ConfigKey<?>> settings, VeilConf conf) {
    List<String> missing = new ArrayList<>();
    for (ConfigKey<?> k : REQUIRED) {
      if (!conf.isSet(k)) {
        missing.add("--" + k.flag() + " (" + k.name() + ")");
      }
    }
    if (!missing.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "missing " + String.join(", ", missing) + "; each may also "
          + "be set as Spark conf spark.<setting> or its VEIL_* variable (e.g. " + REQUIRED.get(1).envName() + ")");
    }
    if (ChannelConfig.channelOptions(conf).isEmpty()) {
      throw new ParameterException(spec.commandLine(), "no Kafka is configured for the channel to the other "
          + "parties. Pass --" + ChannelConfig.BOOTSTRAP_SERVERS.flag() + " HOST:PORT (or set "
          + ChannelConfig.BOOTSTRAP_SERVERS.sparkName() + " or " + ChannelConfig.BOOTSTRAP_SERVERS.envName()
          + "), or start a broker on this machine with 'veil broker'");
    }
    for (ConfigKey<?> k : settings) {
      conf.get(k); // values from Spark conf and the environment are checked here, naming where they came from
    }
    JobSpec jobSpec = JobSpec.read(Path.of(conf.require(JobConfig.SPEC, "run the job")),
        conf.get(JobConfig.PERIOD).orElse(null));
    String party = conf.require(JobConfig.PARTY, "run the job");
    PartySpec me = jobSpec.party(party);
    checkKey(jobSpec, me, conf.require(JobConfig.KEY_FILE, "run the job"));
    PartyPolicy.read(Path.of(conf.require(JobConfig.POLICY_FILE, "run the job"))).check(jobSpec, party);
    KafkaChannelConfig.fromOptions(ChannelConfig.channelOptions(conf).orElseThrow());
    if (LedgerConfig.chain(conf, "anchor the job and check its data asset authorisation", true).isEmpty()) {
      new AssetGate(null).check(jobSpec, party); // a spec that needs the chain, without one
    }
    return party;
  }

  /** The key file must hold the key the spec pins for this party (unless spark-submit ships it to the driver). */
  static void checkKey(JobSpec jobSpec, PartySpec me, String keyFile) {
    Path path = Path.of(keyFile);
    if (!Files.isReadable(path)) {
      if (shippedBySparkSubmit(path.getFileName().toString())) {
        return; // found by name when the session starts (io.veil.spark.KeyRef)
      }
      throw new InvalidInputException("Cannot run job '" + jobSpec.name() + "' as " + me.id() + ": key file "
          + keyFile + " does not exist or cannot be read. Check --" + JobConfig.KEY_FILE.flag() + " (setting "
          + JobConfig.KEY_FILE.name() + "), or ship the file with spark-submit --files.");
    }
    IdentityPublicKey key = PartySecret.read(path).identity().publicKey();
    if (!key.equals(me.publicKey())) {
      throw new InvalidInputException("Cannot run job '" + jobSpec.name() + "' as " + me.id() + ": key file "
          + keyFile + " holds key " + key + " but the spec pins " + me.publicKey() + " for " + me.id() + ". Use "
          + me.id() + "'s key file or fix the spec.");
    }
  }

  /** Whether spark-submit ships a file of this name ({@code --files}, directly or in YARN's list). */
  private static boolean shippedBySparkSubmit(String name) {
    for (String property : List.of("spark.files", "spark.yarn.dist.files")) {
      for (String entry : System.getProperty(property, "").split(",")) {
        String e = entry.strip();
        int hash = e.lastIndexOf('#');
        String shipped = hash >= 0 ? e.substring(hash + 1) : e.substring(e.lastIndexOf('/') + 1);
        if (!e.isEmpty() && shipped.equals(name)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The outcome as one JSON object, with this JVM's peak heap. */
  private static String json(JobOutcome outcome) {
    try {
      ObjectNode node = (ObjectNode) JSON.readTree(outcome.toJson());
      node.put("peakHeapMiB", HeapPeak.mib());
      return JSON.writeValueAsString(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A SparkSession: {@code master} if given, else spark-submit's, else {@code local[2]} with loopback settings. */
  static SparkSession session(String master, String appName) {
    SparkConf sc = new SparkConf();
    SparkSession.Builder b = SparkSession.builder().appName(appName);
    if (master != null) {
      b = b.master(master);
    } else if (!sc.contains("spark.master")) {
      b = b.master("local[2]");
      master = "local[2]";
    }
    if (master != null && master.startsWith("local")) {
      b = b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
          .config("spark.serializer", sc.get("spark.serializer", "org.apache.spark.serializer.KryoSerializer"));
    }
    return b.getOrCreate();
  }
}
