package io.veil.sql.internal;

import java.util.function.Supplier;
import org.apache.spark.OneToOneDependency;
import org.apache.spark.Partition;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Row;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.reflect.ClassTag$;

/**
 * The rows of a job that runs when they are first needed: the first time Spark asks for this RDD's
 * partitions (on the driver, when a query over it executes), the job runs to the end and this RDD
 * becomes a one-to-one view of its result. Planning a query (EXPLAIN, DESCRIBE QUERY) never runs the
 * job, and every action on the same plan reuses the one result.
 */
final class JobRdd extends RDD<Row> {
  private static final long serialVersionUID = 1L;

  private transient Supplier<RDD<Row>> job;
  private RDD<Row> result;

  JobRdd(SparkContext sc, Supplier<RDD<Row>> job) {
    super(sc, JavaConverters.asScalaBuffer(new java.util.ArrayList<org.apache.spark.Dependency<?>>()).toSeq(),
        ClassTag$.MODULE$.apply(Row.class));
    this.job = job;
  }

  private synchronized RDD<Row> result() {
    if (result == null) {
      if (job == null) {
        throw new IllegalStateException("the job behind this relation can only run on the driver");
      }
      result = job.get();
      job = null;
    }
    return result;
  }

  @Override
  public Partition[] getPartitions() {
    return result().partitions();
  }

  @Override
  public Seq<org.apache.spark.Dependency<?>> getDependencies() {
    java.util.List<org.apache.spark.Dependency<?>> deps = new java.util.ArrayList<>();
    deps.add(new OneToOneDependency<>(result()));
    return JavaConverters.asScalaBuffer(deps).toSeq();
  }

  @Override
  public scala.collection.Iterator<Row> compute(Partition split, TaskContext context) {
    return result.iterator(split, context);
  }
}
