package io.veil.job;

import io.veil.spec.OutputSpec;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/** Writes a job's output where the spec says, and reads it back as written (for its commitment and {@code veil verify}). */
public final class JobOutputs {
  private JobOutputs() {}

  /** Writes {@code rows} to {@code out} (replacing what is there: a re-run writes the same result). */
  public static void write(Dataset<Row> rows, OutputSpec out) {
    if (out.table() != null) {
      // A managed catalog table (Hive's metastore when the session has Hive support), replaced as a whole.
      rows.write().mode(SaveMode.Overwrite).format("parquet").saveAsTable(out.table());
      return;
    }
    var w = rows.write().mode(SaveMode.Overwrite).format(out.format());
    if (out.format().equals("csv")) {
      w = w.option("header", "true");
    }
    w.save(out.path());
  }

  /** Reads an output back as written. */
  public static Dataset<Row> read(SparkSession spark, OutputSpec out) {
    if (out.table() != null) {
      spark.catalog().refreshTable(out.table());
      return spark.table(out.table());
    }
    var r = spark.read().format(out.format());
    if (out.format().equals("csv")) {
      r = r.option("header", "true");
    }
    return r.load(out.path());
  }
}
