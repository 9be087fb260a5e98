package io.veil.ledger.internal;

import io.veil.crypto.IdentityKeys;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.Receipt;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks every ledger store applies to its lines, whatever holds the bytes (a local file,
 * a Hadoop file system): the head an append extends, and the entries a reader returns.
 */
public final class LedgerLines {
  private LedgerLines() {}

  /**
   * Refuses an append the ledger at {@code location} may not take: it was opened read-only
   * ({@code signer} null), or {@code receipt} is another party's.
   */
  public static void requireAppendable(Object location, IdentityKeys signer, Receipt receipt) {
    if (signer == null) {
      throw LedgerErrors.readOnly(location);
    }
    String ourKey = signer.publicKey().encoded();
    if (!receipt.partyKey().equals(ourKey)) {
      throw LedgerErrors.foreignReceipt(location, receipt.partyKey(), ourKey);
    }
  }

  /**
   * The entry on {@code raw}, the last line of ledger {@code location}, checked as the base for the
   * next append: the line is complete and canonical, its hashes recompute, and it is signed by
   * {@code signer}. Null when {@code raw} is null (an empty ledger).
   */
  public static LedgerEntry verifiedHead(Object location, LedgerFile.RawLine raw, IdentityKeys signer) {
    if (raw == null) {
      return null;
    }
    if (!raw.terminated()) {
      throw LedgerErrors.incompleteLastLine(location, raw.bytes().length);
    }
    ParsedLine p = ParsedLine.parse(raw);
    if (p.entry() == null) {
      throw LedgerErrors.unverifiableHead(location, "the last line cannot be read: " + p.error());
    }
    LedgerEntry e = p.entry();
    String ourKey = signer.publicKey().encoded();
    if (!p.canonical()) {
      throw LedgerErrors.unverifiableHead(location, "entry " + e.seq() + " is not in canonical form");
    }
    if (!e.signer().equals(ourKey)) {
      throw LedgerErrors.unverifiableHead(location, "entry " + e.seq() + " is signed by " + e.signer()
          + ", not by this ledger's key " + ourKey);
    }
    if (!e.receiptHashMatches() || !e.entryHashMatches()) {
      throw LedgerErrors.unverifiableHead(location, "entry " + e.seq() + " has a hash that does not recompute");
    }
    if (!e.signatureValidFor(signer.publicKey())) {
      throw LedgerErrors.unverifiableHead(location, "entry " + e.seq() + " has an invalid signature");
    }
    return e;
  }

  /**
   * The entries of ledger content, oldest first: every line complete and canonical, seq from 0,
   * every prevHash linking and every hash recomputing (signatures are the verifier's).
   *
   * @throws io.veil.VeilException naming the first problem, if any
   */
  public static List<LedgerEntry> entries(Object location, byte[] content) {
    List<LedgerEntry> out = new ArrayList<>();
    String prev = LedgerEntry.GENESIS_PREV_HASH;
    for (LedgerFile.RawLine raw : LedgerFile.split(content)) {
      if (!raw.terminated()) {
        throw LedgerErrors.incompleteLastLine(location, raw.bytes().length);
      }
      ParsedLine p = ParsedLine.parse(raw);
      String where = p.location();
      if (p.entry() == null) {
        throw LedgerErrors.unreadable(location, where + " cannot be read: " + p.error());
      }
      LedgerEntry e = p.entry();
      if (!p.canonical()) {
        throw LedgerErrors.unreadable(location, where + " is not in canonical form");
      }
      if (e.seq() != out.size()) {
        throw LedgerErrors.unreadable(location, where + " should have seq " + out.size());
      }
      if (!e.prevHash().equals(prev)) {
        throw LedgerErrors.unreadable(location, where + " does not link to the entry before it");
      }
      if (!e.receiptHashMatches() || !e.entryHashMatches()) {
        throw LedgerErrors.unreadable(location, where + " has a hash that does not recompute");
      }
      out.add(e);
      prev = e.entryHash();
    }
    return List.copyOf(out);
  }

  /** The line an append writes for {@code entry}: its canonical JSON and a newline. */
  public static byte[] line(LedgerEntry entry) {
    byte[] json = entry.canonicalJson();
    byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
    line[json.length] = '\n';
    return line;
  }
}
