package io.veil.ledger;

import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import io.veil.job.JobComponents;
import io.veil.job.JobGate;
import io.veil.job.ReceiptSink;
import io.veil.ledger.chain.AssetGate;
import io.veil.ledger.chain.ChainConfig;
import java.util.List;
import java.util.Optional;

/**
 * What ledger-sink gives a job built from settings: receipts in the party's ledger
 * ({@code veil.ledger.path}: a local file or {@code hdfs://...}), anchored on the chain when {@code veil.chain.*} is given, and the
 * data-asset authorisation gate.
 */
public final class LedgerComponents implements JobComponents {
  private static final String ACTION = "anchor the job and check its data asset authorisation";

  @Override
  public Optional<ReceiptSink> receipts(VeilConf conf, String party) {
    LedgerReceipts local = LedgerReceipts.at(LedgerConfig.ledgerLocation(conf, party));
    Optional<ChainConfig> chain = LedgerConfig.chain(conf, ACTION, true);
    return Optional.of(chain.isPresent()
        ? local.withChain(chain.get(), conf.get(LedgerConfig.ANCHOR_WAIT_MS).orElseThrow()) : local);
  }

  @Override
  public List<JobGate> gates(VeilConf conf) {
    return List.of(new AssetGate(LedgerConfig.chain(conf, ACTION, true).orElse(null)));
  }

  @Override
  public List<ConfigKey<?>> settings() {
    return LedgerConfig.ALL;
  }
}
