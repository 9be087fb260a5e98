package io.veil.psi.internal;

/**
 * Sets the sizes up to which PSI (both protocols) runs its steps on the driver, and broadcasts its
 * semi-joins, so that tests take every path (tests only).
 */
public final class DriverLocalLimit implements AutoCloseable {
  private final long rowsBefore;
  private final long bytesBefore;

  private DriverLocalLimit(long keyRows, long inputBytes) {
    this.rowsBefore = PsiProtocol.driverMaxKeyRows;
    this.bytesBefore = PsiProtocol.driverMaxInputBytes;
    PsiProtocol.driverMaxKeyRows = keyRows;
    PsiProtocol.driverMaxInputBytes = inputBytes;
  }

  /** Until closed, inputs with more than {@code keyRows} rows with a key run their steps in Spark. */
  public static DriverLocalLimit set(long keyRows) {
    return new DriverLocalLimit(keyRows, PsiProtocol.driverMaxInputBytes);
  }

  /**
   * Until closed, inputs with more than {@code keyRows} rows with a key run their steps in Spark, and
   * smaller ones estimated at more than {@code inputBytes} are read in Spark before their keys are
   * collected to the driver.
   */
  public static DriverLocalLimit set(long keyRows, long inputBytes) {
    return new DriverLocalLimit(keyRows, inputBytes);
  }

  /** Until closed, PSI's joins of matched keys never broadcast them (Spark's sort-merge join). */
  public static AutoCloseable withoutBroadcastJoins() {
    long before = PsiProtocol.broadcastMaxRows;
    PsiProtocol.broadcastMaxRows = -1;
    return () -> PsiProtocol.broadcastMaxRows = before;
  }

  @Override
  public void close() {
    PsiProtocol.driverMaxKeyRows = rowsBefore;
    PsiProtocol.driverMaxInputBytes = bytesBefore;
  }
}
