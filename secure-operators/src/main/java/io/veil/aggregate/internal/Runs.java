package io.veil.aggregate.internal;

import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** What both aggregation operators share around a run. */
public final class Runs {
  private Runs() {}

  /** Said after NULL counts: where NULLs the user did not write come from. */
  public static final String NULL_HINT = " (a value that cannot be read as its column's type, such as a CSV cell "
      + "that does not parse as the declared type, is read as NULL)";

  /** Adds "N rows have {@code what}" to {@code found} when {@code rows > 0}: one problem of an input. */
  public static void note(List<String> found, long rows, String what) {
    if (rows > 0) {
      found.add(rows + (rows == 1 ? " row has " : " rows have ") + what);
    }
  }

  /** Adds the rows repeating a key to {@code found} when there are any (rows aligned by key need unique keys). */
  public static void noteRepeatedKeys(List<String> found, long repeats) {
    if (repeats > 0) {
      found.add(repeats + (repeats == 1 ? " row repeats a key" : " rows repeat a key")
          + " (aligned rows need unique keys)");
    }
  }

  /** A column name quoted for Spark (names such as {@code default.payment.next.month} hold dots). */
  public static String quote(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  /** The type of {@code column} in {@code schema}, or null when it is missing. */
  public static DataType type(StructType schema, String column) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(column)) {
        return f.dataType();
      }
    }
    return null;
  }
}
