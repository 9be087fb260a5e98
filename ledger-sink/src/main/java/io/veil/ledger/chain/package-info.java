/**
 * Veil's ledger on an EVM chain: the ledger contract ({@code src/main/solidity/VeilLedger.sol},
 * compiled by the build with solc-js and wrapped with web3j) and {@link
 * io.veil.ledger.chain.ChainClient}, which deploys it, anchors Merkle roots of job receipts, looks
 * anchors up, and registers data assets and their authorisations, over standard JSON-RPC.
 *
 * <p>Errors: {@link io.veil.ledger.chain.ChainUnavailableException} (node down or slow: retry
 * later; every contract write is idempotent) and {@link io.veil.ledger.chain.ChainRefusedException}
 * (the contract or node refused: retrying unchanged fails the same way); bad arguments raise
 * {@link io.veil.InvalidInputException} before anything is sent.
 *
 * <p>{@link io.veil.ledger.chain.ChainSink} is the {@code LedgerSink} over a local ledger that
 * anchors every receipt through a durable outbox, in batches, retrying until confirmed; {@link
 * io.veil.ledger.chain.ChainVerifier} checks a receipt (every field of it, and its place in the
 * ledger: {@link io.veil.ledger.chain.AnchorLeaf}) against its {@link
 * io.veil.ledger.chain.ReceiptAnchor} on the chain. Not wired into the jobs yet: web3j is an
 * optional dependency of this module until then.
 */
package io.veil.ledger.chain;
