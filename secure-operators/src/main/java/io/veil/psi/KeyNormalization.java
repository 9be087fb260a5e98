package io.veil.psi;

import java.io.Serializable;
import java.util.Locale;

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

  public String apply(String value) {
    String v = trim ? value.strip() : value;
    return switch (caseMode) {
      case NONE -> v;
      case LOWER -> v.toLowerCase(Locale.ROOT);
      case UPPER -> v.toUpperCase(Locale.ROOT);
    };
  }
}
