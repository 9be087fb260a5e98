package io.veil.ledger.chain;

import io.veil.VeilException;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LedgerSink;
import io.veil.ledger.LocalLedger;
import io.veil.ledger.MerkleTree;
import io.veil.ledger.Receipt;
import io.veil.ledger.chain.ReceiptAnchor.Stage;
import io.veil.ledger.chain.internal.AnchorOutbox;
import io.veil.ledger.internal.Hashes;
import io.veil.ledger.internal.LedgerErrors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A ledger sink that keeps every receipt in a {@link LocalLedger} and anchors it on an EVM chain
 * through a durable outbox ({@link #outboxFile(Path)}, next to the ledger file). What it anchors for
 * an entry is its {@link AnchorLeaf}: the job's leaves, the receipt's hash and the entry's place in
 * the ledger, so the anchor covers every field of the receipt and every entry before it; each
 * party of a job anchors its own leaf.
 *
 * <p><b>Never in a job's way.</b> {@link #append} writes the ledger entry and a PENDING outbox line
 * (both fsynced) and returns; it never talks to the chain. A background thread ("veil-anchorer")
 * takes pending receipts in batches ({@link ChainSinkConfig}) and, once the chain answers, writes them
 * SUBMITTED with their batch's Merkle root and each receipt's inclusion proof, sends one anchor
 * transaction per batch (recording its hash),
 * waits for the client's confirmations and writes them CONFIRMED. When the chain is down it retries
 * with capped exponential backoff, forever, logging once per outage.
 *
 * <p><b>Nothing lost, nothing sent twice.</b> Every state change is on disk before the next step.
 * Reopening the same files resumes: ledger entries without an outbox line are queued, SUBMITTED
 * batches are resent with the same root (the contract's anchor is idempotent, and a root already on
 * chain is only looked up, not sent again), CONFIRMED receipts are left alone. Existing entries of
 * a ledger opened with a new outbox are anchored too.
 *
 * <p><b>Usage of the party's data asset.</b> A receipt that records {@link Receipt#usage()} (the
 * party's input names an asset) also queues, in the same outbox write, one {@link UsageRecord} per
 * consumer; the same thread sends each with the contract's {@code recordUsage} (only the asset's
 * owner may: the chain key must be the owner's) until it is confirmed. The contract counts a
 * (asset, consumer, receipt) once, so resending after a timeout or restart never counts twice. A
 * failing usage record is retried with its own backoff and never holds up the anchors.
 *
 * <p>Thread-safe. One sink per ledger file (the outbox is locked); the {@link ChainClient} should
 * not be shared with another writer using the same key.
 */
public final class ChainSink implements LedgerSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChainSink.class);

  private final LocalLedger ledger;
  private final ChainClient client;
  private final ChainSinkConfig config;
  private final AnchorOutbox outbox;
  private final String contract;
  private final Thread anchorer;
  private volatile boolean closing;
  /** When the anchorer next sends pending usage records ({@link System#nanoTime()}); later after a failure. */
  private long usageDueNanos = System.nanoTime();
  private long usageBackoffMs;
  private String usageOutage;

  private ChainSink(LocalLedger ledger, ChainClient client, ChainSinkConfig config, AnchorOutbox outbox) {
    this.ledger = ledger;
    this.client = client;
    this.config = config;
    this.outbox = outbox;
    this.contract = client.contractAddress().orElseThrow();
    this.anchorer = new Thread(this::runAnchorer, "veil-anchorer " + ledger.file().getFileName());
    this.anchorer.setDaemon(true);
  }

  /**
   * Opens the sink over {@code ledger} (opened for writing) and its outbox, queues ledger entries the
   * outbox does not know yet, and starts anchoring. {@code client} must have a contract; the sink
   * does not close it.
   */
  public static ChainSink open(LocalLedger ledger, ChainClient client, ChainSinkConfig config) {
    Objects.requireNonNull(ledger, "ledger");
    Objects.requireNonNull(config, "config");
    if (client.contractAddress().isEmpty()) {
      throw LedgerErrors.sinkWithoutContract(ledger.file());
    }
    AnchorOutbox outbox = AnchorOutbox.open(outboxFile(ledger.file()));
    try {
      Set<Long> known = outbox.all().stream().map(ReceiptAnchor::seq).collect(Collectors.toSet());
      Set<String> knownUsage = outbox.usageRecords().stream().map(UsageRecord::key).collect(Collectors.toSet());
      List<LedgerEntry> entries = ledger.entries();
      outbox.append(
          entries.stream().filter(e -> !known.contains(e.seq())).map(ReceiptAnchor::pending).toList(),
          entries.stream().flatMap(e -> UsageRecord.pending(e).stream())
              .filter(u -> !knownUsage.contains(u.key())).toList());
    } catch (RuntimeException e) {
      outbox.close();
      throw e;
    }
    ChainSink sink = new ChainSink(ledger, client, config, outbox);
    sink.anchorer.start();
    return sink;
  }

  /**
   * The anchor states recorded next to the ledger at {@code ledgerFile}, read without opening a sink
   * (for an auditor's {@code verify}); empty when the ledger was never anchored.
   */
  public static List<ReceiptAnchor> recordedAnchors(Path ledgerFile) {
    if (!java.nio.file.Files.exists(outboxFile(ledgerFile))) {
      return List.of();
    }
    try (AnchorOutbox outbox = AnchorOutbox.open(outboxFile(ledgerFile))) {
      return outbox.all();
    }
  }

  /** The outbox of the ledger at {@code ledgerFile}: {@code <ledgerFile>.anchors.jsonl}. */
  public static Path outboxFile(Path ledgerFile) {
    return ledgerFile.resolveSibling(ledgerFile.getFileName() + ".anchors.jsonl");
  }

  /** Records the receipt in the ledger and queues its anchor; does not wait for the chain. */
  @Override
  public LedgerEntry append(Receipt receipt) {
    if (closing) {
      throw LedgerErrors.sinkClosed(ledger.file());
    }
    LedgerEntry entry = ledger.append(receipt);
    // A crash between these two writes loses nothing: open() queues entries the outbox lacks.
    outbox.append(List.of(ReceiptAnchor.pending(entry)), UsageRecord.pending(entry));
    return entry;
  }

  @Override
  public List<LedgerEntry> entries() {
    return ledger.entries();
  }

  @Override
  public Optional<LedgerEntry> findByJobId(String jobId) {
    return ledger.findByJobId(jobId);
  }

  /** Where the latest receipt of {@code jobId} stands on its way to the chain; empty for an unknown job. */
  public Optional<ReceiptAnchor> status(String jobId) {
    return findByJobId(jobId).flatMap(e -> outbox.get(e.seq()));
  }

  /** Where the usage records of the latest receipt of {@code jobId} stand; empty if it records none. */
  public List<UsageRecord> usageStatus(String jobId) {
    return findByJobId(jobId)
        .map(e -> outbox.usageRecords().stream().filter(u -> u.seq() == e.seq()).toList())
        .orElse(List.of());
  }

  /** Every receipt's anchor state, in ledger order. */
  public List<ReceiptAnchor> anchors() {
    return outbox.all();
  }

  /**
   * Waits until every receipt and usage record is CONFIRMED; false if {@code timeout} passed first (the anchors
   * carry on in the background).
   */
  public boolean flush(Duration timeout) {
    try {
      return outbox.awaitAllConfirmed(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Stops the anchorer and closes the outbox. Anchors not yet confirmed stay in the outbox and resume
   * when a sink is opened on the same ledger; a transaction in flight may still land, which the next
   * sink finds on chain.
   */
  @Override
  public void close() {
    closing = true;
    outbox.wakeUp();
    anchorer.interrupt();
    try {
      anchorer.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    outbox.close();
  }

  @Override
  public String describe() {
    return "chain sink: " + ledger.describe() + ", anchored on chain " + client.chainId() + " at contract "
        + contract + " via outbox " + outbox.file().toAbsolutePath();
  }

  @Override
  public String toString() {
    return describe();
  }

  // ---- the anchorer thread ----

  private void runAnchorer() {
    long backoffMs = config.retryInitialMs();
    String outage = null;
    while (!closing) {
      try {
        if (System.nanoTime() - usageDueNanos >= 0) {
          recordUsage();
        }
        List<ReceiptAnchor> batch = outbox.nextBatch(config.maxBatchReceipts(), config.maxBatchWaitMs(), () -> closing,
            usageDueNanos);
        if (batch.isEmpty()) {
          continue;
        }
        if (anchor(batch)) {
          if (outage != null) {
            LOG.info("Chain sink for {}: the chain answers again; anchoring resumed.", ledger.file());
          }
          outage = null;
          backoffMs = config.retryInitialMs();
          continue;
        }
        Thread.sleep(config.retryInitialMs()); // on chain, not yet confirmed deeply enough
      } catch (InterruptedException e) {
        if (closing) {
          return;
        }
      } catch (VeilException e) {
        if (closing) {
          return;
        }
        // ChainUnavailableException (node down or slow) and ChainRefusedException (e.g. no funds) alike:
        // the anchor must land eventually, so retry; log once per kind of failure.
        String kind = e.getClass().getSimpleName();
        if (!kind.equals(outage)) {
          LOG.warn("Chain sink for {}: cannot anchor now, retrying with backoff up to {} ms until it works; jobs are "
              + "not affected. {}", ledger.file(), config.retryMaxMs(), e.getMessage());
          outage = kind;
        }
        try {
          Thread.sleep(backoffMs);
        } catch (InterruptedException stop) {
          if (closing) {
            return;
          }
        }
        backoffMs = Math.min(2 * backoffMs, config.retryMaxMs());
      }
    }
  }

  /**
   * Anchors one batch: unless its root is on chain already, PENDING receipts are written SUBMITTED (root
   * and proofs) and the root is sent; then CONFIRMED is written with the transaction that anchored it.
   * Returns false if the root is on chain but not yet confirmed deeply enough.
   */
  private boolean anchor(List<ReceiptAnchor> batch) {
    boolean fresh = batch.get(0).stage() == Stage.PENDING;
    List<ReceiptAnchor> submitted = fresh ? inBatch(batch) : batch;
    byte[] root = Hashes.unhex(submitted.get(0).root());
    if (client.lookup(root).isEmpty()) { // also: the chain answers, so a job's receipt is PENDING while it is down
      if (fresh) {
        outbox.append(submitted); // before sending: a restart resends this root, never a different batch
      }
      client.anchor(root, submitted.size(), submitted.get(0).batchId(),
          txHash -> outbox.append(submitted.stream().map(a -> a.sent(txHash)).toList()));
    }
    TxOutcome tx = client.anchoringTransaction(root).orElseThrow(() -> new ChainUnavailableException(
        "Cannot confirm the anchor of root " + submitted.get(0).root() + ": the chain no longer has it "
            + "(reorganised?). It will be sent again.", null));
    long confirmations = client.blockNumber() - tx.blockNumber() + 1;
    if (confirmations < client.confirmations()) {
      return false;
    }
    outbox.append(submitted.stream().map(a -> a.confirmed(tx, confirmations)).toList());
    return true;
  }

  /**
   * Sends every PENDING usage record and writes it CONFIRMED. A failure (chain down, or a refusal
   * such as a chain key that does not own the asset) is logged once per kind and retried with
   * capped backoff; it never stops the anchors.
   */
  private void recordUsage() {
    try {
      for (UsageRecord u : outbox.pendingUsage()) {
        if (closing) {
          return;
        }
        TxOutcome tx = client.recordUsage(Hashes.unhex(u.asset()), Hashes.unhex(u.consumer()),
            Hashes.unhex(u.receiptHash()), u.rows(), u.queries());
        outbox.append(List.of(), List.of(u.confirmed(tx)));
      }
      if (usageOutage != null) {
        LOG.info("Chain sink for {}: usage records are sent again.", ledger.file());
      }
      usageOutage = null;
      usageBackoffMs = 0;
      usageDueNanos = System.nanoTime();
    } catch (VeilException e) {
      if (closing) {
        return;
      }
      String kind = e.getClass().getSimpleName();
      if (!kind.equals(usageOutage)) {
        LOG.warn("Chain sink for {}: cannot record the usage of the party's data asset now, retrying with backoff up "
            + "to {} ms until it works (the chain key must be the asset owner's); jobs and anchors are not affected. "
            + "{}", ledger.file(), config.retryMaxMs(), e.getMessage());
        usageOutage = kind;
      }
      usageBackoffMs = usageBackoffMs == 0
          ? config.retryInitialMs() : Math.min(2 * usageBackoffMs, config.retryMaxMs());
      usageDueNanos = System.nanoTime() + usageBackoffMs * 1_000_000L;
    }
  }

  /** Builds the batch's Merkle tree: its receipts as SUBMITTED, with the root and their proofs. */
  private List<ReceiptAnchor> inBatch(List<ReceiptAnchor> pending) {
    MerkleTree tree = MerkleTree.of(pending.stream().map(a -> Hashes.unhex(a.leaf())).toList());
    int n = pending.size();
    String batchId = n == 1 ? pending.get(0).jobId()
        : "batch of " + n + ": " + pending.get(0).jobId() + " .. " + pending.get(n - 1).jobId();
    List<ReceiptAnchor> submitted = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      submitted.add(pending.get(i).submitted(batchId, tree.rootHex(), tree.proof(i), client.chainId(), contract));
    }
    return submitted;
  }
}
