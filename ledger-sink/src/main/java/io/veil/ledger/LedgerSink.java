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
  Optional<LedgerEntry> findByJobId(String jobId);

  /** One line for people: the kind of sink, where it writes, and with which key. */
  String describe();
}
