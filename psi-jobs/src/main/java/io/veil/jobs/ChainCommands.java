package io.veil.jobs;

import io.veil.InvalidInputException;
import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import io.veil.crypto.IdentityPublicKey;
import io.veil.ledger.LedgerConfig;
import io.veil.ledger.chain.AssetRecord;
import io.veil.ledger.chain.AssetUsage;
import io.veil.ledger.chain.ChainClient;
import io.veil.ledger.chain.ChainConfig;
import io.veil.ledger.chain.DataAsset;
import io.veil.ledger.chain.TxOutcome;
import io.veil.ledger.chain.UsageQuota;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code veil chain deploy} and {@code veil asset register|authorise|revoke|show|usage|quota}: a data owner's
 * commands for the ledger contract. The chain settings ({@link LedgerConfig}: {@code --chain-url},
 * {@code --chain-id}, {@code --chain-key-file}, {@code --chain-contract}, ...) are options of each
 * command, resolved like every setting (command line, {@code spark.veil.chain.*}, {@code
 * VEIL_CHAIN_*}, default).
 */
final class ChainCommands {
  /** The chain settings of the chain commands (the anchor wait belongs to {@code run}). */
  static final List<ConfigKey<?>> SETTINGS = LedgerConfig.CHAIN.stream()
      .filter(k -> k != LedgerConfig.ANCHOR_WAIT_MS).toList();
  private static final Pattern HEX32 = Pattern.compile("(?:0x)?[0-9a-f]{64}");

  private ChainCommands() {}

  /** {@code cl} with an option for each of {@code keys}, and {@code --conf} for them. */
  static CommandLine withSettings(CommandLine cl, List<ConfigKey<?>> keys) {
    SettingOptions.addOptions(cl.getCommandSpec(), keys);
    cl.getCommandSpec().addOption(SettingOptions.confOption(keys, null));
    return cl;
  }

  static CommandLine chain(VeilCli.Streams io) {
    return new CommandLine(new ChainGroup()).addSubcommand(withSettings(new CommandLine(new Deploy(io)), SETTINGS));
  }

  static CommandLine asset(VeilCli.Streams io) {
    CommandLine asset = new CommandLine(new AssetGroup());
    for (Object c : List.of(new Register(io), new Authorise(io), new Revoke(io), new Show(io), new Usage(io),
        new Quota(io))) {
      asset.addSubcommand(withSettings(new CommandLine(c), SETTINGS));
    }
    return asset;
  }

  /**
   * The chain configuration of {@code conf}; every chain command needs one.
   *
   * @param action what it is for, in error messages ("register the asset")
   * @param contractRequired whether the contract address must be given (every command but deploy)
   */
  static ChainConfig requireChain(VeilConf conf, String action, boolean contractRequired) {
    return LedgerConfig.chain(conf, action, contractRequired).orElseThrow(() -> new InvalidInputException("Cannot "
        + action + ": no chain is configured. Pass --" + LedgerConfig.CHAIN_URL.flag() + " or set "
        + LedgerConfig.CHAIN_URL.envName() + " (the node's JSON-RPC URL, e.g. http://127.0.0.1:8545), with --"
        + LedgerConfig.CHAIN_ID.flag() + ", --" + LedgerConfig.CHAIN_KEY_FILE.flag()
        + (contractRequired ? " and --" + LedgerConfig.CHAIN_CONTRACT.flag() : "") + " (or their VEIL_CHAIN_* "
        + "variables)."));
  }

  /** A connected client for {@code spec}'s chain settings. */
  private static ChainClient connect(CommandSpec spec, String action, boolean contractRequired) {
    return ChainClient.connect(requireChain(SettingOptions.conf(SettingOptions.given(spec, SETTINGS)), action,
        contractRequired));
  }

  private static void printTx(PrintStream out, TxOutcome tx) {
    out.println("tx:      " + tx.txHash() + " (block " + tx.blockNumber() + ", gas " + tx.gasUsed() + ")");
  }

  /** A 32-byte value given as 64 hex digits, optionally with 0x, any case. */
  private static byte[] hex32(String option, String value) {
    String v = value.toLowerCase(Locale.ROOT);
    if (!HEX32.matcher(v).matches()) {
      throw new InvalidInputException("Cannot use --" + option + ": it must be 64 hex digits (optionally with 0x). "
          + "Copy it from 'veil spec-hash' or the asset's metadata.");
    }
    return HexFormat.of().parseHex(v.startsWith("0x") ? v.substring(2) : v);
  }

  /**
   * A consumer's identity key: 64 hex digits (optionally with 0x), or the {@code ed25519:...} form a
   * job spec pins.
   */
  private static byte[] consumerKey(String value) {
    if (value.startsWith("ed25519:")) {
      return IdentityPublicKey.parse(value).bytes();
    }
    String v = value.toLowerCase(Locale.ROOT);
    if (!HEX32.matcher(v).matches()) {
      throw new InvalidInputException("Cannot use --consumer: it must be the consumer party's Ed25519 public key as "
          + "64 hex digits (optionally with 0x) or as ed25519:... (the form its job spec pins). Copy it from the "
          + "spec's publicKey of that party or from 'veil asset usage'.");
    }
    return HexFormat.of().parseHex(v.startsWith("0x") ? v.substring(2) : v);
  }

  private static void requireCount(String option, long value) {
    if (value < 0) {
      throw new InvalidInputException("Cannot use --" + option + " " + value + ": it must be 0 (no limit) or more.");
    }
  }

  @Command(name = "chain", description = {"The ledger contract on an EVM chain.", ""})
  static final class ChainGroup {}

  @Command(name = "deploy",
      description = {"Deploy the ledger contract and print its address.", "",
          "The contract holds anchors, data assets and authorisations; the other commands take its address as "
              + "--chain-contract. Once per chain.", ""})
  static final class Deploy implements Callable<Integer> {
    private final VeilCli.Streams io;
    @Spec CommandSpec spec;

    Deploy(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      PrintStream out = io.out();
      try (ChainClient client = connect(spec, "deploy the ledger contract", false)) {
        TxOutcome tx = client.deployContract();
        out.println("contract address: " + client.contractAddress().orElseThrow());
        printTx(out, tx);
        out.println("Pass --" + LedgerConfig.CHAIN_CONTRACT.flag() + " " + client.contractAddress().orElseThrow()
            + " (or set " + LedgerConfig.CHAIN_CONTRACT.envName() + ") to the other commands.");
      }
      return VeilCli.EXIT_OK;
    }
  }

  @Command(name = "asset",
      description = {"Data assets on the ledger contract.", "",
          "Register one, let a job use it, withdraw that, show it, meter its usage and set quotas.", ""})
  static final class AssetGroup {}

  @Command(name = "register",
      description = {"Register a data asset from its metadata.", "",
          "The chain keeps the asset's id, owner, storage path, the metadata's proof and its children; prints the "
              + "proof and the transaction. The signing account owns the asset.", ""})
  static final class Register implements Callable<Integer> {
    private final VeilCli.Streams io;
    @Spec CommandSpec spec;

    @Option(names = "--metadata", required = true, paramLabel = "FILE",
        description = "The asset's metadata (JSON: id, type, owner, storagePath, endpoint, children, "
            + "operationCodeHashes).")
    Path metadata;

    Register(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      PrintStream out = io.out();
      DataAsset asset = DataAsset.read(metadata);
      String action = "register asset " + asset.idHex();
      try (ChainClient client = connect(spec, action, true)) {
        if (asset.owner() != null && !asset.owner().equals(client.account())) {
          throw new InvalidInputException("Cannot " + action + ": its metadata names owner " + asset.owner()
              + " but the signing key (--" + LedgerConfig.CHAIN_KEY_FILE.flag() + ") is account " + client.account()
              + ", and the account that registers an asset owns it. Use the owner's key file, or fix the "
              + "metadata's owner field.");
        }
        TxOutcome tx = client.registerAsset(asset.id(), asset.storagePath(), asset.proof(), asset.children());
        out.println("asset:   " + asset.idHex());
        out.println("owner:   " + client.account());
        out.println("proof:   " + asset.proofHex());
        printTx(out, tx);
        if (!tx.changedState()) {
          out.println("(already registered with this content; nothing changed)");
        }
      }
      return VeilCli.EXIT_OK;
    }
  }

  /** {@code authorise} and {@code revoke}: a hash on an asset. */
  abstract static class HashCommand implements Callable<Integer> {
    private final VeilCli.Streams io;
    private final boolean authorise;
    @Spec CommandSpec spec;

    @Option(names = "--asset", required = true, paramLabel = "ID", description = "The asset's id (64 hex digits).")
    String asset;

    @Option(names = "--hash", required = true, paramLabel = "HASH",
        description = "The job's algorithm hash (every period of the job) or contract hash (this job only), as "
            + "'veil spec-hash' prints them.")
    String hash;

    HashCommand(VeilCli.Streams io, boolean authorise) {
      this.io = io;
      this.authorise = authorise;
    }

    @Override
    public Integer call() {
      PrintStream out = io.out();
      byte[] assetId = hex32("asset", asset);
      byte[] hashBytes = hex32("hash", hash);
      try (ChainClient client = connect(spec, (authorise ? "authorise" : "revoke") + " a hash on an asset", true)) {
        TxOutcome tx = authorise ? client.authorise(assetId, hashBytes) : client.revoke(assetId, hashBytes);
        out.println((authorise ? "authorised: " : "revoked:    ") + HexFormat.of().formatHex(hashBytes) + " on asset "
            + HexFormat.of().formatHex(assetId));
        printTx(out, tx);
        if (!tx.changedState()) {
          out.println("(it was " + (authorise ? "authorised" : "not authorised") + " already; nothing changed)");
        }
      }
      return VeilCli.EXIT_OK;
    }
  }

  @Command(name = "authorise",
      description = {"Let jobs with a hash use an asset (only its owner may).", ""})
  static final class Authorise extends HashCommand {
    Authorise(VeilCli.Streams io) {
      super(io, true);
    }
  }

  @Command(name = "revoke", description = {"Withdraw an authorisation (only the asset's owner may).", ""})
  static final class Revoke extends HashCommand {
    Revoke(VeilCli.Streams io) {
      super(io, false);
    }
  }

  @Command(name = "show",
      description = {"Print an asset's on-chain record.", "",
          "With --metadata, also whether the file's proof matches the chain's.", ""},
      footer = {"", "Exit codes: 0 shown (and the metadata matches); 1 not registered, the metadata does not match, "
          + "or the command failed; 2 usage error."})
  static final class Show implements Callable<Integer> {
    private final VeilCli.Streams io;
    @Spec CommandSpec spec;

    @Option(names = "--asset", paramLabel = "ID",
        description = "The asset's id (64 hex digits); default: the id in --metadata.")
    String asset;

    @Option(names = "--metadata", paramLabel = "FILE", description = "The asset's metadata file, to compare with the chain.")
    Path metadataFile;

    Show(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      if (asset == null && metadataFile == null) {
        throw new ParameterException(spec.commandLine(), "missing required option --asset (or --metadata FILE, whose "
            + "id is used)");
      }
      PrintStream out = io.out();
      Optional<DataAsset> metadata = Optional.ofNullable(metadataFile).map(DataAsset::read);
      String id = asset != null ? HexFormat.of().formatHex(hex32("asset", asset)) : metadata.get().idHex();
      if (metadata.isPresent() && !metadata.get().idHex().equals(id)) {
        throw new InvalidInputException("Cannot show asset " + id + ": the metadata file is for asset "
            + metadata.get().idHex() + ". Pass the matching --asset and --metadata.");
      }
      try (ChainClient client = connect(spec, "show asset " + id, true)) {
        Optional<AssetRecord> record = client.asset(HexFormat.of().parseHex(id));
        if (record.isEmpty()) {
          out.println("asset " + id + " is not registered on ledger contract " + client.contractAddress().orElseThrow());
          return VeilCli.EXIT_FAILED;
        }
        AssetRecord r = record.get();
        out.println("asset:        " + r.idHex());
        out.println("owner:        " + r.owner());
        out.println("storage path: " + r.storagePath());
        out.println("proof:        " + r.proofHex());
        out.println("children:     " + (r.childrenHex().isEmpty() ? "(none)" : String.join(", ", r.childrenHex())));
        if (metadata.isPresent()) {
          boolean match = metadata.get().proofHex().equals(r.proofHex());
          out.println("metadata:     " + (match ? "matches the on-chain proof"
              : "DOES NOT match the on-chain proof (the file's proof is " + metadata.get().proofHex() + ")"));
          return match ? VeilCli.EXIT_OK : VeilCli.EXIT_FAILED;
        }
      }
      return VeilCli.EXIT_OK;
    }
  }

  @Command(name = "usage",
      description = {"Print an asset's usage: its totals and one line per consumer.", "",
          "Each consumer (another party of a job over the asset, named by its Ed25519 key) shows the jobs, rows read "
              + "and queries answered recorded for it, the quota that applies to it and whether it is spent. The "
              + "asset's owner records usage after each job (through the anchor outbox of 'veil run').", ""},
      footer = {"", "Exit codes: 0 printed; 1 the asset is not registered, or the command failed; 2 usage error."})
  static final class Usage implements Callable<Integer> {
    private final VeilCli.Streams io;
    @Spec CommandSpec spec;

    @Option(names = "--asset", required = true, paramLabel = "ID", description = "The asset's id (64 hex digits).")
    String asset;

    @Option(names = "--consumer", paramLabel = "KEY",
        description = "Only this consumer: its Ed25519 public key as 64 hex digits or ed25519:... (as the job spec "
            + "pins it); default: every consumer with recorded usage.")
    String consumer;

    Usage(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      PrintStream out = io.out();
      byte[] assetId = hex32("asset", asset);
      String id = HexFormat.of().formatHex(assetId);
      List<byte[]> only = consumer == null ? null : List.of(consumerKey(consumer));
      try (ChainClient client = connect(spec, "show the usage of asset " + id, true)) {
        if (client.asset(assetId).isEmpty()) {
          out.println("asset " + id + " is not registered on ledger contract "
              + client.contractAddress().orElseThrow());
          return VeilCli.EXIT_FAILED;
        }
        List<byte[]> consumers = only != null ? only
            : client.consumersOf(assetId).stream().map(HexFormat.of()::parseHex).toList();
        out.println("asset:         " + id);
        out.println("total:         " + client.usageOf(assetId).describe());
        UsageQuota byDefault = client.quotaOf(assetId, new byte[32]);
        out.println("default quota: " + (byDefault.unlimited() ? "none (unlimited)" : byDefault.describe()
            .replace(" (the asset's default)", "")));
        if (consumers.isEmpty()) {
          out.println("consumers:     (none recorded)");
        }
        for (byte[] c : consumers) {
          AssetUsage used = client.usageBy(assetId, c);
          UsageQuota quota = client.quotaOf(assetId, c);
          boolean spent = client.quotaSpent(assetId, c);
          out.println("consumer " + HexFormat.of().formatHex(c) + ": " + used.describe() + "; quota "
              + (quota.unlimited() ? "unlimited" + (quota.own() ? "" : " (the asset's default)") : quota.describe())
              + (spent ? "; SPENT: jobs over this asset are refused until the owner raises it" : "; not spent"));
        }
      }
      return VeilCli.EXIT_OK;
    }
  }

  @Command(name = "quota",
      description = {"Set a consumer's quota on an asset, or the default quota (only the asset's owner may).", "",
          "Without --consumer, sets the default for every consumer without a quota of its own. A figure left out or "
              + "0 is unlimited. Once a consumer's usage reaches a limited figure, the asset's owner refuses jobs "
              + "with that consumer before reading any row ('veil run' with the chain options checks it).", ""})
  static final class Quota implements Callable<Integer> {
    private final VeilCli.Streams io;
    @Spec CommandSpec spec;

    @Option(names = "--asset", required = true, paramLabel = "ID", description = "The asset's id (64 hex digits).")
    String asset;

    @Option(names = "--consumer", paramLabel = "KEY",
        description = "The consumer party's Ed25519 public key as 64 hex digits or ed25519:... (as the job spec pins "
            + "it); default: the default quota of every consumer without its own.")
    String consumer;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "0",
        description = "The most jobs; 0 (the default) for no limit.")
    long jobs;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "0",
        description = "The most rows read from the asset; 0 (the default) for no limit.")
    long rows;

    @Option(names = "--queries", paramLabel = "N", defaultValue = "0",
        description = "The most queries answered from the asset; 0 (the default) for no limit.")
    long queries;

    Quota(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      PrintStream out = io.out();
      byte[] assetId = hex32("asset", asset);
      byte[] key = consumer == null ? new byte[32] : consumerKey(consumer);
      requireCount("jobs", jobs);
      requireCount("rows", rows);
      requireCount("queries", queries);
      String who = consumer == null ? "the default quota" : "consumer " + HexFormat.of().formatHex(key);
      try (ChainClient client = connect(spec, "set " + who + " on asset " + HexFormat.of().formatHex(assetId), true)) {
        TxOutcome tx = client.setQuota(assetId, key, jobs, rows, queries);
        UsageQuota set = new UsageQuota(jobs, rows, queries, true);
        out.println("quota:   " + (set.unlimited() ? "unlimited" : set.describe()) + " for " + who + " on asset "
            + HexFormat.of().formatHex(assetId));
        if (consumer != null) {
          out.println("used:    " + client.usageBy(assetId, key).describe()
              + (client.quotaSpent(assetId, key) ? " (SPENT: still refused; raise it further)" : " (not spent)"));
        }
        printTx(out, tx);
      }
      return VeilCli.EXIT_OK;
    }
  }
}
