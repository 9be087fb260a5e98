package io.veil.job;

import io.veil.spec.OutputSpec;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Writes a job's output where the spec says, and reads it back as written (for its commitment and {@code veil verify}). */
public final class JobOutputs {
  /**
   * How a CSV output is read: its header names the columns, and a value the writer quoted because it
   * holds a line break stays one value (Spark's CSV reader splits such a row in two by default).
   */
  private static final Map<String, String> CSV_READ = Map.of("header", "true", "multiLine", "true");

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
      r = r.options(CSV_READ);
    }
    return r.load(out.path());
  }

  /**
   * Reads back an output just written from rows of {@code written}'s schema, as {@link #read} does,
   * except that a CSV output's columns are not inferred from its header: Spark reads a header with a
   * job of its own (half a second on a small output). They are {@code written}'s names, each a
   * string, as Spark reads CSV without schema inference.
   */
  public static Dataset<Row> readWritten(SparkSession spark, OutputSpec out, StructType written) {
    if (out.table() != null || !out.format().equals("csv")) {
      return read(spark, out);
    }
    StructType strings = new StructType();
    for (StructField f : written.fields()) {
      strings = strings.add(f.name(), DataTypes.StringType, true);
    }
    return spark.read().format("csv").options(CSV_READ).schema(strings).load(out.path());
  }
}
