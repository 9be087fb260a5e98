package io.veil.psi.internal;

/** Sets the sizes up to which OPRF-PSI runs its steps on the driver, so that tests take every path (tests only). */
public final class DriverLocalLimit implements AutoCloseable {
  private final long rowsBefore;
  private final long bytesBefore;

  private DriverLocalLimit(long keyRows, long inputBytes) {
    this.rowsBefore = OprfPsiProtocol.driverMaxKeyRows;
    this.bytesBefore = OprfPsiProtocol.driverMaxInputBytes;
    OprfPsiProtocol.driverMaxKeyRows = keyRows;
    OprfPsiProtocol.driverMaxInputBytes = inputBytes;
  }

  /** Until closed, inputs with more than {@code keyRows} rows with a key run their steps in Spark. */
  public static DriverLocalLimit set(long keyRows) {
    return new DriverLocalLimit(keyRows, OprfPsiProtocol.driverMaxInputBytes);
  }

  /**
   * Until closed, inputs with more than {@code keyRows} rows with a key run their steps in Spark, and
   * smaller ones estimated at more than {@code inputBytes} are read in Spark before their keys are
   * collected to the driver.
   */
  public static DriverLocalLimit set(long keyRows, long inputBytes) {
    return new DriverLocalLimit(keyRows, inputBytes);
  }

  @Override
  public void close() {
    OprfPsiProtocol.driverMaxKeyRows = rowsBefore;
    OprfPsiProtocol.driverMaxInputBytes = bytesBefore;
  }
}
