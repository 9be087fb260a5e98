package io.veil.spec;

import io.veil.psi.KeyNormalization;
import io.veil.psi.PsiMode;
import java.util.List;

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
    PsiMode mode, List<String> recipients, KeyNormalization normalization, int partitions, int batchRows) {}
