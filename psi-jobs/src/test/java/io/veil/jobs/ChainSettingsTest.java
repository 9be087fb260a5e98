package io.veil.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.config.VeilConf;
import io.veil.ledger.LedgerConfig;
import io.veil.ledger.chain.ChainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The chain settings of the chain commands, as the CLI resolves them: options parsed from the
 * command line, then Spark conf ({@code spark.veil.chain.*}), then the environment ({@code
 * VEIL_CHAIN_*}); and their errors, each naming the option and variable to fix.
 */
class ChainSettingsTest {
  private static final String KEY_HEX = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
  private static final String CONTRACT = "0x5b1869d9a4c187f2eaa108f3062412ecf0526b24";

  @TempDir Path dir;
  private Path keyFile;
  /** Command-line options of {@code veil chain deploy}, by flag without {@code --}. */
  private final Map<String, String> cli = new LinkedHashMap<>();
  private final Map<String, String> spark = new HashMap<>();
  private final Map<String, String> env = new HashMap<>();

  @BeforeEach
  void keyFile() throws Exception {
    keyFile = dir.resolve("chain.key");
    Files.writeString(keyFile, "0x" + KEY_HEX + "\n");
    cli.put("chain-url", "http://127.0.0.1:8545");
    cli.put("chain-id", "1337");
    cli.put("chain-key-file", keyFile.toString());
    cli.put("chain-contract", CONTRACT);
  }

  /** The settings the CLI resolves for {@code veil chain deploy <cli options>}. */
  private VeilConf conf() {
    List<String> argv = new ArrayList<>(List.of("chain", "deploy"));
    cli.forEach((k, v) -> argv.addAll(List.of("--" + k, v)));
    CommandLine veil = VeilCli.commandLine(new VeilCli.Streams(System.out, System.err));
    veil.parseArgs(argv.toArray(String[]::new));
    CommandSpec deploy = veil.getSubcommands().get("chain").getSubcommands().get("deploy").getCommandSpec();
    return VeilConf.of(SettingOptions.given(deploy, ChainCommands.SETTINGS), spark, env);
  }

  private ChainConfig config() {
    return ChainCommands.requireChain(conf(), "do the thing", true);
  }

  @Test
  void buildsTheConfigWithDefaultsAndTheOptionalSettings() {
    ChainConfig c = config();
    assertThat(c.rpcUrl()).isEqualTo("http://127.0.0.1:8545");
    assertThat(c.chainId()).isEqualTo(1337);
    assertThat(c.contractAddress()).contains(CONTRACT);
    assertThat(c.confirmations()).isEqualTo(1);
    assertThat(c.gasPriceWei()).isEmpty();
    assertThat(c.gasLimit()).isEmpty();
    assertThat(c.toString()).doesNotContain(KEY_HEX).doesNotContain(KEY_HEX.substring(0, 16));

    cli.put("chain-confirmations", "3");
    cli.put("chain-gas-price", "20000000000");
    cli.put("chain-gas-limit", "500000");
    c = config();
    assertThat(c.confirmations()).isEqualTo(3);
    assertThat(c.gasPriceWei()).contains(new BigInteger("20000000000"));
    assertThat(c.gasLimit()).contains(500_000L);
  }

  @Test
  void everySettingCanComeFromTheEnvironmentOrSparkConfAndTheCommandLineWins() {
    for (var key : ChainCommands.SETTINGS) {
      String value = cli.remove(key.flag());
      if (value != null) {
        env.put(key.envName(), value);
      }
    }
    assertThat(LedgerConfig.CHAIN_KEY_FILE.envName()).isEqualTo("VEIL_CHAIN_KEY_FILE");
    assertThat(config().chainId()).isEqualTo(1337);

    spark.put("spark.veil.chain.id", "7");
    assertThat(config().chainId()).as("Spark conf over the environment").isEqualTo(7);
    cli.put("chain-id", "5");
    assertThat(config().chainId()).as("the command line over both").isEqualTo(5);
    cli.clear();
    spark.put("spark.veil.chain.id", "5");
    cli.put("conf", "veil.chain.id=9");
    assertThat(config().chainId()).as("--conf is the command line too").isEqualTo(9);

    env.clear();
    spark.clear();
    cli.clear();
    assertThatThrownBy(this::config).isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot do the thing: no chain is configured.")
        .hasMessageContaining("Pass --chain-url or set VEIL_CHAIN_URL");
  }

  @Test
  void aMissingSettingIsNamedWithItsOptionAndVariable() {
    for (String name : new String[] {"chain-url", "chain-id", "chain-key-file", "chain-contract"}) {
      String value = cli.remove(name);
      String variable = "VEIL_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
      assertThatThrownBy(this::config).as(name)
          .isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith("Cannot do the thing: ")
          .hasMessageContaining("Pass --" + name)
          .hasMessageContaining(variable);
      cli.put(name, value);
    }
    cli.remove("chain-contract");
    assertThat(ChainCommands.requireChain(conf(), "deploy", false).contractAddress()).isEmpty();
  }

  @Test
  void aBadNumberOnTheCommandLineIsAUsageErrorNamingTheOption() {
    String[][] cases = {
        {"chain-id", "mainnet"}, {"chain-id", "-1"}, {"chain-confirmations", "0"}, {"chain-gas-limit", "100"},
        {"chain-gas-price", "cheap"}};
    for (String[] c : cases) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = VeilCli.run(new String[] {"chain", "deploy", "--" + c[0], c[1]}, new PrintStream(
          new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(code).as(c[0] + "=" + c[1]).isEqualTo(VeilCli.EXIT_USAGE);
      assertThat(err.toString(StandardCharsets.UTF_8)).as(c[0] + "=" + c[1])
          .contains("--" + c[0]).contains(c[1]).contains("See 'veil chain deploy --help'");
    }
  }

  @Test
  void valuesTheChainRefusesNameTheirSetting() {
    String[][] cases = {
        {"chain-id", "0", "It comes from setting veil.chain.id (--chain-id, VEIL_CHAIN_ID)"},
        {"chain-url", "ftp://node", "It comes from setting veil.chain.url (--chain-url, VEIL_CHAIN_URL)"},
        {"chain-contract", "0x1234", "It comes from setting veil.chain.contract (--chain-contract"}};
    for (String[] c : cases) {
      String before = cli.put(c[0], c[1]);
      assertThatThrownBy(this::config).as(c[0] + "=" + c[1])
          .isInstanceOf(InvalidInputException.class).hasMessageContaining(c[2]);
      cli.put(c[0], before);
    }
    // From the environment, a bad number names the variable it came from.
    cli.remove("chain-gas-price");
    env.put("VEIL_CHAIN_GAS_PRICE", "cheap");
    assertThatThrownBy(this::config).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("environment variable VEIL_CHAIN_GAS_PRICE").hasMessageContaining("'cheap'");
  }

  @Test
  void aBadKeyFileIsNamedButItsContentNever() throws Exception {
    Files.writeString(keyFile, KEY_HEX.substring(2) + "zz");
    assertThatThrownBy(this::config)
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(keyFile.toString()).hasMessageContaining("64 hex digits")
        .hasMessageNotContaining(KEY_HEX.substring(2, 20));
    Files.writeString(keyFile, "0".repeat(64));
    assertThatThrownBy(this::config).hasMessageContaining("--chain-key-file");
    cli.put("chain-key-file", dir.resolve("absent.key").toString());
    assertThatThrownBy(this::config).hasMessageContaining("absent.key").hasMessageContaining("--chain-key-file");
  }
}
