package io.veil.psi;

import io.veil.InvalidInputException;
import io.veil.psi.internal.PsiProtocol;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Checks a PSI input's schema before anything is read or sent. */
public final class PsiInputs {
  private PsiInputs() {}

  /**
   * {@code input} with column {@code keyColumn}: its key columns' string forms encoded under {@code
   * normalization} as PSI compares them, NULL where a key column is NULL. Lazy (nothing is read).
   */
  public static Dataset<Row> withKey(Dataset<Row> input, List<String> keyColumns, KeyNormalization normalization,
      String keyColumn) {
    Column[] keys = keyColumns.stream().map(k -> functions.col(k).cast("string")).toArray(Column[]::new);
    return input.withColumn(keyColumn, functions.udf((UDF1<Row, byte[]>) normalization::encode, DataTypes.BinaryType)
        .apply(functions.struct(keys)));
  }

  /** Key column types whose string form is exact: strings, integers, scale-0 decimals, dates. */
  public static boolean isExactKeyType(DataType t) {
    return t.equals(DataTypes.StringType)
        || t.equals(DataTypes.ByteType)
        || t.equals(DataTypes.ShortType)
        || t.equals(DataTypes.IntegerType)
        || t.equals(DataTypes.LongType)
        || t.equals(DataTypes.DateType)
        || (t instanceof DecimalType d && d.scale() == 0);
  }

  /**
   * Fails with an {@link InvalidInputException} naming the column when a key column is missing or
   * of a type whose values cannot be compared exactly across parties.
   */
  public static void validate(StructType schema, List<String> keyColumns, String party) {
    validate(schema, keyColumns, party, "PSI");
  }

  /** {@link #validate(StructType, List, String)} for operator {@code operator} (named in messages). */
  public static void validate(StructType schema, List<String> keyColumns, String party, String operator) {
    List<String> names = Arrays.stream(schema.fields()).map(StructField::name).toList();
    if (names.contains(PsiProtocol.KEY_COLUMN)) {
      throw new InvalidInputException("Cannot run " + operator + " for " + party + ": the input has a column named '"
          + PsiProtocol.KEY_COLUMN + "', which Veil reserves. Rename that column.");
    }
    for (String k : keyColumns) {
      if (!names.contains(k)) {
        throw new InvalidInputException("Cannot run " + operator + " for " + party + ": key column '" + k
            + "' is not in the input (columns: " + String.join(", ", names)
            + "). Fix keyColumns in the spec or the input.");
      }
      DataType t = schema.apply(k).dataType();
      if (!isExactKeyType(t)) {
        throw new InvalidInputException("Cannot run " + operator + " for " + party + ": key column '" + k
            + "' has type " + t.simpleString() + ", whose values do not compare exactly across "
            + "parties. Use a string, integer, scale-0 decimal or date column (cast it in the input).");
      }
    }
    if (keyColumns.stream().distinct().count() != keyColumns.size()) {
      throw new InvalidInputException("Cannot run " + operator + " for " + party + ": keyColumns lists a column twice ("
          + keyColumns.stream().collect(Collectors.joining(", ")) + "). List each key column once.");
    }
  }
}
