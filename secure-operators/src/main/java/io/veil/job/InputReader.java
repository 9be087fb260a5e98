package io.veil.job;

import io.veil.spec.InputSpec;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Opens a party's input as its spec declares it (files, tables, JDBC), reading metadata only:
 * paths, headers, footers, column names and types. The runtime opens the input before it approves
 * the job, so an implementation must not read rows. The default one is {@code PartyInputs} in
 * spark-connectors.
 */
@FunctionalInterface
public interface InputReader {
  /**
   * @throws io.veil.InvalidInputException naming what is missing or wrong, and the fix
   */
  Dataset<Row> open(SparkSession spark, InputSpec input, String party);
}
