package io.veil.multilender.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How a job's buckets are spread over OT extensions when one extension cannot carry them all. */
class ExtensionPlanTest {
  @Test
  void oneExtensionCarriesEverythingUpToItsLimit() {
    assertThat(CheckTasks.extensionsFor(new long[] {10, 10, 10, 10}, 40)).isEqualTo(1);
    assertThat(CheckTasks.extensionsFor(new long[] {2}, CheckTasks.MAX_BINS)).isEqualTo(1);
  }

  @Test
  void moreBinsTakeTheFewestExtensionsOverContiguousBuckets() {
    assertThat(CheckTasks.extensionsFor(new long[] {10, 10, 10, 10}, 39)).isEqualTo(2);
    assertThat(CheckTasks.extensionsFor(new long[] {10, 10, 10, 10}, 20)).isEqualTo(2);
    assertThat(CheckTasks.extensionsFor(new long[] {10, 10, 10, 10}, 19)).isEqualTo(4);
    // 3 extensions over 4 buckets: {0, 1}, {2}, {3}
    assertThat(CheckTasks.extensionsFor(new long[] {5, 5, 10, 10}, 10)).isEqualTo(3);
    assertThat(CheckTasks.extensionsFor(new long[] {10, 10, 5, 5}, 10)).isEqualTo(4);
    long[] oneMillion = new long[16];
    java.util.Arrays.fill(oneMillion, 1_270_000 / 16);
    assertThat(CheckTasks.extensionsFor(oneMillion, CheckTasks.MAX_BINS)).isEqualTo(2);
  }

  @Test
  void aBucketOverTheLimitAloneCannotBeCarried() {
    assertThat(CheckTasks.extensionsFor(new long[] {10, 41, 10}, 40)).isEqualTo(-1);
  }

  @Test
  void everyExtensionGetsAContiguousNonEmptyRangeOfBuckets() {
    for (int buckets = 1; buckets <= 17; buckets++) {
      for (int extensions = 1; extensions <= buckets; extensions++) {
        int previous = 0;
        int[] count = new int[extensions];
        for (int b = 0; b < buckets; b++) {
          int e = CheckTasks.extension(b, buckets, extensions);
          assertThat(e).isBetween(previous, previous + 1);
          count[e]++;
          previous = e;
        }
        assertThat(count).as(buckets + " buckets, " + extensions + " extensions").doesNotContain(0);
      }
    }
  }

  @Test
  void eachBucketGetsItsExtensionsEntry() {
    assertThat(CheckTasks.byBucket(new String[] {"a", "b"}, 5)).containsExactly("a", "a", "a", "b", "b");
    assertThat(CheckTasks.byBucket(new String[] {"a"}, 3)).containsExactly("a", "a", "a");
  }

  @Test
  void maxLoadIsTheLargestExtensionsBins() {
    assertThat(CheckTasks.maxLoad(new long[] {1, 2, 3, 4}, 1)).isEqualTo(10);
    assertThat(CheckTasks.maxLoad(new long[] {1, 2, 3, 4}, 2)).isEqualTo(7);
    assertThat(CheckTasks.maxLoad(new long[] {1, 2, 3, 4}, 4)).isEqualTo(4);
  }
}
