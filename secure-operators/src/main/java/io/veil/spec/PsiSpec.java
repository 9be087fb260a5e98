package io.veil.spec;

import io.veil.psi.KeyNormalization;
import io.veil.psi.PsiMode;
import java.util.List;
import java.util.Map;

/**
 * PSI settings of a job.
 *
 * @param mode {@code rows} or {@code cardinality}
 * @param recipients parties that receive the output
 * @param normalization key normalisation (same at every party)
 * @param partitions data-plane partitions per stream
 * @param batchRows elements per batch
 */
public record PsiSpec(
    PsiMode mode, List<String> recipients, KeyNormalization normalization, int partitions, int batchRows)
    implements OperatorSettings {

  @Override
  public Map<String, Object> canonical() {
    return PsiSection.canonical(this);
  }

  @Override
  public String label(String operator) {
    return operator + (mode == PsiMode.CARDINALITY ? "-cardinality" : "");
  }
}
