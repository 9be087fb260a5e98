package io.veil.psi.internal;

/** Sets the size up to which OPRF-PSI runs its steps on the driver, so that tests take either path (tests only). */
public final class DriverLocalLimit implements AutoCloseable {
  private final long before;

  private DriverLocalLimit(long keyRows) {
    this.before = OprfPsiProtocol.driverMaxKeyRows;
    OprfPsiProtocol.driverMaxKeyRows = keyRows;
  }

  /** Until closed, inputs with more than {@code keyRows} rows with a key run their steps in Spark. */
  public static DriverLocalLimit set(long keyRows) {
    return new DriverLocalLimit(keyRows);
  }

  @Override
  public void close() {
    OprfPsiProtocol.driverMaxKeyRows = before;
  }
}
