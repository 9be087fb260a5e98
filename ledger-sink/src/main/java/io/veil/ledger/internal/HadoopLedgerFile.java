package io.veil.ledger.internal;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CommonPathCapabilities;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.ipc.RemoteException;

/**
 * Low-level access to a JSON-lines ledger on a Hadoop file system (HDFS, or any file system that
 * can append): the single-writer append, reading, and the check that the file system can append.
 *
 * <p><b>Writers.</b> An append opens the file with {@link FileSystem#append} (or creates it with
 * {@code overwrite=false}), which on HDFS grants this client the file's <em>lease</em>: the
 * NameNode lets one client at a time hold a file open for writing and refuses every other
 * ({@code AlreadyBeingCreatedException}) until the holder closes it or its lease expires (about a
 * minute after the holder dies). Only then is the file read, its last entry verified, and the new
 * line written, {@code hflush}ed, {@code hsync}ed to the DataNodes' disks and the file closed; so
 * no other writer, in any process on any host, can append between the read and the write. That is
 * the equivalent of the local ledger's exclusive OS lock. A writer that finds the lease taken waits
 * and retries, up to a bound. Threads of one JVM share one HDFS client (and so one lease holder):
 * a per-file in-process lock serialises them first, as for the local file.
 *
 * <p><b>Failures.</b> If writing fails, the file is truncated back to its old length where the
 * file system supports it (HDFS does); otherwise, or after a crash, an incomplete last line stays,
 * which readers report and appends refuse to extend, as for the local file.
 *
 * <p><b>Readers</b> take no lock: HDFS shows a reader the bytes of closed files and the hflushed
 * bytes of an open one, so a reader racing a writer sees either the old ledger or the old ledger
 * plus a complete or an incomplete last line, which is reported, never hidden.
 */
public final class HadoopLedgerFile {
  private static final ConcurrentHashMap<String, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
  /** Object stores that never append: refused from the location alone, without contacting them. */
  private static final Set<String> NEVER_APPEND = Set.of("s3a", "s3", "s3n", "gs", "oss", "cos", "cosn", "obs");
  /** Object stores that append only in some configurations: asked, never probed with a write. */
  private static final Set<String> OBJECT_STORES = Set.of("abfs", "abfss", "wasb", "wasbs", "adl");
  /** Default bound on the wait for another writer's lease. */
  public static final long LEASE_WAIT_MS = 120_000;

  private HadoopLedgerFile() {}

  /**
   * The Hadoop configuration of this JVM: the {@code core-site.xml}/{@code hdfs-site.xml} on the
   * classpath (spark-submit puts {@code HADOOP_CONF_DIR} there, and ships it to a cluster-mode
   * driver's container), plus Spark's {@code spark.hadoop.*} settings, as Spark applies them.
   */
  public static Configuration configuration() {
    Configuration conf = new Configuration();
    for (Map.Entry<Object, Object> e : System.getProperties().entrySet()) {
      String k = String.valueOf(e.getKey());
      if (k.startsWith("spark.hadoop.") && k.length() > "spark.hadoop.".length()) {
        conf.set(k.substring("spark.hadoop.".length()), String.valueOf(e.getValue()));
      }
    }
    return conf;
  }

  /** Work done holding the file open for append: given the bytes before it, the line to write and a result. */
  @FunctionalInterface
  public interface AppendBody<T> {
    Write<T> run(byte[] before);
  }

  /** What an append writes, and what it returns. */
  public record Write<T>(byte[] bytes, T result) {}

  /**
   * Refuses a location on an object store that never appends (S3, GCS, ...) from its scheme alone,
   * before any file system is reached (its connector need not even be installed).
   */
  public static void refuseNeverAppending(java.net.URI location) {
    String scheme = location.getScheme() == null ? "" : location.getScheme().toLowerCase(Locale.ROOT);
    if (NEVER_APPEND.contains(scheme)) {
      throw LedgerErrors.cannotAppend(location.toString(), scheme, "an object store: objects are written whole, once");
    }
  }

  /**
   * Refuses a file system that cannot append ({@link LedgerErrors#cannotAppend}): one that
   * declares the append capability passes; an object store that does not is refused at once;
   * any other is probed with an empty side file that is created, appended to and deleted.
   */
  public static void checkAppendable(FileSystem fs, Path file, String location) {
    String scheme = file.toUri().getScheme() != null ? file.toUri().getScheme() : fs.getScheme();
    try {
      if (fs.hasPathCapability(file, CommonPathCapabilities.FS_APPEND)) {
        return;
      }
    } catch (IOException | RuntimeException e) {
      // No answer: fall through to the probe.
    }
    String lower = scheme.toLowerCase(Locale.ROOT);
    if (OBJECT_STORES.contains(lower) || NEVER_APPEND.contains(lower)) {
      throw LedgerErrors.cannotAppend(location, scheme, "an object store: objects are written whole, once");
    }
    byte[] rnd = new byte[6];
    new SecureRandom().nextBytes(rnd);
    Path probe = new Path(file.getParent(), "." + file.getName() + ".append-probe-" + HexFormat.of().formatHex(rnd));
    try {
      fs.create(probe, false).close();
      fs.append(probe).close();
    } catch (UnsupportedOperationException e) {
      throw LedgerErrors.cannotAppend(location, scheme, String.valueOf(e.getMessage()));
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
      if (m.contains("not supported") || m.contains("unsupported")) {
        throw LedgerErrors.cannotAppend(location, scheme, e.getMessage());
      }
      throw LedgerErrors.io("check that it can append to", location, e);
    } finally {
      try {
        fs.delete(probe, false);
      } catch (IOException | RuntimeException ignored) {
        // best effort: a leftover empty probe file is harmless
      }
    }
  }

  /** The whole file; {@link NoSuchFileException} if it does not exist. */
  public static byte[] readAll(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (FileNotFoundException e) {
      NoSuchFileException n = new NoSuchFileException(file.toString());
      n.initCause(e);
      throw n;
    }
  }

  /** Whether the file exists. */
  public static boolean exists(FileSystem fs, Path file) throws IOException {
    return fs.exists(file);
  }

  /**
   * Appends what {@code body} returns as this file's only writer (see the class comment), waiting
   * up to {@code leaseWaitMs} for another writer's lease; creates the file (and its directory) on
   * the first append. If {@code body} throws, nothing is written.
   */
  public static <T> T append(FileSystem fs, Path file, String location, long leaseWaitMs, AppendBody<T> body)
      throws IOException {
    ReentrantLock inProcess = IN_PROCESS.computeIfAbsent(fs.makeQualified(file).toString(), p -> new ReentrantLock());
    inProcess.lock();
    try {
      FSDataOutputStream out = openAsOnlyWriter(fs, file, location, leaseWaitMs);
      boolean closed = false;
      byte[] before = null;
      try {
        before = readAll(fs, file);
        Write<T> w = body.run(before);
        out.write(w.bytes());
        out.hflush();
        out.hsync();
        out.close();
        closed = true;
        return w.result();
      } catch (IOException e) {
        if (!closed) {
          closeQuietly(out, e);
          closed = true;
        }
        if (before != null) {
          try {
            fs.truncate(file, before.length);
          } catch (IOException | UnsupportedOperationException again) {
            e.addSuppressed(again);
          }
        }
        throw e;
      } finally {
        if (!closed) {
          out.close(); // body refused: nothing was written
        }
      }
    } finally {
      inProcess.unlock();
    }
  }

  private static void closeQuietly(FSDataOutputStream out, IOException e) {
    try {
      out.close();
    } catch (IOException again) {
      e.addSuppressed(again);
    }
  }

  /** Opens the file for append (creating it if absent), retrying while another client holds its lease. */
  private static FSDataOutputStream openAsOnlyWriter(FileSystem fs, Path file, String location, long leaseWaitMs)
      throws IOException {
    long deadline = System.currentTimeMillis() + leaseWaitMs;
    long sleepMs = 100;
    while (true) {
      try {
        if (!fs.exists(file)) {
          try {
            return fs.create(file, false);
          } catch (FileAlreadyExistsException e) {
            // created by another writer in between: append to it
          } catch (RemoteException e) {
            if (!e.getClassName().endsWith("FileAlreadyExistsException")) {
              throw e;
            }
          }
        }
        return fs.append(file);
      } catch (IOException e) {
        if (!leaseTaken(e)) {
          throw e;
        }
        if (System.currentTimeMillis() >= deadline) {
          throw LedgerErrors.leaseHeld(location, leaseWaitMs, e);
        }
        try {
          Thread.sleep(sleepMs);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw LedgerErrors.interrupted("append to ledger " + location);
        }
        sleepMs = Math.min(2_000, sleepMs * 2);
      }
    }
  }

  /** Whether {@code e} says another client holds the file open (its lease) or its lease is being recovered. */
  static boolean leaseTaken(IOException e) {
    String name = e instanceof RemoteException r ? r.getClassName() : e.getClass().getName();
    return name.endsWith("AlreadyBeingCreatedException") || name.endsWith("RecoveryInProgressException");
  }
}
