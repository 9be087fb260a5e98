package io.veil.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.SignatureDomain;
import io.veil.ledger.VerificationReport.Problem;
import io.veil.ledger.VerificationReport.Problem.Kind;
import io.veil.ledger.internal.Hashes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerVerifierTest {
  private static final IdentityPublicKey A = Fixtures.BANK_A.publicKey();

  @TempDir Path dir;
  Path file;

  @BeforeEach
  void fiveEntries() {
    file = dir.resolve("ledger.jsonl");
    Fixtures.ledgerWith(file, 5); // line i+1 holds entry i, job job-i
  }

  private VerificationReport verify() {
    return LedgerVerifier.create().verify(file, A);
  }

  private static String kinds(VerificationReport r) {
    return r.problems().stream().map(p -> p.kind() + "@" + p.seq()).toList().toString();
  }

  @Test
  void untouchedLedgerPasses() {
    VerificationReport r = verify();
    assertThat(r.ok()).as(r.summary()).isTrue();
    assertThat(r.entries()).hasSize(5);
    assertThat(r.lines()).isEqualTo(5);
    LedgerEntry last = LocalLedger.openReadOnly(file).entries().get(4);
    assertThat(r.head()).contains(last.head());
    assertThat(r.summary()).contains("PASS", "Head:    4:" + last.entryHash(), "--expect-head");
    assertThat(LedgerVerifier.create().verify(file, A, last.head()).ok()).isTrue();
  }

  @Test
  void emptyLedgerPassesAndMissingFileDoesNot() throws Exception {
    Path empty = Files.createFile(dir.resolve("empty.jsonl"));
    assertThat(LedgerVerifier.create().verify(empty, A).ok()).isTrue();
    VerificationReport missing = LedgerVerifier.create().verify(dir.resolve("nope.jsonl"), A);
    assertThat(missing.ok()).isFalse();
    assertThat(missing.problems()).extracting(Problem::kind).containsExactly(Kind.UNREADABLE_FILE);
    assertThat(missing.problems().get(0).message()).contains("does not exist");
  }

  @Test
  void editedReceiptFieldIsNamedExactly() throws Exception {
    Fixtures.editLine(file, 3, n -> n.withObject("/receipt/result").put("intersectionSize", "999"));
    VerificationReport r = verify();
    assertThat(r.problems()).hasSize(1);
    Problem p = r.problems().get(0);
    assertThat(p.kind()).isEqualTo(Kind.RECEIPT_HASH_MISMATCH);
    assertThat(p.seq()).hasValue(3);
    assertThat(p.line()).isEqualTo(4);
    assertThat(p.jobId()).contains("job-3");
    assertThat(p.message()).isEqualTo(
        "entry 3 (line 4, job job-3): receipt was modified after it was written: receiptHash does not match.");
    assertThat(r.summary()).contains("FAIL: 1 problem\n", "  - entry 3 (line 4, job job-3)");
  }

  @Test
  void editedReceiptWithRecomputedHashesBreaksTheSignatureAndTheNextLink() throws Exception {
    Fixtures.editLine(file, 3, n -> {
      n.withObject("/receipt").put("outputLocation", "s3://elsewhere");
      Receipt forged = Receipt.fromJson(n.get("receipt").toString());
      n.put("receiptHash", forged.hashHex());
      n.put("entryHash", Hashes.hex(LedgerEntry.computeEntryHash(3, n.get("prevHash").asText(), forged.hashHex())));
    });
    VerificationReport r = verify();
    assertThat(kinds(r)).isEqualTo("[BAD_SIGNATURE@OptionalLong[3], BROKEN_LINK@OptionalLong[4]]");
    assertThat(r.problems().get(0).message()).startsWith("entry 3 (line 4, job job-3): signature does not verify");
    assertThat(r.problems().get(1).message())
        .isEqualTo("entry 4 (line 5, job job-4): prevHash does not match the entryHash of entry 3 (line 4): "
            + "the chain is broken; an entry was replaced or edited.");
  }

  @Test
  void editedReceiptHash() throws Exception {
    Fixtures.editLine(file, 2, n -> n.put("receiptHash", "ab".repeat(32)));
    VerificationReport r = verify();
    assertThat(r.problems()).extracting(Problem::kind)
        .containsExactly(Kind.RECEIPT_HASH_MISMATCH, Kind.ENTRY_HASH_MISMATCH);
    assertThat(r.problems()).allSatisfy(p -> assertThat(p.seq()).hasValue(2));
  }

  @Test
  void editedEntryHash() throws Exception {
    Fixtures.editLine(file, 1, n -> n.put("entryHash", "cd".repeat(32)));
    VerificationReport r = verify();
    assertThat(kinds(r)).isEqualTo(
        "[ENTRY_HASH_MISMATCH@OptionalLong[1], BAD_SIGNATURE@OptionalLong[1], BROKEN_LINK@OptionalLong[2]]");
    assertThat(r.problems().get(0).message()).startsWith("entry 1 (line 2, job job-1): entryHash does not match");
  }

  @Test
  void editedSignature() throws Exception {
    Fixtures.editLine(file, 4, n -> {
      char[] sig = n.get("signature").asText().toCharArray();
      sig[10] = sig[10] == '0' ? '1' : '0';
      n.put("signature", new String(sig));
    });
    VerificationReport r = verify();
    assertThat(r.problems()).extracting(Problem::kind).containsExactly(Kind.BAD_SIGNATURE);
    assertThat(r.problems().get(0).message()).contains("entry 4 (line 5, job job-4)", "changed after it was signed");
  }

  @Test
  void editedSeq() throws Exception {
    Fixtures.editLine(file, 3, n -> n.put("seq", 9));
    VerificationReport r = verify();
    assertThat(r.has(Kind.ENTRY_HASH_MISMATCH)).isTrue();
    assertThat(r.problemsFor(9)).extracting(Problem::kind).contains(Kind.ENTRY_HASH_MISMATCH);
    assertThat(r.problemsFor(3)).extracting(Problem::kind).containsExactly(Kind.MISSING_ENTRY);
    assertThat(r.problemsFor(4)).extracting(Problem::kind).contains(Kind.OUT_OF_ORDER);
  }

  @Test
  void editedPrevHash() throws Exception {
    Fixtures.editLine(file, 2, n -> n.put("prevHash", "00".repeat(32)));
    VerificationReport r = verify();
    assertThat(r.problems()).extracting(Problem::kind).containsExactly(Kind.BROKEN_LINK, Kind.ENTRY_HASH_MISMATCH);
    assertThat(r.problems().get(0).message()).startsWith("entry 2 (line 3, job job-2): prevHash does not match");
  }

  @Test
  void firstEntryMustStartFromZeros() throws Exception {
    Fixtures.editLine(file, 0, n -> n.put("prevHash", "11".repeat(32)));
    assertThat(verify().problemsFor(0)).extracting(Problem::kind)
        .containsExactly(Kind.BROKEN_LINK, Kind.ENTRY_HASH_MISMATCH);
  }

  @Test
  void deletedLine() throws Exception {
    List<String> lines = Fixtures.lines(file);
    lines.remove(2);
    Fixtures.writeLines(file, lines);
    VerificationReport r = verify();
    assertThat(r.problems()).hasSize(1);
    assertThat(r.problems().get(0).kind()).isEqualTo(Kind.MISSING_ENTRY);
    assertThat(r.problems().get(0).message())
        .isEqualTo("entry 2: missing: the chain breaks between seq 1 and 3 (a line was deleted).");
  }

  @Test
  void deletedLinesAtTheStartAndInARow() throws Exception {
    List<String> lines = Fixtures.lines(file);
    lines.remove(2);
    lines.remove(1);
    lines.remove(0);
    Fixtures.writeLines(file, lines);
    VerificationReport r = verify();
    assertThat(r.problems()).extracting(Problem::message)
        .containsExactly("entries 0..2: missing: the ledger starts at seq 3 (its first lines were deleted).");
  }

  @Test
  void swappedLines() throws Exception {
    List<String> lines = Fixtures.lines(file);
    String two = lines.get(2);
    lines.set(2, lines.get(3));
    lines.set(3, two);
    Fixtures.writeLines(file, lines);
    VerificationReport r = verify();
    assertThat(r.problems()).hasSize(1);
    assertThat(r.problems().get(0).kind()).isEqualTo(Kind.OUT_OF_ORDER);
    assertThat(r.problems().get(0).message()).isEqualTo(
        "entry 2 (line 4, job job-2): out of order: it comes after entry 3 (line 3); lines were moved or swapped.");
  }

  @Test
  void duplicatedLine() throws Exception {
    List<String> lines = Fixtures.lines(file);
    lines.add(3, lines.get(2));
    Fixtures.writeLines(file, lines);
    VerificationReport r = verify();
    assertThat(r.problems()).hasSize(1);
    assertThat(r.problems().get(0).kind()).isEqualTo(Kind.DUPLICATE_ENTRY);
    assertThat(r.problems().get(0).message()).isEqualTo("entry 2 (line 4, job job-2): duplicate: seq 2 already "
        + "appears on line 3 (this line is an exact copy); a ledger holds each seq once.");
  }

  @Test
  void truncatedLastLine() throws Exception {
    byte[] all = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(all, all.length - 100));
    VerificationReport r = verify();
    assertThat(r.problems()).hasSize(1);
    Problem p = r.problems().get(0);
    assertThat(p.kind()).isEqualTo(Kind.INCOMPLETE_LAST_LINE);
    assertThat(p.line()).isEqualTo(5);
    assertThat(p.message()).startsWith("line 5: incomplete last line (");
  }

  @Test
  void appendedForgedLines() throws Exception {
    LedgerEntry head = LocalLedger.openReadOnly(file).entries().get(4);
    // Mallory signs with her own key, claiming bank_a's name
    LedgerEntry own = LedgerEntry.sign(5, head.entryHash(),
        Fixtures.receiptBuilder("job-5", "bank_a", Fixtures.MALLORY).build(), Fixtures.MALLORY);
    Files.writeString(file, Fixtures.line(own) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    VerificationReport r = verify();
    assertThat(r.problemsFor(5)).extracting(Problem::kind)
        .containsExactly(Kind.WRONG_SIGNER, Kind.PARTY_MISMATCH, Kind.PARTY_MISMATCH);
    assertThat(r.problemsFor(5).get(2).message()).contains("the approval of party 'bank_a' (the receipt's own party)");
    assertThat(r.problemsFor(5).get(0).message()).contains("entry 5 (line 6, job job-5): signed by "
        + Fixtures.MALLORY.publicKey().encoded() + ", but the expected signer is " + A.encoded());

    // ... or names bank_a's key as signer and partyKey, but cannot sign with it
    Fixtures.writeLines(file, Fixtures.lines(file).subList(0, 5));
    LedgerEntry real = LedgerEntry.sign(5, head.entryHash(), Fixtures.receipt("job-5"), Fixtures.BANK_A);
    LedgerEntry forged = new LedgerEntry(5, real.prevHash(), real.receiptHash(), real.receipt(), real.entryHash(),
        Hashes.hex(Fixtures.MALLORY.sign(SignatureDomain.LEDGER_ENTRY, Hashes.unhex(real.entryHash()))), real.signer());
    Files.writeString(file, Fixtures.line(forged) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    assertThat(kinds(verify())).isEqualTo("[BAD_SIGNATURE@OptionalLong[5]]");

    // ... or reuses a signature bank_a made over the same 32 bytes for another purpose (an approval)
    Fixtures.writeLines(file, Fixtures.lines(file).subList(0, 5));
    LedgerEntry crossDomain = new LedgerEntry(5, real.prevHash(), real.receiptHash(), real.receipt(), real.entryHash(),
        Hashes.hex(Fixtures.BANK_A.sign(SignatureDomain.APPROVAL, Hashes.unhex(real.entryHash()))), real.signer());
    Files.writeString(file, Fixtures.line(crossDomain) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    assertThat(kinds(verify())).isEqualTo("[BAD_SIGNATURE@OptionalLong[5]]");
  }

  @Test
  void entriesCutFromTheEndNeedAnExpectedHead() throws Exception {
    LedgerHead recorded = LocalLedger.openReadOnly(file).head().orElseThrow();
    List<String> lines = Fixtures.lines(file);
    Fixtures.writeLines(file, lines.subList(0, 3));
    assertThat(verify().ok()).as("a shorter prefix is itself a valid ledger").isTrue();
    VerificationReport r = LedgerVerifier.create().verify(file, A, recorded);
    assertThat(r.problems()).extracting(Problem::message).containsExactly(
        "entry 4: missing: the expected head is seq 4 but the ledger ends at seq 2: entries were removed from the end.");
    assertThat(r.problems().get(0).kind()).isEqualTo(Kind.HEAD_MISMATCH);
  }

  @Test
  void rewrittenHead() {
    VerificationReport r = LedgerVerifier.create().verify(file, A, new LedgerHead(4, "ee".repeat(32)));
    assertThat(r.problems()).extracting(Problem::kind).containsExactly(Kind.HEAD_MISMATCH);
    assertThat(r.problems().get(0).message()).startsWith("entry 4 (line 5, job job-4): is not the expected head");
  }

  @Test
  void wrongExpectedSigner() {
    VerificationReport r = LedgerVerifier.create().verify(file, Fixtures.BANK_B.publicKey());
    assertThat(r.ok()).isFalse();
    for (long seq = 0; seq < 5; seq++) {
      assertThat(r.problemsFor(seq)).extracting(Problem::kind).containsExactly(Kind.WRONG_SIGNER, Kind.PARTY_MISMATCH);
    }
  }

  @Test
  void invalidApprovalIsNamedByParty() {
    Path other = dir.resolve("approvals.jsonl");
    byte[] contract = Fixtures.contractHash("job-x");
    Receipt badApproval = Fixtures.receiptBuilder("job-x", "bank_a", Fixtures.BANK_A)
        .approvals(List.of(Receipt.Approval.sign("bank_a", Fixtures.BANK_A, contract),
            Receipt.Approval.sign("bank_b", Fixtures.BANK_B, Fixtures.contractHash("another job"))))
        .build();
    Receipt ownApprovalOtherKey = Fixtures.receiptBuilder("job-y", "bank_a", Fixtures.BANK_A)
        .approvals(List.of(Receipt.Approval.sign("bank_a", Fixtures.MALLORY, Fixtures.contractHash("job-y"))))
        .build();
    LocalLedger ledger = LocalLedger.open(other, Fixtures.BANK_A);
    ledger.append(badApproval);
    ledger.append(ownApprovalOtherKey);
    VerificationReport r = LedgerVerifier.create().verify(other, A);
    assertThat(kinds(r)).isEqualTo("[BAD_APPROVAL@OptionalLong[0], PARTY_MISMATCH@OptionalLong[1]]");
    assertThat(r.problems().get(0).message()).startsWith("entry 0 (line 1, job job-x): approval by party 'bank_b' ("
        + Fixtures.BANK_B.publicKey().encoded() + ") is not a valid signature over the contract hash");
  }

  @Test
  void receiptsOfAnotherPartyNameInTheSameLedger() throws Exception {
    LedgerEntry head = LocalLedger.openReadOnly(file).entries().get(4);
    LedgerEntry renamed = LedgerEntry.sign(5, head.entryHash(),
        Fixtures.receiptBuilder("job-5", "bank_z", Fixtures.BANK_A).build(), Fixtures.BANK_A);
    Files.writeString(file, Fixtures.line(renamed) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    VerificationReport r = verify();
    assertThat(r.problems()).extracting(Problem::kind).containsExactly(Kind.PARTY_MISMATCH);
    assertThat(r.problems().get(0).message()).contains("receipt.party is 'bank_z' but entry 0 is for party 'bank_a'");
  }

  @Test
  void nonCanonicalLines() throws Exception {
    List<String> lines = Fixtures.lines(file);
    lines.set(1, "{ " + lines.get(1).substring(1));
    Fixtures.writeLines(file, lines);
    assertThat(kinds(verify())).isEqualTo("[NOT_CANONICAL@OptionalLong[1]]");

    file = dir.resolve("escaped.jsonl");
    Fixtures.ledgerWith(file, 3);
    lines = Fixtures.lines(file);
    lines.set(2, lines.get(2).replace("\"jobId\":\"job-2\"", "\"jobId\":\"\\u006aob-2\""));
    Fixtures.writeLines(file, lines);
    assertThat(kinds(verify())).isEqualTo("[NOT_CANONICAL@OptionalLong[2]]");

    file = dir.resolve("extra.jsonl");
    Fixtures.ledgerWith(file, 3);
    Fixtures.editLine(file, 1, n -> n.put("comment", "harmless?"));
    VerificationReport r = verify();
    assertThat(kinds(r)).isEqualTo("[MALFORMED_LINE@OptionalLong[1]]");
    assertThat(r.problems().get(0).message()).startsWith("entry 1 (line 2, job job-1): cannot be read: ")
        .contains("comment");
  }

  @Test
  void unreadableLines() throws Exception {
    List<String> lines = new ArrayList<>(Fixtures.lines(file));
    lines.add(2, "");
    lines.add(4, "not json at all");
    String upper = lines.get(5).replace("\"signature\":\"", "\"signature\":\"AB");
    lines.set(5, upper);
    Fixtures.writeLines(file, lines);
    VerificationReport r = verify();
    assertThat(r.problems()).extracting(Problem::message).containsExactly(
        "line 3: cannot be read: the line is empty",
        "line 5: cannot be read: it is not valid JSON (Unrecognized token 'not': was expecting (JSON String, "
            + "Number, Array, Object or token 'null', 'true' or 'false'))",
        "entry 3 (line 6, job job-3): cannot be read: field receipt.approvals[0]: Cannot use approval.signature: "
            + "it must be 128 lowercase hex characters (an Ed25519 signature), got 130 characters. Pass the 64-byte "
            + "signature as lowercase hex.");
  }

  @Test
  void callerChecksReportArtefactMismatches() {
    EntryCheck artefacts = entry -> entry.jobId().equals("job-2")
        ? List.of("artefact out/part-0.parquet does not match the output commitment (root "
            + Hashes.abbreviate(entry.receipt().outputCommitment().root()) + ")")
        : List.of();
    EntryCheck broken = entry -> {
      throw new IllegalStateException("cannot open out/");
    };
    VerificationReport r = LedgerVerifier.create().withCheck(artefacts).verify(file, A);
    assertThat(r.problems()).hasSize(1);
    assertThat(r.problems().get(0).kind()).isEqualTo(Kind.CHECK_FAILED);
    assertThat(r.problems().get(0).message())
        .startsWith("entry 2 (line 3, job job-2): artefact out/part-0.parquet does not match the output commitment");
    VerificationReport r2 = LedgerVerifier.create().withCheck(broken).verify(file, A);
    assertThat(r2.problems()).hasSize(5).allSatisfy(p -> assertThat(p.message()).contains("cannot open out/"));
  }

  @Test
  void verifyEntryChecksOneEntryAlone() {
    LedgerEntry e = LocalLedger.openReadOnly(file).findByJobId("job-1").orElseThrow();
    assertThat(LedgerVerifier.create().verifyEntry(e, A)).isEmpty();
    Receipt changed = e.receipt().toBuilder().result("intersectionSize", "1").build();
    LedgerEntry tampered = new LedgerEntry(e.seq(), e.prevHash(), e.receiptHash(), changed, e.entryHash(),
        e.signature(), e.signer());
    List<Problem> problems = LedgerVerifier.create().verifyEntry(tampered, A);
    assertThat(problems).extracting(Problem::message)
        .containsExactly("entry 1 (job job-1): receipt was modified after it was written: receiptHash does not match.");
  }
}
