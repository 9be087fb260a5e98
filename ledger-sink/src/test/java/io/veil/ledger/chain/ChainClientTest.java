package io.veil.ledger.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.ledger.chain.internal.contract.VeilLedger;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.gas.StaticGasProvider;

/** {@link ChainClient} and the anchor half of the ledger contract, against a real Ganache node. */
class ChainClientTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Map<String, Long> GAS = new TreeMap<>();

  private static DevChain chain;
  private static ChainClient client;

  @BeforeAll
  static void startChainAndDeploy() {
    chain = DevChain.start();
    client = ChainClient.connect(chain.config(0).build());
    TxOutcome deployed = client.deployContract();
    GAS.put("deploy", deployed.gasUsed());
  }

  @AfterAll
  static void stopChain() {
    DevChain.closeAll(client, chain);
    GAS.forEach((op, gas) -> System.out.printf("gas used: %-32s %,9d%n", op, gas));
  }

  @Test
  void deployedContractHasAnAddressAndTheClientUsesIt() {
    assertThat(client.contractAddress()).get().asString().matches("0x[0-9a-f]{40}");
    assertThat(client.account()).isEqualTo(chain.account(0));
    assertThat(GAS.get("deploy")).isGreaterThan(500_000L);
  }

  @Test
  void anchorsARootAndLooksItUp() {
    byte[] root = random32();
    Instant before = Instant.now().minusSeconds(5);

    TxOutcome anchored = client.anchor(root, 3, "job-7c1f");

    assertThat(anchored.changedState()).isTrue();
    assertThat(anchored.txHash()).matches("0x[0-9a-f]{64}");
    assertThat(anchored.blockNumber()).isPositive();
    assertThat(anchored.gasUsed()).isBetween(40_000L, 80_000L);
    GAS.put("anchor (new root)", anchored.gasUsed());

    AnchorRecord found = client.lookup(root).orElseThrow();
    assertThat(found.rootHex()).isEqualTo(HexFormat.of().formatHex(root));
    assertThat(found.blockNumber()).isEqualTo(anchored.blockNumber());
    assertThat(found.submitter()).isEqualTo(client.account());
    assertThat(found.blockTime()).isBetween(before, Instant.now().plusSeconds(5));
  }

  @Test
  void lookupOfAnUnknownRootIsEmpty() {
    assertThat(client.lookup(random32())).isEmpty();
  }

  @Test
  void reAnchoringTheSameRootIsAnIdempotentNoOpForAnyone() {
    byte[] root = random32();
    TxOutcome first = client.anchor(root, 1, "job-a");
    AnchorRecord original = client.lookup(root).orElseThrow();

    TxOutcome again = client.anchor(root, 1, "job-a");
    TxOutcome other;
    try (ChainClient otherParty = ChainClient.connect(
        chain.config(1).contractAddress(client.contractAddress().orElseThrow()).build())) {
      other = otherParty.anchor(root, 99, "someone-else");
    }

    assertThat(first.changedState()).isTrue();
    assertThat(again.changedState()).isFalse();
    assertThat(other.changedState()).isFalse();
    assertThat(again.blockNumber()).isGreaterThan(first.blockNumber());
    assertThat(client.lookup(root)).contains(original);
    assertThat(again.gasUsed()).isLessThan(first.gasUsed());
    GAS.put("anchor (already anchored)", again.gasUsed());
  }

  @Test
  void invalidAnchorsAreRefusedBeforeAnythingIsSent() {
    long block = chain.blockNumber();
    assertThatThrownBy(() -> client.anchor(new byte[32], 1, "b"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("all zero");
    assertThatThrownBy(() -> client.anchor(new byte[31], 1, "b"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("32 bytes, got 31");
    assertThatThrownBy(() -> client.anchor(random32(), 0, "b"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("jobCount is 0");
    assertThatThrownBy(() -> client.anchor(random32(), 1, "x".repeat(257)))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("256 UTF-8 bytes");
    assertThat(chain.blockNumber()).isEqualTo(block);
  }

  @Test
  void theContractItselfRefusesAZeroRoot() throws Exception {
    // Bypass the client's own check (and its gas estimate) to see the contract's guard on chain.
    long block = chain.blockNumber();
    Web3j web3j = Web3j.build(new HttpService(chain.rpcUrl()));
    try {
      VeilLedger raw = VeilLedger.load(client.contractAddress().orElseThrow(), web3j,
          Credentials.create(ECKeyPair.create(chain.accountKey(4))),
          new StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(200_000)));
      assertThatThrownBy(() -> raw.anchor(new byte[32], BigInteger.ONE, "b").send())
          .hasMessageContaining("VeilLedger: root is zero");
      assertThat(chain.blockNumber()).as("the reverted transaction was mined").isEqualTo(block + 1);
    } finally {
      web3j.shutdown();
    }
  }

  @Test
  void aTransactionThatRunsOutOfGasIsRefusedNamingIt() {
    try (ChainClient stingy = ChainClient.connect(chain.config(5).gasLimit(30_000)
        .contractAddress(client.contractAddress().orElseThrow()).build())) {
      byte[] root = random32();
      assertThatThrownBy(() -> stingy.anchor(root, 1, "job"))
          .isInstanceOfSatisfying(ChainRefusedException.class,
              e -> assertThat(e.reason()).startsWith("out of gas: the transaction used all of its gas limit 30000"))
          .hasMessageMatching("(?s).*in transaction 0x[0-9a-f]{64}.*");
      assertThat(client.lookup(root)).isEmpty();
    }
  }

  @Test
  void waitsForTheConfiguredConfirmations() throws Exception {
    try (ChainClient patient = ChainClient.connect(chain.config(2).confirmations(3)
        .contractAddress(client.contractAddress().orElseThrow()).build())) {
      CompletableFuture<TxOutcome> anchoring =
          CompletableFuture.supplyAsync(() -> patient.anchor(random32(), 1, "confirmed"));
      Thread.sleep(500);
      assertThat(anchoring).as("1 of 3 confirmations: still waiting").isNotDone();

      chain.mine(2);
      TxOutcome outcome = anchoring.get(10, TimeUnit.SECONDS);

      assertThat(chain.blockNumber()).isGreaterThanOrEqualTo(outcome.blockNumber() + 2);
    }
  }

  @Test
  void unconfirmedTransactionTimesOutNamingTheTransaction() {
    try (ChainClient impatient = ChainClient.connect(chain.config(3).confirmations(5).confirmationTimeoutMs(300)
        .contractAddress(client.contractAddress().orElseThrow()).build())) {
      byte[] root = random32();
      assertThatThrownBy(() -> impatient.anchor(root, 1, "slow"))
          .isInstanceOf(ChainUnavailableException.class)
          .hasMessageContaining("1 of 5 confirmations")
          .hasMessageMatching("(?s).*transaction 0x[0-9a-f]{64}.*");
      assertThat(client.lookup(root)).as("the transaction landed all the same").isPresent();
    }
  }

  @Test
  void unreachableNodeIsReportedWithItsUrl() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + closedPort;
    long started = System.nanoTime();

    assertThatThrownBy(() -> ChainClient.connect(chain.config(0).rpcUrl(url).build()))
        .isInstanceOf(ChainUnavailableException.class)
        .hasMessageContaining("Cannot connect to the chain: the chain node at " + url + " did not answer")
        .hasMessageContaining("Check that the node is running");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void wrongChainIdAndMissingContractAreNamed() {
    assertThatThrownBy(() -> ChainClient.connect(chain.config(0).chainId(1).build()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("reports chain id 1337 but chainId is configured as 1");
    String nobody = "0x" + "12".repeat(20);
    assertThatThrownBy(() -> ChainClient.connect(chain.config(0).contractAddress(nobody).build()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("no contract code at that address")
        .hasMessageContaining(nobody);
    try (ChainClient unbound = ChainClient.connect(chain.config(0).build())) {
      assertThatThrownBy(() -> unbound.lookup(random32()))
          .hasMessageContaining("no ledger contract is configured");
    }
  }

  @Test
  void configNeverShowsTheKeyAndRedactsUrlSecrets() {
    ChainConfig config = chain.config(0).rpcUrl("https://user:pw@node.example:8545/v3/0123456789abcdef0123?key=x")
        .build();
    String keyHex = HexFormat.of().formatHex(chain.accountKey(0));
    assertThat(config.toString()).doesNotContain(keyHex).doesNotContain("pw").doesNotContain("0123456789abcdef")
        .contains("https://node.example:8545/v3/***");
    assertThatThrownBy(() -> chain.config(0).signingKey(new byte[32]).build())
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("signingKey is invalid");
    assertThatThrownBy(() -> chain.config(0).rpcUrl("ftp://x").build())
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("rpcUrl is invalid");
  }

  static byte[] random32() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return b;
  }
}
