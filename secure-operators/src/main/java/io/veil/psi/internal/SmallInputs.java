package io.veil.psi.internal;

/**
 * When a party's input is small enough to be handled on its driver rather than in Spark's
 * executors: read in one Spark job and keyed and committed to there ({@link
 * io.veil.psi.PsiInputs#commitWithKey}), and, in OPRF-PSI, every later step run there as loops
 * ({@link Buckets}). Each Spark job costs a few hundred milliseconds however little it does, most of
 * a small job's time; on the driver such an input takes a few tens of MiB at most.
 */
public final class SmallInputs {
  /** At most this many rows; lowered or raised by tests to take either path. */
  static volatile long maxRows = 100_000;
  /** And at most this large as Spark estimates it from the files (an input without an estimate is not small). */
  static final long MAX_ESTIMATED_BYTES = 16L << 20;

  private SmallInputs() {}

  /** The most rows an input handled on the driver has. */
  public static long maxRows() {
    return maxRows;
  }

  /** Whether an input Spark estimates at {@code estimatedBytes} may be small: only then is it read to the driver. */
  public static boolean mayBeSmall(long estimatedBytes) {
    return maxRows >= 0 && estimatedBytes <= MAX_ESTIMATED_BYTES;
  }
}
