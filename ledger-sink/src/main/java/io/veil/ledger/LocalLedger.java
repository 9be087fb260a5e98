package io.veil.ledger;

import io.veil.InvalidInputException;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.ledger.internal.Fields;
import io.veil.ledger.internal.Hashes;
import io.veil.ledger.internal.LedgerErrors;
import io.veil.ledger.internal.LedgerFile;
import io.veil.ledger.internal.LedgerLines;
import io.veil.ledger.internal.ParsedLine;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The embedded ledger: an append-only file of JSON lines, one {@link LedgerEntry} per line,
 * hash-chained and signed with the party's identity key.
 *
 * <p><b>Durability.</b> An append writes one whole line at the end of the file and fsyncs it
 * before returning; if the write fails, the file is cut back to its old length. A crash in the
 * middle of a write can still leave an incomplete last line: readers report it (never drop it),
 * appends refuse to continue after it, and {@link #repair(Path)} sets it aside explicitly.
 *
 * <p><b>Concurrency.</b> Appends hold an exclusive OS file lock, so several processes of the same
 * party (and several threads) can append to one file; each append links to whatever entry is
 * last at that moment. The lock is advisory: only Veil writers respect it.
 *
 * <p><b>Trust.</b> Before appending, the last entry is re-verified (hashes, signature, signer), so
 * a writer never extends a ledger whose head was tampered with. Reading ({@link #entries()})
 * checks structure and hashes but not signatures; use {@link LedgerVerifier} to audit.
 *
 * <p>Thread-safe. Instances hold no open file between calls.
 */
public final class LocalLedger implements LedgerSink {
  private final Path file;
  private final IdentityKeys signer;

  private LocalLedger(Path file, IdentityKeys signer) {
    this.file = file;
    this.signer = signer;
  }

  /**
   * Opens {@code file} for appending receipts signed by {@code signer}; the file is created on the
   * first append. Fails at once if an existing file's last entry is incomplete or is not this
   * signer's.
   */
  public static LocalLedger open(Path file, IdentityKeys signer) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(signer, "signer");
    LocalLedger ledger = new LocalLedger(file, signer);
    if (Files.exists(file)) {
      try {
        LedgerFile.withReadLock(file, raf -> {
          ledger.verifiedHead(raf, raf.length());
          return null;
        });
      } catch (IOException e) {
        throw LedgerErrors.io("open", file, e);
      }
    }
    return ledger;
  }

  /** Opens {@code file} for reading only; no key is needed. */
  public static LocalLedger openReadOnly(Path file) {
    return new LocalLedger(Objects.requireNonNull(file, "file"), null);
  }

  public Path file() {
    return file;
  }

  /** The signer's public key, or empty for a read-only ledger. */
  public Optional<IdentityPublicKey> signer() {
    return signer == null ? Optional.empty() : Optional.of(signer.publicKey());
  }

  @Override
  public LedgerEntry append(Receipt receipt) {
    Objects.requireNonNull(receipt, "receipt");
    LedgerLines.requireAppendable(file, signer, receipt);
    try {
      return LedgerFile.withWriteLock(file, raf -> {
        LedgerEntry last = verifiedHead(raf, raf.length());
        LedgerEntry entry = LedgerEntry.next(file, last, receipt, signer);
        LedgerFile.appendDurably(raf, LedgerLines.line(entry));
        return entry;
      });
    } catch (IOException e) {
      throw LedgerErrors.io("append to", file, e);
    }
  }

  /**
   * The last entry in the first {@code size} bytes, checked as the base for the next append: the
   * line is complete and canonical, its hashes recompute, and it is signed by this ledger's key.
   * Null for an empty file.
   */
  private LedgerEntry verifiedHead(RandomAccessFile raf, long size) throws IOException {
    return LedgerLines.verifiedHead(file, LedgerFile.readLastLine(raf, size), signer);
  }

  /**
   * All entries, oldest first. Checks that every line is complete and canonical, seq runs from 0,
   * every prevHash links and every hash recomputes; signatures are left to {@link LedgerVerifier}.
   * An absent file has no entries.
   *
   * @throws io.veil.VeilException naming the first problem, if any
   */
  @Override
  public List<LedgerEntry> entries() {
    byte[] content;
    try {
      content = LedgerFile.readAll(file);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw LedgerErrors.io("read", file, e);
    }
    return LedgerLines.entries(file, content);
  }

  @Override
  public String describe() {
    return "local ledger " + file.toAbsolutePath()
        + (signer == null ? " (read-only)" : " (signer " + signer.publicKey().encoded() + ")");
  }

  @Override
  public String toString() {
    return describe();
  }

  /** What {@link #repair(Path)} did. */
  public enum RepairAction {
    /** The file ended with a complete line; nothing was changed. */
    NOTHING_TO_REPAIR,
    /** The last line was a complete, valid entry missing only its newline; the newline was added. */
    COMPLETED_LAST_LINE,
    /** The incomplete last line was moved to a side file and cut from the ledger. */
    SET_ASIDE
  }

  /**
   * The outcome of {@link #repair(Path)}.
   *
   * @param action what was done
   * @param sideFile where the incomplete line was saved, for {@link RepairAction#SET_ASIDE}
   * @param bytes length of the incomplete line
   */
  public record RepairResult(RepairAction action, Optional<Path> sideFile, long bytes) {
    /** One line for people. */
    public String describe() {
      return switch (action) {
        case NOTHING_TO_REPAIR -> "Nothing to repair: the ledger ends with a complete line.";
        case COMPLETED_LAST_LINE -> "Completed the last line: it was a valid entry (" + bytes
            + " bytes) missing only its newline.";
        case SET_ASIDE -> "Moved the incomplete last line (" + bytes + " bytes) to " + sideFile.orElseThrow()
            + " and cut it from the ledger.";
      };
    }
  }

  /**
   * Deals with an incomplete last line left by an interrupted write, under the write lock, never
   * deleting bytes: if the line is a complete, valid entry that links to the one before it and is
   * signed by the same key, only its newline was lost and it is completed; otherwise it is copied
   * to {@code <file>.incomplete-<millis>} (fsynced) and then cut from the ledger. Run
   * {@link LedgerVerifier} first: this is for crash damage, not for edits.
   */
  public static RepairResult repair(Path file) {
    Objects.requireNonNull(file, "file");
    if (!Files.exists(file)) {
      throw new InvalidInputException("Cannot repair ledger " + file + ": the file does not exist. "
          + "Check the path passed as --ledger.");
    }
    try {
      return LedgerFile.withWriteLock(file, raf -> {
        long size = raf.length();
        LedgerFile.RawLine last = LedgerFile.readLastLine(raf, size);
        if (last == null || last.terminated()) {
          return new RepairResult(RepairAction.NOTHING_TO_REPAIR, Optional.empty(), 0);
        }
        byte[] tail = last.bytes();
        long keep = size - tail.length;
        if (completesChain(raf, keep, tail)) {
          LedgerFile.appendDurably(raf, new byte[] {'\n'});
          return new RepairResult(RepairAction.COMPLETED_LAST_LINE, Optional.empty(), tail.length);
        }
        Path side = file.resolveSibling(file.getFileName() + ".incomplete-" + System.currentTimeMillis());
        Files.write(side, tail, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
            StandardOpenOption.SYNC);
        LedgerFile.syncDirectory(side.toAbsolutePath().getParent());
        raf.setLength(keep);
        raf.getFD().sync();
        return new RepairResult(RepairAction.SET_ASIDE, Optional.of(side), tail.length);
      });
    } catch (IOException e) {
      throw LedgerErrors.io("repair", file, e);
    }
  }

  private static boolean completesChain(RandomAccessFile raf, long keep, byte[] tail) throws IOException {
    ParsedLine p = ParsedLine.parse(new LedgerFile.RawLine(-1, tail, true));
    LedgerEntry e = p.entry();
    if (e == null || !p.canonical() || !e.receiptHashMatches() || !e.entryHashMatches()
        || !e.signatureValidFor(Fields.publicKey(e.signer()))) {
      return false;
    }
    LedgerFile.RawLine before = LedgerFile.readLastLine(raf, keep);
    if (before == null) {
      return e.seq() == 0 && e.prevHash().equals(LedgerEntry.GENESIS_PREV_HASH);
    }
    LedgerEntry prev = ParsedLine.parse(before).entry();
    return prev != null
        && e.seq() == prev.seq() + 1
        && Hashes.sameHex(e.prevHash(), prev.entryHash())
        && e.signer().equals(prev.signer());
  }
}
