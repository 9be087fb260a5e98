package io.veil.spec;

/**
 * Where a party writes its output.
 *
 * @param path directory (any Hadoop path), for the file formats
 * @param format {@code parquet} (default), {@code csv} or {@code table} (a Hive/catalog table)
 * @param table the table's name ({@code db.name}) for format {@code table}
 */
public record OutputSpec(String path, String format, String table) {
  /** A file output. */
  public OutputSpec(String path, String format) {
    this(path, format, null);
  }

  /** Where the output goes, for messages and receipts: the path, or {@code table db.name}. */
  public String location() {
    return table != null ? "table " + table : path;
  }
}
