package io.veil.jobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HeapPeakTest {
  @Test
  void keepsThePeakAfterACollectionAndNeverExceedsTheHeapLimit() {
    HeapPeak.start();
    byte[][] held = new byte[64][];
    for (int i = 0; i < held.length; i++) {
      held[i] = new byte[1 << 20];
    }
    long whileHeld = HeapPeak.mib();
    assertThat(whileHeld).isGreaterThanOrEqualTo(64);
    held = null;
    System.gc();
    assertThat(HeapPeak.mib()).as("the peak stays after the arrays are collected").isGreaterThanOrEqualTo(whileHeld)
        .isLessThanOrEqualTo(Runtime.getRuntime().maxMemory() >> 20);
  }
}
