package io.veil.ledger.chain;

/**
 * A confirmed transaction of the ledger contract.
 *
 * @param txHash the transaction hash, {@code 0x} + 64 hex digits
 * @param blockNumber the block that included it
 * @param gasUsed the gas it used
 * @param changedState false if the call was an idempotent no-op: the root was already anchored,
 *     the asset already registered with the same content, the grant already present or absent
 */
public record TxOutcome(String txHash, long blockNumber, long gasUsed, boolean changedState) {}
