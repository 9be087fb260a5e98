package io.veil.job.internal;

import io.veil.spec.JobSpec;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Names a job's Spark work after its protocol steps, as the Spark UI and history server show it:
 * one job group per party's run of a job ({@code veil-<job id>-<party>}), unless the caller's thread
 * already has one (the Thrift server's statement group, which cancellation uses, is kept), and a
 * description per step. The thread's previous group and description come back when the run ends.
 */
final class SparkSteps implements AutoCloseable {
  private static final String GROUP = "spark.jobGroup.id";
  private static final String GROUP_DESCRIPTION = "spark.job.description";
  private static final String INTERRUPT = "spark.job.interruptOnCancel";

  private final SparkContext sc;
  private final String group;
  private final String description;
  private final String interrupt;

  private SparkSteps(SparkContext sc) {
    this.sc = sc;
    this.group = sc.getLocalProperty(GROUP);
    this.description = sc.getLocalProperty(GROUP_DESCRIPTION);
    this.interrupt = sc.getLocalProperty(INTERRUPT);
  }

  /** Starts naming this thread's Spark jobs after {@code party}'s run of {@code spec}; close to restore. */
  static SparkSteps open(SparkSession spark, JobSpec spec, String party) {
    SparkSteps s = new SparkSteps(spark.sparkContext());
    if (s.group == null) {
      s.sc.setJobGroup("veil-" + spec.jobId() + "-" + party, label(spec, party), false);
    }
    return s;
  }

  /** Describes the Spark jobs that follow as {@code step} of the run. */
  static void describe(SparkSession spark, JobSpec spec, String party, String step, String what) {
    spark.sparkContext().setJobDescription(label(spec, party) + ": " + step + " (" + what + ")");
  }

  private static String label(JobSpec spec, String party) {
    return "Veil " + spec.operator() + " " + spec.name() + spec.period().map(p -> " " + p).orElse("") + " at "
        + party;
  }

  @Override
  public void close() {
    sc.setLocalProperty(GROUP, group);
    sc.setLocalProperty(GROUP_DESCRIPTION, description);
    sc.setLocalProperty(INTERRUPT, interrupt);
  }
}
