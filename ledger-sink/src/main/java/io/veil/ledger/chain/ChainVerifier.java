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
 * Checks a ledger entry against its anchor on the chain, as an auditor holding only the ledger entry,
 * its {@link ReceiptAnchor} (from the party's outbox) and chain access would:
 *
 * <ol>
 *   <li>the anchor's leaves make its anchored leaf, and every leaf recomputed from the entry
 *       ({@link AnchorLeaf}) is the anchor's leaf of the same label:
 *       <ul>
 *         <li>the job's artefacts the receipt records (contract, approvals, every party's commitment
 *             roots: {@link JobRoot});
 *         <li>{@code receipt:<party>}: the receipt itself, every field of it (its canonical JSON hash);
 *         <li>{@code ledger-head}: the entry's seq and prevHash, so every entry before it;
 *       </ul>
 *   <li>the inclusion proof leads from the anchored leaf to the anchored root;
 *   <li>the anchor names this client's chain and contract, and the root is anchored there;
 *   <li>the root was anchored in the recorded block, by the recorded transaction.
 * </ol>
 *
 * Each check compares one value with one anchor, so a report names what was changed: an edited
 * receipt fails (1) naming {@code receipt:<party>} (and, for an artefact, its own leaf too, e.g.
 * {@code input:bank_a}), even when the party re-signed its ledger so that
 * {@link io.veil.ledger.LedgerVerifier} passes; an entry after a rewritten, removed or inserted
 * entry fails (1) naming {@code ledger-head}; an edited proof fails only (2), an edited transaction
 * hash only (4); an edited root fails (2) and (3). Whether the entry itself is sound (hashes,
 * signature, chain of entries) is {@link io.veil.ledger.LedgerVerifier}'s job.
 *
 * <p>What it does not prove: that the anchored receipt is the first one the party anchored for the
 * job (a party can anchor a rewritten ledger again, in a later block: compare the block time with the
 * receipt's {@code finishedAt}, and the parties' anchors with each other), nor that the receipt's
 * figures are true (only that they are the ones anchored). Stateless; a
 * {@link ChainUnavailableException} means the chain could not be asked, not that the anchor is wrong.
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

  /** The problem of leaf {@code label}, which differs between the entry and the anchor (or only one has). */
  private static AnchorReport.Problem leafProblem(String about, String label, LedgerEntry entry,
      ReceiptAnchor anchor) {
    String leafName = "(leaf '" + label + "')";
    if (AnchorLeaf.isReceiptLabel(label)) {
      String party = label.substring(AnchorLeaf.RECEIPT_LABEL_PREFIX.length());
      String anchored = consistent(anchor, AnchorLeaf.receipt(party, anchor.receiptHash()))
          ? "the anchored receipt of '" + party + "' has hash " + anchor.receiptHash()
          : "the anchor holds no receipt of '" + party + "' that this receipt could be";
      return new AnchorReport.Problem(AnchorReport.Kind.RECEIPT_HASH_NOT_LEAF, about + ": cannot match the receipt "
          + "to its anchor: the receipt of '" + entry.receipt().party() + "' in the ledger has hash "
          + entry.receipt().hashHex() + ", but " + anchored + " " + leafName + ". A field of the receipt was changed "
          + "after it was anchored (the ledger rewritten and re-signed by its party), or the anchor belongs to another "
          + "receipt. Do not rely on this receipt: ask the party for the one it anchored, and compare that with the "
          + "other parties' receipts of the job");
    }
    if (label.equals(AnchorLeaf.LEDGER_HEAD_LABEL)) {
      String anchored = consistent(anchor, AnchorLeaf.ledgerHead(anchor.seq(), anchor.prevHash()))
          ? "it was anchored as entry " + anchor.seq() + " after entry hash " + anchor.prevHash()
          : "the anchor records another place";
      return new AnchorReport.Problem(AnchorReport.Kind.LEDGER_HEAD_NOT_LEAF, about + ": cannot match the entry's "
          + "place in the ledger to its anchor: it is entry " + entry.seq() + " after entry hash " + entry.prevHash()
          + ", but " + anchored + " " + leafName + ". Entries before it were changed, removed or inserted, and the "
          + "ledger re-signed, after it was anchored. Verify the earlier entries against their anchors: the first "
          + "that fails on its receipt leaf is where the ledger was rewritten");
    }
    return new AnchorReport.Problem(AnchorReport.Kind.RECEIPT_NOT_LEAF, about + ": cannot match its " + label
        + " to the anchor: it is not the leaf of that label under the anchored leaf " + anchor.leaf() + " " + leafName
        + ". The receipt was changed after it was anchored, or the anchor belongs to another job; compare this "
        + "artefact with the other parties' receipts of the job");
  }

  /** True if the anchor's leaves hold {@code leaf}, i.e. the anchor's own record of its value is consistent. */
  private static boolean consistent(ReceiptAnchor anchor, JobRoot.Leaf leaf) {
    return anchor.leaves().contains(leaf.labelledHash());
  }

  public static AnchorReport verify(LedgerEntry entry, ReceiptAnchor anchor, ChainClient client) {
    List<AnchorReport.Problem> problems = new ArrayList<>();
    String about = "receipt of job " + entry.jobId() + " (entry " + entry.seq() + ")";
    if (anchor.stage() != ReceiptAnchor.Stage.CONFIRMED) {
      problems.add(new AnchorReport.Problem(AnchorReport.Kind.NOT_CONFIRMED, about + ": its anchor is "
          + anchor.stage() + ", not CONFIRMED; wait for the chain sink (ChainSink.flush) and take the anchor again"));
      return new AnchorReport(problems);
    }
    if (!Hashes.sameHex(Hashes.hex(AnchorLeaf.rootOf(anchor.leaves())), anchor.leaf())) {
      problems.add(new AnchorReport.Problem(AnchorReport.Kind.LEAVES_NOT_LEAF, about + ": the anchor's leaves "
          + "do not make its anchored leaf " + anchor.leaf() + "; the anchor record was edited, take it again from "
          + "the party's outbox"));
    }
    for (String changed : differingLabels(AnchorLeaf.labelledHashes(entry), anchor.leaves())) {
      problems.add(leafProblem(about, changed, entry, anchor));
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
