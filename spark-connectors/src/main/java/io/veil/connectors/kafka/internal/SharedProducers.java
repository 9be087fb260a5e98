package io.veil.connectors.kafka.internal;

import io.veil.connectors.kafka.KafkaChannelConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * One idempotent {@link KafkaProducer} per channel configuration per JVM, shared by every writer
 * and control log of that configuration (Spark runs many tasks per executor; Kafka producers are
 * thread-safe and batch better when shared). Users take a {@link Lease}; a producer nobody has
 * leased for {@link #IDLE_CLOSE_MS} is closed by a daemon thread.
 */
public final class SharedProducers {
  /** How long an unused producer is kept for the next task before it is closed. */
  public static final long IDLE_CLOSE_MS = TimeUnit.MINUTES.toMillis(5);

  private static final Object LOCK = new Object();
  private static final Map<KafkaChannelConfig, Entry> ENTRIES = new HashMap<>();
  private static boolean reaping; // guarded by LOCK

  private SharedProducers() {}

  /** Leases the producer for {@code config}, creating it if needed. */
  public static Lease acquire(KafkaChannelConfig config) {
    synchronized (LOCK) {
      Entry e = ENTRIES.get(config);
      if (e == null) {
        Properties props = ClientProperties.producer(config);
        KafkaProducer<byte[], byte[]> producer;
        try {
          producer = new KafkaProducer<>(props);
        } catch (KafkaException ex) {
          throw KafkaErrors.clientCreation("producer", config, ex);
        }
        // Always set (by the user or by ClientProperties), and valid once the producer exists.
        long deliveryTimeoutMs = Long.parseLong(
            props.getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG).trim());
        e = new Entry(config, producer, deliveryTimeoutMs);
        ENTRIES.put(config, e);
        startReaper();
      }
      e.users++;
      return new Lease(e);
    }
  }

  /** Closes every producer no one holds a lease on now; returns how many were closed. */
  public static int closeIdle() {
    return closeIdleFor(-1);
  }

  private static int closeIdleFor(long minIdleMs) {
    List<Entry> toClose = new ArrayList<>();
    long now = System.nanoTime();
    synchronized (LOCK) {
      for (Iterator<Entry> it = ENTRIES.values().iterator(); it.hasNext(); ) {
        Entry e = it.next();
        if (e.users == 0 && now - e.idleSinceNanos > TimeUnit.MILLISECONDS.toNanos(minIdleMs)) {
          it.remove();
          e.retired = true;
          toClose.add(e);
        }
      }
    }
    toClose.forEach(Entry::close);
    return toClose.size();
  }

  private static void startReaper() {
    if (!reaping) {
      reaping = true;
      IdleReaper.every(IDLE_CLOSE_MS / 5, () -> closeIdleFor(IDLE_CLOSE_MS));
    }
  }

  private static final class Entry {
    final KafkaChannelConfig config;
    final KafkaProducer<byte[], byte[]> producer;
    final long deliveryTimeoutMs;
    int users;
    long idleSinceNanos = System.nanoTime();
    boolean retired;

    Entry(KafkaChannelConfig config, KafkaProducer<byte[], byte[]> producer,
        long deliveryTimeoutMs) {
      this.config = config;
      this.producer = producer;
      this.deliveryTimeoutMs = deliveryTimeoutMs;
    }

    void close() {
      try {
        producer.close(TopicAdmin.closeTimeout(config));
      } catch (RuntimeException ignored) {
        // closing only releases threads and connections; nothing to report
      }
    }
  }

  /** A use of a shared producer; release it with {@link #close()}. Thread-safe. */
  public static final class Lease implements AutoCloseable {
    private final Entry entry;
    private boolean released;

    private Lease(Entry entry) {
      this.entry = entry;
    }

    public Producer<byte[], byte[]> producer() {
      return entry.producer;
    }

    /** The producer's {@code delivery.timeout.ms}: every send completes within it. */
    public long deliveryTimeoutMs() {
      return entry.deliveryTimeoutMs;
    }

    /**
     * Stops handing this producer to new users (after it failed in a way that may leave it
     * unusable); it is closed once every lease on it is released.
     */
    public void invalidate() {
      synchronized (LOCK) {
        if (ENTRIES.get(entry.config) == entry) {
          ENTRIES.remove(entry.config);
        }
        entry.retired = true;
      }
    }

    /** Invalidates the producer if {@code failure} may have left it in an unusable state. */
    public void invalidateAfter(Throwable failure) {
      Throwable t = KafkaErrors.unwrap(failure);
      if (!(t instanceof RetriableException) && !(t instanceof RecordTooLargeException)
          && !(t instanceof RecordBatchTooLargeException)) {
        invalidate();
      }
    }

    @Override
    public void close() {
      boolean closeNow;
      synchronized (LOCK) {
        if (released) {
          return;
        }
        released = true;
        entry.users--;
        entry.idleSinceNanos = System.nanoTime();
        closeNow = entry.retired && entry.users == 0;
      }
      if (closeNow) {
        entry.close();
      }
    }
  }
}
