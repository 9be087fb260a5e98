package io.veil.ledger.internal;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import io.veil.ledger.chain.ChainRefusedException;
import io.veil.ledger.chain.ChainUnavailableException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The ledger module's user-facing errors, in one place: each says what could not be done, why,
 * and what to do. None contains key material or job data values.
 */
public final class LedgerErrors {
  private LedgerErrors() {}

  public static InvalidInputException foreignReceipt(Object file, String partyKey, String signerKey) {
    return new InvalidInputException("Cannot append receipt to ledger " + file + ": its partyKey is "
        + partyKey + " but this ledger is signed by " + signerKey
        + ". Build the receipt with the same party key that opens the ledger.");
  }

  public static InvalidInputException otherParty(Object file, String party, String ledgerParty) {
    return new InvalidInputException("Cannot append receipt of party '" + party + "' to ledger " + file
        + ": it holds the receipts of party '" + ledgerParty + "'. Use one ledger file per party.");
  }

  public static VeilException incompleteLastLine(Object file, long bytes) {
    return new VeilException("Cannot use ledger " + file + ": its last line is incomplete (" + bytes
        + " bytes without a newline), left by an interrupted write or added by hand. Inspect it with "
        + "'veil ledger verify --ledger " + file + " --signer <key>'; if no one edited the file, run "
        + "'veil ledger repair --ledger " + file + "' to set the incomplete line aside. Nothing was written.");
  }

  public static VeilException unverifiableHead(Object file, String what) {
    return new VeilException("Cannot append to ledger " + file + ": its last entry does not verify ("
        + what + "). Run 'veil ledger verify --ledger " + file + " --signer <key>' for a full report and "
        + "restore the file from a copy; Veil does not extend a ledger that fails verification. "
        + "Nothing was written.");
  }

  public static VeilException unreadable(Object file, String what) {
    return new VeilException("Cannot read ledger " + file + ": " + what + ". Run 'veil ledger verify --ledger "
        + file + " --signer <key>' for a full report, and restore the file from a copy.");
  }

  public static VeilException io(String action, Object file, IOException e) {
    return new VeilException("Cannot " + action + " ledger " + file + ": " + e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : " " + e.getMessage())
        + ". Check that the path exists, is writable and has free space.", e);
  }

  public static VeilException readOnly(Object file) {
    return new VeilException("Cannot append to ledger " + file + ": it was opened read-only. "
        + "Open it with LocalLedger.open(file, partyKeys) to write.");
  }

  // ---- Ledgers on a Hadoop file system (HadoopLedger). ----

  public static InvalidInputException cannotAppend(String location, String scheme, String why) {
    return new InvalidInputException("Cannot keep the receipt ledger at " + location + ": the '" + scheme
        + "' file system cannot append to a file (" + why + "), and a ledger grows by appending one signed line per "
        + "job under a single writer. Object stores (s3a, gs, abfs without append, ...) cannot do that. Set "
        + "veil.ledger.path (--ledger) to an hdfs:// path, to a local path on the driver's host with "
        + "--deploy-mode client, or to a file system every node mounts (NFS, EFS); copy the ledger to the object "
        + "store afterwards if it must end up there. Nothing was read or sent.");
  }

  public static VeilException leaseHeld(String location, long waitedMs, IOException e) {
    return new VeilException("Cannot append to ledger " + location + ": another writer holds it open (its HDFS "
        + "lease) and did not release it within " + waitedMs + " ms (" + e.getClass().getSimpleName() + "). HDFS "
        + "allows one writer per file: wait for the other Veil job of this party to finish, or, if a writer "
        + "crashed, wait for its lease to expire (about a minute) and run 'veil anchor' or the job again; the "
        + "receipt was not written.", e);
  }

  public static VeilException notAnchorable(String location) {
    return new VeilException("Cannot anchor the receipts of ledger " + location + " on a chain: the chain "
        + "sink keeps its outbox as a locked local file next to the ledger, which a Hadoop file system cannot "
        + "hold. Keep the ledger at a local path (client deploy mode, or storage every node mounts) when a "
        + "chain is configured.");
  }

  // ---- EVM chain (io.veil.ledger.chain). rpcUrl arguments are already redacted. ----

  public static ChainUnavailableException chainUnreachable(String action, String rpcUrl, Throwable cause) {
    return new ChainUnavailableException("Cannot " + action + ": the chain node at " + rpcUrl
        + " did not answer (" + cause.getClass().getSimpleName()
        + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + "). Check that the node is running and "
        + "reachable at that URL (rpcUrl); writes are idempotent, so retry once it is back.", cause);
  }

  public static InvalidInputException chainIdMismatch(String rpcUrl, long configured, long reported) {
    return new InvalidInputException("Cannot connect to the chain at " + rpcUrl + ": it reports chain id "
        + reported + " but chainId is configured as " + configured
        + ". Transactions signed for one chain are invalid on another; set chainId to " + reported
        + " if this is the intended chain, or point rpcUrl at the right node.");
  }

  public static InvalidInputException noContractCode(String rpcUrl, String address) {
    return new InvalidInputException("Cannot use the ledger contract at " + address + " on " + rpcUrl
        + ": there is no contract code at that address. Check contractAddress and that rpcUrl is the chain it "
        + "was deployed on, or deploy a new one (ChainClient.deployContract()).");
  }

  public static VeilException noContract(String action) {
    return new VeilException("Cannot " + action + ": no ledger contract is configured. Set contractAddress "
        + "in ChainConfig, or deploy one with ChainClient.deployContract().");
  }

  public static ChainRefusedException chainRefused(String action, String rpcUrl, String reason, String txHash) {
    return new ChainRefusedException(reason, "Cannot " + action + ": the chain at " + rpcUrl + " refused it ("
        + reason + ")" + (txHash == null ? ", before anything was sent" : " in transaction " + txHash)
        + ". Retrying unchanged fails the same way; fix what the reason names.");
  }

  public static ChainUnavailableException unconfirmed(
      String action, String rpcUrl, String txHash, long seenConfirmations, int wanted, long timeoutMs) {
    return new ChainUnavailableException("Cannot confirm " + action + ": transaction " + txHash + " has "
        + seenConfirmations + " of " + wanted + " confirmations on " + rpcUrl + " after " + timeoutMs
        + " ms. It may still be confirmed later; look it up by hash, or resend (the ledger contract's writes "
        + "are idempotent). Raise confirmationTimeoutMs if the chain's blocks are slow.", null);
  }

  public static VeilException interrupted(String action) {
    return new VeilException("Cannot " + action + ": the thread was interrupted while waiting for the chain. "
        + "The transaction may still land; resending is safe.");
  }

  // ---- chain sink and its anchor outbox (io.veil.ledger.chain) ----

  public static VeilException outboxInUse(Path outbox, Throwable cause) {
    return new VeilException("Cannot open anchor outbox " + outbox + ": another chain sink (in this or another "
        + "process) has it open. Use one ChainSink per ledger file, or close the other one first.", cause);
  }

  public static VeilException outboxIo(String action, Path outbox, IOException e) {
    return new VeilException("Cannot " + action + " anchor outbox " + outbox + ": " + e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : " " + e.getMessage())
        + ". Check that the path exists, is writable and has free space.", e);
  }

  public static VeilException outboxUnreadable(Path outbox, int line, String reason, Throwable cause) {
    return new VeilException("Cannot open anchor outbox " + outbox + ": line " + line + " cannot be read (" + reason
        + "). Only its last line may be incomplete after a crash; this one was damaged or edited. Restore the file "
        + "from a copy, or move it aside to re-anchor every receipt of the ledger (anchoring is idempotent: "
        + "nothing is lost, roots already on chain stay).", cause);
  }

  public static VeilException outboxOtherVersion(Path outbox, int line, int version, int current) {
    String which = version == 1 ? "format 1 (no version field: written by an earlier Veil, which anchored the job "
        + "root alone, not the receipt)" : version < 0 ? "a version that is not a number" : "format " + version;
    return new VeilException("Cannot open anchor outbox " + outbox + ": line " + line + " has anchor " + which
        + ", but this Veil reads format " + current + " only. " + (version > current
            ? "Upgrade Veil to read it."
            : "Verify those anchors with the release that wrote them; to anchor the ledger in format " + current
                + ", move the outbox aside and run 'veil anchor' (every receipt is anchored again; the earlier "
                + "roots stay on chain)."));
  }

  public static VeilException sinkWithoutContract(Path ledger) {
    return new VeilException("Cannot open the chain sink for " + ledger + ": its chain client has no ledger "
        + "contract. Set contractAddress in ChainConfig, or deploy one with ChainClient.deployContract().");
  }

  public static VeilException sinkClosed(Path ledger) {
    return new VeilException("Cannot append to the chain sink for " + ledger + ": it is closed. Open a new "
        + "ChainSink on the same ledger; its pending anchors resume there.");
  }
}
