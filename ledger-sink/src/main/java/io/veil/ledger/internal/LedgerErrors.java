package io.veil.ledger.internal;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The ledger module's user-facing errors, in one place: each says what could not be done, why,
 * and what to do. None contains key material or job data values.
 */
public final class LedgerErrors {
  private LedgerErrors() {}

  public static InvalidInputException foreignReceipt(Path file, String partyKey, String signerKey) {
    return new InvalidInputException("Cannot append receipt to ledger " + file + ": its partyKey is "
        + partyKey + " but this ledger is signed by " + signerKey
        + ". Build the receipt with the same party key that opens the ledger.");
  }

  public static InvalidInputException otherParty(Path file, String party, String ledgerParty) {
    return new InvalidInputException("Cannot append receipt of party '" + party + "' to ledger " + file
        + ": it holds the receipts of party '" + ledgerParty + "'. Use one ledger file per party.");
  }

  public static VeilException incompleteLastLine(Path file, long bytes) {
    return new VeilException("Cannot use ledger " + file + ": its last line is incomplete (" + bytes
        + " bytes without a newline), left by an interrupted write or added by hand. Inspect it with "
        + "'veil ledger verify --ledger " + file + " --signer <key>'; if no one edited the file, run "
        + "'veil ledger repair --ledger " + file + "' to set the incomplete line aside. Nothing was written.");
  }

  public static VeilException unverifiableHead(Path file, String what) {
    return new VeilException("Cannot append to ledger " + file + ": its last entry does not verify ("
        + what + "). Run 'veil ledger verify --ledger " + file + " --signer <key>' for a full report and "
        + "restore the file from a copy; Veil does not extend a ledger that fails verification. "
        + "Nothing was written.");
  }

  public static VeilException unreadable(Path file, String what) {
    return new VeilException("Cannot read ledger " + file + ": " + what + ". Run 'veil ledger verify --ledger "
        + file + " --signer <key>' for a full report, and restore the file from a copy.");
  }

  public static VeilException io(String action, Path file, IOException e) {
    return new VeilException("Cannot " + action + " ledger " + file + ": " + e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : " " + e.getMessage())
        + ". Check that the path exists, is writable and has free space.", e);
  }

  public static VeilException readOnly(Path file) {
    return new VeilException("Cannot append to ledger " + file + ": it was opened read-only. "
        + "Open it with LocalLedger.open(file, partyKeys) to write.");
  }
}
