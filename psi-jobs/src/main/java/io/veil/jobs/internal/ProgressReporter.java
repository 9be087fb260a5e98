package io.veil.jobs.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code veil run} shows while a step of the job runs: the step (the description the job
 * runtime gives its Spark jobs), tasks done of total, the rate and the time left. On a terminal it
 * redraws one line on standard error; otherwise it logs a line every {@link #LOG_EVERY}. Counts
 * come from Spark's listener bus: the tasks of every stage submitted under the step, and those that
 * ended successfully.
 */
public final class ProgressReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);
  /** How often a log line is written when standard error is not a terminal. */
  public static final Duration LOG_EVERY = Duration.ofSeconds(30);
  private static final long REDRAW_MS = 500;
  private static final String DESCRIPTION = "spark.job.description";

  /** How progress is shown: {@code auto} picks {@code bar} on a terminal, {@code log} otherwise. */
  public enum Mode {
    AUTO, BAR, LOG, OFF;

    public static Mode parse(String text) {
      try {
        return valueOf(text.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("it must be auto, bar, log or off");
      }
    }
  }

  /** One step's counts; {@link #line} renders it. */
  record Snapshot(String step, long done, long total, long elapsedNanos) {
    /** "input (committing to the input): 12/16 tasks, 3.4 tasks/s, about 1 s left". */
    String line() {
      StringBuilder b = new StringBuilder(step).append(": ").append(done).append('/').append(total).append(" tasks");
      double seconds = elapsedNanos / 1e9;
      if (done > 0 && seconds > 0) {
        double rate = done / seconds;
        b.append(String.format(Locale.ROOT, ", %.1f tasks/s", rate));
        if (total > done) {
          b.append(", about ").append(duration(Math.max(1, Math.round((total - done) / rate)))).append(" left");
        }
      }
      return b.toString();
    }

    private static String duration(long s) {
      return s < 60 ? s + " s" : s < 3600 ? s / 60 + " min " + s % 60 + " s" : s / 3600 + " h " + s % 3600 / 60 + " min";
    }
  }

  private final SparkContext sc;
  private final Listener listener = new Listener(System::nanoTime);
  private final Thread printer;
  private volatile boolean closed;

  private ProgressReporter(SparkContext sc, boolean bar, PrintStream err) {
    this.sc = sc;
    this.printer = new Thread(() -> print(bar, err), "veil-progress");
    printer.setDaemon(true);
  }

  /**
   * Starts showing progress of the Spark jobs of {@code sc} on {@code err} (bar) or in the log;
   * {@code terminal}: whether {@code err} is a terminal (for {@link Mode#AUTO}).
   */
  public static ProgressReporter start(SparkContext sc, Mode mode, boolean terminal, PrintStream err) {
    ProgressReporter r = new ProgressReporter(sc, mode == Mode.BAR || (mode == Mode.AUTO && terminal), err);
    if (mode != Mode.OFF) {
      sc.addSparkListener(r.listener);
      r.printer.start();
    }
    return r;
  }

  private void print(boolean bar, PrintStream err) {
    String last = "";
    long lastLog = System.nanoTime();
    while (!closed) {
      try {
        TimeUnit.MILLISECONDS.sleep(REDRAW_MS);
      } catch (InterruptedException e) {
        break; // closed: clear the line below
      }
      Snapshot s = listener.current();
      if (s == null) {
        continue;
      }
      String line = s.line();
      if (bar) {
        if (!line.equals(last)) {
          err.print("\r\u001b[K[veil] " + line + "\r");
          err.flush();
          last = line;
        }
      } else if (System.nanoTime() - lastLog >= LOG_EVERY.toNanos() && s.done() < s.total()) {
        LOG.info("progress: {}", line);
        lastLog = System.nanoTime();
      }
    }
    if (bar && !last.isEmpty()) {
      err.print("\r\u001b[K");
      err.flush();
    }
  }

  @Override
  public void close() {
    closed = true;
    sc.removeSparkListener(listener);
    printer.interrupt();
    try {
      printer.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Counts tasks per step from the listener bus. */
  static final class Listener extends SparkListener {
    private final LongSupplier clock;
    private final Map<Integer, String> stageStep = new HashMap<>();
    private final Map<String, long[]> steps = new HashMap<>(); // step -> [done, total, startNanos]
    private String current;

    Listener(LongSupplier clock) {
      this.clock = clock;
    }

    @Override
    public synchronized void onStageSubmitted(SparkListenerStageSubmitted e) {
      String step = e.properties() == null ? null : e.properties().getProperty(DESCRIPTION);
      if (step == null) {
        return;
      }
      int colon = step.indexOf(": ");
      step = colon >= 0 ? step.substring(colon + 2) : step;
      stageStep.put(e.stageInfo().stageId(), step);
      long[] c = steps.computeIfAbsent(step, k -> new long[] {0, 0, clock.getAsLong()});
      c[1] += e.stageInfo().numTasks();
      current = step;
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
      String step = stageStep.get(e.stageId());
      if (step != null && e.taskInfo().successful()) {
        steps.get(step)[0]++;
      }
    }

    /** The step whose stages were submitted last, or null before any. */
    synchronized Snapshot current() {
      if (current == null) {
        return null;
      }
      long[] c = steps.get(current);
      return new Snapshot(current, c[0], c[1], clock.getAsLong() - c[2]);
    }
  }
}
