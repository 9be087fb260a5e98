package io.veil.ledger;

import io.veil.crypto.IdentityPublicKey;
import io.veil.ledger.VerificationReport.Problem;
import io.veil.ledger.VerificationReport.Problem.Kind;
import io.veil.ledger.internal.Hashes;
import io.veil.ledger.internal.LedgerFile;
import io.veil.ledger.internal.ParsedLine;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Verifies a {@link LocalLedger} file without any secret: every line is a canonical entry; seq
 * runs 0, 1, 2, ... in file order with no gap or repeat; every prevHash is the previous entry's
 * entryHash (64 zeros for entry 0); every receiptHash and entryHash recomputes; every entry is
 * signed by the expected signer, whose key is also the receipt's partyKey; all receipts are for one
 * party; every approval is a valid signature over the contract hash by the key it lists; and
 * every {@link EntryCheck} added by the caller passes. With an expected {@link LedgerHead} it also
 * detects entries cut off the end.
 *
 * <p>It reports every problem rather than stopping at the first, each naming the entry (seq, line
 * and job) and what is wrong. Immutable and thread-safe (if the checks are).
 *
 * <p>What it proves: the file is, byte for byte, a prefix of what the holder of the signer key
 * wrote (and with an expected head, not a shorter prefix than the one recorded). Approvals prove
 * that the listed keys approved the contract hash; that every party of the job spec approved, with
 * the key the spec pins for it, and nobody else did, needs the spec: add a
 * {@link SpecApprovalCheck}.
 */
public final class LedgerVerifier {
  private final List<EntryCheck> checks;

  private LedgerVerifier(List<EntryCheck> checks) {
    this.checks = List.copyOf(checks);
  }

  /** What the extra checks establish when they pass (for the report's PASS line). */
  private List<String> passes() {
    return checks.stream().map(EntryCheck::passes).filter(p -> !p.isEmpty()).toList();
  }

  /** A verifier with the built-in checks only. */
  public static LedgerVerifier create() {
    return new LedgerVerifier(List.of());
  }

  /** A verifier that also runs {@code check} on every readable entry. */
  public LedgerVerifier withCheck(EntryCheck check) {
    List<EntryCheck> all = new ArrayList<>(checks);
    all.add(Objects.requireNonNull(check, "check"));
    return new LedgerVerifier(all);
  }

  /** Verifies {@code ledgerFile}, whose entries must all be signed by {@code expectedSigner}. */
  public VerificationReport verify(Path ledgerFile, IdentityPublicKey expectedSigner) {
    return verify(ledgerFile, expectedSigner, null);
  }

  /**
   * As {@link #verify(Path, IdentityPublicKey)}, and also checks that the ledger still contains
   * {@code expectedHead} (a head recorded earlier, or taken from a chain anchor); null skips that.
   */
  public VerificationReport verify(Path ledgerFile, IdentityPublicKey expectedSigner, LedgerHead expectedHead) {
    Objects.requireNonNull(ledgerFile, "ledgerFile");
    return verify(LedgerLocation.local(ledgerFile), expectedSigner, expectedHead);
  }

  /**
   * As {@link #verify(Path, IdentityPublicKey, LedgerHead)} for a ledger at any {@link LedgerLocation}
   * (a local file, or {@code hdfs://...}), read the way its store reads it.
   */
  public VerificationReport verify(LedgerLocation location, IdentityPublicKey expectedSigner,
      LedgerHead expectedHead) {
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(expectedSigner, "expectedSigner");
    String ledgerFile = location.toString();
    Collector problems = new Collector();
    byte[] content;
    try {
      content = location.readAll();
    } catch (NoSuchFileException e) {
      problems.add(0, new Problem(Kind.UNREADABLE_FILE, null, 0, null,
          "ledger file " + ledgerFile + " does not exist. Check the path passed as --ledger."));
      return new VerificationReport(location, expectedSigner.encoded(), 0, List.of(), null,
          expectedHead, problems.sorted(), passes());
    } catch (IOException | RuntimeException e) {
      problems.add(0, new Problem(Kind.UNREADABLE_FILE, null, 0, null,
          "ledger file " + ledgerFile + " cannot be read: " + e.getClass().getSimpleName() + " "
              + e.getMessage() + ". Check the path and its permissions."));
      return new VerificationReport(location, expectedSigner.encoded(), 0, List.of(), null,
          expectedHead, problems.sorted(), passes());
    }

    List<ParsedLine> lines = new ArrayList<>();
    for (LedgerFile.RawLine raw : LedgerFile.split(content)) {
      lines.add(ParsedLine.parse(raw));
    }
    // Lines that take part in the chain: complete ones whose seq could be read.
    Map<Long, List<ParsedLine>> bySeq = new TreeMap<>();
    for (ParsedLine p : lines) {
      if (p.terminated() && p.seqHint() != null) {
        bySeq.computeIfAbsent(p.seqHint(), s -> new ArrayList<>()).add(p);
      }
    }

    String ledgerParty = null;
    long partySeq = -1;
    long maxSeqSoFar = -1;
    ParsedLine maxLine = null;
    List<LedgerEntry> entries = new ArrayList<>();
    // Periodic jobs repeat the same contract and approvals on every run: check each once.
    Map<Receipt.Approval, Map<String, Boolean>> approvalMemo = new HashMap<>();
    for (ParsedLine p : lines) {
      int sortKey = 2 * p.lineNumber() + 1;
      if (!p.terminated()) {
        problems.add(sortKey, problem(Kind.INCOMPLETE_LAST_LINE, p,
            "incomplete last line (" + p.bytes().length + " bytes without a newline): a write was "
                + "interrupted (crash, full disk) or bytes were added by hand. If no one edited the "
                + "file, 'veil ledger repair --ledger " + ledgerFile + "' sets the incomplete line aside."));
        continue;
      }
      if (p.seqHint() != null) {
        List<ParsedLine> same = bySeq.get(p.seqHint());
        ParsedLine first = same.get(0);
        if (first != p) {
          problems.add(sortKey, problem(Kind.DUPLICATE_ENTRY, p,
              "duplicate: seq " + p.seqHint() + " already appears on line " + first.lineNumber()
                  + (Arrays.equals(first.bytes(), p.bytes()) ? " (this line is an exact copy)" : "")
                  + "; a ledger holds each seq once."));
        } else if (p.seqHint() < maxSeqSoFar) {
          problems.add(sortKey, problem(Kind.OUT_OF_ORDER, p,
              "out of order: it comes after entry " + maxSeqSoFar + " (line " + maxLine.lineNumber()
                  + "); lines were moved or swapped."));
        }
        if (p.seqHint() > maxSeqSoFar) {
          maxSeqSoFar = p.seqHint();
          maxLine = p;
        }
      }
      if (p.entry() == null) {
        problems.add(sortKey, problem(Kind.MALFORMED_LINE, p, "cannot be read: " + p.error()));
        continue;
      }
      LedgerEntry e = p.entry();
      entries.add(e);
      if (!p.canonical()) {
        problems.add(sortKey, problem(Kind.NOT_CANONICAL, p,
            "the line is not in canonical form (its spacing, key order or string escapes differ "
                + "from what Veil writes): it was edited."));
      }
      checkLink(p, bySeq, problems, sortKey);
      for (Problem q : entryProblems(e, p.location(), p.lineNumber(), expectedSigner, approvalMemo)) {
        problems.add(sortKey, q);
      }
      String party = e.receipt().party();
      if (ledgerParty == null) {
        ledgerParty = party;
        partySeq = e.seq();
      } else if (!ledgerParty.equals(party)) {
        problems.add(sortKey, problem(Kind.PARTY_MISMATCH, p,
            "receipt.party is '" + party + "' but entry " + partySeq + " is for party '" + ledgerParty
                + "'; a ledger holds one party's receipts."));
      }
    }
    reportMissing(bySeq, problems);
    LedgerHead head = null;
    ParsedLine last = lines.isEmpty() ? null : lines.get(lines.size() - 1);
    if (last != null && last.terminated() && last.entry() != null) {
      head = last.entry().head();
    }
    if (expectedHead != null) {
      checkHead(expectedHead, bySeq, maxSeqSoFar, problems);
    }
    return new VerificationReport(location, expectedSigner.encoded(), lines.size(), entries, head,
        expectedHead, problems.sorted(), passes());
  }

  /**
   * Checks one entry on its own: receiptHash, entryHash, signer, signature, partyKey, approvals, and
   * the caller's {@link EntryCheck}s. It cannot see the chain (seq, prevHash, neighbours): use
   * {@link #verify} for that. Returns the problems found, empty if none.
   */
  public List<Problem> verifyEntry(LedgerEntry entry, IdentityPublicKey expectedSigner) {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(expectedSigner, "expectedSigner");
    String location = "entry " + entry.seq() + " (job " + Hashes.abbreviate(entry.jobId()) + ")";
    return entryProblems(entry, location, 0, expectedSigner, new HashMap<>());
  }

  private List<Problem> entryProblems(LedgerEntry e, String location, int line, IdentityPublicKey signer,
      Map<Receipt.Approval, Map<String, Boolean>> approvalMemo) {
    List<Problem> out = new ArrayList<>();
    Receipt r = e.receipt();
    if (!e.receiptHashMatches()) {
      out.add(problem(Kind.RECEIPT_HASH_MISMATCH, e, line, location,
          "receipt was modified after it was written: receiptHash does not match."));
    }
    if (!e.entryHashMatches()) {
      out.add(problem(Kind.ENTRY_HASH_MISMATCH, e, line, location,
          "entryHash does not match the hash of its seq, prevHash and receiptHash: the entry was edited."));
    }
    String expected = signer.encoded();
    if (!e.signer().equals(expected)) {
      out.add(problem(Kind.WRONG_SIGNER, e, line, location,
          "signed by " + e.signer() + ", but the expected signer is " + expected
              + ": the entry was written with another key (a forged or foreign line)."));
    } else if (!e.signatureValidFor(signer)) {
      out.add(problem(Kind.BAD_SIGNATURE, e, line, location,
          "signature does not verify under " + expected + ": the entry was changed after it was signed."));
    }
    if (!r.partyKey().equals(expected)) {
      out.add(problem(Kind.PARTY_MISMATCH, e, line, location,
          "receipt.partyKey is " + r.partyKey() + ", but the ledger's signer is " + expected
              + ": the receipt claims to be another party's."));
    }
    byte[] contractHash = r.contractHashBytes();
    for (Receipt.Approval a : r.approvals()) {
      if (a.party().equals(r.party()) && !a.publicKey().equals(r.partyKey())) {
        out.add(problem(Kind.PARTY_MISMATCH, e, line, location,
            "the approval of party '" + a.party() + "' (the receipt's own party) lists key "
                + a.publicKey() + ", not receipt.partyKey " + r.partyKey() + "."));
      }
      boolean valid = approvalMemo.computeIfAbsent(a, k -> new HashMap<>())
          .computeIfAbsent(r.contractHash(), h -> a.verifies(contractHash));
      if (!valid) {
        out.add(problem(Kind.BAD_APPROVAL, e, line, location,
            "approval by party '" + a.party() + "' (" + a.publicKey()
                + ") is not a valid signature over the contract hash " + Hashes.abbreviate(r.contractHash())
                + "."));
      }
    }
    for (EntryCheck check : checks) {
      List<String> found;
      try {
        found = check.check(e);
      } catch (RuntimeException ex) {
        found = List.of("check " + check.getClass().getSimpleName() + " failed: " + ex.getMessage());
      }
      if (found != null) {
        for (String msg : found) {
          out.add(problem(Kind.CHECK_FAILED, e, line, location, msg));
        }
      }
    }
    return out;
  }

  private static void checkLink(ParsedLine p, Map<Long, List<ParsedLine>> bySeq, Collector problems, int sortKey) {
    LedgerEntry e = p.entry();
    if (e.seq() == 0) {
      if (!e.prevHash().equals(LedgerEntry.GENESIS_PREV_HASH)) {
        problems.add(sortKey, problem(Kind.BROKEN_LINK, p,
            "prevHash of the first entry must be 64 zeros: the chain's start was edited."));
      }
      return;
    }
    List<ParsedLine> preds = bySeq.get(e.seq() - 1);
    if (preds == null) {
      return; // reported as a missing entry
    }
    for (ParsedLine pred : preds) {
      if (e.prevHash().equals(pred.entryHashHint())) {
        return;
      }
    }
    ParsedLine pred = preds.get(0);
    problems.add(sortKey, problem(Kind.BROKEN_LINK, p,
        "prevHash does not match the entryHash of entry " + (e.seq() - 1) + " (line " + pred.lineNumber()
            + "): the chain is broken; an entry was replaced or edited."));
  }

  private static void reportMissing(Map<Long, List<ParsedLine>> bySeq, Collector problems) {
    long expectedNext = 0;
    long previous = -1;
    for (Map.Entry<Long, List<ParsedLine>> en : bySeq.entrySet()) {
      long seq = en.getKey();
      if (seq > expectedNext) {
        long from = expectedNext;
        long to = seq - 1;
        String which = from == to ? "entry " + from : "entries " + from + ".." + to;
        String why = previous < 0
            ? "the ledger starts at seq " + seq + " (its first " + (from == to ? "line was" : "lines were")
                + " deleted)."
            : "the chain breaks between seq " + previous + " and " + seq + " ("
                + (from == to ? "a line was" : "lines were") + " deleted).";
        int line = en.getValue().get(0).lineNumber();
        problems.add(2 * line, new Problem(Kind.MISSING_ENTRY, from, 0, null, which + ": missing: " + why));
      }
      previous = seq;
      expectedNext = seq + 1;
    }
  }

  private static void checkHead(LedgerHead expected, Map<Long, List<ParsedLine>> bySeq, long maxSeq,
      Collector problems) {
    List<ParsedLine> at = bySeq.get(expected.seq());
    if (at == null) {
      problems.add(Integer.MAX_VALUE, new Problem(Kind.HEAD_MISMATCH, expected.seq(), 0, null,
          "entry " + expected.seq() + ": missing: the expected head is seq " + expected.seq()
              + " but the ledger " + (maxSeq < 0 ? "has no entries" : "ends at seq " + maxSeq)
              + ": entries were removed from the end."));
      return;
    }
    for (ParsedLine p : at) {
      if (expected.entryHash().equals(p.entryHashHint())) {
        return;
      }
    }
    ParsedLine p = at.get(0);
    problems.add(Integer.MAX_VALUE, problem(Kind.HEAD_MISMATCH, p,
        "is not the expected head: its entryHash is " + Hashes.abbreviate(p.entryHashHint())
            + ", expected " + Hashes.abbreviate(expected.entryHash()) + ": the ledger was rewritten."));
  }

  private static Problem problem(Kind kind, ParsedLine p, String detail) {
    return new Problem(kind, p.seqHint(), p.lineNumber(), p.jobIdHint(), p.location() + ": " + detail);
  }

  private static Problem problem(Kind kind, LedgerEntry e, int line, String location, String detail) {
    return new Problem(kind, e.seq(), line, e.jobId(), location + ": " + detail);
  }

  /** Problems with a sort key, so the report reads in file order. */
  private static final class Collector {
    private final List<Map.Entry<Integer, Problem>> items = new ArrayList<>();

    void add(int sortKey, Problem p) {
      items.add(Map.entry(sortKey, p));
    }

    List<Problem> sorted() {
      List<Map.Entry<Integer, Problem>> copy = new ArrayList<>(items);
      copy.sort(Map.Entry.comparingByKey()); // stable: keeps insertion order within a line
      return copy.stream().map(Map.Entry::getValue).toList();
    }
  }
}
