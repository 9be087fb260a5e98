package io.veil.ledger.chain;

import io.veil.ledger.JobRoot;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.MerkleTree;
import io.veil.ledger.internal.Hashes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a receipt against its anchor on the chain, as an auditor holding only the ledger entry,
 * its {@link ReceiptAnchor} (from the party's outbox) and chain access would:
 *
 * <ol>
 *   <li>the anchor's job leaves make the anchored leaf (the job root), and every artefact the receipt
 *       records (contract, approvals, every party's commitment roots: {@link JobRoot}) is the
 *       anchored leaf of the same label;
 *   <li>the inclusion proof leads from the anchored leaf to the anchored root;
 *   <li>the anchor names this client's chain and contract, and the root is anchored there;
 *   <li>the root was anchored in the recorded block, by the recorded transaction.
 * </ol>
 *
 * Each check compares one artefact with one anchor, so a report names what was changed: an edited
 * artefact in the receipt fails only (1), naming its leaf (e.g. {@code input:bank_a}), an edited
 * proof only (2), an edited transaction hash only (4); an edited root fails (2) and (3). Whether
 * the entry itself is sound (hashes, signature, chain of entries) is
 * {@link io.veil.ledger.LedgerVerifier}'s job. Stateless; a {@link ChainUnavailableException}
 * means the chain could not be asked, not that the anchor is wrong.
 */
public final class ChainVerifier {
  private ChainVerifier() {}

  /** Labels whose leaf differs between two {@code label=hash} lists, or that only one of them has. */
  private static List<String> differingLabels(List<String> a, List<String> b) {
    Map<String, String> left = byLabel(a);
    Map<String, String> right = byLabel(b);
    Set<String> labels = new LinkedHashSet<>(left.keySet());
    labels.addAll(right.keySet());
    return labels.stream().filter(label -> !Objects.equals(left.get(label), right.get(label))).toList();
  }

  private static Map<String, String> byLabel(List<String> labelledHashes) {
    Map<String, String> out = new LinkedHashMap<>();
    labelledHashes.forEach(l -> out.put(JobRoot.labelOf(l), l));
    return out;
  }

  public static AnchorReport verify(LedgerEntry entry, ReceiptAnchor anchor, ChainClient client) {
    List<AnchorReport.Problem> problems = new ArrayList<>();
    String about = "receipt of job " + entry.jobId() + " (entry " + entry.seq() + ")";
    if (anchor.stage() != ReceiptAnchor.Stage.CONFIRMED) {
      problems.add(new AnchorReport.Problem(AnchorReport.Kind.NOT_CONFIRMED, about + ": its anchor is "
          + anchor.stage() + ", not CONFIRMED; wait for the chain sink (ChainSink.flush) and take the anchor again"));
      return new AnchorReport(problems);
    }
    byte[] anchoredLeaves = MerkleTree.of(anchor.jobLeaves().stream().map(JobRoot::hashOf).toList()).root();
    if (!Hashes.sameHex(Hashes.hex(anchoredLeaves), anchor.leaf())) {
      problems.add(new AnchorReport.Problem(AnchorReport.Kind.LEAVES_NOT_LEAF, about + ": the anchor's job leaves "
          + "do not make its job root " + anchor.leaf() + "; the anchor record was edited, take it again from the "
          + "party's outbox"));
    }
    for (String changed : differingLabels(JobRoot.labelledHashes(entry.receipt()), anchor.jobLeaves())) {
      problems.add(new AnchorReport.Problem(AnchorReport.Kind.RECEIPT_NOT_LEAF, about + ": its " + changed
          + " does not match the anchored job root " + anchor.leaf() + " (leaf '" + changed + "'); the receipt "
          + "was changed after it was anchored, or the anchor belongs to another job"));
    }
    if (!MerkleTree.verify(Hashes.unhex(anchor.root()), Hashes.unhex(anchor.leaf()), anchor.proof())) {
      problems.add(new AnchorReport.Problem(AnchorReport.Kind.PROOF_NOT_ROOT, about + ": the inclusion proof (leaf "
          + anchor.proof().leafIndex() + " of " + anchor.proof().treeSize() + ") does not lead from the anchored leaf "
          + "to the anchored root " + anchor.root()));
    }
    String contract = client.contractAddress().orElse("none");
    if (anchor.chainId() != client.chainId() || !anchor.contract().equalsIgnoreCase(contract)) {
      problems.add(new AnchorReport.Problem(AnchorReport.Kind.OTHER_CHAIN, about + ": it is anchored on chain "
          + anchor.chainId() + " at contract " + anchor.contract() + " but the client reads chain " + client.chainId()
          + " at " + contract + "; connect the client to the chain and contract the anchor names"));
      return new AnchorReport(problems);
    }
    Optional<AnchorRecord> onChain = client.lookup(Hashes.unhex(anchor.root()));
    if (onChain.isEmpty()) {
      problems.add(new AnchorReport.Problem(AnchorReport.Kind.ROOT_NOT_ON_CHAIN, about + ": root " + anchor.root()
          + " is not anchored at contract " + contract + " on chain " + client.chainId()));
      return new AnchorReport(problems);
    }
    if (onChain.get().blockNumber() != anchor.blockNumber()) {
      problems.add(new AnchorReport.Problem(AnchorReport.Kind.TX_MISMATCH, about + ": root " + anchor.root()
          + " was anchored in block " + onChain.get().blockNumber() + ", not in the recorded block "
          + anchor.blockNumber()));
    }
    String tx = client.anchoringTransaction(Hashes.unhex(anchor.root())).map(TxOutcome::txHash).orElse("none");
    if (!tx.equalsIgnoreCase(anchor.txHash())) {
      problems.add(new AnchorReport.Problem(AnchorReport.Kind.TX_MISMATCH, about + ": root " + anchor.root()
          + " was anchored by transaction " + tx + ", not by the recorded transaction " + anchor.txHash()));
    }
    return new AnchorReport(problems);
  }
}
