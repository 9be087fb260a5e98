package io.veil.psi;

import java.io.Serializable;
import java.util.Locale;
import org.apache.spark.sql.Row;

/**
 * How each key column's value is normalised before hashing, identically at every party: the value
 * is converted to its string form, then optionally trimmed of leading and trailing white space
 * and case-folded.
 *
 * @param trim strip leading and trailing white space (Unicode)
 * @param caseMode {@code none}, {@code lower} or {@code upper} (locale-independent)
 */
public record KeyNormalization(boolean trim, CaseMode caseMode) implements Serializable {

  /** Case folding applied to key values. */
  public enum CaseMode {
    NONE,
    LOWER,
    UPPER
  }

  /** Trim, keep case: the default. */
  public static final KeyNormalization DEFAULT = new KeyNormalization(true, CaseMode.NONE);

  /** As a spec section's {@code normalize} field, defaults explicit, for the canonical JSON of a contract. */
  public java.util.Map<String, Object> canonical() {
    return java.util.Map.of("trim", trim, "case", caseMode.name().toLowerCase(Locale.ROOT));
  }

  public String apply(String value) {
    String v = trim ? value.strip() : value;
    return switch (caseMode) {
      case NONE -> v;
      case LOWER -> v.toLowerCase(Locale.ROOT);
      case UPPER -> v.toUpperCase(Locale.ROOT);
    };
  }

  /**
   * The element a row's key stands for: for each component (already in its string form) a 4-byte
   * big-endian length and its normalised UTF-8 bytes, so composite keys are unambiguous. Null when
   * any component is NULL.
   */
  public byte[] encode(Row keyColumns) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(32);
    for (int i = 0; i < keyColumns.length(); i++) {
      if (keyColumns.isNullAt(i)) {
        return null;
      }
      byte[] v = apply(keyColumns.getString(i)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      out.write(v.length >>> 24);
      out.write(v.length >>> 16);
      out.write(v.length >>> 8);
      out.write(v.length);
      out.writeBytes(v);
    }
    return out.toByteArray();
  }
}
