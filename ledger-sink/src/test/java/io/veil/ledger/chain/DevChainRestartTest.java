package io.veil.ledger.chain;

import static io.veil.ledger.chain.ChainClientTest.random32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dev chain stopped (gracefully or killed) and restarted on the same port keeps its state, and
 * a client sees the outage as {@link ChainUnavailableException} naming the URL, then carries on
 * with the same connection once the node is back.
 */
class DevChainRestartTest {
  private static DevChain chain;
  private static ChainClient client;

  @BeforeAll
  static void startChain() {
    chain = DevChain.start();
    client = chain.deployedClient();
  }

  @AfterAll
  static void stopChain() {
    DevChain.closeAll(client, chain);
  }

  @Test
  void anchorsSurviveAStopAndAKillAndTheClientCarriesOn() {
    byte[] before = random32();
    TxOutcome first = client.anchor(before, 1, "before-stop");
    AnchorRecord recorded = client.lookup(before).orElseThrow();

    chain.stop();
    assertThat(chain.isRunning()).isFalse();
    byte[] during = random32();
    assertThatThrownBy(() -> client.anchor(during, 1, "while-down"))
        .isInstanceOf(ChainUnavailableException.class)
        .hasMessageContaining("the chain node at " + chain.rpcUrl() + " did not answer");

    long restartStarted = System.nanoTime();
    chain.restart();
    System.out.printf("dev chain restart (graceful stop): %d ms%n", (System.nanoTime() - restartStarted) / 1_000_000);
    assertThat(client.lookup(before)).contains(recorded);
    assertThat(client.lookup(during)).isEmpty();
    TxOutcome retried = client.anchor(during, 1, "while-down");
    assertThat(retried.changedState()).isTrue();
    assertThat(retried.blockNumber()).isGreaterThan(first.blockNumber());

    chain.kill();
    chain.restart();
    assertThat(client.lookup(before)).contains(recorded);
    assertThat(client.lookup(during).orElseThrow().blockNumber()).isEqualTo(retried.blockNumber());
    assertThat(client.anchor(during, 1, "retry-after-crash").changedState()).isFalse();
    assertThat(client.anchor(random32(), 1, "after-crash").changedState()).isTrue();
  }

  @Test
  void restartingARunningChainIsRefused() {
    assertThatThrownBy(chain::restart).isInstanceOf(IllegalStateException.class).hasMessageContaining("Stop it first");
  }
}
