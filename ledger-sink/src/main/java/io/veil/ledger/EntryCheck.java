package io.veil.ledger;

import java.util.List;

/**
 * An extra check {@link LedgerVerifier} runs on every readable entry, e.g. recomputing a
 * receipt's input or output commitment from the files on disk. Implementations must be
 * thread-safe if the verifier is shared.
 *
 * <pre>{@code
 * EntryCheck outputs = entry -> {
 *   Receipt.Commitment c = entry.receipt().outputCommitment();
 *   if (c == null || matches(c, outputFiles(entry))) return List.of();
 *   return List.of("artefact " + path + " does not match the output commitment");
 * };
 * LedgerVerifier.create().withCheck(outputs).verify(ledger, signer);
 * }</pre>
 */
@FunctionalInterface
public interface EntryCheck {
  /**
   * Returns one description per problem found (empty if none). The verifier reports each as a
   * {@link VerificationReport.Problem.Kind#CHECK_FAILED} problem prefixed with the entry's seq,
   * line and job, e.g. "entry 4 (line 5, job psi-2024-05): artefact out/part-0 does not match
   * the output commitment". An exception thrown here is reported the same way.
   */
  List<String> check(LedgerEntry entry);

  /**
   * What this check establishes when it finds nothing, for the PASS line of the report (e.g. "each
   * party of the spec approved once, with its pinned key"); empty to say nothing.
   */
  default String passes() {
    return "";
  }
}
