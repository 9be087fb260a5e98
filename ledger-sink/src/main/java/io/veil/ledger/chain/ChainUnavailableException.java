package io.veil.ledger.chain;

import io.veil.VeilException;

/**
 * The chain node could not be reached, did not answer, or did not confirm a transaction in time.
 * Nothing on chain is known to be wrong: the same call can be retried later. An anchor or asset
 * transaction that was already sent may still land; every write of the ledger contract is
 * idempotent, so resending it is safe.
 */
public class ChainUnavailableException extends VeilException {
  private static final long serialVersionUID = 1L;

  public ChainUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
