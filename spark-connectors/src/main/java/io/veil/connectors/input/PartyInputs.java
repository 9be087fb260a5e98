package io.veil.connectors.input;

import io.veil.InvalidInputException;
import io.veil.job.InputReader;
import io.veil.spark.InputColumns;
import io.veil.spec.InputSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Opens a party's input as declared in the job spec, through Spark's own readers (CSV, Parquet,
 * JSON, ORC, JDBC, catalog tables; any Hadoop path: local, hdfs://, s3a://) and validates its
 * schema before any row is read: the path exists, every key and output column is there, and
 * declared types match.
 *
 * <p>CSV columns are strings unless the spec declares a type in {@code schema} (no schema inference,
 * which would read the data before approval).
 */
public final class PartyInputs {
  private PartyInputs() {}

  /** Local secrets for inputs that need them; never part of the spec. */
  public record Secrets(Path jdbcPasswordFile) {
    public static final Secrets NONE = new Secrets(null);
  }

  /** The runtime's {@link InputReader}: {@link #open} with these secrets. */
  public static InputReader reader(Secrets secrets) {
    return (spark, in, party) -> open(spark, in, party, secrets);
  }

  /** Opens and validates; reads only metadata (file listing, headers, footers, JDBC column types). */
  public static Dataset<Row> open(SparkSession spark, InputSpec in, String party, Secrets secrets) {
    return InputColumns.shape(read(spark, in, party, secrets), in, party);
  }

  private static Dataset<Row> read(SparkSession spark, InputSpec in, String party, Secrets secrets) {
    String what = "input of " + party;
    DataFrameReader reader = spark.read().options(in.options());
    StructType declared = in.schema().isEmpty() ? null : InputColumns.declaredSchema(in, party);
    try {
      switch (in.format()) {
        case "csv" -> {
          checkPathExists(spark, in.path(), what);
          if (!in.options().containsKey("header")) {
            reader = reader.option("header", "true");
          }
          return castDeclared(reader.csv(in.path()), declared);
        }
        case "json" -> {
          checkPathExists(spark, in.path(), what);
          return castDeclared(reader.json(in.path()), declared);
        }
        case "parquet" -> {
          checkPathExists(spark, in.path(), what);
          return reader.parquet(in.path());
        }
        case "orc" -> {
          checkPathExists(spark, in.path(), what);
          return reader.orc(in.path());
        }
        case "table" -> {
          return spark.table(in.table());
        }
        case "jdbc" -> {
          if (!in.options().containsKey("url")) {
            throw new InvalidInputException("Cannot open the " + what + ": JDBC input needs options.url "
                + "(e.g. jdbc:postgresql://host:5432/db). Add it to the spec.");
          }
          reader = reader.format("jdbc").option("dbtable", in.table());
          if (secrets.jdbcPasswordFile() != null) {
            reader = reader.option("password", readSecret(secrets.jdbcPasswordFile(), what));
          }
          return reader.load();
        }
        case "sql" -> throw new InvalidInputException("Cannot open the " + what + ": the spec says it is named in "
            + "SQL (format sql), so only a Veil SQL function can run this job, given the table or query, e.g. "
            + "SELECT * FROM veil_job('<spec name>', '<table>'). Run it from Spark SQL, or give the input a "
            + "file, table or jdbc format in the spec.");
        default -> throw new InvalidInputException("Cannot open the " + what + ": unknown format '"
            + in.format() + "'. Use csv, parquet, json, orc, jdbc or table.");
      }
    } catch (InvalidInputException e) {
      throw e;
    } catch (Exception e) { // Spark rethrows checked exceptions (SQLException, AnalysisException) undeclared
      throw new InvalidInputException("Cannot open the " + what + " (" + in.format() + " "
          + (in.path() != null ? in.path() : in.table()) + "): " + firstLine(e.getMessage())
          + ". Check the spec's input and that this party can read it.", e);
    }
  }

  /**
   * CSV and JSON carry no types: declared columns are cast (values that do not parse become NULL,
   * and NULL keys are dropped and counted by the operator).
   */
  private static Dataset<Row> castDeclared(Dataset<Row> df, StructType declared) {
    if (declared == null) {
      return df;
    }
    List<String> names = Arrays.asList(df.columns());
    for (StructField f : declared.fields()) {
      if (names.contains(f.name())) {
        df = df.withColumn(f.name(), df.col("`" + f.name() + "`").cast(f.dataType()));
      }
    }
    return df;
  }

  private static void checkPathExists(SparkSession spark, String path, String what) {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.globStatus(p) == null || fs.globStatus(p).length == 0) {
        throw new InvalidInputException("Cannot open the " + what + ": path " + path
            + " does not exist. Fix the spec's input path (relative paths resolve against the job's "
            + "working directory).");
      }
    } catch (IOException e) {
      throw new InvalidInputException("Cannot open the " + what + ": path " + path + " cannot be listed ("
          + e.getMessage() + "). Check the file system configuration and permissions.", e);
    }
  }

  private static String readSecret(Path file, String what) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new InvalidInputException("Cannot open the " + what + ": the JDBC password file " + file
          + " cannot be read. Check --jdbc-password-file.", e);
    }
  }

  private static String firstLine(String s) {
    return s == null ? "unknown error" : s.lines().findFirst().orElse(s).strip();
  }

}
