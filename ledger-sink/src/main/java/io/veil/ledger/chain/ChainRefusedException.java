package io.veil.ledger.chain;

import io.veil.VeilException;

/**
 * The node or the ledger contract refused a call: the contract reverted (for example an asset
 * whose child's owner has not authorised it, or an authorisation change by someone who does not
 * own the asset) or the node rejected the transaction (for example insufficient funds for gas).
 * Retrying the same call unchanged fails the same way.
 */
public class ChainRefusedException extends VeilException {
  private static final long serialVersionUID = 1L;
  private final String reason;

  public ChainRefusedException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** The contract's revert reason or the node's error message, as the node reported it. */
  public String reason() {
    return reason;
  }
}
