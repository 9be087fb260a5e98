package io.veil.connectors.kafka.internal;

import io.veil.connectors.kafka.KafkaChannelConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * Idle {@link KafkaStreamReader} consumers, per channel configuration per JVM. A reader takes one
 * (or has one created) and, when it closes after reading without a Kafka error, gives it back
 * unassigned, so that a step reading many partitions one after another (a driver running a small
 * job's steps, or an executor running a round's tasks) pays for creating a consumer (its metrics,
 * connection and metadata) once, not once per partition. A consumer is used by one reader at a
 * time. At most {@link #MAX_IDLE} are kept per configuration; one idle for {@link #IDLE_CLOSE_MS} is
 * closed by a daemon thread.
 */
public final class ReaderPool {
  /** How long an idle consumer is kept for the next reader. */
  public static final long IDLE_CLOSE_MS = TimeUnit.MINUTES.toMillis(1);
  /** Idle consumers kept per configuration (a JVM runs at most this many readers at once, typically). */
  static final int MAX_IDLE = 8;

  private static final Map<KafkaChannelConfig, ArrayDeque<Idle>> IDLE = new HashMap<>();
  private static boolean reaping; // guarded by IDLE

  private record Idle(KafkaConsumer<byte[], byte[]> consumer, long sinceNanos) {}

  private ReaderPool() {}

  /** An idle consumer of {@code config}, or a new one. */
  static KafkaConsumer<byte[], byte[]> take(KafkaChannelConfig config) {
    synchronized (IDLE) {
      ArrayDeque<Idle> idle = IDLE.get(config);
      Idle i = idle == null ? null : idle.pollLast();
      if (i != null) {
        return i.consumer();
      }
    }
    return Consumers.createReader(config);
  }

  /** Takes {@code consumer} back for the next reader of {@code config} (unassigned), or closes it if enough are idle. */
  static void giveBack(KafkaChannelConfig config, KafkaConsumer<byte[], byte[]> consumer) {
    try {
      consumer.unsubscribe(); // drops the assignment and what was fetched for it
    } catch (RuntimeException e) {
      Consumers.closeQuietly(consumer, config);
      return;
    }
    synchronized (IDLE) {
      ArrayDeque<Idle> idle = IDLE.computeIfAbsent(config, c -> new ArrayDeque<>());
      if (idle.size() < MAX_IDLE) {
        idle.addLast(new Idle(consumer, System.nanoTime()));
        startReaper();
        return;
      }
    }
    Consumers.closeQuietly(consumer, config);
  }

  /** Closes every idle consumer; returns how many were closed. */
  public static int closeIdle() {
    return closeIdleFor(-1);
  }

  private static int closeIdleFor(long minIdleMs) {
    List<Map.Entry<KafkaChannelConfig, KafkaConsumer<byte[], byte[]>>> toClose = new ArrayList<>();
    long now = System.nanoTime();
    synchronized (IDLE) {
      for (Map.Entry<KafkaChannelConfig, ArrayDeque<Idle>> e : IDLE.entrySet()) {
        for (Iterator<Idle> it = e.getValue().iterator(); it.hasNext(); ) {
          Idle i = it.next();
          if (now - i.sinceNanos() > TimeUnit.MILLISECONDS.toNanos(minIdleMs)) {
            it.remove();
            toClose.add(Map.entry(e.getKey(), i.consumer()));
          }
        }
      }
    }
    toClose.forEach(e -> Consumers.closeQuietly(e.getValue(), e.getKey()));
    return toClose.size();
  }

  private static void startReaper() {
    if (!reaping) {
      reaping = true;
      IdleReaper.every(IDLE_CLOSE_MS / 4, () -> closeIdleFor(IDLE_CLOSE_MS));
    }
  }
}
