package io.veil.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.ledger.chain.ChainConfig;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chain options from the command line and the environment, and their errors. */
class ChainOptionsTest {
  private static final String KEY_HEX = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
  private static final String CONTRACT = "0x5b1869d9a4c187f2eaa108f3062412ecf0526b24";

  @TempDir Path dir;
  private Path keyFile;
  private final Map<String, String> cli = new HashMap<>();
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

  private ChainOptions options() {
    return ChainOptions.from(n -> Optional.ofNullable(cli.get(n)), env);
  }

  private ChainConfig config() {
    return options().config("do the thing", true);
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
  void everyOptionCanComeFromTheEnvironmentAndTheCommandLineWins() {
    cli.forEach((k, v) -> env.put(ChainOptions.envName(k), v));
    cli.clear();
    assertThat(ChainOptions.envName("chain-key-file")).isEqualTo("VEIL_CHAIN_KEY_FILE");
    assertThat(config().chainId()).isEqualTo(1337);

    cli.put("chain-id", "5");
    assertThat(options().get("chain-id")).contains("5");
    assertThat(config().chainId()).isEqualTo(5);
    assertThat(ChainOptions.from(n -> Optional.empty(), Map.of()).isPresent()).isFalse();
  }

  @Test
  void aMissingOptionIsNamedWithItsVariable() {
    for (String name : new String[] {"chain-url", "chain-id", "chain-key-file", "chain-contract"}) {
      String value = cli.remove(name);
      assertThatThrownBy(this::config).as(name)
          .isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith("Cannot do the thing: no ")
          .hasMessageContaining("Pass --" + name + " or set " + ChainOptions.envName(name) + ".");
      cli.put(name, value);
    }
    cli.remove("chain-contract");
    assertThat(options().config("deploy", false).contractAddress()).isEmpty();
  }

  @Test
  void badValuesNameTheirOption() {
    String[][] cases = {
        {"chain-id", "mainnet", "--chain-id (or VEIL_CHAIN_ID) is 'mainnet'"},
        {"chain-id", "-1", "--chain-id"},
        {"chain-id", "0", "It comes from --chain-id (or VEIL_CHAIN_ID)"},
        {"chain-url", "ftp://node", "It comes from --chain-url (or VEIL_CHAIN_URL)"},
        {"chain-contract", "0x1234", "It comes from --chain-contract"},
        {"chain-confirmations", "0", "It comes from --chain-confirmations"},
        {"chain-gas-limit", "100", "It comes from --chain-gas-limit"},
        {"chain-gas-price", "cheap", "--chain-gas-price (or VEIL_CHAIN_GAS_PRICE) is 'cheap'"}};
    for (String[] c : cases) {
      String before = cli.put(c[0], c[1]);
      assertThatThrownBy(this::config).as(c[0] + "=" + c[1])
          .isInstanceOf(InvalidInputException.class).hasMessageContaining(c[2]);
      if (before == null) {
        cli.remove(c[0]);
      } else {
        cli.put(c[0], before);
      }
    }
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
