package io.veil.ledger.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.InvalidInputException;
import io.veil.ledger.LedgerEntry;
import java.util.Arrays;

/**
 * One ledger line after parsing. When the line is not a valid entry, {@code error} says why and
 * the hints carry whatever could still be read (seq, hashes, job id), so problems can name the
 * entry and the chain analysis can continue around it.
 *
 * @param lineNumber 1-based line number in the file
 * @param bytes the line without its newline
 * @param terminated false for a last line without a newline
 * @param entry the entry, or null if the line is not a valid entry
 * @param error why {@code entry} is null, or null
 * @param canonical true if {@code bytes} are exactly the canonical encoding of {@code entry}
 * @param seqHint the seq read from the line, or null
 * @param entryHashHint the entryHash read from the line, or null
 * @param prevHashHint the prevHash read from the line, or null
 * @param jobIdHint the receipt's jobId read from the line, or null
 */
public record ParsedLine(
    int lineNumber,
    byte[] bytes,
    boolean terminated,
    LedgerEntry entry,
    String error,
    boolean canonical,
    Long seqHint,
    String entryHashHint,
    String prevHashHint,
    String jobIdHint) {

  public static ParsedLine parse(LedgerFile.RawLine raw) {
    byte[] bytes = raw.bytes();
    if (bytes.length == 0) {
      return new ParsedLine(raw.lineNumber(), bytes, raw.terminated(), null, "the line is empty",
          false, null, null, null, null);
    }
    JsonNode tree;
    try {
      tree = JsonCodec.parseTree(bytes, "the line");
    } catch (JsonCodec.ReadFailure e) {
      return new ParsedLine(raw.lineNumber(), bytes, raw.terminated(), null, e.reason(),
          false, null, null, null, null);
    }
    JsonNode seqNode = tree.get("seq");
    Long seq = seqNode != null && seqNode.isIntegralNumber() && seqNode.canConvertToLong()
        && seqNode.longValue() >= 0 ? seqNode.longValue() : null;
    String entryHash = text(tree.get("entryHash"));
    String prevHash = text(tree.get("prevHash"));
    JsonNode receipt = tree.get("receipt");
    String jobId = receipt != null && receipt.isObject() ? text(receipt.get("jobId")) : null;
    LedgerEntry entry;
    try {
      entry = JsonCodec.fromTree(tree, LedgerEntry.class, "the entry");
    } catch (JsonCodec.ReadFailure e) {
      return new ParsedLine(raw.lineNumber(), bytes, raw.terminated(), null, e.reason(),
          false, seq, entryHash, prevHash, jobId);
    }
    boolean canonical;
    try {
      canonical = Arrays.equals(entry.canonicalJson(), bytes);
    } catch (InvalidInputException e) {
      canonical = false;
    }
    return new ParsedLine(raw.lineNumber(), bytes, raw.terminated(), entry, null, canonical,
        entry.seq(), entry.entryHash(), entry.prevHash(), entry.jobId());
  }

  private static String text(JsonNode n) {
    return n != null && n.isTextual() ? n.textValue() : null;
  }

  /** "entry 3 (line 4, job abc)", or "line 4" when the seq could not be read. */
  public String location() {
    StringBuilder sb = new StringBuilder();
    if (seqHint != null) {
      sb.append("entry ").append(seqHint).append(" (line ").append(lineNumber);
      if (jobIdHint != null) {
        sb.append(", job ").append(Hashes.abbreviate(jobIdHint));
      }
      sb.append(')');
    } else {
      sb.append("line ").append(lineNumber);
    }
    return sb.toString();
  }
}
