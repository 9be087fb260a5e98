package io.veil.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.veil.crypto.IdentityKeys;
import io.veil.ledger.VerificationReport.Problem;
import io.veil.ledger.VerificationReport.Problem.Kind;
import io.veil.ledger.internal.Hashes;
import io.veil.spec.JobSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SpecApprovalCheck}: a receipt's approvals against the parties and keys its spec pins. Each
 * forged receipt below is written and signed by bank_a itself, so {@link LedgerVerifier} alone
 * passes it; with the spec, the problem is named.
 */
class SpecApprovalCheckTest {
  private static final IdentityKeys BANK_A = Fixtures.BANK_A;
  private static final IdentityKeys BANK_B = Fixtures.BANK_B;
  private static final IdentityKeys MALLORY = Fixtures.MALLORY;
  private static final JobSpec SPEC = spec(null);

  /** The two-bank PSI spec, for {@code period} (null: none). */
  private static JobSpec spec(String period) {
    return JobSpec.parse(String.join("\n",
        "name: weekly-overlap",
        "operator: psi",
        period == null ? "" : "period: " + period,
        "parties:",
        "  - id: bank_a",
        "    publicKey: " + BANK_A.publicKey().encoded(),
        "    input: {format: parquet, path: /a, keyColumns: [id]}",
        "    output: {path: /out/a}",
        "  - id: bank_b",
        "    publicKey: " + BANK_B.publicKey().encoded(),
        "    input: {format: parquet, path: /b, keyColumns: [id]}",
        "    output: {path: /out/b}",
        ""), "spec.yaml", null);
  }

  private static final byte[] CONTRACT = Hashes.unhex(SPEC.contractHash());

  @TempDir Path dir;
  private int ledgers;

  @Test
  void theHonestReceiptPasses() {
    VerificationReport r = verifyWithSpec(List.of(approval("bank_a", BANK_A), approval("bank_b", BANK_B)));
    assertThat(r.ok()).as(r.summary()).isTrue();
    assertThat(r.summary()).as("the PASS line says what was checked")
        .contains("Also: every receipt of the spec's job holds exactly one approval per spec party");
  }

  @Test
  void anApprovalUnderASelfMadeKeyIsNamed() {
    // bank_a writes bank_b's approval itself, with a key of its own making.
    List<String> problems = checkFails(List.of(approval("bank_a", BANK_A), approval("bank_b", MALLORY)));
    assertThat(problems).singleElement().asString()
        .contains("cannot accept the approval of party 'bank_b': it is made with key " + MALLORY.publicKey().encoded()
            + ", not with the key the spec pins for bank_b (" + BANK_B.publicKey().encoded() + ")")
        .contains("Ask bank_b for its own receipt of the job");
  }

  @Test
  void aMissingPartyIsNamed() {
    List<String> problems = checkFails(List.of(approval("bank_a", BANK_A)));
    assertThat(problems).singleElement().asString()
        .contains("cannot accept the approvals: party 'bank_b' of the spec has none")
        .contains(BANK_B.publicKey().encoded());
  }

  @Test
  void anApprovalByANonPartyIsNamed() {
    List<String> problems = checkFails(List.of(approval("bank_a", BANK_A), approval("bank_b", BANK_B),
        approval("mallory", MALLORY)));
    assertThat(problems).singleElement().asString()
        .contains("cannot accept the approval of 'mallory' (key " + MALLORY.publicKey().encoded()
            + "): the spec has no party 'mallory' (its parties: bank_a, bank_b)");
  }

  @Test
  void anApprovalOfThePinnedKeyOverAnotherContractIsNamed() {
    // bank_b's real key, but over another period's contract: the receipt's contract hash is not the spec's.
    JobSpec other = spec("2024-W19");
    byte[] otherContract = Hashes.unhex(other.contractHash());
    List<String> problems = SpecApprovalCheck.problems(SPEC, List.of(approval("bank_a", BANK_A),
        Receipt.Approval.sign("bank_b", BANK_B, otherContract)));
    assertThat(problems).singleElement().asString()
        .contains("cannot accept the approval of party 'bank_b': it is not a valid signature by bank_b's pinned key "
            + "over the spec's contract hash");
  }

  @Test
  void aDuplicateApprovalIsNamed() throws Exception {
    // A receipt cannot hold two approvals of one party: the check names them where a list has them ...
    List<String> problems = SpecApprovalCheck.problems(SPEC, List.of(approval("bank_a", BANK_A),
        approval("bank_b", BANK_B), approval("bank_b", BANK_B)));
    assertThat(problems).singleElement().asString()
        .contains("cannot accept the approvals of party 'bank_b': the receipt lists 2 of them, where the spec "
            + "allows exactly one per party");
    // ... and a ledger line edited to hold one twice is not a readable receipt.
    Path file = ledger(List.of(approval("bank_a", BANK_A), approval("bank_b", BANK_B)));
    Fixtures.editLine(file, 0, n -> {
      ArrayNode approvals = n.withArray("/receipt/approvals");
      approvals.add(approvals.get(1).deepCopy());
    });
    VerificationReport r = LedgerVerifier.create().withCheck(new SpecApprovalCheck(SPEC)).verify(file,
        BANK_A.publicKey());
    assertThat(r.problems()).extracting(Problem::kind).contains(Kind.MALFORMED_LINE);
    assertThat(r.summary()).contains("lists party 'bank_b' twice");
  }

  @Test
  void everyProblemOfAReceiptIsNamedAndOtherJobsAreLeftAlone() {
    Path file = dir.resolve("two-jobs.jsonl");
    LocalLedger ledger = LocalLedger.open(file, BANK_A);
    ledger.append(Fixtures.receipt("another-job")); // approvals the spec knows nothing of
    ledger.append(receipt(List.of(approval("bank_b", MALLORY), approval("carol", MALLORY))));
    assertThat(LedgerVerifier.create().verify(file, BANK_A.publicKey()).ok()).isTrue();

    VerificationReport r = LedgerVerifier.create().withCheck(new SpecApprovalCheck(SPEC)).verify(file,
        BANK_A.publicKey());
    assertThat(r.problemsFor(0)).isEmpty();
    assertThat(r.problemsFor(1)).extracting(Problem::kind).containsOnly(Kind.CHECK_FAILED);
    assertThat(r.problemsFor(1)).extracting(Problem::message).satisfiesExactlyInAnyOrder(
        m -> assertThat(m).startsWith("entry 1 (line 2, job ").contains("party 'bank_a' of the spec has none"),
        m -> assertThat(m).contains("approval of party 'bank_b': it is made with key"),
        m -> assertThat(m).contains("approval of 'carol'"));
  }

  // ---- helpers ----

  private static Receipt.Approval approval(String party, IdentityKeys keys) {
    return Receipt.Approval.sign(party, keys, CONTRACT);
  }

  private static Receipt receipt(List<Receipt.Approval> approvals) {
    return Fixtures.receiptBuilder("unused", "bank_a", BANK_A)
        .jobId(SPEC.jobId())
        .contractHash(SPEC.contractHash())
        .approvals(approvals)
        .build();
  }

  /** A ledger of bank_a holding one receipt of the spec's job with {@code approvals}. */
  private Path ledger(List<Receipt.Approval> approvals) {
    Path file = dir.resolve("ledger-" + ledgers++ + ".jsonl");
    LocalLedger.open(file, BANK_A).append(receipt(approvals));
    return file;
  }

  private VerificationReport verifyWithSpec(List<Receipt.Approval> approvals) {
    return LedgerVerifier.create().withCheck(new SpecApprovalCheck(SPEC)).verify(ledger(approvals),
        BANK_A.publicKey());
  }

  /**
   * The problems the check finds in a receipt with {@code approvals}, after asserting that the ledger passes
   * without the spec (bank_a wrote and signed it) and fails with it.
   */
  private List<String> checkFails(List<Receipt.Approval> approvals) {
    Path file = ledger(approvals);
    assertThat(LedgerVerifier.create().verify(file, BANK_A.publicKey()).ok()).as("without the spec").isTrue();
    VerificationReport r = LedgerVerifier.create().withCheck(new SpecApprovalCheck(SPEC)).verify(file,
        BANK_A.publicKey());
    assertThat(r.ok()).isFalse();
    assertThat(r.problems()).extracting(Problem::kind).containsOnly(Kind.CHECK_FAILED);
    assertThat(r.problems()).allSatisfy(p -> assertThat(p.message()).startsWith("entry 0 (line 1, job "));
    return r.problems().stream().map(Problem::message).toList();
  }
}
