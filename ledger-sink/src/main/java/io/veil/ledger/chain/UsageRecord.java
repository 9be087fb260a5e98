package io.veil.ledger.chain;

import io.veil.InvalidInputException;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.Receipt;
import io.veil.ledger.internal.Hashes;
import java.util.List;

/**
 * One consumer's usage of the party's data asset in one job, on its way to the ledger contract's
 * {@code recordUsage}: a line of the chain sink's outbox (beside the {@link ReceiptAnchor} lines),
 * derived from a ledger entry whose receipt has {@link Receipt#usage()}. The contract counts a
 * record once per (asset, consumer, receipt hash), so a record is simply resent until it is
 * CONFIRMED. Immutable.
 *
 * @param kind always {@value #KIND}: tells these lines from anchor lines
 * @param version the record format, {@value #CURRENT_VERSION}
 * @param stage PENDING until the transaction that counted it (or found it counted) is confirmed
 * @param seq the ledger entry seq of the receipt
 * @param jobId the receipt's job
 * @param receiptHash the entry's receiptHash, lowercase hex
 * @param asset the asset used, lowercase hex
 * @param consumer the consuming party's identity key, lowercase hex
 * @param rows rows read from the asset
 * @param queries queries answered
 * @param txHash the transaction that recorded it (CONFIRMED)
 * @param blockNumber its block (CONFIRMED)
 * @param counted false if the chain had counted this record already (a retry after a lost answer) (CONFIRMED)
 */
public record UsageRecord(
    String kind,
    int version,
    Stage stage,
    long seq,
    String jobId,
    String receiptHash,
    String asset,
    String consumer,
    long rows,
    long queries,
    String txHash,
    Long blockNumber,
    Boolean counted) {

  /** The {@code kind} of every usage line. */
  public static final String KIND = "usage";
  /** The record format this release writes and reads. */
  public static final int CURRENT_VERSION = 1;

  /** Recorded in the outbox, or confirmed on chain. */
  public enum Stage {
    PENDING,
    CONFIRMED
  }

  public UsageRecord {
    if (!KIND.equals(kind) || version != CURRENT_VERSION) {
      throw new InvalidInputException("Cannot use usage record: its kind/version is " + kind + "/" + version
          + ", but this Veil reads " + KIND + "/" + CURRENT_VERSION + " only. Upgrade Veil to read records "
          + "written by a newer release.");
    }
    if (stage == null || jobId == null || rows < 0 || queries < 0 || seq < 0) {
      throw damaged("stage, jobId, seq, rows or queries is missing or negative");
    }
    for (String h : List.of(receiptHash == null ? "" : receiptHash, asset == null ? "" : asset,
        consumer == null ? "" : consumer)) {
      if (!Hashes.isLowerHex(h, 32)) {
        throw damaged("receiptHash, asset and consumer must be 64 lowercase hex digits");
      }
    }
    if (stage == Stage.CONFIRMED && (txHash == null || blockNumber == null || counted == null)) {
      throw damaged("txHash, blockNumber or counted is missing, which CONFIRMED records need");
    }
  }

  /** The PENDING records of {@code entry}, one per consumer; none if its receipt records no usage. */
  public static List<UsageRecord> pending(LedgerEntry entry) {
    Receipt.Usage u = entry.receipt().usage();
    if (u == null) {
      return List.of();
    }
    return u.consumers().stream()
        .map(c -> new UsageRecord(KIND, CURRENT_VERSION, Stage.PENDING, entry.seq(), entry.jobId(),
            entry.receiptHash(), u.asset(), c, u.rowsRead(), u.queriesAnswered(), null, null, null))
        .toList();
  }

  /** This record confirmed by {@code tx}. */
  public UsageRecord confirmed(TxOutcome tx) {
    return new UsageRecord(kind, version, Stage.CONFIRMED, seq, jobId, receiptHash, asset, consumer, rows, queries,
        tx.txHash(), tx.blockNumber(), tx.changedState());
  }

  /** The outbox key: {@code <seq>:<consumer>}. */
  public String key() {
    return seq + ":" + consumer;
  }

  private static InvalidInputException damaged(String what) {
    return new InvalidInputException("Cannot use usage record: " + what + ". The outbox was damaged; restore it "
        + "from a copy.");
  }
}
