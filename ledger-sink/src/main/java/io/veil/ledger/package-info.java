/**
 * Job receipts and the ledgers that record them.
 *
 * <ul>
 *   <li>{@link io.veil.ledger.Receipt}: one party's account of one job, with one canonical JSON
 *       encoding that is both stored and hashed.
 *   <li>{@link io.veil.ledger.LedgerSink}: where receipts go; {@link io.veil.ledger.LocalLedger}
 *       is the embedded default, a hash-chained, signed JSON-lines file.
 *   <li>{@link io.veil.ledger.LedgerVerifier}: checks a ledger file with no secret and reports
 *       every problem by entry; {@link io.veil.ledger.EntryCheck} adds caller checks (artefacts).
 *   <li>{@link io.veil.ledger.MerkleTree}: RFC 9162 Merkle tree and inclusion proofs, for the job
 *       root ({@link io.veil.ledger.JobRoot}) and for sinks that anchor a batch of receipts under one
 *       root.
 *   <li>{@link io.veil.ledger.LedgerCli}: {@code veil ledger verify|repair}.
 * </ul>
 *
 * <p>The ledger file format (one entry per line, {@code \n}-terminated, canonical JSON):
 *
 * <pre>
 * {"entryHash":hex,"prevHash":hex,"receipt":{...},"receiptHash":hex,"seq":n,"signature":hex,"signer":"ed25519:..."}
 * receiptHash = SHA-256(canonical receipt)
 * entryHash   = SHA-256(canonical {"prevHash":..,"receiptHash":..,"seq":..}); prevHash of seq 0 = 64 zeros
 * signature   = Ed25519 by the party key over the 32 entryHash bytes
 * </pre>
 */
package io.veil.ledger;
