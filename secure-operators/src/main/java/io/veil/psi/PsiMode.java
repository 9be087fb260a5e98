package io.veil.psi;

/** What PSI reveals to its recipients. */
public enum PsiMode {
  /** Recipients learn which of their own rows are in the intersection (rows joined back). */
  ROWS,
  /** Recipients learn only the size of the intersection. */
  CARDINALITY
}
