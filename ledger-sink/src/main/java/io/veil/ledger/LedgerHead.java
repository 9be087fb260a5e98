package io.veil.ledger;

import io.veil.InvalidInputException;
import io.veil.ledger.internal.Hashes;

/**
 * The last entry of a ledger as someone recorded it: its seq and entryHash. A ledger file alone
 * cannot show that entries were cut off its end (the shorter file is still a valid chain), so an
 * auditor keeps the head of each verified ledger (or reads it from a chain anchor) and passes it
 * to the next {@link LedgerVerifier#verify(java.nio.file.Path, io.veil.crypto.IdentityPublicKey,
 * LedgerHead) verify}. Text form: {@code <seq>:<entryHash hex>}.
 */
public record LedgerHead(long seq, String entryHash) {
  public LedgerHead {
    if (seq < 0 || !Hashes.isLowerHex(entryHash, Hashes.SHA256_BYTES)) {
      throw new InvalidInputException("Cannot use ledger head: it needs a seq >= 0 and a 64-character "
          + "lowercase hex entryHash. Copy the head printed by 'veil ledger verify'.");
    }
  }

  /** Parses {@code <seq>:<entryHash hex>}. */
  public static LedgerHead parse(String text) {
    int colon = text == null ? -1 : text.indexOf(':');
    if (colon <= 0) {
      throw new InvalidInputException("Cannot parse ledger head '" + text + "': expected <seq>:<entryHash>. "
          + "Copy the head printed by 'veil ledger verify'.");
    }
    long seq;
    try {
      seq = Long.parseLong(text.substring(0, colon));
    } catch (NumberFormatException e) {
      throw new InvalidInputException("Cannot parse ledger head '" + text + "': the seq before ':' is not "
          + "a number. Copy the head printed by 'veil ledger verify'.");
    }
    return new LedgerHead(seq, text.substring(colon + 1));
  }

  @Override
  public String toString() {
    return seq + ":" + entryHash;
  }
}
