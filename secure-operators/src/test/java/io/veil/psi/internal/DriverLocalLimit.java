package io.veil.psi.internal;

/** Sets the size up to which a party's input is handled on its driver ({@link SmallInputs}), so that tests take either path (tests only). */
public final class DriverLocalLimit implements AutoCloseable {
  private final long before;

  private DriverLocalLimit(long rows) {
    this.before = SmallInputs.maxRows;
    SmallInputs.maxRows = rows;
  }

  /** Until closed, inputs with more than {@code rows} rows (any, with -1) are read, keyed and processed in Spark. */
  public static DriverLocalLimit set(long rows) {
    return new DriverLocalLimit(rows);
  }

  @Override
  public void close() {
    SmallInputs.maxRows = before;
  }
}
