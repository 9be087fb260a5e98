package io.veil.ledger;

import io.veil.InvalidInputException;
import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import io.veil.ledger.chain.ChainConfig;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settings of the receipt ledger and of the EVM chain that anchors it, resolved like every Veil
 * setting ({@link VeilConf}: command line → {@code spark.veil.*} → environment → default).
 *
 * <p>The chain's key file is read only by {@link #chain}, into bytes that go straight to the
 * {@link ChainConfig} and are then zeroed; neither the key nor the file's content appears in any
 * message.
 */
public final class LedgerConfig {
  private LedgerConfig() {}

  public static final ConfigKey<String> LEDGER = ConfigKey.path("veil.ledger.path",
      "the hash-chained receipt ledger: a local file, or a file on a Hadoop file system that can append "
          + "(`hdfs://...`; object stores cannot, and are refused)").flag("ledger").defaultDoc("`veil-ledger-<party>.jsonl`");
  public static final ConfigKey<String> CHAIN_URL = ConfigKey.string("veil.chain.url",
      "JSON-RPC URL of the EVM node holding the ledger contract; given to a job, its receipt is anchored there "
          + "(needed when the spec says `authorisation: required`)").flag("chain-url");
  public static final ConfigKey<Long> CHAIN_ID = ConfigKey.number("veil.chain.id", 0,
      "EIP-155 chain id; the node must report the same").flag("chain-id").defaultDoc("(required with a chain)");
  public static final ConfigKey<String> CHAIN_KEY_FILE = ConfigKey.path("veil.chain.key-file",
      "file holding the signing account's private key as hex (never printed)").flag("chain-key-file")
      .defaultDoc("(required with a chain)").secretFile();
  public static final ConfigKey<String> CHAIN_CONTRACT = ConfigKey.string("veil.chain.contract",
      "address of the ledger contract, as `veil chain deploy` printed it").flag("chain-contract")
      .defaultDoc("(required, except to deploy)");
  public static final ConfigKey<Long> CHAIN_CONFIRMATIONS = ConfigKey.number("veil.chain.confirmations", 1,
      "blocks (counting the including one) a write waits for").flag("chain-confirmations").defaultValue(1L, "`1`");
  public static final ConfigKey<Long> CHAIN_GAS_PRICE = ConfigKey.number("veil.chain.gas-price", 0,
      "legacy gas price in wei").flag("chain-gas-price").defaultDoc("the node's `eth_gasPrice`");
  public static final ConfigKey<Long> CHAIN_GAS_LIMIT = ConfigKey.number("veil.chain.gas-limit", 21_000,
      "gas limit per transaction").flag("chain-gas-limit").defaultDoc("the node's estimate + 25 %");
  public static final ConfigKey<Long> ANCHOR_WAIT_MS = ConfigKey.number("veil.chain.anchor-wait-ms", 0,
      "how long a run waits for its anchor's confirmation before it exits (the anchor stays pending in the "
          + "outbox; the job succeeds either way)").flag("anchor-wait-ms").defaultValue(30_000L, "`30000`");

  /** The chain settings. */
  public static final List<ConfigKey<?>> CHAIN = List.of(CHAIN_URL, CHAIN_ID, CHAIN_KEY_FILE, CHAIN_CONTRACT,
      CHAIN_CONFIRMATIONS, CHAIN_GAS_PRICE, CHAIN_GAS_LIMIT, ANCHOR_WAIT_MS);
  /** Every setting of this module, in documentation order. */
  public static final List<ConfigKey<?>> ALL = List.of(LEDGER, CHAIN_URL, CHAIN_ID, CHAIN_KEY_FILE, CHAIN_CONTRACT,
      CHAIN_CONFIRMATIONS, CHAIN_GAS_PRICE, CHAIN_GAS_LIMIT, ANCHOR_WAIT_MS);

  /** The ledger file of {@code party}: the setting, or {@code veil-ledger-<party>.jsonl}. */
  public static Path ledger(VeilConf conf, String party) {
    return Path.of(conf.get(LEDGER).orElse("veil-ledger-" + party + ".jsonl"));
  }

  /** Where the ledger of {@code party} is: the setting (a path or an {@code hdfs://} URI), or {@code veil-ledger-<party>.jsonl}. */
  public static LedgerLocation ledgerLocation(VeilConf conf, String party) {
    return LedgerLocation.parse(conf.get(LEDGER).orElse("veil-ledger-" + party + ".jsonl"));
  }

  /** Whether any chain setting (but the anchor wait) is given. */
  public static boolean chainGiven(VeilConf conf) {
    return CHAIN.stream().filter(k -> k != ANCHOR_WAIT_MS).anyMatch(conf::isSet);
  }

  /**
   * The chain configuration, when any chain setting is given.
   *
   * @param action what it is for, in error messages ("register the asset")
   * @param contractRequired whether the contract address must be given (everything but deploying one)
   * @throws InvalidInputException naming the setting that is missing or wrong, and where it comes from
   */
  public static Optional<ChainConfig> chain(VeilConf conf, String action, boolean contractRequired) {
    if (!chainGiven(conf)) {
      return Optional.empty();
    }
    ChainConfig.Builder b = ChainConfig.builder()
        .rpcUrl(conf.require(CHAIN_URL, action))
        .chainId(conf.require(CHAIN_ID, action));
    if (contractRequired) {
      b.contractAddress(conf.require(CHAIN_CONTRACT, action));
    } else {
      conf.get(CHAIN_CONTRACT).ifPresent(b::contractAddress);
    }
    b.confirmations(Math.toIntExact(conf.get(CHAIN_CONFIRMATIONS).orElseThrow()));
    conf.get(CHAIN_GAS_PRICE).ifPresent(v -> b.gasPriceWei(BigInteger.valueOf(v)));
    conf.get(CHAIN_GAS_LIMIT).ifPresent(b::gasLimit);
    byte[] key = readKey(action, Path.of(conf.require(CHAIN_KEY_FILE, action)));
    try {
      return Optional.of(b.signingKey(key).build());
    } catch (InvalidInputException e) {
      ConfigKey<?> setting = FIELDS.entrySet().stream()
          .filter(f -> e.getMessage().contains(": " + f.getKey() + " is invalid"))
          .map(Map.Entry::getValue).findFirst().orElse(null);
      throw setting == null ? e : new InvalidInputException(e.getMessage() + " It comes from setting "
          + setting.name() + " (--" + setting.flag() + ", " + setting.envName() + ").", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** ChainConfig field (as its validation errors name it) to setting. */
  private static final Map<String, ConfigKey<?>> FIELDS = Map.of("rpcUrl", CHAIN_URL, "chainId", CHAIN_ID,
      "signingKey", CHAIN_KEY_FILE, "contractAddress", CHAIN_CONTRACT, "confirmations", CHAIN_CONFIRMATIONS,
      "gasPriceWei", CHAIN_GAS_PRICE, "gasLimit", CHAIN_GAS_LIMIT);

  /** The 32-byte key from hex text (optional 0x, surrounding white space), never via a String. */
  private static byte[] readKey(String action, Path file) {
    byte[] text;
    try {
      text = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputException("Cannot " + action + ": the key file " + file + " cannot be read ("
          + e.getClass().getSimpleName() + "). Check --" + CHAIN_KEY_FILE.flag() + ".", e);
    }
    try {
      int from = 0;
      int to = text.length;
      while (from < to && Character.isWhitespace(text[from])) {
        from++;
      }
      while (to > from && Character.isWhitespace(text[to - 1])) {
        to--;
      }
      if (to - from >= 2 && text[from] == '0' && (text[from + 1] == 'x' || text[from + 1] == 'X')) {
        from += 2;
      }
      byte[] key = new byte[32];
      boolean ok = to - from == 64;
      for (int i = 0; ok && i < 32; i++) {
        int hi = Character.digit(text[from + 2 * i], 16);
        int lo = Character.digit(text[from + 2 * i + 1], 16);
        ok = hi >= 0 && lo >= 0;
        key[i] = (byte) ((hi << 4) | (lo & 0xf));
      }
      if (!ok) {
        Arrays.fill(key, (byte) 0);
        throw new InvalidInputException("Cannot " + action + ": the key file " + file + " does not hold a private "
            + "key as 64 hex digits (an optional 0x and surrounding white space are allowed). Write the signing "
            + "account's key there, alone.");
      }
      return key;
    } finally {
      Arrays.fill(text, (byte) 0);
    }
  }
}
