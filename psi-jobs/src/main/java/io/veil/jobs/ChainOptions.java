package io.veil.jobs;

import io.veil.InvalidInputException;
import io.veil.ledger.chain.ChainConfig;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The command-line options that reach an EVM chain, for every command that uses the ledger
 * contract. Each option may instead come from an environment variable: {@code VEIL_} and the
 * option name in upper case with {@code _} for {@code -}; the command line wins.
 *
 * <table>
 *   <caption>options</caption>
 *   <tr><th>option</th><th>environment</th><th>value</th></tr>
 *   <tr><td>--chain-url</td><td>VEIL_CHAIN_URL</td><td>the node's JSON-RPC URL (required)</td></tr>
 *   <tr><td>--chain-id</td><td>VEIL_CHAIN_ID</td><td>the EIP-155 chain id (required)</td></tr>
 *   <tr><td>--chain-key-file</td><td>VEIL_CHAIN_KEY_FILE</td><td>file holding the signing account's
 *       hex private key (required)</td></tr>
 *   <tr><td>--chain-contract</td><td>VEIL_CHAIN_CONTRACT</td><td>the ledger contract's address (required
 *       except to deploy one)</td></tr>
 *   <tr><td>--chain-confirmations</td><td>VEIL_CHAIN_CONFIRMATIONS</td><td>blocks a write waits for,
 *       default 1</td></tr>
 *   <tr><td>--chain-gas-price</td><td>VEIL_CHAIN_GAS_PRICE</td><td>legacy gas price in wei; default: ask the
 *       node</td></tr>
 *   <tr><td>--chain-gas-limit</td><td>VEIL_CHAIN_GAS_LIMIT</td><td>gas limit per transaction; default: the
 *       node's estimate + 25 %</td></tr>
 * </table>
 *
 * <p>The key file is read only by {@link #config}, into bytes that go straight to the
 * {@link ChainConfig} and are then zeroed; neither the key nor the file's content appears in any
 * message.
 */
public final class ChainOptions {
  public static final String URL = "chain-url";
  public static final String CHAIN_ID = "chain-id";
  public static final String KEY_FILE = "chain-key-file";
  public static final String CONTRACT = "chain-contract";
  public static final String CONFIRMATIONS = "chain-confirmations";
  public static final String GAS_PRICE = "chain-gas-price";
  public static final String GAS_LIMIT = "chain-gas-limit";
  /** Every option name, without {@code --}, for a command's list of allowed options. */
  public static final List<String> NAMES = List.of(URL, CHAIN_ID, KEY_FILE, CONTRACT, CONFIRMATIONS, GAS_PRICE,
      GAS_LIMIT);
  /** ChainConfig field (as its validation errors name it) to option. */
  private static final Map<String, String> CONFIG_FIELDS = Map.of("rpcUrl", URL, "chainId", CHAIN_ID, "signingKey",
      KEY_FILE, "contractAddress", CONTRACT, "confirmations", CONFIRMATIONS, "gasPriceWei", GAS_PRICE, "gasLimit",
      GAS_LIMIT);

  private final Map<String, String> values;

  private ChainOptions(Map<String, String> values) {
    this.values = values;
  }

  /**
   * Collects the chain options: from {@code cliOption} (option name without {@code --} to value),
   * else from {@code env} (e.g. {@link System#getenv()}).
   */
  public static ChainOptions from(Function<String, Optional<String>> cliOption, Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String name : NAMES) {
      cliOption.apply(name).or(() -> Optional.ofNullable(env.get(envName(name))))
          .filter(v -> !v.isBlank())
          .ifPresent(v -> values.put(name, v.strip()));
    }
    return new ChainOptions(values);
  }

  /** The environment variable of option {@code name}: {@code chain-url} -> {@code VEIL_CHAIN_URL}. */
  public static String envName(String name) {
    return "VEIL_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** Whether any chain option is given. */
  public boolean isPresent() {
    return !values.isEmpty();
  }

  /** The value of option {@code name}, if given. */
  public Optional<String> get(String name) {
    return Optional.ofNullable(values.get(name));
  }

  /**
   * A validated chain configuration.
   *
   * @param action what it is for, in the error messages ("register the asset")
   * @param contractRequired whether {@code --chain-contract} must be given (every command but deploy)
   */
  public ChainConfig config(String action, boolean contractRequired) {
    ChainConfig.Builder b = ChainConfig.builder()
        .rpcUrl(require(action, URL, "the node's JSON-RPC URL, e.g. http://127.0.0.1:8545"))
        .chainId(number(action, CHAIN_ID, require(action, CHAIN_ID, "the chain's EIP-155 id, e.g. 1337"))
            .longValueExact());
    if (contractRequired) {
      b.contractAddress(require(action, CONTRACT, "the ledger contract's address, as 'veil chain deploy' printed it"));
    } else {
      get(CONTRACT).ifPresent(b::contractAddress);
    }
    get(CONFIRMATIONS).ifPresent(v -> b.confirmations(number(action, CONFIRMATIONS, v).intValueExact()));
    get(GAS_PRICE).ifPresent(v -> b.gasPriceWei(number(action, GAS_PRICE, v)));
    get(GAS_LIMIT).ifPresent(v -> b.gasLimit(number(action, GAS_LIMIT, v).longValueExact()));
    byte[] key = readKey(action, Path.of(require(action, KEY_FILE, "a file holding the signing account's private "
        + "key as hex")));
    try {
      return b.signingKey(key).build();
    } catch (InvalidInputException e) {
      String option = CONFIG_FIELDS.entrySet().stream()
          .filter(f -> e.getMessage().contains(": " + f.getKey() + " is invalid"))
          .map(Map.Entry::getValue).findFirst().orElse(null);
      throw option == null ? e : new InvalidInputException(e.getMessage() + " It comes from " + source(option) + ".",
          e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private String require(String action, String name, String what) {
    return get(name).orElseThrow(() -> new InvalidInputException("Cannot " + action + ": no " + what
        + " is given. Pass --" + name + " or set " + envName(name) + "."));
  }

  private BigInteger number(String action, String name, String value) {
    try {
      BigInteger n = new BigInteger(value);
      if (n.signum() < 0 || n.bitLength() > 62) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new InvalidInputException("Cannot " + action + ": " + source(name) + " is '" + value + "', not a "
          + "non-negative whole number. Fix --" + name + ".");
    }
  }

  private String source(String name) {
    return "--" + name + " (or " + envName(name) + ")";
  }

  /** The 32-byte key from hex text (optional 0x, surrounding white space), never via a String. */
  private static byte[] readKey(String action, Path file) {
    byte[] text;
    try {
      text = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputException("Cannot " + action + ": the key file " + file + " cannot be read ("
          + e.getClass().getSimpleName() + "). Check --" + KEY_FILE + ".", e);
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
