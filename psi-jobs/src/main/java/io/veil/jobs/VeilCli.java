package io.veil.jobs;

import io.veil.PeerTimeoutException;
import io.veil.PolicyRefusedException;
import io.veil.ProtocolException;
import io.veil.VeilException;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.connectors.kafka.KafkaChannel;
import io.veil.crypto.PartySecret;
import io.veil.job.JobOutcome;
import io.veil.job.VeilJobs;
import io.veil.jobs.internal.Args;
import io.veil.jobs.demo.PsiDemo;
import io.veil.ledger.LedgerCli;
import io.veil.ledger.chain.AssetGate;
import io.veil.ledger.chain.ChainClient;
import io.veil.ledger.chain.ChainSink;
import io.veil.ledger.chain.ChainSinkConfig;
import io.veil.ledger.chain.ChainVerifier;
import io.veil.ledger.chain.ReceiptAnchor;
import io.veil.spec.JobSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code veil} command line. Also the spark-submit entry point:
 * {@code spark-submit --class io.veil.jobs.VeilCli veil-psi-jobs-<v>.jar run --spec psi.yaml --party bank_a ...}
 * (the {@code run} word may be left out).
 *
 * <p>Exit codes: 0 success, 1 job failed (bad input, policy refusal, peer problem), 2 usage error.
 */
public final class VeilCli {
  static final String USAGE = String.join("\n",
      "usage: veil <command> [options]",
      "",
      "  run        run this party's side of a job",
      "             --spec FILE --party ID --key FILE --policy FILE [--period P] [--ledger FILE]",
      "             [--bootstrap-servers HOST:PORT] [--master URL] [--jdbc-password-file FILE]",
      "             [--conf veil.channel.kafka.<client property>=V ...] [chain options]",
      "             [--anchor-wait-ms 30000] (with chain options the receipt is anchored on the chain;",
      "             they are needed when the spec says 'authorisation: required')",
      "  keygen     create a party key file and print its public key: --party ID --out FILE",
      "  spec-hash  print a spec's contract hash, algorithm hash, job id and the hashes data owners",
      "             authorise: --spec FILE [--period P]",
      "  chain deploy      deploy the ledger contract and print its address: [chain options]",
      "  asset register    register a data asset from its metadata: --metadata FILE [chain options]",
      "  asset authorise   let a job use an asset: --asset ID --hash HASH [chain options]",
      "  asset revoke      withdraw that: --asset ID --hash HASH [chain options]",
      "  asset show        print an asset's on-chain record: --asset ID [--metadata FILE] [chain options]",
      "                    (with --metadata: whether the file's proof matches the chain's)",
      "             chain options: --chain-url URL --chain-id N --chain-key-file FILE --chain-contract 0x...",
      "             [--chain-confirmations 1] [--chain-gas-price WEI] [--chain-gas-limit GAS];",
      "             each also from VEIL_CHAIN_URL, VEIL_CHAIN_ID, VEIL_CHAIN_KEY_FILE, ... (see README)",
      "  verify     check a receipt ledger: --ledger FILE --signer ed25519:... [--expect-head SEQ:HASH]",
      "             with --spec FILE --party ID also recompute the input/output commitments and contract;",
      "             with chain options also check every receipt's anchor on the chain",
      "  anchor     send the ledger's receipts not yet anchored and wait: --ledger FILE --key FILE",
      "             [--wait-ms 60000] [--batch 1 (receipts per transaction, one Merkle root)] [chain options]",
      "  broker     run an embedded Kafka broker on loopback: [--port N] [--log-dir DIR]",
      "  demo       two banks intersect their customers on this machine (see README)",
      "  demo report  three banks report SUM/COUNT by segment to a regulator on this machine",
      "  bench      end-to-end PSI benchmark: [--rows N] [--overlap F] [--partitions N] [--heap 3g]",
      "  agg-bench  aggregate / feature-aggregate vs plaintext Spark: [--rows N] [--groups G] [--parties P]",
      "             [--dims D] [--fa-parties 2] [--heap 2g] [--partitions 8]",
      "  crypto-bench  scalar multiplications and hash-to-curve per second: [--seconds N]",
      "  help       this text");

  private VeilCli() {}

  public static void main(String[] argv) {
    if (System.getProperty("log4j2.configurationFile") == null && System.getProperty("spark.master") == null) {
      System.setProperty("log4j2.configurationFile", "classpath:io/veil/jobs/veil-cli-log4j2.properties");
    }
    int code = run(argv, System.out, System.err);
    if (code != 0 || !(argv.length > 0 && argv[0].equals("broker"))) {
      System.exit(code);
    }
  }

  /** Runs a command; returns the exit code. */
  public static int run(String[] argv, PrintStream out, PrintStream err) {
    String command = argv.length == 0 ? "help" : argv[0];
    int from = 1;
    if (command.startsWith("--")) {
      command = "run";
      from = 0;
    }
    try {
      switch (command) {
        case "run" -> {
          return runJob(Args.parse("run", argv, from, withChain("spec", "party", "key", "policy", "period", "ledger",
              "bootstrap-servers", "master", "jdbc-password-file", "anchor-wait-ms")), out);
        }
        case "chain", "asset" -> {
          return ChainCommands.run(command, argv, from, out);
        }
        case "keygen" -> {
          Args a = Args.parse("keygen", argv, from, Set.of("party", "out"));
          PartySecret s = PartySecret.generate(a.require("party"), new SecureRandom());
          s.write(Path.of(a.require("out")));
          out.println(s.identity().publicKey().encoded());
          return 0;
        }
        case "spec-hash" -> {
          Args a = Args.parse("spec-hash", argv, from, Set.of("spec", "period"));
          JobSpec spec = JobSpec.read(Path.of(a.require("spec")), a.get("period").orElse(null));
          out.println("contract hash:  " + spec.contractHash());
          out.println("algorithm hash: " + spec.algorithmHash());
          out.println("job id:         " + spec.jobId());
          out.println("authorisation:  " + (spec.authorisationRequired() ? "required" : "none"));
          for (io.veil.spec.PartySpec p : spec.parties()) {
            if (p.input() != null && p.input().asset() != null) {
              out.println("  " + p.id() + "'s owner, for every period of this job: "
                  + AssetGate.authoriseCommand(p.input().asset(), spec.algorithmHash()));
              out.println("  " + p.id() + "'s owner, for this job only:          "
                  + AssetGate.authoriseCommand(p.input().asset(), spec.contractHash()));
            }
          }
          return 0;
        }
        case "verify" -> {
          Args a = Args.parse("verify", argv, from, withChain("ledger", "signer", "spec", "party", "period",
              "expect-head", "jdbc-password-file", "master"));
          int code = a.get("spec").isPresent() ? verifyArtefacts(a, out) : LedgerCli.run(ledgerCliArgs(a), out, err);
          // Chain options add the check of every receipt's anchor.
          io.veil.ledger.chain.ChainConfig chain = chainConfig(a, "verify the ledger's anchors");
          return chain == null ? code : Math.max(code, verifyAnchors(Path.of(a.require("ledger")), chain, out));
        }
        case "anchor" -> {
          Args a = Args.parse("anchor", argv, from, withChain("ledger", "key", "wait-ms", "batch"));
          return anchorLedger(Path.of(a.require("ledger")), Path.of(a.require("key")),
              ChainOptions.from(a::get, System.getenv()).config("anchor the ledger's receipts", true),
              Long.parseLong(a.get("wait-ms").orElse("60000")),
              ChainSinkConfig.defaults().withMaxBatchReceipts(Integer.parseInt(a.get("batch").orElse("1"))), out);
        }
        case "broker" -> {
          EmbeddedKafkaBroker.main(Arrays.copyOfRange(argv, from, argv.length));
          return 0;
        }
        case "demo" -> {
          if (argv.length > from && argv[from].equals("report")) {
            return io.veil.jobs.demo.ReportDemo.run(Arrays.copyOfRange(argv, from + 1, argv.length), out);
          }
          return PsiDemo.run(Arrays.copyOfRange(argv, from, argv.length), out);
        }
        case "bench" -> {
          try {
            return io.veil.jobs.bench.PsiBench.run(Arrays.copyOfRange(argv, from, argv.length));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
          } catch (Exception e) {
            throw new VeilException("Cannot run the benchmark: " + e.getMessage() + ".", e);
          }
        }
        case "agg-bench" -> {
          try {
            return io.veil.jobs.bench.AggregateBench.run(Arrays.copyOfRange(argv, from, argv.length));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
          } catch (Exception e) {
            throw new VeilException("Cannot run the benchmark: " + e.getMessage() + ".", e);
          }
        }
        case "crypto-bench" -> {
          io.veil.crypto.bench.CryptoBench.main(Arrays.copyOfRange(argv, from, argv.length));
          return 0;
        }
        case "help", "--help", "-h" -> {
          out.println(USAGE);
          return 0;
        }
        default -> {
          err.println("veil: unknown command '" + command + "'\n" + USAGE);
          return 2;
        }
      }
    } catch (PolicyRefusedException | PeerTimeoutException | ProtocolException e) {
      err.println("veil: " + kind(e) + ": " + e.getMessage());
      return 1;
    } catch (Args.UsageError e) {
      err.println("veil: " + e.getMessage());
      return 2;
    } catch (VeilException e) {
      err.println("veil: " + e.getMessage());
      return 1;
    }
  }

  /** {@code names} and the chain options, for {@link Args#parse}. */
  static Set<String> withChain(String... names) {
    Set<String> all = new java.util.HashSet<>(Arrays.asList(names));
    all.addAll(ChainOptions.NAMES);
    return all;
  }

  /** The chain configuration from the command line and environment, or null if no chain option is given. */
  private static io.veil.ledger.chain.ChainConfig chainConfig(Args a, String action) {
    ChainOptions chain = ChainOptions.from(a::get, System.getenv());
    return chain.isPresent() ? chain.config(action, true) : null;
  }

  private static String kind(VeilException e) {
    if (e instanceof PolicyRefusedException) {
      return "policy refused";
    }
    if (e instanceof PeerTimeoutException) {
      return "peer timeout";
    }
    return "protocol error";
  }

  /** The command-line options of {@code veil run} and the settings they give. */
  private static final Map<String, String> RUN_OPTIONS = Map.ofEntries(
      Map.entry("spec", "veil.job.spec"), Map.entry("party", "veil.party.id"), Map.entry("key", "veil.party.key-file"),
      Map.entry("policy", "veil.party.policy-file"), Map.entry("period", "veil.job.period"),
      Map.entry("ledger", "veil.ledger.path"), Map.entry("bootstrap-servers", "veil.channel.bootstrap.servers"),
      Map.entry("jdbc-password-file", "veil.jdbc.password-file"), Map.entry("anchor-wait-ms", "veil.chain.anchor-wait-ms"),
      Map.entry(ChainOptions.URL, "veil.chain.url"), Map.entry(ChainOptions.CHAIN_ID, "veil.chain.id"),
      Map.entry(ChainOptions.KEY_FILE, "veil.chain.key-file"), Map.entry(ChainOptions.CONTRACT, "veil.chain.contract"),
      Map.entry(ChainOptions.CONFIRMATIONS, "veil.chain.confirmations"),
      Map.entry(ChainOptions.GAS_PRICE, "veil.chain.gas-price"), Map.entry(ChainOptions.GAS_LIMIT, "veil.chain.gas-limit"));

  private static int runJob(Args a, PrintStream out) {
    Map<String, String> options = new java.util.TreeMap<>(a.conf());
    RUN_OPTIONS.forEach((flag, key) -> a.get(flag).ifPresent(v -> options.put(key, v)));
    String party = options.getOrDefault("veil.party.id", "party");
    SparkSession spark = session(a.get("master").orElse(null), party);
    try {
      JobOutcome outcome = VeilJobs.run(spark, VeilJobs.conf(spark, options));
      out.println(outcome.summary());
      out.println("  peak heap:         " + peakHeapMiB() + " MiB");
      return 0;
    } finally {
      spark.stop();
    }
  }

  /** {@code verify} with artefact checks: needs Spark to recompute the commitments. */
  /** {@code verify}'s options that the ledger's own checks ({@link LedgerCli}) take. */
  private static String[] ledgerCliArgs(Args a) {
    List<String> out = new java.util.ArrayList<>(List.of("verify"));
    for (String name : List.of("ledger", "signer", "expect-head")) {
      a.get(name).ifPresent(v -> out.addAll(List.of("--" + name, v)));
    }
    return out.toArray(String[]::new);
  }

  /** Sends the ledger's receipts not yet anchored and waits for them; 1 if some are not confirmed in time. */
  private static int anchorLedger(Path ledgerFile, Path keyFile, io.veil.ledger.chain.ChainConfig chain, long waitMs,
      ChainSinkConfig sinkConfig, PrintStream out) {
    io.veil.ledger.LocalLedger ledger = io.veil.ledger.LocalLedger.open(ledgerFile,
        PartySecret.read(keyFile).identity());
    try (ChainClient client = ChainClient.connect(chain);
        ChainSink sink = ChainSink.open(ledger, client, sinkConfig)) {
      boolean all = sink.flush(java.time.Duration.ofMillis(waitMs));
      for (ReceiptAnchor a : sink.anchors()) {
        out.println("  entry " + a.seq() + " (job " + a.jobId() + "): " + a.stage().name().toLowerCase(Locale.ROOT)
            + (a.blockNumber() == null ? "" : " in block " + a.blockNumber() + ", tx " + a.txHash()));
      }
      out.println(all ? "every receipt is anchored" : "some anchors are not confirmed after " + waitMs + " ms; "
          + "they stay in " + ChainSink.outboxFile(ledgerFile) + " (run this again)");
      return all ? 0 : 1;
    }
  }

  /** Checks every receipt of the ledger against its anchor on the chain. */
  private static int verifyAnchors(Path ledgerFile, io.veil.ledger.chain.ChainConfig chain, PrintStream out) {
    Map<Long, ReceiptAnchor> anchors = new java.util.HashMap<>();
    ChainSink.recordedAnchors(ledgerFile).forEach(a -> anchors.put(a.seq(), a));
    boolean ok = true;
    try (ChainClient client = ChainClient.connect(chain)) {
      for (io.veil.ledger.LedgerEntry e : io.veil.ledger.LocalLedger.openReadOnly(ledgerFile).entries()) {
        ReceiptAnchor a = anchors.get(e.seq());
        if (a == null) {
          out.println("anchor of entry " + e.seq() + " (job " + e.jobId() + "): FAIL: it was never anchored (no "
              + "record in " + ChainSink.outboxFile(ledgerFile) + "); run 'veil anchor' with the party's key");
          ok = false;
          continue;
        }
        io.veil.ledger.chain.AnchorReport r = ChainVerifier.verify(e, a, client);
        out.println("anchor of entry " + e.seq() + " (job " + e.jobId() + "): " + r.summary().strip());
        ok &= r.ok();
      }
    }
    return ok ? 0 : 1;
  }

  private static int verifyArtefacts(Args a, PrintStream out) {
    JobSpec spec = JobSpec.read(Path.of(a.require("spec")), a.get("period").orElse(null));
    String party = a.require("party");
    io.veil.crypto.IdentityPublicKey signer = a.get("signer").map(io.veil.crypto.IdentityPublicKey::parse)
        .orElse(spec.party(party).publicKey());
    SparkSession spark = session(a.get("master").orElse(null), "verify-" + party);
    try {
      io.veil.ledger.VerificationReport report = io.veil.ledger.LedgerVerifier.create()
          .withCheck(new ArtefactCheck(spark, spec, party, a.get("jdbc-password-file").map(Path::of).orElse(null)))
          .verify(Path.of(a.require("ledger")), signer,
              a.get("expect-head").map(io.veil.ledger.LedgerHead::parse).orElse(null));
      out.print(report.summary());
      return report.ok() ? 0 : 1;
    } finally {
      spark.stop();
    }
  }

  /** Sum of the heap pools' peak usage since JVM start. */
  static long peakHeapMiB() {
    long bytes = 0;
    for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP && pool.getPeakUsage() != null) {
        bytes += pool.getPeakUsage().getUsed();
      }
    }
    return bytes >> 20;
  }

  private static SparkSession session(String master, String party) {
    SparkConf sc = new SparkConf();
    SparkSession.Builder b = SparkSession.builder().appName("veil-" + party);
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
