package io.veil.aggregate.internal;

import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** What both aggregation operators share around a run. */
public final class Runs {
  private Runs() {}

  /** Said after NULL counts: where NULLs the user did not write come from. */
  public static final String NULL_HINT = " (a value that cannot be read as its column's type, such as a CSV cell "
      + "that does not parse as the declared type, is read as NULL)";

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
