package io.veil.jobs;

import io.veil.blacklist.BlacklistClient;
import io.veil.blacklist.BlacklistService;
import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import io.veil.connectors.ChannelConfig;
import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.job.JobRequest;
import io.veil.job.VeilJobs;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code veil blacklist serve} (the holder's long-running lookup service) and {@code veil blacklist
 * check} (the querier's lookups of a few ids in one session), the low-latency form of {@code
 * blacklist-lookup}. Their options are the settings {@code veil run} takes; no Spark application is
 * started.
 */
final class BlacklistSessionCommand implements Callable<Integer> {
  private static final String ID = "--id";
  private static final String IDS_FILE = "--ids-file";
  private static final String IDLE = "--idle-s";
  private static final String MAX_SESSIONS = "--max-sessions";

  private final VeilCli.Streams io;
  private final List<ConfigKey<?>> settings;
  private final CommandSpec spec;
  private final boolean serve;

  private BlacklistSessionCommand(VeilCli.Streams io, List<ConfigKey<?>> settings, boolean serve) {
    this.io = io;
    this.settings = settings;
    this.serve = serve;
    this.spec = CommandSpec.wrapWithoutInspection(this);
    spec.name(serve ? "serve" : "check");
    if (serve) {
      spec.usageMessage().description(
          "Answer the querier's lookups as they come (the holder).",
          "",
          "Runs until stopped (SIGTERM or Ctrl-C). Checks the spec against this party's key, policy and gates, "
              + "and that its list is encoded (veil blacklist encode), then answers each session the querier opens "
              + "(veil blacklist check, or BlacklistClient from code): every request's blinded ids in one round "
              + "trip over Kafka, no Spark job per query. "
              + "Each session's receipt (ids answered, which usage metering counts) is recorded when it closes. "
              + "Keep the list encoded as it changes: a querier whose copy is older is told to update it with a "
              + "batch job.",
          "");
      spec.addOption(OptionSpec.builder(IDLE).paramLabel("S").type(Long.class).defaultValue("900")
          .description("A session idle this many seconds is closed and its receipt recorded (default 900).").build());
      spec.addOption(OptionSpec.builder(MAX_SESSIONS).paramLabel("N").type(Integer.class).defaultValue("64")
          .description("Most sessions open at once; a querier opening more is refused as busy (default 64).")
          .build());
    } else {
      spec.usageMessage().description(
          "Check a few ids now, without a Spark job (the querier).",
          "",
          "Opens a session with the holder's 'veil blacklist serve', sends the ids blinded, and looks the answers "
              + "up in this party's copy of the encoded list (made and kept up to date by the batch lookup, veil "
              + "run). Prints one line per id: the id, listed or not-listed, and the reason code. The holder "
              + "learns how many distinct ids were asked about, never which.",
          "");
      spec.addOption(OptionSpec.builder(ID).paramLabel("ID").type(String.class).auxiliaryTypes(String.class)
          .type(List.class).description("An id to check (repeatable). A composite key's components are separated "
              + "by tabs.").build());
      spec.addOption(OptionSpec.builder(IDS_FILE).paramLabel("FILE").type(Path.class)
          .description("A file with one id per line (a composite key's components separated by tabs).").build());
    }
    spec.usageMessage().sortOptions(false).abbreviateSynopsis(true).footer("",
        "Each setting option can also come from --conf, Spark conf (spark.<setting>) or its VEIL_* variable, as "
            + "for 'veil run'.",
        "",
        "Exit codes: 0 done; 1 it failed ('veil: <message>' on standard error); 2 usage error.");
    SettingOptions.addOptions(spec, settings);
    spec.addOption(SettingOptions.confOption(settings, ChannelConfig.PREFIX + KafkaChannelConfig.KAFKA_PREFIX));
  }

  static CommandLine serve(VeilCli.Streams io) {
    return new CommandLine(new BlacklistSessionCommand(io, VeilJobs.settings(), true).spec);
  }

  static CommandLine check(VeilCli.Streams io) {
    return new CommandLine(new BlacklistSessionCommand(io, VeilJobs.settings(), false).spec);
  }

  @Override
  public Integer call() throws Exception {
    Map<String, String> options = SettingOptions.given(spec, settings);
    VeilConf conf = SettingOptions.conf(options);
    List<List<String>> ids = serve ? List.of() : ids();
    RunCommand.check(spec, settings, conf);
    PrintStream out = io.out();
    JobRequest rq = VeilJobs.request(conf).progress(m -> io.err().println("veil: " + m)).build();
    Configuration hadoop = new Configuration();
    if (serve) {
      long idleS = spec.findOption(IDLE).getValue();
      int maxSessions = spec.findOption(MAX_SESSIONS).getValue();
      BlacklistService service = BlacklistService.start(rq, hadoop, idleS * 1000, maxSessions);
      Runtime.getRuntime().addShutdownHook(new Thread(service::close, "veil-blacklist-service-stop"));
      service.awaitClose();
      return VeilCli.EXIT_OK;
    }
    long t0 = System.nanoTime();
    try (BlacklistClient client = BlacklistClient.open(rq, hadoop)) {
      long opened = System.nanoTime();
      List<BlacklistClient.Answer> answers = client.lookupKeys(ids);
      long done = System.nanoTime();
      for (BlacklistClient.Answer a : answers) {
        out.println(a.id() + "\t" + (a.listed() == null ? "null-id" : a.listed() ? "listed" : "not-listed")
            + (a.reason() == null ? "" : "\t" + a.reason()));
      }
      io.err().printf("veil: %d ids checked against list version %d (%d ids): session opened in %d ms, lookup %d "
          + "ms%n", answers.size(), client.listVersion(), client.listRecords(), (opened - t0) / 1_000_000,
          (done - opened) / 1_000_000);
    }
    return VeilCli.EXIT_OK;
  }

  private List<List<String>> ids() {
    List<String> lines = new ArrayList<>();
    List<String> given = spec.findOption(ID).getValue();
    if (given != null) {
      lines.addAll(given);
    }
    Path file = spec.findOption(IDS_FILE).getValue();
    if (file != null) {
      try {
        Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).forEach(lines::add);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the ids file " + file + ": " + e.getMessage(), e);
      }
    }
    if (lines.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "no ids to check: give --id ID (repeatable) or "
          + "--ids-file FILE");
    }
    List<List<String>> out = new ArrayList<>();
    lines.forEach(l -> out.add(Arrays.asList(l.split("\t", -1))));
    return out;
  }
}
