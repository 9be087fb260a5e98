package io.veil.ledger;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child process for {@link LocalLedgerMultiProcessTest}: waits for a start file, then appends
 * {@code count} receipts of bank_a to the ledger. Args: ledger, start file, count, job prefix.
 */
public final class AppendWorker {
  private AppendWorker() {}

  public static void main(String[] args) throws Exception {
    Path ledgerFile = Path.of(args[0]);
    Path startFile = Path.of(args[1]);
    int count = Integer.parseInt(args[2]);
    String prefix = args[3];
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.exists(startFile)) {
      if (System.nanoTime() > deadline) {
        System.exit(3);
      }
      Thread.sleep(5);
    }
    LocalLedger ledger = LocalLedger.open(ledgerFile, Fixtures.BANK_A);
    for (int i = 0; i < count; i++) {
      ledger.append(Fixtures.receipt(prefix + i));
    }
    System.exit(0);
  }
}
