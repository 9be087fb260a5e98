package io.veil.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.storage.StorageLevel;

/**
 * Veil's cached copies of keyed inputs, built without Spark's in-memory compression unless the
 * session sets {@value #COMPRESSED} itself. Such a table holds a unique id per row and a 32-byte
 * random key: Spark's compression schemes cannot shrink either, but gathering their statistics (a
 * dictionary of up to 32k values per column per 10,000-row batch) took about a fifth of PSI's input
 * step (README, Performance).
 */
public final class CachedTables {
  /** Spark's setting for in-memory columnar compression (default true). */
  public static final String COMPRESSED = "spark.sql.inMemoryColumnarStorage.compressed";

  private CachedTables() {}

  /**
   * {@code table} marked for caching (memory, then disk; filled by its first action), uncompressed
   * unless the session set {@value #COMPRESSED} explicitly. Spark takes the setting from the
   * session when the table is marked (it plans the cache in a copy of the session, unless adaptive
   * execution and automatic bucketed scans are both off, when the cache is built as the session
   * says), so it is set for that call only and the session's own value comes back at once. Two
   * threads marking tables on one session at once may see each other's setting: a cache may then
   * be compressed after all, and the session is still left unset.
   */
  public static Dataset<Row> cached(Dataset<Row> table) {
    RuntimeConfig conf = table.sparkSession().conf();
    boolean setHere = !table.sparkSession().sessionState().conf().contains(COMPRESSED);
    if (setHere) {
      conf.set(COMPRESSED, "false");
    }
    try {
      return table.persist(StorageLevel.MEMORY_AND_DISK());
    } finally {
      if (setHere) {
        conf.unset(COMPRESSED);
      }
    }
  }
}
