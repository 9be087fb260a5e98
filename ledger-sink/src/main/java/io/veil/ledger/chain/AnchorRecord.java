package io.veil.ledger.chain;

import java.time.Instant;

/**
 * A Merkle root as the ledger contract recorded it when it was first anchored.
 *
 * @param rootHex the root, 64 lower-case hex digits
 * @param blockNumber the block of the transaction that anchored it
 * @param blockTime that block's timestamp
 * @param submitter the account that anchored it, {@code 0x} + 40 lower-case hex digits
 */
public record AnchorRecord(String rootHex, long blockNumber, Instant blockTime, String submitter) {}
