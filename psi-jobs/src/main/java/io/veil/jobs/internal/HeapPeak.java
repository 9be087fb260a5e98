package io.veil.jobs.internal;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The most heap this JVM has had in use, for the figures of {@code veil run} and the benchmarks.
 * Heap in use only grows between collections, so its peaks are the heap in use just before each
 * collection, which every collector's notification reports; the larger of those and the heap in use
 * now is the peak. (Summing each heap pool's own peak, as {@link MemoryPoolMXBean#getPeakUsage}
 * gives it, over-counts: the pools peak at different times, and the sum can exceed {@code -Xmx}.)
 */
public final class HeapPeak {
  private static final AtomicLong PEAK = new AtomicLong();
  private static final Set<String> HEAP_POOLS = ManagementFactory.getMemoryPoolMXBeans().stream()
      .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
  private static boolean started;

  private HeapPeak() {}

  /** Starts watching the collections (once per JVM); call it before the work to measure. */
  public static synchronized void start() {
    if (started) {
      return;
    }
    started = true;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener((n, handback) -> {
          if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                (CompositeData) n.getUserData());
            record(heapUsed(info.getGcInfo().getMemoryUsageBeforeGc()));
          }
        }, null, null);
      }
    }
  }

  /** The peak so far, in MiB: the largest heap in use before a collection since {@link #start()}, or now. */
  public static long mib() {
    record(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    return PEAK.get() >> 20;
  }

  private static long heapUsed(Map<String, MemoryUsage> pools) {
    return pools.entrySet().stream().filter(e -> HEAP_POOLS.contains(e.getKey()))
        .mapToLong(e -> e.getValue().getUsed()).sum();
  }

  private static void record(long bytes) {
    PEAK.accumulateAndGet(bytes, Math::max);
  }
}
