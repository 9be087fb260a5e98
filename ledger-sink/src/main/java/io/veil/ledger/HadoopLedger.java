package io.veil.ledger;

import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.ledger.internal.HadoopLedgerFile;
import io.veil.ledger.internal.LedgerErrors;
import io.veil.ledger.internal.LedgerFile;
import io.veil.ledger.internal.LedgerLines;
import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The receipt ledger on a Hadoop file system ({@code hdfs://...}): the same file, lines, hash
 * chain and per-entry signatures as {@link LocalLedger}, written through Hadoop's
 * {@link FileSystem} API, so that a driver in a YARN container ({@code --deploy-mode cluster})
 * keeps its receipts when the container goes.
 *
 * <p><b>Durability.</b> An append writes one whole line, {@code hflush}es and {@code hsync}s it and
 * closes the file before returning; a failed write is truncated away where the file system can
 * truncate (HDFS can). Otherwise as {@link LocalLedger}: an incomplete last line is reported,
 * never dropped, and appends refuse to continue after it.
 *
 * <p><b>Concurrency.</b> One writer at a time, enforced by the file system: each append holds the
 * file open for append, which HDFS grants one client at a time (its lease), from reading the last
 * entry to closing the file; a second writer waits for the lease (up to a bound) and then links to
 * whatever entry is last. Threads of one JVM are serialised by an in-process lock first. Unlike the
 * local file's advisory lock, HDFS enforces the lease on every client. A file system that can
 * append but does not enforce a single writer gives only the in-process lock: keep one writer per
 * ledger there.
 *
 * <p><b>File systems that cannot append</b> (object stores: s3a, gs, abfs without append) are
 * refused by {@link #open}, so a job that would lose its receipt stops before it reads or sends
 * anything.
 *
 * <p><b>Trust.</b> As {@link LocalLedger}: the last entry is re-verified before every append;
 * {@link #entries()} checks structure and hashes; {@link LedgerVerifier} audits.
 *
 * <p>Thread-safe. Instances hold no open file between calls.
 */
public final class HadoopLedger implements LedgerSink {
  private final URI location;
  private final FileSystem fs;
  private final Path file;
  private final IdentityKeys signer;
  private final long leaseWaitMs;

  private HadoopLedger(URI location, FileSystem fs, IdentityKeys signer, long leaseWaitMs) {
    this.location = location;
    this.fs = fs;
    this.file = new Path(location);
    this.signer = signer;
    this.leaseWaitMs = leaseWaitMs;
  }

  /**
   * Opens the ledger at {@code location} for appending receipts signed by {@code signer}, with
   * this JVM's Hadoop configuration. Fails at once if the file system cannot append, or if an
   * existing ledger's last entry is incomplete or not this signer's.
   */
  public static HadoopLedger open(URI location, IdentityKeys signer) {
    return open(location, signer, HadoopLedgerFile.configuration(), HadoopLedgerFile.LEASE_WAIT_MS);
  }

  /**
   * As {@link #open(URI, IdentityKeys)} with {@code conf}; an append waits up to {@code leaseWaitMs}
   * for another writer to release the file.
   */
  public static HadoopLedger open(URI location, IdentityKeys signer, Configuration conf, long leaseWaitMs) {
    Objects.requireNonNull(signer, "signer");
    HadoopLedgerFile.refuseNeverAppending(location);
    HadoopLedger ledger = new HadoopLedger(location, fileSystem(location, conf), signer, leaseWaitMs);
    HadoopLedgerFile.checkAppendable(ledger.fs, ledger.file, location.toString());
    try {
      byte[] content = HadoopLedgerFile.readAll(ledger.fs, ledger.file);
      LedgerLines.verifiedHead(location, lastLine(content), signer);
    } catch (NoSuchFileException absent) {
      // created on the first append
    } catch (IOException e) {
      throw LedgerErrors.io("open", location, e);
    }
    return ledger;
  }

  /** Opens the ledger at {@code location} for reading only; no key is needed. */
  public static HadoopLedger openReadOnly(URI location) {
    return openReadOnly(location, HadoopLedgerFile.configuration());
  }

  /** As {@link #openReadOnly(URI)} with {@code conf}. */
  public static HadoopLedger openReadOnly(URI location, Configuration conf) {
    return new HadoopLedger(location, fileSystem(location, conf), null, 0);
  }

  private static FileSystem fileSystem(URI location, Configuration conf) {
    Objects.requireNonNull(location, "location");
    try {
      return FileSystem.get(location, conf);
    } catch (IOException e) {
      throw LedgerErrors.io("reach the file system of", location, e);
    }
  }

  /**
   * Checks, without writing to the ledger, that its file system can append
   * ({@link io.veil.InvalidInputException} naming the file system and what to use instead otherwise).
   */
  public void checkWritable() {
    HadoopLedgerFile.checkAppendable(fs, file, location.toString());
  }

  public URI location() {
    return location;
  }

  /** The signer's public key, or empty for a read-only ledger. */
  public Optional<IdentityPublicKey> signer() {
    return signer == null ? Optional.empty() : Optional.of(signer.publicKey());
  }

  @Override
  public LedgerEntry append(Receipt receipt) {
    Objects.requireNonNull(receipt, "receipt");
    LedgerLines.requireAppendable(location, signer, receipt);
    try {
      return HadoopLedgerFile.append(fs, file, location.toString(), leaseWaitMs, before -> {
        LedgerEntry last = LedgerLines.verifiedHead(location, lastLine(before), signer);
        LedgerEntry entry = LedgerEntry.next(location, last, receipt, signer);
        return new HadoopLedgerFile.Write<>(LedgerLines.line(entry), entry);
      });
    } catch (IOException e) {
      throw LedgerErrors.io("append to", location, e);
    }
  }

  private static LedgerFile.RawLine lastLine(byte[] content) {
    List<LedgerFile.RawLine> lines = LedgerFile.split(content);
    return lines.isEmpty() ? null : lines.get(lines.size() - 1);
  }

  /** The file's bytes; {@link NoSuchFileException} if it does not exist. */
  byte[] readAll() throws IOException {
    return HadoopLedgerFile.readAll(fs, file);
  }

  /** Whether the ledger file exists. */
  public boolean exists() {
    try {
      return HadoopLedgerFile.exists(fs, file);
    } catch (IOException e) {
      throw LedgerErrors.io("read", location, e);
    }
  }

  /** As {@link LocalLedger#entries()}. */
  @Override
  public List<LedgerEntry> entries() {
    byte[] content;
    try {
      content = readAll();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw LedgerErrors.io("read", location, e);
    }
    return LedgerLines.entries(location, content);
  }

  @Override
  public String describe() {
    return "ledger " + location + " on " + fs.getScheme()
        + (signer == null ? " (read-only)" : " (signer " + signer.publicKey().encoded() + ")");
  }

  @Override
  public String toString() {
    return describe();
  }
}
