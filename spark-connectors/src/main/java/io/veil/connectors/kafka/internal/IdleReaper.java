package io.veil.connectors.kafka.internal;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** One daemon thread per JVM that closes the channel's idle Kafka clients ({@link SharedProducers}, {@link ReaderPool}). */
final class IdleReaper {
  private static ScheduledExecutorService executor;

  private IdleReaper() {}

  /** Runs {@code task} every {@code periodMs} from now on. */
  static synchronized void every(long periodMs, Runnable task) {
    if (executor == null) {
      executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "veil-kafka-idle-reaper");
        t.setDaemon(true);
        return t;
      });
    }
    executor.scheduleWithFixedDelay(task, periodMs, periodMs, TimeUnit.MILLISECONDS);
  }
}
