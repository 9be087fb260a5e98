package io.veil.ledger.chain;

import io.veil.ledger.JobRoot;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.MerkleTree;
import java.util.ArrayList;
import java.util.List;

/**
 * The value a {@link ChainSink} anchors for one ledger entry, and what {@link ChainVerifier}
 * recomputes from the entry: the root of a {@link MerkleTree} over labelled leaves (each hashed as
 * a {@link JobRoot.Leaf}, label bound to value), in this order:
 *
 * <ol>
 *   <li>the job's leaves ({@link JobRoot#leaves}): the contract hash, every approval, every party's
 *       input and output commitment roots. They are the same in every party's receipt of the job, so
 *       the parties' anchors can be compared artefact by artefact;
 *   <li>{@code receipt:<party>}: the receipt's hash ({@link io.veil.ledger.Receipt#hashHex()}: SHA-256 of
 *       its canonical JSON, so every field of it, anchors included; the entry's {@code receiptHash});
 *   <li>{@code ledger-head}: where the entry stands in the ledger, {@code <seq>|<prevHash>}: its seq and
 *       the entryHash of the entry before it (the ledger head it was appended to).
 * </ol>
 *
 * <p>With the last two the anchor fixes the entry's entryHash, and with it every entry before it: a
 * party that rewrites and re-signs its own ledger (a {@link io.veil.ledger.LedgerVerifier} alone
 * cannot tell) changes the receipt leaf of the entry it edited and the ledger-head leaf of every
 * later one. The two are separate leaves so that a report names which of the two changed. Unlike the
 * job root, the anchored leaf differs between the parties of a job: each party anchors its own
 * receipt. Stateless.
 */
public final class AnchorLeaf {
  /** Label prefix of the receipt leaf; the party id follows. */
  public static final String RECEIPT_LABEL_PREFIX = "receipt:";
  /** Label of the ledger-head leaf. */
  public static final String LEDGER_HEAD_LABEL = "ledger-head";

  private AnchorLeaf() {}

  /** The entry's leaves, in leaf order: the job's, then the receipt's, then the ledger head. */
  public static List<JobRoot.Leaf> leaves(LedgerEntry entry) {
    List<JobRoot.Leaf> out = new ArrayList<>(JobRoot.leaves(entry.receipt()));
    out.add(new JobRoot.Leaf(RECEIPT_LABEL_PREFIX + entry.receipt().party(), entry.receipt().hashHex()));
    out.add(ledgerHead(entry.seq(), entry.prevHash()));
    return out;
  }

  /** {@link #leaves} as {@code label=hash}, how an anchor records them. */
  public static List<String> labelledHashes(LedgerEntry entry) {
    return leaves(entry).stream().map(JobRoot.Leaf::labelledHash).toList();
  }

  /** The 32-byte anchored leaf of {@code entry}: the Merkle root over {@link #leaves}. */
  public static byte[] of(LedgerEntry entry) {
    return rootOf(labelledHashes(entry));
  }

  /** The Merkle root over {@code label=hash} leaves, as a verifier recomputes it from an anchor record. */
  public static byte[] rootOf(List<String> labelledHashes) {
    return MerkleTree.of(labelledHashes.stream().map(JobRoot::hashOf).toList()).root();
  }

  /** The receipt leaf of a receipt of {@code party} whose hash is {@code receiptHash} (hex). */
  public static JobRoot.Leaf receipt(String party, String receiptHash) {
    return new JobRoot.Leaf(RECEIPT_LABEL_PREFIX + party, receiptHash);
  }

  /** The ledger-head leaf of entry {@code seq} appended after {@code prevHash} (hex). */
  public static JobRoot.Leaf ledgerHead(long seq, String prevHash) {
    return new JobRoot.Leaf(LEDGER_HEAD_LABEL, seq + "|" + prevHash);
  }

  /** True for the label of a receipt leaf. */
  static boolean isReceiptLabel(String label) {
    return label.startsWith(RECEIPT_LABEL_PREFIX);
  }
}
