package io.veil.ledger.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Low-level access to a JSON-lines ledger file: locking, reading, splitting into lines.
 *
 * <p><b>Locking.</b> Writers hold an exclusive OS file lock ({@link FileChannel#lock()}, an
 * {@code fcntl} lock on Linux), which serialises appends from different processes. Java forbids
 * two overlapping file locks in one JVM (it throws instead of waiting), so a per-file
 * {@link ReentrantLock} (keyed by the file's real path) serialises threads of one process before
 * they take the OS lock. Readers take the same in-process lock and a shared OS lock so they never
 * see half of a line that is being written; where the file system has no locks, they read
 * without one and a half-written last line shows as an incomplete line.
 */
public final class LedgerFile {
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

  private LedgerFile() {}

  /** Work done while holding a lock on the file. */
  @FunctionalInterface
  public interface LockedIo<T> {
    T run(RandomAccessFile file) throws IOException;
  }

  /** A line of the file: 1-based number and bytes without the newline. */
  public record RawLine(int lineNumber, byte[] bytes, boolean terminated) {}

  /**
   * Runs {@code body} holding the in-process and the exclusive OS lock on {@code file}; creates
   * the file (and its directory) if needed and makes a new file's directory entry durable.
   */
  public static <T> T withWriteLock(Path file, LockedIo<T> body) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    boolean existed = Files.exists(file);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      if (!existed) {
        syncDirectory(dir);
      }
      ReentrantLock inProcess = IN_PROCESS.computeIfAbsent(file.toRealPath(), p -> new ReentrantLock());
      inProcess.lock();
      try (FileLock ignored = raf.getChannel().lock()) {
        // From here on only RandomAccessFile methods are used: unlike channel I/O they are not
        // interruptible, so an interrupt cannot close the file halfway through a line.
        return body.run(raf);
      } finally {
        inProcess.unlock();
      }
    }
  }

  /**
   * Runs {@code body} on the file opened read-only, holding the in-process lock and a shared OS
   * lock (or no OS lock where the file system has none, see the class comment).
   */
  public static <T> T withReadLock(Path file, LockedIo<T> body) throws IOException {
    ReentrantLock inProcess = IN_PROCESS.computeIfAbsent(file.toRealPath(), p -> new ReentrantLock());
    inProcess.lock();
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      FileLock lock = null;
      try {
        lock = raf.getChannel().lock(0, Long.MAX_VALUE, true);
      } catch (IOException | UnsupportedOperationException | OverlappingFileLockException e) {
        // No locking here (e.g. some network file systems): read anyway.
      }
      try {
        return body.run(raf);
      } finally {
        if (lock != null && lock.isValid()) {
          lock.release();
        }
      }
    } finally {
      inProcess.unlock();
    }
  }

  /** Reads the whole file under a shared lock (see {@link #withReadLock}). */
  public static byte[] readAll(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    return withReadLock(file, raf -> {
      long size = raf.length();
      if (size > Integer.MAX_VALUE - 16) {
        throw new IOException("ledger file is larger than 2 GiB");
      }
      byte[] all = new byte[(int) size];
      raf.readFully(all);
      return all;
    });
  }

  /**
   * Splits file content into lines at {@code '\n'}. Every line but possibly the last is
   * terminated; a last line without a newline (a torn write, or bytes appended by hand) is
   * returned with {@code terminated = false}.
   */
  public static List<RawLine> split(byte[] content) {
    List<RawLine> lines = new ArrayList<>();
    int start = 0;
    int lineNumber = 1;
    for (int i = 0; i < content.length; i++) {
      if (content[i] == '\n') {
        lines.add(new RawLine(lineNumber++, Arrays.copyOfRange(content, start, i), true));
        start = i + 1;
      }
    }
    if (start < content.length) {
      lines.add(new RawLine(lineNumber, Arrays.copyOfRange(content, start, content.length), false));
    }
    return lines;
  }

  /**
   * The last line of the file, without its newline, or null for an empty file. Returns a line
   * with {@code terminated = false} if the file does not end with a newline.
   */
  public static RawLine readLastLine(RandomAccessFile raf) throws IOException {
    return readLastLine(raf, raf.length());
  }

  /** As {@link #readLastLine(RandomAccessFile)} for the first {@code size} bytes of the file. */
  public static RawLine readLastLine(RandomAccessFile raf, long size) throws IOException {
    if (size == 0) {
      return null;
    }
    raf.seek(size - 1);
    boolean terminated = raf.read() == '\n';
    long end = terminated ? size - 1 : size;
    long start = end;
    byte[] chunk = new byte[8192];
    search:
    while (start > 0) {
      int n = (int) Math.min(chunk.length, start);
      raf.seek(start - n);
      raf.readFully(chunk, 0, n);
      for (int i = n - 1; i >= 0; i--) {
        if (chunk[i] == '\n') {
          start = start - n + i + 1;
          break search;
        }
      }
      start -= n;
    }
    if (end - start > Integer.MAX_VALUE - 16) {
      throw new IOException("last ledger line is larger than 2 GiB");
    }
    byte[] line = new byte[(int) (end - start)];
    raf.seek(start);
    raf.readFully(line);
    return new RawLine(-1, line, terminated);
  }

  /** Writes {@code bytes} at the end and forces them to disk; on failure restores the old length. */
  public static void appendDurably(RandomAccessFile raf, byte[] bytes) throws IOException {
    long size = raf.length();
    try {
      raf.seek(size);
      raf.write(bytes);
      raf.getFD().sync();
    } catch (IOException e) {
      try {
        raf.setLength(size);
        raf.getFD().sync();
      } catch (IOException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
  }

  /** fsyncs a directory so a newly created file's entry survives a crash (best effort). */
  public static void syncDirectory(Path dir) {
    if (dir == null) {
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not every platform can open or sync a directory; the file's data is still synced.
    }
  }
}
