package io.veil.ledger.chain;

import static io.veil.ledger.Fixtures.BANK_A;
import static io.veil.ledger.Fixtures.BANK_B;
import static io.veil.ledger.chain.ChainClientTest.random32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.ledger.Fixtures;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LocalLedger;
import io.veil.ledger.Receipt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Usage metering on the ledger contract against a real Ganache node: only the asset's owner
 * records, a retried record counts once, totals per consumer and per asset, the consumers list,
 * default and per-consumer quotas and when they are spent; and the chain sink recording a receipt's
 * usage through its outbox, once per consumer, also after a restart.
 */
class UsageMeteringTest {
  private static final HexFormat HEX = HexFormat.of();

  private static DevChain chain;
  /** The asset owner (a bank) and another account (a hospital). */
  private static ChainClient bank;
  private static ChainClient hospital;

  @TempDir Path dir;

  @BeforeAll
  static void startChain() {
    chain = DevChain.start();
    bank = chain.deployedClient();
    hospital = chain.client(1, bank.contractAddress().orElseThrow());
  }

  @AfterAll
  static void stopChain() {
    DevChain.closeAll(bank, hospital, chain);
  }

  private static byte[] asset() {
    byte[] id = random32();
    bank.registerAsset(id, "s3a://bank/customers", random32(), List.of());
    return id;
  }

  @Test
  void onlyTheOwnerRecordsAndARetryCountsOnce() {
    byte[] asset = asset();
    byte[] consumer = random32();
    byte[] receipt = random32();

    assertThatThrownBy(() -> hospital.recordUsage(asset, consumer, receipt, 10, 1))
        .isInstanceOf(ChainRefusedException.class)
        .hasMessageContaining("only the asset owner may record usage or set quotas");
    assertThatThrownBy(() -> bank.recordUsage(random32(), consumer, receipt, 10, 1))
        .isInstanceOf(ChainRefusedException.class).hasMessageContaining("asset not registered");
    assertThatThrownBy(() -> bank.recordUsage(asset, new byte[32], receipt, 10, 1))
        .isInstanceOf(ChainRefusedException.class).hasMessageContaining("consumer is zero");

    TxOutcome first = bank.recordUsage(asset, consumer, receipt, 10, 1);
    TxOutcome retry = bank.recordUsage(asset, consumer, receipt, 10, 1);
    assertThat(first.changedState()).isTrue();
    assertThat(retry.changedState()).isFalse();
    assertThat(bank.usageBy(asset, consumer)).isEqualTo(new AssetUsage(1, 10, 1));
    assertThat(bank.usageOf(asset)).isEqualTo(new AssetUsage(1, 10, 1));
    System.out.printf("gas used: recordUsage first %,d, retry %,d%n", first.gasUsed(), retry.gasUsed());
  }

  @Test
  void totalsPerConsumerAndPerAssetWithTheConsumersInOrder() {
    byte[] asset = asset();
    byte[] b = random32();
    byte[] c = random32();
    bank.recordUsage(asset, b, random32(), 100, 0);
    bank.recordUsage(asset, c, random32(), 5, 2);
    bank.recordUsage(asset, b, random32(), 50, 7);

    assertThat(bank.usageBy(asset, b)).isEqualTo(new AssetUsage(2, 150, 7));
    assertThat(bank.usageBy(asset, c)).isEqualTo(new AssetUsage(1, 5, 2));
    assertThat(bank.usageBy(asset, random32())).isEqualTo(AssetUsage.NONE);
    assertThat(bank.usageOf(asset)).isEqualTo(new AssetUsage(3, 155, 9));
    assertThat(bank.consumersOf(asset)).containsExactly(HEX.formatHex(b), HEX.formatHex(c));
    assertThat(bank.consumersOf(random32())).isEmpty();
  }

  @Test
  void aConsumersOwnQuotaOverridesTheDefaultAndIsSpentOnceAFigureReachesItsLimit() {
    byte[] asset = asset();
    byte[] b = random32();
    byte[] c = random32();
    assertThat(bank.quotaOf(asset, b)).isEqualTo(new UsageQuota(0, 0, 0, false));
    assertThat(bank.quotaSpent(asset, b)).isFalse();

    assertThatThrownBy(() -> hospital.setQuota(asset, b, 1, 0, 0))
        .isInstanceOf(ChainRefusedException.class).hasMessageContaining("only the asset owner");
    bank.setQuota(asset, new byte[32], 0, 100, 0); // default: 100 rows
    bank.setQuota(asset, c, 0, 0, 3);               // c: 3 queries, rows unlimited
    assertThat(bank.quotaOf(asset, b)).isEqualTo(new UsageQuota(0, 100, 0, false));
    assertThat(bank.quotaOf(asset, c)).isEqualTo(new UsageQuota(0, 0, 3, true));

    bank.recordUsage(asset, b, random32(), 99, 0);
    bank.recordUsage(asset, c, random32(), 1_000, 2);
    assertThat(bank.quotaSpent(asset, b)).isFalse();
    assertThat(bank.quotaSpent(asset, c)).isFalse(); // c's own quota has no rows limit
    bank.recordUsage(asset, b, random32(), 1, 0);
    bank.recordUsage(asset, c, random32(), 0, 1);
    assertThat(bank.quotaSpent(asset, b)).isTrue();
    assertThat(bank.quotaSpent(asset, c)).isTrue();

    // Raising b's own quota un-spends it; an all-zero own quota is unlimited, not the default.
    bank.setQuota(asset, b, 5, 0, 0);
    assertThat(bank.quotaSpent(asset, b)).isFalse();
    bank.setQuota(asset, c, 0, 0, 0);
    assertThat(bank.quotaOf(asset, c)).isEqualTo(new UsageQuota(0, 0, 0, true));
    assertThat(bank.quotaSpent(asset, c)).isFalse();
  }

  @Test
  void theChainSinkRecordsAReceiptsUsageOncePerConsumerAlsoAfterARestart() throws Exception {
    byte[] asset = asset();
    Receipt receipt = Fixtures.receiptBuilder("metered-1", "bank_a", BANK_A)
        .result("queriesAnswered", "4")
        .usage(Receipt.Usage.ofJob(HEX.formatHex(asset), 1000, Map.of("queriesAnswered", "4"),
            List.of(BANK_B.publicKey())))
        .build();
    byte[] consumer = BANK_B.publicKey().bytes();
    Path file = dir.resolve("metered.jsonl");
    ChainSinkConfig config = ChainSinkConfig.defaults().withRetry(100, 1_000);
    LedgerEntry entry;
    try (ChainSink sink = ChainSink.open(LocalLedger.open(file, BANK_A), bank, config)) {
      entry = sink.append(receipt);
      assertThat(sink.flush(Duration.ofSeconds(60))).isTrue();
      List<UsageRecord> usage = sink.usageStatus("metered-1");
      assertThat(usage).hasSize(1);
      assertThat(usage.get(0).stage()).isEqualTo(UsageRecord.Stage.CONFIRMED);
      assertThat(usage.get(0).counted()).isTrue();
      assertThat(usage.get(0).receiptHash()).isEqualTo(entry.receiptHash());
    }
    assertThat(bank.usageBy(asset, consumer)).isEqualTo(new AssetUsage(1, 1000, 4));

    // A restart whose outbox lost the confirmation (the usage line is put back to PENDING) resends it:
    // the chain does not count it twice.
    Path outbox = ChainSink.outboxFile(file);
    List<String> lines = Files.readAllLines(outbox);
    List<String> kept = lines.stream().filter(l -> !l.contains("\"stage\":\"CONFIRMED\"") || !l.contains("\"kind\""))
        .toList();
    assertThat(kept).hasSize(lines.size() - 1);
    Files.write(outbox, kept);
    try (ChainSink sink = ChainSink.open(LocalLedger.open(file, BANK_A), bank, config)) {
      assertThat(sink.usageStatus("metered-1")).extracting(UsageRecord::stage)
          .containsExactly(UsageRecord.Stage.PENDING);
      assertThat(sink.flush(Duration.ofSeconds(60))).isTrue();
      UsageRecord again = sink.usageStatus("metered-1").get(0);
      assertThat(again.stage()).isEqualTo(UsageRecord.Stage.CONFIRMED);
      assertThat(again.counted()).isFalse();
    }
    assertThat(bank.usageBy(asset, consumer)).isEqualTo(new AssetUsage(1, 1000, 4));
    assertThat(bank.usageOf(asset)).isEqualTo(new AssetUsage(1, 1000, 4));
  }
}
