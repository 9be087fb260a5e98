package io.veil.ledger;

import io.veil.InvalidInputException;
import io.veil.crypto.IdentityKeys;
import io.veil.ledger.internal.LedgerFile;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a party's receipt ledger is ({@code veil.ledger.path}): a local file (a plain path, or a
 * {@code file:} URI), held by {@link LocalLedger}; or a file on a Hadoop file system that can
 * append ({@code hdfs://namenode:8020/veil/ledger/bank_a.jsonl}, {@code hdfs:///...} with the
 * cluster's default name node), held by {@link HadoopLedger}. Both keep the same lines, hash chain
 * and signatures, and {@link LedgerVerifier} reads either. Immutable.
 */
public final class LedgerLocation {
  /** A URI scheme of two characters or more (so that a Windows drive letter stays a path). */
  private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]+):");

  private final String text;
  private final Path local;
  private final URI hadoop;

  private LedgerLocation(String text, Path local, URI hadoop) {
    this.text = text;
    this.local = local;
    this.hadoop = hadoop;
  }

  /** A local ledger file. */
  public static LedgerLocation local(Path file) {
    return new LedgerLocation(file.toString(), Objects.requireNonNull(file, "file"), null);
  }

  /**
   * Parses a setting's value: a plain path or {@code file:} URI is a local file; any other URI
   * ({@code hdfs://...}) a Hadoop file system location.
   *
   * @throws InvalidInputException if the value is not a usable path or URI
   */
  public static LedgerLocation parse(String value) {
    Objects.requireNonNull(value, "value");
    Matcher m = SCHEME.matcher(value);
    if (!m.find()) {
      return local(Path.of(value));
    }
    String scheme = m.group(1).toLowerCase(Locale.ROOT);
    try {
      URI uri = new URI(value);
      if (scheme.equals("file")) {
        return new LedgerLocation(value, Path.of(uri), null);
      }
      if (uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().endsWith("/")) {
        throw new URISyntaxException(value, "it names no file");
      }
      return new LedgerLocation(value, null, uri);
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new InvalidInputException("Cannot use ledger location " + value + ": it is not a usable path or URI ("
          + e.getMessage() + "). Give a local path, a file:///absolute/path, or a Hadoop file system URI such as "
          + "hdfs://namenode:8020/veil/ledger/bank_a.jsonl (setting veil.ledger.path, option --ledger).", e);
    }
  }

  /** Whether this is a local file (not a Hadoop file system location). */
  public boolean isLocal() {
    return local != null;
  }

  /** The local file, or empty for a Hadoop location. */
  public Optional<Path> localPath() {
    return Optional.ofNullable(local);
  }

  /** The Hadoop file system URI, or empty for a local file. */
  public Optional<URI> hadoopUri() {
    return Optional.ofNullable(hadoop);
  }

  /**
   * Opens the ledger for appending receipts signed by {@code signer}: checks at once that it can be
   * written (for a Hadoop location: that its file system can append) and that an existing ledger's
   * head verifies.
   */
  public LedgerSink open(IdentityKeys signer) {
    return local != null ? LocalLedger.open(local, signer) : HadoopLedger.open(hadoop, signer);
  }

  /** Opens the ledger for reading only. */
  public LedgerSink openReadOnly() {
    return local != null ? LocalLedger.openReadOnly(local) : HadoopLedger.openReadOnly(hadoop);
  }

  /** Whether the ledger file exists (as a regular file, for a local one). */
  public boolean exists() {
    return local != null ? Files.isRegularFile(local) : HadoopLedger.openReadOnly(hadoop).exists();
  }

  /** The whole file, read as its store reads it; {@link java.nio.file.NoSuchFileException} if absent. */
  byte[] readAll() throws IOException {
    return local != null ? LedgerFile.readAll(local) : HadoopLedger.openReadOnly(hadoop).readAll();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LedgerLocation l && l.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  /** The location as given. */
  @Override
  public String toString() {
    return text;
  }
}
