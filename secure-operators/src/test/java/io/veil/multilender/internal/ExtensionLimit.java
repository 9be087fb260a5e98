package io.veil.multilender.internal;

/** Lowers the bins one OT extension carries, so that small jobs run several extensions (tests only). */
public final class ExtensionLimit implements AutoCloseable {
  private final long before;

  private ExtensionLimit(long bins) {
    this.before = CheckTasks.extensionBins;
    CheckTasks.extensionBins = bins;
  }

  /** Until closed, one extension carries at most {@code bins} bins. */
  public static ExtensionLimit lower(long bins) {
    return new ExtensionLimit(bins);
  }

  @Override
  public void close() {
    CheckTasks.extensionBins = before;
  }
}
