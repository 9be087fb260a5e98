package io.veil.ledger;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The outcome of {@link LedgerVerifier#verify}: every problem found, each naming the entry (seq,
 * line, job) and what is wrong, plus a human summary. Immutable.
 */
public final class VerificationReport {
  private final LedgerLocation ledger;
  private final String expectedSigner;
  private final int lines;
  private final List<LedgerEntry> entries;
  private final LedgerHead head;
  private final LedgerHead expectedHead;
  private final List<Problem> problems;
  private final List<String> alsoChecked;

  VerificationReport(LedgerLocation ledger, String expectedSigner, int lines, List<LedgerEntry> entries,
      LedgerHead head, LedgerHead expectedHead, List<Problem> problems, List<String> alsoChecked) {
    this.ledger = ledger;
    this.expectedSigner = expectedSigner;
    this.lines = lines;
    this.entries = List.copyOf(entries);
    this.head = head;
    this.expectedHead = expectedHead;
    this.problems = List.copyOf(problems);
    this.alsoChecked = List.copyOf(alsoChecked);
  }

  /** True if no problem was found. */
  public boolean ok() {
    return problems.isEmpty();
  }

  /** Every problem, in file order (chain-wide problems such as missing entries included). */
  public List<Problem> problems() {
    return problems;
  }

  /** The problems that name entry {@code seq}. */
  public List<Problem> problemsFor(long seq) {
    return problems.stream().filter(p -> p.seq().isPresent() && p.seq().getAsLong() == seq).toList();
  }

  /** True if some problem is of {@code kind}. */
  public boolean has(Problem.Kind kind) {
    return problems.stream().anyMatch(p -> p.kind() == kind);
  }

  /** Entries that could be read, in file order (whether or not they verified). */
  public List<LedgerEntry> entries() {
    return entries;
  }

  /** Number of lines in the file, an incomplete last line included. */
  public int lines() {
    return lines;
  }

  /**
   * The last entry's seq and entryHash, to record and pass to the next verify; empty unless the
   * ledger verified (a failing ledger's head is not worth recording) or if it has no entries.
   */
  public Optional<LedgerHead> head() {
    return ok() ? Optional.ofNullable(head) : Optional.empty();
  }

  /** The ledger file, or null for a ledger on a Hadoop file system ({@link #location()}). */
  public Path ledger() {
    return ledger.localPath().orElse(null);
  }

  /** Where the ledger is, local or on a Hadoop file system. */
  public LedgerLocation location() {
    return ledger;
  }

  /** A multi-line report for people: verdict, counts, head, and one line per problem. */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    sb.append("Ledger:  ").append(ledger).append('\n');
    sb.append("Signer:  ").append(expectedSigner).append('\n');
    sb.append("Entries: ").append(entries.size()).append(" readable of ").append(lines)
        .append(lines == 1 ? " line" : " lines").append('\n');
    if (head != null && ok()) {
      sb.append("Head:    ").append(head).append('\n');
    }
    if (ok()) {
      sb.append("PASS: every line is a canonical entry, seq runs from 0 without gaps, every "
          + "prevHash links, every receiptHash and entryHash recomputes, every entry is signed "
          + "by the expected signer and every approval verifies.");
      for (String also : alsoChecked) {
        sb.append(" Also: ").append(also).append('.');
      }
      if (expectedHead != null) {
        sb.append(" The ledger contains the expected head ").append(expectedHead.seq()).append('.');
      } else {
        sb.append("\nNote: entries removed from the end leave a shorter ledger that still verifies; "
            + "record the head above and pass it next time (--expect-head), or check the chain "
            + "anchor, to detect that.");
      }
      sb.append('\n');
    } else {
      sb.append("FAIL: ").append(problems.size()).append(problems.size() == 1 ? " problem" : " problems")
          .append('\n');
      for (Problem p : problems) {
        sb.append("  - ").append(p.message()).append('\n');
      }
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return summary();
  }

  /** One thing wrong with the ledger. */
  public static final class Problem {
    /** What kind of problem; callers and tests branch on it, people read {@link #message()}. */
    public enum Kind {
      /** The file is missing or could not be read. */
      UNREADABLE_FILE,
      /** A line is empty, not JSON, or not a valid entry. */
      MALFORMED_LINE,
      /** A line parses but is not byte-for-byte the canonical encoding of what it holds. */
      NOT_CANONICAL,
      /** The last line has no newline: an interrupted write or bytes added by hand. */
      INCOMPLETE_LAST_LINE,
      /** A seq between 0 and the highest seq does not appear. */
      MISSING_ENTRY,
      /** A seq appears on more than one line. */
      DUPLICATE_ENTRY,
      /** An entry appears after an entry with a higher seq. */
      OUT_OF_ORDER,
      /** prevHash is not the previous entry's entryHash (or not zeros for entry 0). */
      BROKEN_LINK,
      /** receiptHash is not the hash of the receipt: the receipt was edited. */
      RECEIPT_HASH_MISMATCH,
      /** entryHash does not recompute from seq, prevHash and receiptHash. */
      ENTRY_HASH_MISMATCH,
      /** The signature does not verify under the expected signer. */
      BAD_SIGNATURE,
      /** The entry names a signer other than the expected one. */
      WRONG_SIGNER,
      /** receipt.party / receipt.partyKey disagree with the signer or with earlier entries. */
      PARTY_MISMATCH,
      /** An approval's signature does not verify over the contract hash. */
      BAD_APPROVAL,
      /** The expected head is absent or different: entries were removed or rewritten. */
      HEAD_MISMATCH,
      /** A caller's {@link EntryCheck} (e.g. an artefact that no longer matches its commitment). */
      CHECK_FAILED
    }

    private final Kind kind;
    private final Long seq;
    private final int line;
    private final String jobId;
    private final String message;

    Problem(Kind kind, Long seq, int line, String jobId, String message) {
      this.kind = kind;
      this.seq = seq;
      this.line = line;
      this.jobId = jobId;
      this.message = message;
    }

    public Kind kind() {
      return kind;
    }

    /** The entry's seq, if the problem is about one entry whose seq is known. */
    public OptionalLong seq() {
      return seq == null ? OptionalLong.empty() : OptionalLong.of(seq);
    }

    /** The 1-based line number, or 0 if the problem is not about one line. */
    public int line() {
      return line;
    }

    public Optional<String> jobId() {
      return Optional.ofNullable(jobId);
    }

    /** The full description, starting with the entry it is about. */
    public String message() {
      return message;
    }

    @Override
    public String toString() {
      return kind + ": " + message;
    }
  }
}
