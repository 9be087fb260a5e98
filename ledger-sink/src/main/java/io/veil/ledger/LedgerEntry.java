package io.veil.ledger;

import io.veil.InvalidInputException;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.SignatureDomain;
import io.veil.ledger.internal.Fields;
import io.veil.ledger.internal.Hashes;
import io.veil.ledger.internal.JsonCodec;
import io.veil.ledger.internal.LedgerErrors;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of a {@link LocalLedger}: a receipt, chained to the entry before it and signed.
 *
 * <pre>
 * entryHash = SHA-256(canonical JSON of {"prevHash":..,"receiptHash":..,"seq":..})
 * signature = Ed25519(signer, the 32 entryHash bytes)
 * </pre>
 *
 * <p>Constructing an entry checks the format of every field, not that the hashes and signature
 * are right: that is {@link LedgerVerifier}'s job, which must be able to describe a tampered
 * entry. Immutable and thread-safe.
 *
 * @param seq position in the ledger, from 0, without gaps
 * @param prevHash the previous entry's {@code entryHash}, or 64 zeros for entry 0
 * @param receiptHash {@link Receipt#hashHex()} of {@code receipt}
 * @param receipt the receipt
 * @param entryHash hash over seq, prevHash and receiptHash (see above)
 * @param signature the signer's Ed25519 signature over the entryHash bytes, lowercase hex
 * @param signer the signer's key, {@code ed25519:<base64url>}
 */
public record LedgerEntry(
    long seq,
    String prevHash,
    String receiptHash,
    Receipt receipt,
    String entryHash,
    String signature,
    String signer) {

  /** The {@code prevHash} of entry 0: 64 zeros. */
  public static final String GENESIS_PREV_HASH = Hashes.ZERO_HASH_HEX;

  public LedgerEntry {
    if (seq < 0) {
      throw new InvalidInputException("Cannot use ledger entry: seq is negative. "
          + "Entries are numbered from 0; the line was damaged or edited.");
    }
    Fields.requireCount(seq, "entry.seq");
    Fields.requireHash(prevHash, "entry.prevHash");
    Fields.requireHash(receiptHash, "entry.receiptHash");
    if (receipt == null) {
      throw Fields.invalid("entry.receipt", "is missing", "Every entry holds a receipt.");
    }
    Fields.requireHash(entryHash, "entry.entryHash");
    Fields.requireSignature(signature, "entry.signature");
    Fields.requirePublicKey(signer, "entry.signer");
  }

  /** Computes the entry hash for these chain fields (32 bytes). */
  public static byte[] computeEntryHash(long seq, String prevHash, String receiptHash) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("seq", seq);
    fields.put("prevHash", prevHash);
    fields.put("receiptHash", receiptHash);
    return Hashes.sha256(JsonCodec.canonical(fields));
  }

  /**
   * The signed entry that records {@code receipt} after {@code last} (null: the ledger at
   * {@code location} is empty); refuses a receipt of another party than the ledger's.
   */
  static LedgerEntry next(Object location, LedgerEntry last, Receipt receipt, IdentityKeys signer) {
    if (last != null && !last.receipt().party().equals(receipt.party())) {
      throw LedgerErrors.otherParty(location, receipt.party(), last.receipt().party());
    }
    long seq = last == null ? 0 : last.seq() + 1;
    String prev = last == null ? GENESIS_PREV_HASH : last.entryHash();
    return sign(seq, prev, receipt, signer);
  }

  /** Builds and signs entry {@code seq} after {@code prevHash}. */
  static LedgerEntry sign(long seq, String prevHash, Receipt receipt, IdentityKeys signer) {
    String receiptHash = receipt.hashHex();
    byte[] entryHash = computeEntryHash(seq, prevHash, receiptHash);
    return new LedgerEntry(seq, prevHash, receiptHash, receipt, Hashes.hex(entryHash),
        Hashes.hex(signer.sign(SignatureDomain.LEDGER_ENTRY, entryHash)), signer.publicKey().encoded());
  }

  /** Canonical JSON of the whole entry (one ledger line, without the newline). */
  public byte[] canonicalJson() {
    return JsonCodec.canonical(this);
  }

  /** Reads an entry from JSON (UTF-8); checks field formats only. */
  public static LedgerEntry fromJson(byte[] json) {
    return JsonCodec.parse(json, LedgerEntry.class, "ledger entry");
  }

  /** Reads an entry from JSON text; checks field formats only. */
  public static LedgerEntry fromJson(String json) {
    return fromJson(json.getBytes(StandardCharsets.UTF_8));
  }

  /** The receipt's job id. */
  public String jobId() {
    return receipt.jobId();
  }

  /** True if {@code entryHash} is the hash of this entry's seq, prevHash and receiptHash. */
  public boolean entryHashMatches() {
    return Hashes.sameHex(entryHash, Hashes.hex(computeEntryHash(seq, prevHash, receiptHash)));
  }

  /** True if {@code receiptHash} is the hash of this entry's receipt. */
  public boolean receiptHashMatches() {
    return Hashes.sameHex(receiptHash, receipt.hashHex());
  }

  /**
   * True if {@code signature} is {@code key}'s signature over the {@code entryHash} bytes. (Whether
   * entryHash itself recomputes is {@link #entryHashMatches()}; an entry is sound only if both hold.)
   */
  public boolean signatureValidFor(IdentityPublicKey key) {
    return key.verify(SignatureDomain.LEDGER_ENTRY, Hashes.unhex(entryHash), Hashes.unhex(signature));
  }

  /** This entry's position and hash, as an auditor records it. */
  public LedgerHead head() {
    return new LedgerHead(seq, entryHash);
  }
}
