package io.veil.channel;

/**
 * Follows one partition of a data stream live: returns its records in append order, starting at
 * the partition's first record, and waits for records that are not there yet. Meant for
 * interactive exchanges between the tasks of two parties inside one Spark task (a record out, an
 * answer back, many times), where a {@link StreamReader}, which ends at the records present when
 * it was opened, does not fit. Never skips or reorders records. Not thread-safe.
 */
public interface StreamFollower extends AutoCloseable {

  /**
   * The next record of the partition, waiting up to {@code timeoutMs} milliseconds for it to
   * arrive.
   *
   * @param timeoutMs how long to wait at most; 0 or less only returns a record already there
   * @return the record, or {@code null} if none arrived in time (a later call may still return it)
   * @throws io.veil.VeilException if the transport fails or the waiting thread is interrupted
   */
  byte[] next(long timeoutMs);

  /** Releases resources. The follower cannot be used afterwards. */
  @Override
  void close();
}
