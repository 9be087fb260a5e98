package io.veil.spark;

import io.veil.InvalidInputException;
import io.veil.spec.InputSpec;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What the spec's input section says about an input's columns, applied to an opened input however it
 * was opened (read from the spec's location, given in code, named in SQL): every key column, kept
 * column and declared type is checked from the schema alone, and only the key and kept columns go on
 * (all columns when the spec keeps every column). The job runtime applies it to every input, so a
 * policy's column rules hold whichever surface started the job.
 */
public final class InputColumns {
  private InputColumns() {}

  /** Checks {@code input} against {@code in} and keeps the key and kept columns. */
  public static Dataset<Row> shape(Dataset<Row> input, InputSpec in, String party) {
    validate(input.schema(), in, party);
    if (in.columns() == null) {
      return input;
    }
    LinkedHashSet<String> keep = new LinkedHashSet<>(keyColumns(in));
    keep.addAll(in.columns());
    if (keep.size() == input.columns().length && Arrays.asList(input.columns()).containsAll(keep)) {
      return input;
    }
    return input.selectExpr(keep.stream().map(c -> "`" + c.replace("`", "``") + "`").toArray(String[]::new));
  }

  /** The input's key columns; none for operators without keys (aggregate). */
  private static List<String> keyColumns(InputSpec in) {
    return in.keyColumns() == null ? List.of() : in.keyColumns();
  }

  /** Checks key columns, kept columns and declared types; names every problem's column. */
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

  /** The schema the spec declares for the input ({@code schema}), as Spark types. */
  public static StructType declaredSchema(InputSpec in, String party) {
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
}
