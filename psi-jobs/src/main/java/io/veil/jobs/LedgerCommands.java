package io.veil.jobs;

import io.veil.VeilException;
import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import io.veil.connectors.ChannelConfig;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.PartySecret;
import io.veil.ledger.LedgerConfig;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LedgerHead;
import io.veil.ledger.LedgerLocation;
import io.veil.ledger.LedgerVerifier;
import io.veil.ledger.LocalLedger;
import io.veil.ledger.SpecApprovalCheck;
import io.veil.ledger.VerificationReport;
import io.veil.ledger.chain.AnchorReport;
import io.veil.ledger.chain.ChainClient;
import io.veil.ledger.chain.ChainConfig;
import io.veil.ledger.chain.ChainSink;
import io.veil.ledger.chain.ChainSinkConfig;
import io.veil.ledger.chain.ChainVerifier;
import io.veil.ledger.chain.ReceiptAnchor;
import io.veil.spec.JobSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code veil verify} and {@code veil anchor}: an auditor's and a party's commands for a receipt ledger. */
final class LedgerCommands {
  private LedgerCommands() {}

  /** {@code verify}'s settings: the chain's (to check anchors) and the JDBC password (to recompute an input). */
  private static final List<ConfigKey<?>> VERIFY_SETTINGS = verifySettings();

  private static List<ConfigKey<?>> verifySettings() {
    List<ConfigKey<?>> keys = new ArrayList<>(ChainCommands.SETTINGS);
    keys.add(ChannelConfig.JDBC_PASSWORD_FILE);
    return List.copyOf(keys);
  }

  static CommandLine verify(VeilCli.Streams io) {
    return ChainCommands.withSettings(new CommandLine(new Verify(io)), VERIFY_SETTINGS);
  }

  static CommandLine anchor(VeilCli.Streams io) {
    return ChainCommands.withSettings(new CommandLine(new Anchor(io)), ChainCommands.SETTINGS);
  }

  /** A party's public key as {@code veil keygen} printed it. */
  static final class PublicKeyConverter implements ITypeConverter<IdentityPublicKey> {
    @Override
    public IdentityPublicKey convert(String value) {
      try {
        return IdentityPublicKey.parse(value);
      } catch (VeilException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** A ledger head as {@code veil verify} printed it. */
  static final class HeadConverter implements ITypeConverter<LedgerHead> {
    @Override
    public LedgerHead convert(String value) {
      try {
        return LedgerHead.parse(value);
      } catch (VeilException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  @Command(name = "verify",
      description = {
          "Check a receipt ledger (and its artefacts and anchors).", "",
          "Checks every line, the hash chain, every receipt hash, the party's signatures and "
              + "every approval. Prints PASS or FAIL with one line per problem, and the head to pass as "
              + "--expect-head next time.",
          "With --spec and --party, also check that every party of the spec approved the job exactly once, with the "
              + "key the spec pins for it, and nobody else did; and recompute the contract hash and the input and "
              + "output commitments from the artefacts themselves (starts Spark). With the chain settings, also "
              + "check every receipt against its anchor on the chain: the whole receipt (every field), its place "
              + "in the ledger and the job's artefacts.",
          ""},
      footer = {"", "Exit codes: 0 every check passes; 1 a check fails; 2 usage error (also: no such ledger file)."})
  static final class Verify implements Callable<Integer> {
    private final VeilCli.Streams io;
    @Spec CommandSpec spec;

    @Option(names = "--ledger", required = true, paramLabel = "FILE|URI",
        description = "The ledger to check: a local file, or a ledger on HDFS (hdfs://namenode:8020/path).")
    String ledgerText;
    LedgerLocation ledger;

    @Option(names = "--signer", paramLabel = "ed25519:KEY", converter = PublicKeyConverter.class,
        description = "The party's public key (as in the job spec); required without --spec, where the spec's key "
            + "of --party is used.")
    IdentityPublicKey signer;

    @Option(names = "--expect-head", paramLabel = "SEQ:HASH", converter = HeadConverter.class,
        description = "The head an earlier verify printed: also detects entries removed from the end.")
    LedgerHead expectHead;

    @Option(names = "--spec", paramLabel = "FILE",
        description = "The job spec: check the approvals against its parties' pinned keys, and recompute the "
            + "contract hash and the party's input and output commitments.")
    Path specFile;

    @Option(names = "--party", paramLabel = "ID", description = "Whose artefacts to recompute (with --spec).")
    String party;

    @Option(names = "--period", paramLabel = "PERIOD", description = "The job's period (with --spec), if it has one.")
    String period;

    @Option(names = "--master", paramLabel = "URL",
        description = "Spark master for recomputing the commitments; default: spark-submit's, else local[2].")
    String master;

    Verify(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      if (specFile == null && signer == null) {
        throw new ParameterException(spec.commandLine(), "missing required option --signer (or --spec and --party, "
            + "whose public key the spec pins)");
      }
      if (specFile != null && party == null) {
        throw new ParameterException(spec.commandLine(), "--spec needs --party: whose input and output to recompute");
      }
      try {
        ledger = LedgerLocation.parse(ledgerText);
      } catch (VeilException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      if (!ledger.exists()) {
        throw new ParameterException(spec.commandLine(), "no ledger file " + ledger + "; check the path passed as "
            + "--ledger");
      }
      VeilConf conf = SettingOptions.conf(SettingOptions.given(spec, VERIFY_SETTINGS));
      // Checked before the (possibly long) ledger checks: a wrong chain setting fails at once.
      Optional<ChainConfig> chain = LedgerConfig.chain(conf, "verify the ledger's anchors", true);
      if (chain.isPresent() && !ledger.isLocal()) {
        throw new ParameterException(spec.commandLine(), "anchors are checked for a local ledger only (the chain "
            + "sink's outbox is a local file beside it); copy " + ledger + " to a local file first");
      }
      int code = specFile != null ? verifyArtefacts(conf) : verifyLedger();
      return chain.isEmpty() ? code
          : Math.max(code, verifyAnchors(ledger.localPath().orElseThrow(), chain.get(), io.out()));
    }

    private int verifyLedger() {
      VerificationReport report = LedgerVerifier.create().verify(ledger, signer, expectHead);
      if (report.has(VerificationReport.Problem.Kind.UNREADABLE_FILE)) {
        io.err().println("veil: " + report.problems().get(0).message());
        return VeilCli.EXIT_FAILED;
      }
      io.out().print(report.summary());
      return report.ok() ? VeilCli.EXIT_OK : VeilCli.EXIT_FAILED;
    }

    /** With the artefacts: needs Spark to recompute the commitments. */
    private int verifyArtefacts(VeilConf conf) {
      JobSpec jobSpec = JobSpec.read(specFile, period);
      IdentityPublicKey key = signer != null ? signer : jobSpec.party(party).publicKey();
      Path jdbcPassword = conf.get(ChannelConfig.JDBC_PASSWORD_FILE).map(Path::of).orElse(null);
      SparkSession spark = RunCommand.session(master, "veil-verify-" + party);
      try {
        VerificationReport report = LedgerVerifier.create()
            .withCheck(new SpecApprovalCheck(jobSpec))
            .withCheck(new ArtefactCheck(spark, jobSpec, party, jdbcPassword))
            .verify(ledger, key, expectHead);
        io.out().print(report.summary());
        return report.ok() ? VeilCli.EXIT_OK : VeilCli.EXIT_FAILED;
      } finally {
        spark.stop();
      }
    }
  }

  /** Checks every receipt of the ledger against its anchor on the chain. */
  static int verifyAnchors(Path ledgerFile, ChainConfig chain, PrintStream out) {
    Map<Long, ReceiptAnchor> anchors = new HashMap<>();
    ChainSink.recordedAnchors(ledgerFile).forEach(a -> anchors.put(a.seq(), a));
    boolean ok = true;
    try (ChainClient client = ChainClient.connect(chain)) {
      for (LedgerEntry e : LocalLedger.openReadOnly(ledgerFile).entries()) {
        ReceiptAnchor a = anchors.get(e.seq());
        if (a == null) {
          out.println("anchor of entry " + e.seq() + " (job " + e.jobId() + "): FAIL: it was never anchored (no "
              + "record in " + ChainSink.outboxFile(ledgerFile) + "); run 'veil anchor' with the party's key");
          ok = false;
          continue;
        }
        AnchorReport r = ChainVerifier.verify(e, a, client);
        out.println("anchor of entry " + e.seq() + " (job " + e.jobId() + "): " + r.summary().strip());
        ok &= r.ok();
      }
    }
    return ok ? VeilCli.EXIT_OK : VeilCli.EXIT_FAILED;
  }

  @Command(name = "anchor",
      description = {
          "Anchor the ledger's pending receipts on the chain.", "",
          "Sends the ledger's receipts that are not anchored yet (queued in its outbox by runs whose chain was down, "
              + "or never sent) to the ledger contract, and waits for their confirmation. Nothing is sent twice.",
          ""},
      footer = {"", "Exit codes: 0 every receipt is anchored; 1 some are not confirmed in time (run it again) or the "
          + "command failed; 2 usage error."})
  static final class Anchor implements Callable<Integer> {
    private final VeilCli.Streams io;
    @Spec CommandSpec spec;

    @Option(names = "--ledger", required = true, paramLabel = "FILE", description = "The party's ledger file.")
    Path ledger;

    @Option(names = "--key", required = true, paramLabel = "FILE",
        description = "The party's key file (veil keygen): the ledger's signer.")
    Path key;

    @Option(names = "--wait-ms", defaultValue = "60000", paramLabel = "MS",
        description = "How long to wait for the confirmations; default: ${DEFAULT-VALUE}.")
    long waitMs;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N",
        description = "Receipts per transaction, under one Merkle root (each keeps its inclusion proof); "
            + "default: ${DEFAULT-VALUE}.")
    int batch;

    Anchor(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      if (batch < 1) {
        throw new ParameterException(spec.commandLine(), "--batch must be at least 1, not " + batch);
      }
      if (waitMs < 0) {
        throw new ParameterException(spec.commandLine(), "--wait-ms must not be negative, not " + waitMs);
      }
      String action = "anchor the ledger's receipts";
      ChainConfig chain = ChainCommands.requireChain(SettingOptions.conf(SettingOptions.given(spec,
          ChainCommands.SETTINGS)), action, true);
      LocalLedger local = LocalLedger.open(ledger, PartySecret.read(key).identity());
      PrintStream out = io.out();
      try (ChainClient client = ChainClient.connect(chain);
          ChainSink sink = ChainSink.open(local, client, ChainSinkConfig.defaults().withMaxBatchReceipts(batch))) {
        boolean all = sink.flush(Duration.ofMillis(waitMs));
        for (ReceiptAnchor a : sink.anchors()) {
          out.println("  entry " + a.seq() + " (job " + a.jobId() + "): " + a.stage().name().toLowerCase(Locale.ROOT)
              + (a.blockNumber() == null ? "" : " in block " + a.blockNumber() + ", tx " + a.txHash()));
        }
        out.println(all ? "every receipt is anchored" : "some anchors are not confirmed after " + waitMs + " ms; "
            + "they stay in " + ChainSink.outboxFile(ledger) + " (run this again)");
        return all ? VeilCli.EXIT_OK : VeilCli.EXIT_FAILED;
      }
    }
  }
}
