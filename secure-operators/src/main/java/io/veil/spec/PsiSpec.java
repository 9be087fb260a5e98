package io.veil.spec;

import io.veil.psi.KeyNormalization;
import io.veil.psi.PsiMode;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PSI settings of a job.
 *
 * @param mode {@code rows} or {@code cardinality}
 * @param recipients parties that receive the output
 * @param normalization key normalisation (same at every party)
 * @param partitions data-plane partitions per stream
 * @param batchRows elements per batch
 * @param protocol which PSI protocol runs
 */
public record PsiSpec(
    PsiMode mode, List<String> recipients, KeyNormalization normalization, int partitions, int batchRows,
    Protocol protocol)
    implements OperatorSettings {

  /** The PSI protocols ({@code psi.protocol}). */
  public enum Protocol {
    /** Diffie-Hellman blinding on Curve25519: every mode and recipient set; the default. */
    ECDH,
    /**
     * An oblivious PRF over OT extension (KKRT16): much less public-key work, rows mode only; the
     * receiving party evaluates the OPRF on its own keys and learns which match.
     */
    OPRF
  }

  @Override
  public Map<String, Object> canonical() {
    return PsiSection.canonical(this);
  }

  /**
   * The key columns as {@link ColumnUse#JOIN_KEY}. The kept columns ({@code input.columns}) are
   * {@link ColumnUse#OUTPUT} only where they are shown: at a recipient in rows mode, which receives
   * its own matching rows. In cardinality mode, and at a party that is not a recipient, they are read
   * but never released, so they have no use.
   */
  @Override
  public Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
    Map<String, Set<ColumnUse>> uses = OperatorSettings.super.columnUses(party);
    if (mode != PsiMode.ROWS || !recipients.contains(party.id())) {
      uses.values().forEach(u -> u.remove(ColumnUse.OUTPUT));
    }
    return uses;
  }

  @Override
  public String label(String operator) {
    return operator + (mode == PsiMode.CARDINALITY ? "-cardinality" : "");
  }
}
