package io.veil.psi;

import java.io.Serializable;
import java.util.List;
import java.util.Set;

/**
 * Options of one PSI run, identical at both parties (they come from the job spec).
 *
 * @param keyColumns this party's key columns, in the order agreed in the spec (composite keys
 *     compare component by component)
 * @param normalization how key values are normalised before hashing
 * @param mode what recipients learn
 * @param recipients parties that receive the output
 * @param partitions data-plane partitions per stream (parallelism of every round)
 * @param batchRows elements per data-plane batch
 * @param peerTimeoutMs how long to wait for each peer message before failing
 */
public record PsiOptions(
    List<String> keyColumns,
    KeyNormalization normalization,
    PsiMode mode,
    Set<String> recipients,
    int partitions,
    int batchRows,
    long peerTimeoutMs)
    implements Serializable {

  public static final int DEFAULT_PARTITIONS = 8;
  public static final int DEFAULT_BATCH_ROWS = 4096;

  public PsiOptions {
    keyColumns = List.copyOf(keyColumns);
    recipients = Set.copyOf(recipients);
    if (keyColumns.isEmpty()) {
      throw new IllegalArgumentException("at least one key column");
    }
    if (partitions < 1 || batchRows < 1 || peerTimeoutMs < 1) {
      throw new IllegalArgumentException("partitions, batchRows and peerTimeoutMs must be positive");
    }
  }
}
