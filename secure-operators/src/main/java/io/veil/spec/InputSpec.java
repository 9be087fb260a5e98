package io.veil.spec;

import java.util.List;
import java.util.Map;

/**
 * One party's input as declared in the spec.
 *
 * @param format {@code csv}, {@code parquet}, {@code json}, {@code orc}, {@code jdbc},
 *     {@code table} (a Hive/catalog table) or {@code sql} (the table or query named in the Veil SQL
 *     function that runs the job)
 * @param path file or directory (any Hadoop path: local, hdfs://, s3a://) for file formats
 * @param table table name for {@code table}; {@code dbtable} or a query for {@code jdbc}
 * @param options reader options passed to Spark (e.g. {@code header}, {@code url}, {@code user});
 *     never secrets: JDBC passwords come from {@code passwordFile}
 * @param keyColumns key columns, in the order agreed across parties
 * @param columns columns kept in the output (null: all)
 * @param schema expected column types (Spark SQL type names), checked before anything is sent;
 *     for CSV and JSON also used to read the file
 * @param asset the id of the data asset this input is registered as on the ledger contract, 64
 *     lower-case hex digits (null: not declared); required when the spec's {@code authorisation}
 *     is {@code required}, see {@link JobSpec#authorisationRequired()}
 */
public record InputSpec(
    String format,
    String path,
    String table,
    Map<String, String> options,
    List<String> keyColumns,
    List<String> columns,
    Map<String, String> schema,
    String asset) {}
