package io.veil.ledger.chain;

import io.veil.InvalidInputException;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.MerkleTree;
import io.veil.ledger.internal.Hashes;
import java.util.List;

/**
 * Where one receipt of a {@link ChainSink} stands on its way to the chain: one line of the sink's
 * anchor outbox, and what {@link ChainSink#status(String)} returns. Fields are filled as far as
 * the {@link Stage} goes (later ones are null before): a {@link Stage#CONFIRMED} anchor is the
 * evidence an auditor passes to {@link ChainVerifier#verify}. Immutable.
 *
 * <p><b>Format.</b> Version {@value #CURRENT_VERSION}: the anchored leaf is the {@link AnchorLeaf} of
 * the ledger entry (the job's leaves, the receipt's hash and the entry's place in the ledger). Version
 * 1 (lines without {@code version}, from earlier releases) anchored the job root alone; this release
 * does not read it (see {@link io.veil.ledger.chain.internal.AnchorOutbox}).
 *
 * @param version the anchor format, {@value #CURRENT_VERSION}
 * @param stage how far the receipt got
 * @param seq the receipt's ledger entry seq (a re-run job has a new entry, hence a new anchor)
 * @param prevHash the entry's prevHash (the ledger head it was appended to), lowercase hex
 * @param jobId the receipt's job
 * @param receiptHash the entry's receiptHash, lowercase hex
 * @param leaf the anchored Merkle leaf: the entry's {@link AnchorLeaf}, lowercase hex
 * @param leaves the leaves {@code leaf} is the root of, {@code label=hash} in leaf order (the job's,
 *     {@code receipt:<party>}, {@code ledger-head}): what lets a verifier name the one that no longer
 *     matches
 * @param batchId the identifier sent with the anchor transaction (SUBMITTED on)
 * @param root the Merkle root over the batch's leaves, lowercase hex (SUBMITTED on)
 * @param proof the leaf's inclusion proof under {@code root} (SUBMITTED on)
 * @param chainId the chain the root is anchored on (SUBMITTED on)
 * @param contract the ledger contract address, {@code 0x} + 40 lowercase hex (SUBMITTED on)
 * @param txHash the anchor transaction; while SUBMITTED, null until the node accepted it
 * @param blockNumber the block of the transaction that anchored the root (CONFIRMED)
 * @param confirmations blocks on top of and including it when it was recorded (CONFIRMED)
 * @param gasUsed gas used by that transaction, for the whole batch (CONFIRMED)
 */
public record ReceiptAnchor(
    int version,
    Stage stage,
    long seq,
    String prevHash,
    String jobId,
    String receiptHash,
    String leaf,
    List<String> leaves,
    String batchId,
    String root,
    MerkleTree.InclusionProof proof,
    Long chainId,
    String contract,
    String txHash,
    Long blockNumber,
    Long confirmations,
    Long gasUsed) {

  /** The anchor format this release writes and reads. */
  public static final int CURRENT_VERSION = 2;

  /** How far a receipt got: recorded, sent in a batch, confirmed on chain. */
  public enum Stage {
    PENDING,
    SUBMITTED,
    CONFIRMED
  }

  public ReceiptAnchor {
    if (version != CURRENT_VERSION) {
      throw new InvalidInputException("Cannot use anchor: its format is version " + version + ", but this Veil "
          + "reads version " + CURRENT_VERSION + " only. " + (version > CURRENT_VERSION
              ? "Upgrade Veil to read anchors written by a newer release."
              : "Verify it with the release that wrote it, or move the outbox aside to anchor the ledger again."));
    }
    present("stage", stage, "any");
    hex("prevHash", prevHash);
    present("jobId", jobId, "any");
    hex("receiptHash", receiptHash);
    hex("leaf", leaf);
    present("leaves", leaves, "any");
    leaves = List.copyOf(leaves);
    if (stage != Stage.PENDING) {
      present("batchId", batchId, stage);
      hex("root", root);
      present("proof", proof, stage);
      present("chainId", chainId, stage);
      present("contract", contract, stage);
    }
    if (stage == Stage.CONFIRMED) {
      present("txHash", txHash, stage);
      present("blockNumber", blockNumber, stage);
      present("confirmations", confirmations, stage);
      present("gasUsed", gasUsed, stage);
    }
  }

  /** The PENDING anchor of a freshly appended entry. */
  public static ReceiptAnchor pending(LedgerEntry entry) {
    List<String> leaves = AnchorLeaf.labelledHashes(entry);
    return new ReceiptAnchor(CURRENT_VERSION, Stage.PENDING, entry.seq(), entry.prevHash(), entry.jobId(),
        entry.receiptHash(), Hashes.hex(AnchorLeaf.rootOf(leaves)), leaves, null, null, null, null, null, null, null,
        null, null);
  }

  /** This receipt as part of batch {@code batchId} under {@code root}, not yet sent. */
  public ReceiptAnchor submitted(String batchId, String root, MerkleTree.InclusionProof proof, long chainId,
      String contract) {
    return new ReceiptAnchor(version, Stage.SUBMITTED, seq, prevHash, jobId, receiptHash, leaf, leaves, batchId,
        root, proof, chainId, contract, null, null, null, null);
  }

  /** This SUBMITTED anchor with the hash of the transaction the node accepted. */
  public ReceiptAnchor sent(String txHash) {
    return new ReceiptAnchor(version, Stage.SUBMITTED, seq, prevHash, jobId, receiptHash, leaf, leaves, batchId,
        root, proof, chainId, contract, txHash, null, null, null);
  }

  /** This anchor confirmed by {@code tx}, the transaction that anchored the root. */
  public ReceiptAnchor confirmed(TxOutcome tx, long confirmations) {
    return new ReceiptAnchor(version, Stage.CONFIRMED, seq, prevHash, jobId, receiptHash, leaf, leaves, batchId,
        root, proof, chainId, contract, tx.txHash(), tx.blockNumber(), confirmations, tx.gasUsed());
  }

  /** Back to PENDING, for a batch whose SUBMITTED lines a crash cut short before it was sent. */
  public ReceiptAnchor asPending() {
    return new ReceiptAnchor(version, Stage.PENDING, seq, prevHash, jobId, receiptHash, leaf, leaves, null, null,
        null, null, null, null, null, null, null);
  }

  private static void present(String field, Object value, Object stage) {
    if (value == null) {
      throw new InvalidInputException("Cannot use anchor: " + field + " is missing, which " + stage + " anchors "
          + "need. The outbox or the anchor given was damaged; restore it from a copy.");
    }
  }

  private static void hex(String field, String value) {
    if (!Hashes.isLowerHex(value, MerkleTree.LEAF_BYTES)) {
      throw new InvalidInputException("Cannot use anchor: " + field + " must be 64 lowercase hex digits. "
          + "The outbox or the anchor given was damaged; restore it from a copy.");
    }
  }
}
