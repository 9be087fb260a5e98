package io.veil.ledger.chain.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.ledger.chain.ReceiptAnchor;
import io.veil.ledger.chain.ReceiptAnchor.Stage;
import io.veil.ledger.chain.UsageRecord;
import io.veil.ledger.internal.JsonCodec;
import io.veil.ledger.internal.LedgerErrors;
import io.veil.ledger.internal.LedgerFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable anchor outbox of a chain sink: an append-only file of JSON lines, one
 * {@link ReceiptAnchor} per line, the latest line of a receipt (by seq) being its state. Every
 * append is one write of whole lines, fsynced before it returns.
 *
 * <p><b>Crash recovery.</b> On open, an incomplete last line (a write cut by a crash, so never
 * acknowledged) is cut off with a warning: whatever it said is redone (a PENDING line is
 * re-derived from the ledger, a SUBMITTED batch is rebuilt, a CONFIRMED line is re-derived from the
 * chain). A batch whose SUBMITTED lines are incomplete was never sent and goes back to PENDING.
 * Any other unreadable line is an error naming the line.
 *
 * <p><b>Format.</b> Every line carries the anchor format {@code version}
 * ({@link ReceiptAnchor#CURRENT_VERSION}); a line of another version (or without one: format 1, from a
 * release that anchored the job root alone) is an error saying so, not a damaged line.
 *
 * <p><b>Usage records.</b> The same file holds the {@link UsageRecord} lines of receipts that record
 * the use of the party's data asset (told apart by their {@code kind}), one per (seq, consumer), the
 * latest line being its state. They have no SUBMITTED stage: the contract counts a record once, so a
 * PENDING record is simply sent (again) until a CONFIRMED line is written.
 *
 * <p>The file is locked for the outbox's lifetime, so a second sink on the same ledger fails at
 * once. Thread-safe; waiting methods use this object's monitor.
 */
public final class AnchorOutbox implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AnchorOutbox.class);

  private final Path file;
  private final RandomAccessFile raf;
  private final FileLock lock;
  /** Latest state per seq, in seq order. */
  private final TreeMap<Long, ReceiptAnchor> latest = new TreeMap<>();
  /** When each PENDING receipt became pending here (for the batch wait), by seq. */
  private final Map<Long, Long> pendingSinceNanos = new LinkedHashMap<>();
  /** Latest state per usage record ({@link UsageRecord#key()}), in the order first written. */
  private final Map<String, UsageRecord> usage = new LinkedHashMap<>();

  private AnchorOutbox(Path file, RandomAccessFile raf, FileLock lock) {
    this.file = file;
    this.raf = raf;
    this.lock = lock;
  }

  /** Opens (creating if needed) the outbox at {@code file} and loads its state. */
  public static AnchorOutbox open(Path file) {
    RandomAccessFile raf = null;
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      boolean existed = Files.exists(file);
      raf = new RandomAccessFile(file.toFile(), "rw");
      if (!existed) {
        LedgerFile.syncDirectory(dir);
      }
      FileLock lock = raf.getChannel().tryLock();
      if (lock == null) {
        throw LedgerErrors.outboxInUse(file, null);
      }
      AnchorOutbox outbox = new AnchorOutbox(file, raf, lock);
      outbox.load();
      return outbox;
    } catch (OverlappingFileLockException e) {
      closeQuietly(raf);
      throw LedgerErrors.outboxInUse(file, e);
    } catch (IOException e) {
      closeQuietly(raf);
      throw LedgerErrors.outboxIo("open", file, e);
    } catch (RuntimeException e) {
      closeQuietly(raf);
      throw e;
    }
  }

  public Path file() {
    return file;
  }

  /** Appends {@code anchors} as one durable write; each becomes its receipt's state. */
  public synchronized void append(List<ReceiptAnchor> anchors) {
    append(anchors, List.of());
  }

  /** Appends {@code anchors} and {@code usageRecords} as one durable write; each becomes its state. */
  public synchronized void append(List<ReceiptAnchor> anchors, List<UsageRecord> usageRecords) {
    if (anchors.isEmpty() && usageRecords.isEmpty()) {
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object a : anchors) {
      out.writeBytes(JsonCodec.canonical(a));
      out.write('\n');
    }
    for (Object u : usageRecords) {
      out.writeBytes(JsonCodec.canonical(u));
      out.write('\n');
    }
    try {
      LedgerFile.appendDurably(raf, out.toByteArray());
    } catch (IOException e) {
      throw LedgerErrors.outboxIo("append to", file, e);
    }
    anchors.forEach(this::apply);
    usageRecords.forEach(u -> usage.put(u.key(), u));
    notifyAll();
  }

  /** Every usage record's current state, in the order first written. */
  public synchronized List<UsageRecord> usageRecords() {
    return List.copyOf(usage.values());
  }

  /** The usage records still PENDING, in the order first written. */
  public synchronized List<UsageRecord> pendingUsage() {
    return usage.values().stream().filter(u -> u.stage() == UsageRecord.Stage.PENDING).toList();
  }

  /** The current state of receipt {@code seq}. */
  public synchronized Optional<ReceiptAnchor> get(long seq) {
    return Optional.ofNullable(latest.get(seq));
  }

  /** Every receipt's current state, in seq order. */
  public synchronized List<ReceiptAnchor> all() {
    return List.copyOf(latest.values());
  }

  /**
   * The next batch to anchor, waiting while there is none: first a SUBMITTED batch (all its
   * members, in leaf order: it is resent as it was), else up to {@code maxReceipts} PENDING
   * receipts in seq order, once there are that many or the oldest has waited {@code maxWaitMs}.
   * Returns an empty list when {@code stop} becomes true (checked on every {@link #notifyAll()}), or
   * when a usage record is PENDING and {@code usageDueNanos} ({@link System#nanoTime()}) has come,
   * so that the caller sends it.
   */
  public synchronized List<ReceiptAnchor> nextBatch(int maxReceipts, long maxWaitMs, BooleanSupplier stop,
      long usageDueNanos) throws InterruptedException {
    while (!stop.getAsBoolean()) {
      boolean usagePending = usage.values().stream().anyMatch(u -> u.stage() == UsageRecord.Stage.PENDING);
      long usageWaitMs = usagePending ? (usageDueNanos - System.nanoTime()) / 1_000_000 : Long.MAX_VALUE;
      if (usageWaitMs <= 0) {
        return List.of();
      }
      Map<String, List<ReceiptAnchor>> submitted = latest.values().stream()
          .filter(a -> a.stage() == Stage.SUBMITTED)
          .collect(Collectors.groupingBy(ReceiptAnchor::root, LinkedHashMap::new, Collectors.toList()));
      if (!submitted.isEmpty()) {
        List<ReceiptAnchor> batch = new ArrayList<>(submitted.values().iterator().next());
        batch.sort((x, y) -> Integer.compare(x.proof().leafIndex(), y.proof().leafIndex()));
        return batch;
      }
      if (!pendingSinceNanos.isEmpty()) {
        long waitedMs = (System.nanoTime() - pendingSinceNanos.values().iterator().next()) / 1_000_000;
        if (pendingSinceNanos.size() >= maxReceipts || waitedMs >= maxWaitMs) {
          return pendingSinceNanos.keySet().stream().limit(maxReceipts).map(latest::get).toList();
        }
        wait(Math.max(1, Math.min(usageWaitMs, maxWaitMs - waitedMs)));
      } else if (usagePending) {
        wait(Math.max(1, usageWaitMs));
      } else {
        wait();
      }
    }
    return List.of();
  }

  /**
   * Waits until no receipt is PENDING or SUBMITTED and no usage record PENDING; false if
   * {@code timeoutMs} passed first.
   */
  public synchronized boolean awaitAllConfirmed(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (latest.values().stream().anyMatch(a -> a.stage() != Stage.CONFIRMED)
        || usage.values().stream().anyMatch(u -> u.stage() != UsageRecord.Stage.CONFIRMED)) {
      long leftMs = (deadline - System.nanoTime()) / 1_000_000;
      if (leftMs <= 0) {
        return false;
      }
      wait(leftMs);
    }
    return true;
  }

  /** Wakes every waiter (e.g. to let {@link #nextBatch} see a stop request). */
  public synchronized void wakeUp() {
    notifyAll();
  }

  @Override
  public synchronized void close() {
    try {
      lock.release();
    } catch (IOException e) {
      // closing the file releases it anyway
    }
    closeQuietly(raf);
    notifyAll();
  }

  private void apply(ReceiptAnchor a) {
    latest.put(a.seq(), a);
    if (a.stage() == Stage.PENDING) {
      pendingSinceNanos.putIfAbsent(a.seq(), System.nanoTime());
    } else {
      pendingSinceNanos.remove(a.seq());
    }
  }

  private void load() throws IOException {
    long size = raf.length();
    byte[] content = new byte[(int) size];
    raf.seek(0);
    raf.readFully(content);
    for (LedgerFile.RawLine raw : LedgerFile.split(content)) {
      if (!raw.terminated()) {
        LOG.warn("Anchor outbox {}: ignoring its incomplete last line ({} bytes), left by a crash during a write; "
            + "what it recorded is redone from the ledger and the chain.", file, raw.bytes().length);
        raf.setLength(size - raw.bytes().length);
        raf.getFD().sync();
        break;
      }
      try {
        JsonNode tree = JsonCodec.parseTree(raw.bytes(), "line " + raw.lineNumber());
        if (tree.has("kind")) {
          UsageRecord u = JsonCodec.fromTree(tree, UsageRecord.class, "line " + raw.lineNumber());
          usage.put(u.key(), u);
          continue;
        }
        JsonNode version = tree.get("version");
        if (version == null || !version.isInt() || version.intValue() != ReceiptAnchor.CURRENT_VERSION) {
          throw LedgerErrors.outboxOtherVersion(file, raw.lineNumber(),
              version == null ? 1 : version.isInt() ? version.intValue() : -1, ReceiptAnchor.CURRENT_VERSION);
        }
        apply(JsonCodec.fromTree(tree, ReceiptAnchor.class, "line " + raw.lineNumber()));
      } catch (JsonCodec.ReadFailure e) {
        throw LedgerErrors.outboxUnreadable(file, raw.lineNumber(), e.reason(), e);
      }
    }
    // A batch whose SUBMITTED lines were cut short was never sent (they are written before sending).
    // (A batch with some members CONFIRMED is complete: the rest are confirmed from the chain.)
    latest.values().stream()
        .filter(a -> a.stage() != Stage.PENDING)
        .collect(Collectors.groupingBy(ReceiptAnchor::root))
        .values().stream()
        .filter(batch -> batch.size() != batch.get(0).proof().treeSize())
        .flatMap(List::stream)
        .filter(a -> a.stage() == Stage.SUBMITTED)
        .toList()
        .forEach(a -> apply(a.asPending()));
  }

  private static void closeQuietly(RandomAccessFile raf) {
    if (raf != null) {
      try {
        raf.close();
      } catch (IOException e) {
        // nothing more to do
      }
    }
  }
}
