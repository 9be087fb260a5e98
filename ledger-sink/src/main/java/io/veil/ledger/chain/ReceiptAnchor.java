package io.veil.ledger.chain;

import io.veil.InvalidInputException;
import io.veil.ledger.JobRoot;
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
 * @param stage how far the receipt got
 * @param seq the receipt's ledger entry seq (a re-run job has a new entry, hence a new anchor)
 * @param jobId the receipt's job
 * @param receiptHash the entry's receiptHash, lowercase hex
 * @param leaf the Merkle leaf: the receipt's job root ({@link JobRoot}), lowercase hex, the same for
 *     every party's receipt of the job
 * @param jobLeaves the job root's leaves, {@code label=hash} in leaf order: what lets a verifier
 *     name the artefact that no longer matches
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
    Stage stage,
    long seq,
    String jobId,
    String receiptHash,
    String leaf,
    List<String> jobLeaves,
    String batchId,
    String root,
    MerkleTree.InclusionProof proof,
    Long chainId,
    String contract,
    String txHash,
    Long blockNumber,
    Long confirmations,
    Long gasUsed) {

  /** How far a receipt got: recorded, sent in a batch, confirmed on chain. */
  public enum Stage {
    PENDING,
    SUBMITTED,
    CONFIRMED
  }

  public ReceiptAnchor {
    present("stage", stage, "any");
    present("jobId", jobId, "any");
    hex("receiptHash", receiptHash);
    hex("leaf", leaf);
    present("jobLeaves", jobLeaves, "any");
    jobLeaves = List.copyOf(jobLeaves);
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
    return new ReceiptAnchor(Stage.PENDING, entry.seq(), entry.jobId(), entry.receiptHash(),
        Hashes.hex(JobRoot.of(entry.receipt())), JobRoot.labelledHashes(entry.receipt()), null, null, null, null, null, null, null, null, null);
  }

  /** This receipt as part of batch {@code batchId} under {@code root}, not yet sent. */
  public ReceiptAnchor submitted(String batchId, String root, MerkleTree.InclusionProof proof, long chainId,
      String contract) {
    return new ReceiptAnchor(Stage.SUBMITTED, seq, jobId, receiptHash, leaf, jobLeaves, batchId, root, proof,
        chainId, contract, null, null, null, null);
  }

  /** This SUBMITTED anchor with the hash of the transaction the node accepted. */
  public ReceiptAnchor sent(String txHash) {
    return new ReceiptAnchor(Stage.SUBMITTED, seq, jobId, receiptHash, leaf, jobLeaves, batchId, root, proof,
        chainId, contract, txHash, null, null, null);
  }

  /** This anchor confirmed by {@code tx}, the transaction that anchored the root. */
  public ReceiptAnchor confirmed(TxOutcome tx, long confirmations) {
    return new ReceiptAnchor(Stage.CONFIRMED, seq, jobId, receiptHash, leaf, jobLeaves, batchId, root, proof,
        chainId, contract, tx.txHash(), tx.blockNumber(), confirmations, tx.gasUsed());
  }

  /** Back to PENDING, for a batch whose SUBMITTED lines a crash cut short before it was sent. */
  public ReceiptAnchor asPending() {
    return new ReceiptAnchor(Stage.PENDING, seq, jobId, receiptHash, leaf, jobLeaves, null, null, null, null, null,
        null, null, null, null);
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
