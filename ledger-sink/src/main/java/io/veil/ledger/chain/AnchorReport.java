package io.veil.ledger.chain;

import java.util.List;

/**
 * The outcome of {@link ChainVerifier#verify}: every mismatch between a receipt, its anchor and the
 * chain. Immutable.
 *
 * @param problems what does not match, in check order; empty if the anchor verified
 */
public record AnchorReport(List<Problem> problems) {
  public AnchorReport {
    problems = List.copyOf(problems);
  }

  /** What does not match which anchor; callers and tests branch on it, people read the message. */
  public enum Kind {
    /** The anchor is still PENDING or SUBMITTED: there is nothing on chain to check yet. */
    NOT_CONFIRMED,
    /** The anchor's leaves do not make its anchored leaf (the anchor record was edited). */
    LEAVES_NOT_LEAF,
    /** A job artefact the receipt records (e.g. {@code input:bank_a}) is not the anchored leaf of its label. */
    RECEIPT_NOT_LEAF,
    /**
     * The receipt as a whole (its hash: every field) is not the anchored {@code receipt:<party>} leaf: it
     * was changed after it was anchored, even if its ledger was re-signed.
     */
    RECEIPT_HASH_NOT_LEAF,
    /**
     * The entry's place in the ledger (seq, prevHash) is not the anchored {@code ledger-head} leaf: entries
     * before it were changed, removed or inserted after it was anchored.
     */
    LEDGER_HEAD_NOT_LEAF,
    /** The inclusion proof does not lead from the anchored leaf to the anchored root. */
    PROOF_NOT_ROOT,
    /** The anchor names another chain or contract than the client reads. */
    OTHER_CHAIN,
    /** The contract has no anchor for the root. */
    ROOT_NOT_ON_CHAIN,
    /** The root was anchored in another block or by another transaction than recorded. */
    TX_MISMATCH
  }

  /** One mismatch. */
  public record Problem(Kind kind, String message) {}

  public boolean ok() {
    return problems.isEmpty();
  }

  public List<Kind> kinds() {
    return problems.stream().map(Problem::kind).toList();
  }

  /** PASS, or FAIL with one line per problem. */
  public String summary() {
    if (ok()) {
      return "PASS: the receipt (every field), its place in the ledger (seq and previous entry hash) and the job's "
          + "artefacts are the anchored leaf, its proof leads to the root, and the root is anchored on chain in the "
          + "recorded block by the recorded transaction.";
    }
    StringBuilder sb = new StringBuilder("FAIL: ").append(problems.size())
        .append(problems.size() == 1 ? " problem" : " problems");
    problems.forEach(p -> sb.append("\n  - ").append(p.kind()).append(": ").append(p.message()));
    return sb.toString();
  }

  @Override
  public String toString() {
    return summary();
  }
}
