package io.veil.jobs;

import io.veil.VeilException;
import io.veil.jobs.report.JointReport;
import io.veil.jobs.report.ReportPage;
import io.veil.ledger.LedgerConfig;
import io.veil.ledger.LedgerHead;
import io.veil.ledger.chain.ChainClient;
import io.veil.ledger.chain.ChainConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code veil report}: one period, or a series of periods, of a job as one self-contained HTML file. */
@Command(name = "report",
    description = {
        "Render a job's results and audit trail as one self-contained HTML file.", "",
        "Reads one party's receipt ledger and outputs (typically the result party's) for one period or a series of "
            + "periods of the same job, verifies them, and writes one HTML page: charts of the per-group results "
            + "(suppressed groups marked as such) and of the trend across periods, the headline figures, the audit "
            + "trail of every period (contract hash, approvals, commitments, anchor transaction) and the operator's "
            + "leakage statement. The page draws its charts with Apache ECharts, inlined: it opens offline.",
        "Before rendering it checks the ledger (hash chain, receipt hashes, the party's signatures, approvals), that "
            + "each period's receipt is for the contract of the spec and approved by every party of the spec with "
            + "its pinned key, and that each output read still recomputes to the commitment in its receipt; with the "
            + "chain settings, also each receipt against its anchor on the chain. It renders nothing when a check fails, unless --allow-unverified is given; the page then says, at the "
            + "top, what failed.",
        ""},
    footer = {"", "Examples:",
        "  veil report --ledger veil-ledger-regulator.jsonl --spec aggregate.yaml --period 2026-11",
        "  veil report --ledger veil-ledger-regulator.jsonl --spec aggregate.yaml --period 2026-01..2026-12 "
            + "--out exposure-2026.html",
        "",
        "Exit codes: 0 the page is written and every check passed; 1 a check failed (nothing written, or with "
            + "--allow-unverified a page that says so) or the report could not be made; 2 usage error (also: no such "
            + "ledger or spec file)."})
final class ReportCommand implements Callable<Integer> {
  /** The command with its options and the chain settings (to check each receipt against its anchor). */
  static CommandLine commandLine(VeilCli.Streams io) {
    return ChainCommands.withSettings(new CommandLine(new ReportCommand(io)), ChainCommands.SETTINGS);
  }

  private final VeilCli.Streams io;
  @Spec CommandSpec spec;

  @Option(names = "--ledger", required = true, paramLabel = "FILE",
      description = "The ledger of the party whose results to show (the result party's for aggregate).")
  Path ledger;

  @Option(names = "--spec", required = true, paramLabel = "FILE",
      description = "The job spec. Repeat it when periods ran with different spec files: each period's receipt is "
          + "matched with the spec whose contract hash it records.")
  List<Path> specs = new ArrayList<>();

  @Option(names = "--period", paramLabel = "PERIOD",
      description = "A period to show, or FROM..TO for every period of the job in the ledger from FROM to TO "
          + "(in text order, e.g. 2026-01..2026-06). Repeat it for a series. Default: the spec's own period, or "
          + "the job without period.")
  List<String> periods = new ArrayList<>();

  @Option(names = "--all-periods", description = "Show every period of the job found in the ledger.")
  boolean allPeriods;

  @Option(names = "--party", paramLabel = "ID",
      description = "Whose ledger and outputs these are; default: the party the ledger's receipts are for.")
  String party;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Where to write the page; default: veil-report-<job name>.html in the current directory.")
  Path out;

  @Option(names = "--expect-head", paramLabel = "SEQ:HASH", converter = LedgerCommands.HeadConverter.class,
      description = "A head an earlier verify printed: also detects ledger entries removed from the end.")
  LedgerHead expectHead;

  @Option(names = "--allow-unverified",
      description = "Write the page even when a check fails; it then says NOT VERIFIED at the top and lists the "
          + "failures (the exit code is still 1).")
  boolean allowUnverified;

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master for reading the outputs; default: spark-submit's, else local[2].")
  String master;

  ReportCommand(VeilCli.Streams io) {
    this.io = io;
  }

  @Override
  public Integer call() throws IOException {
    if (allPeriods && !periods.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--all-periods and --period exclude each other; give one");
    }
    if (!Files.isRegularFile(ledger)) {
      throw new ParameterException(spec.commandLine(), "no ledger file " + ledger + "; check the path passed as "
          + "--ledger");
    }
    for (Path s : specs) {
      if (!Files.isRegularFile(s)) {
        throw new ParameterException(spec.commandLine(), "no spec file " + s + "; check the path passed as --spec");
      }
    }
    long start = System.nanoTime();
    // A session this command starts is stopped at the end; one that was running already (a caller's) is left alone.
    boolean sessionRunning = SparkSession.getDefaultSession().isDefined();
    SparkSession[] session = new SparkSession[1];
    JointReport report;
    Optional<ChainConfig> chain = LedgerConfig.chain(SettingOptions.conf(SettingOptions.given(spec,
        ChainCommands.SETTINGS)), "check the receipts' anchors", true);
    ChainClient client = chain.map(ChainClient::connect).orElse(null);
    try {
      report = JointReport.collect(specs, ledger, party, new JointReport.Selection(periods, allPeriods), expectHead,
          () -> {
            if (session[0] == null) {
              session[0] = RunCommand.session(master, "veil-report");
            }
            return session[0];
          }, client);
    } finally {
      if (client != null) {
        client.close();
      }
      if (session[0] != null && !sessionRunning) {
        session[0].stop();
      }
    }
    Path file = out != null ? out : Path.of("veil-report-" + report.jobName() + ".html");
    if (!report.verified() && !allowUnverified) {
      io.err().println("veil: Cannot render the report of job '" + report.jobName() + "': " + report.problems().size()
          + (report.problems().size() == 1 ? " check fails" : " checks fail") + ":");
      report.problems().forEach(p -> io.err().println("  - " + p));
      io.err().println("Nothing was written. Fix the ledger or outputs, or pass --allow-unverified to render a page "
          + "that says NOT VERIFIED at the top.");
      return VeilCli.EXIT_FAILED;
    }
    String html = ReportPage.render(report);
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, html, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new VeilException("Cannot write the report to " + file + ": " + e.getClass().getSimpleName() + ". Check "
          + "--out and the directory's permissions.", e);
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    io.out().println("report:   " + file.toAbsolutePath());
    io.out().println("job:      " + report.jobName() + " (" + report.operator() + "), results of " + report.party());
    io.out().println("periods:  " + String.join(", ", report.periods().stream().map(JointReport.PeriodResult::label)
        .toList()));
    io.out().println("verified: " + (report.verified() ? "yes" : "NO (" + report.problems().size()
        + " failed checks listed at the top of the page)"));
    io.out().println("size:     " + html.getBytes(StandardCharsets.UTF_8).length / 1024 + " KiB, made in " + ms + " ms");
    return report.verified() ? VeilCli.EXIT_OK : VeilCli.EXIT_FAILED;
  }
}
