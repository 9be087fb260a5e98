package io.veil.ledger;

import java.util.List;
import java.util.Optional;

/**
 * Where a party records its job receipts. The local file ledger ({@link LocalLedger}) is the
 * embedded default; a chain sink anchors the same receipts on an EVM chain.
 *
 * <p>History is never rewritten: re-running a job appends a new entry, and
 * {@link #findByJobId(String)} returns the latest. Implementations are thread-safe.
 */
public interface LedgerSink {
  /**
   * Records {@code receipt} durably and returns its entry. When this returns, the entry survives
   * a crash. Throws {@link io.veil.InvalidInputException} if the receipt cannot belong to this
   * sink (another party's key), and {@link io.veil.VeilException} if it cannot be recorded.
   */
  LedgerEntry append(Receipt receipt);

  /** All entries, oldest first. */
  List<LedgerEntry> entries();

  /** The latest entry for {@code jobId}, if any. */
  default Optional<LedgerEntry> findByJobId(String jobId) {
    List<LedgerEntry> all = entries();
    for (int i = all.size() - 1; i >= 0; i--) {
      if (all.get(i).jobId().equals(jobId)) {
        return Optional.of(all.get(i));
      }
    }
    return Optional.empty();
  }

  /** The last entry's seq and entryHash, or empty for an empty or absent ledger. */
  default Optional<LedgerHead> head() {
    List<LedgerEntry> all = entries();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1).head());
  }

  /** One line for people: the kind of sink, where it writes, and with which key. */
  String describe();
}
