package io.veil.jobs;

import io.veil.InvalidInputException;
import io.veil.jobs.internal.Args;
import io.veil.ledger.chain.AssetRecord;
import io.veil.ledger.chain.ChainClient;
import io.veil.ledger.chain.DataAsset;
import io.veil.ledger.chain.TxOutcome;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code veil chain deploy} and {@code veil asset register|authorise|revoke|show}: a data owner's
 * commands for the ledger contract. Chain options: {@link ChainOptions}.
 */
final class ChainCommands {
  private static final Pattern HEX32 = Pattern.compile("(?:0x)?[0-9a-f]{64}");

  private ChainCommands() {}

  static int run(String command, String[] argv, int from, PrintStream out) {
    String sub = argv.length > from ? argv[from] : "";
    String name = command + " " + sub;
    switch (name) {
      case "chain deploy" -> {
        try (ChainClient client = connect(parse(name, argv, from), "deploy the ledger contract", false)) {
          TxOutcome tx = client.deployContract();
          out.println("contract address: " + client.contractAddress().orElseThrow());
          printTx(out, tx);
          out.println("Pass --chain-contract " + client.contractAddress().orElseThrow() + " (or set "
              + ChainOptions.envName(ChainOptions.CONTRACT) + ") to the other commands.");
        }
        return 0;
      }
      case "asset register" -> {
        Args a = parse(name, argv, from, "metadata");
        DataAsset asset = DataAsset.read(Path.of(a.require("metadata")));
        String action = "register asset " + asset.idHex();
        try (ChainClient client = connect(a, action, true)) {
          if (asset.owner() != null && !asset.owner().equals(client.account())) {
            throw new InvalidInputException("Cannot " + action + ": its metadata names owner " + asset.owner()
                + " but the signing key (--" + ChainOptions.KEY_FILE + ") is account " + client.account()
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
        return 0;
      }
      case "asset authorise", "asset revoke" -> {
        Args a = parse(name, argv, from, "asset", "hash");
        byte[] asset = hex32(a, "asset");
        byte[] hash = hex32(a, "hash");
        boolean authorise = sub.equals("authorise");
        try (ChainClient client = connect(a, sub + " a hash on an asset", true)) {
          TxOutcome tx = authorise ? client.authorise(asset, hash) : client.revoke(asset, hash);
          out.println((authorise ? "authorised: " : "revoked:    ") + HexFormat.of().formatHex(hash) + " on asset "
              + HexFormat.of().formatHex(asset));
          printTx(out, tx);
          if (!tx.changedState()) {
            out.println("(it was " + (authorise ? "authorised" : "not authorised") + " already; nothing changed)");
          }
        }
        return 0;
      }
      case "asset show" -> {
        Args a = parse(name, argv, from, "asset", "metadata");
        Optional<DataAsset> metadata = a.get("metadata").map(m -> DataAsset.read(Path.of(m)));
        String id = a.get("asset").isPresent() ? HexFormat.of().formatHex(hex32(a, "asset"))
            : metadata.map(DataAsset::idHex).orElseThrow(() -> new InvalidInputException("Cannot run 'veil asset "
                + "show': --asset is required (or --metadata FILE, whose id is used)."));
        if (metadata.isPresent() && !metadata.get().idHex().equals(id)) {
          throw new InvalidInputException("Cannot show asset " + id + ": the metadata file is for asset "
              + metadata.get().idHex() + ". Pass the matching --asset and --metadata.");
        }
        try (ChainClient client = connect(a, "show asset " + id, true)) {
          Optional<AssetRecord> record = client.asset(HexFormat.of().parseHex(id));
          if (record.isEmpty()) {
            out.println("asset " + id + " is not registered on ledger contract " + client.contractAddress().orElseThrow());
            return 1;
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
            return match ? 0 : 1;
          }
        }
        return 0;
      }
      default -> throw new Args.UsageError("Cannot parse 'veil " + command + "': unknown sub-command '" + sub
          + "'. Use " + (command.equals("chain") ? "'veil chain deploy'"
              : "'veil asset register|authorise|revoke|show'") + "; see 'veil help'.");
    }
  }

  private static Args parse(String name, String[] argv, int from, String... options) {
    return Args.parse(name, argv, from + 1, VeilCli.withChain(options));
  }

  private static ChainClient connect(Args a, String action, boolean contractRequired) {
    return ChainClient.connect(ChainOptions.from(a::get, System.getenv()).config(action, contractRequired));
  }

  /** A 32-byte value given as 64 hex digits, optionally with 0x, any case. */
  private static byte[] hex32(Args a, String option) {
    String v = a.require(option).toLowerCase(Locale.ROOT);
    if (!HEX32.matcher(v).matches()) {
      throw new InvalidInputException("Cannot use --" + option + ": it must be 64 hex digits (optionally with 0x). "
          + "Copy it from 'veil spec-hash' or the asset's metadata.");
    }
    return HexFormat.of().parseHex(v.startsWith("0x") ? v.substring(2) : v);
  }

  private static void printTx(PrintStream out, TxOutcome tx) {
    out.println("tx:      " + tx.txHash() + " (block " + tx.blockNumber() + ", gas " + tx.gasUsed() + ")");
  }
}
