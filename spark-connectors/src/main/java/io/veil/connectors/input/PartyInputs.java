package io.veil.connectors.input;

import io.veil.InvalidInputException;
import io.veil.job.InputReader;
import io.veil.spec.InputSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
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
    Dataset<Row> df = read(spark, in, party, secrets);
    validate(df.schema(), in, party);
    if (in.columns() != null) {
      java.util.LinkedHashSet<String> keep = new java.util.LinkedHashSet<>(keyColumns(in));
      keep.addAll(in.columns());
      df = df.selectExpr(keep.stream().map(c -> "`" + c + "`").toArray(String[]::new));
    }
    return df;
  }

  /** The input's key columns; none for operators without keys (aggregate). */
  private static List<String> keyColumns(InputSpec in) {
    return in.keyColumns() == null ? List.of() : in.keyColumns();
  }

  private static Dataset<Row> read(SparkSession spark, InputSpec in, String party, Secrets secrets) {
    String what = "input of " + party;
    DataFrameReader reader = spark.read().options(in.options());
    StructType declared = in.schema().isEmpty() ? null : declaredSchema(in, party);
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

  /** Checks key columns, output columns and declared types; names every problem's column. */
  public static void validate(StructType schema, InputSpec in, String party) {
    List<String> names = Arrays.stream(schema.fields()).map(StructField::name).toList();
    String available = String.join(", ", names);
    for (String k : keyColumns(in)) {
      if (!names.contains(k)) {
        throw new InvalidInputException("Cannot use the input of " + party + ": key column '" + k
            + "' is missing (columns: " + available + "). Fix keyColumns in the spec or the input.");
      }
    }
    if (in.columns() != null) {
      for (String c : in.columns()) {
        if (!names.contains(c)) {
          throw new InvalidInputException("Cannot use the input of " + party + ": column '" + c
              + "' listed in 'columns' is missing (columns: " + available + "). Fix the spec or the input.");
        }
      }
    }
    for (Map.Entry<String, String> e : in.schema().entrySet()) {
      if (!names.contains(e.getKey())) {
        throw new InvalidInputException("Cannot use the input of " + party + ": column '" + e.getKey()
            + "' declared in 'schema' is missing (columns: " + available + "). Fix the spec or the input.");
      }
      DataType want = parseType(e.getValue(), e.getKey(), party);
      DataType got = schema.apply(e.getKey()).dataType();
      if (!want.sameType(got)) {
        throw new InvalidInputException("Cannot use the input of " + party + ": column '" + e.getKey()
            + "' has type " + got.simpleString() + " but the spec declares " + want.simpleString()
            + ". Convert the column or fix 'schema' in the spec.");
      }
    }
  }

  private static StructType declaredSchema(InputSpec in, String party) {
    StructType t = new StructType();
    for (Map.Entry<String, String> e : in.schema().entrySet()) {
      t = t.add(e.getKey(), parseType(e.getValue(), e.getKey(), party), true);
    }
    return t;
  }

  private static DataType parseType(String type, String column, String party) {
    try {
      return DataType.fromDDL(type.toLowerCase(Locale.ROOT));
    } catch (Exception e) { // ParseException is checked in Java's eyes
      throw new InvalidInputException("Cannot use the input of " + party + ": type '" + type
          + "' declared for column '" + column + "' is not a Spark SQL type. Use e.g. string, int, "
          + "bigint, double, date, decimal(18,2).");
    }
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
