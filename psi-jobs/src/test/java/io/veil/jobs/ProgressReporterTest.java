package io.veil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.jobs.internal.ProgressReporter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@code veil run} shows while a step runs, from Spark's own listener bus: the step its Spark
 * jobs are described as, tasks done of total, the rate and the time left, redrawn on a terminal.
 */
class ProgressReporterTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("ProgressReporterTest")
        .config("spark.ui.enabled", "false").getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void aRunningStepIsShownWithTasksDoneOfTotalRateAndTimeLeft() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8);
    try (ProgressReporter shown = ProgressReporter.start(spark.sparkContext(), ProgressReporter.Mode.BAR, false, ps)) {
      spark.sparkContext().setJobDescription("Veil psi overlap at bank_a: blind-1 (blinding and sending keys)");
      // 12 tasks of about 300 ms each on 2 threads: about 2 s, several redraws.
      spark.range(0, 12, 1, 12).foreach((org.apache.spark.api.java.function.ForeachFunction<Long>) x -> Thread.sleep(300));
    } finally {
      spark.sparkContext().setJobDescription(null);
    }
    String shown = err.toString(StandardCharsets.UTF_8);
    assertThat(shown).contains("[veil] blind-1 (blinding and sending keys): ")
        .containsPattern("\\d+/12 tasks, \\d+\\.\\d tasks/s, about \\d+ s left")
        .as("the line is cleared when the reporter closes").endsWith("\r\u001b[K");
  }

  @Test
  void offShowsNothingAndLogModeNothingOnTheStream() throws Exception {
    for (ProgressReporter.Mode mode : new ProgressReporter.Mode[] {ProgressReporter.Mode.OFF,
        ProgressReporter.Mode.LOG, ProgressReporter.Mode.AUTO}) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      try (ProgressReporter shown = ProgressReporter.start(spark.sparkContext(), mode, false,
          new PrintStream(err, true, StandardCharsets.UTF_8))) {
        spark.sparkContext().setJobDescription("Veil psi overlap at bank_a: blind-2 (answering)");
        spark.range(0, 4, 1, 4).foreach((org.apache.spark.api.java.function.ForeachFunction<Long>) x -> Thread.sleep(200));
      } finally {
        spark.sparkContext().setJobDescription(null);
      }
      assertThat(err.size()).as(mode + " off a terminal writes no line to the stream").isZero();
    }
  }
}
