package io.veil.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.ledger.internal.Hashes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The job root both parties of a job compute from their own receipts. */
class JobRootTest {
  private static final Receipt.Commitment IN_A = commitment(1, "0a0b");
  private static final Receipt.Commitment OUT_A = commitment(2, "0c0d");
  private static final Receipt.Commitment IN_B = commitment(3, "0e0f");
  private static final Receipt.Commitment OUT_B = commitment(4, "1011");

  private static Receipt.Commitment commitment(int seed, String salt) {
    return new Receipt.Commitment("veil-rowset-sha256/v1", Hashes.hex(Hashes.sha256(new byte[] {(byte) seed})),
        1000 + seed, salt);
  }

  private static Receipt bankA() {
    return Fixtures.receiptBuilder("job-1", "bank_a", Fixtures.BANK_A)
        .inputCommitment(IN_A).outputCommitment(OUT_A)
        .addPeerCommitment(new Receipt.PeerCommitment("bank_b", IN_B.root(), OUT_B.root()))
        .build();
  }

  /** bank_b's own receipt of the same job: other rounds, other result figures, other salts. */
  private static Receipt bankB() {
    return Fixtures.receiptBuilder("job-1", "bank_b", Fixtures.BANK_B)
        .inputCommitment(IN_B).outputCommitment(OUT_B)
        .roundDigests(List.of(new Receipt.RoundDigest(0, "bank_b", "bank_a", 9, 9, "abcd")))
        .result("intersectionSize", "421")
        .addPeerCommitment(new Receipt.PeerCommitment("bank_a", IN_A.root(), OUT_A.root()))
        .build();
  }

  @Test
  void bothPartiesReceiptsGiveTheSameRoot() {
    assertThat(Hashes.hex(JobRoot.of(bankA()))).isEqualTo(Hashes.hex(JobRoot.of(bankB())));
    assertThat(bankA().hashHex()).isNotEqualTo(bankB().hashHex());
    assertThat(JobRoot.leaves(bankA())).extracting(JobRoot.Leaf::label).containsExactly("contract",
        "approval:bank_a", "approval:bank_b", "input:bank_a", "output:bank_a", "input:bank_b", "output:bank_b");
  }

  @Test
  void everyArtefactIsBoundToTheRootUnderItsLabel() {
    Receipt a = bankA();
    List<Receipt> changed = new ArrayList<>();
    changed.add(a.toBuilder().contractHash(Fixtures.contractHash("job-2")).build());
    changed.add(a.toBuilder().inputCommitment(commitment(9, "0a0b")).build());
    changed.add(a.toBuilder().outputCommitment(null).build());
    changed.add(Receipt.builder().jobId(a.jobId()).jobName(a.jobName()).period(a.period()).operator(a.operator())
        .party(a.party(), a.partyPublicKey()).contractHash(a.contractHash()).approvals(a.approvals())
        .inputCommitment(IN_A).outputCommitment(OUT_A)
        .addPeerCommitment(new Receipt.PeerCommitment("bank_b", IN_B.root(), null))
        .status(a.status()).startedAt(java.time.Instant.parse(a.startedAt()))
        .finishedAt(java.time.Instant.parse(a.finishedAt())).build());
    List<String> expectedLabels = List.of("contract", "input:bank_a", "output:bank_a", "output:bank_b");
    for (int i = 0; i < changed.size(); i++) {
      Receipt r = changed.get(i);
      assertThat(JobRoot.of(r)).as("change %d", i).isNotEqualTo(JobRoot.of(a));
      List<String> differing = new ArrayList<>();
      List<JobRoot.Leaf> before = JobRoot.leaves(a);
      List<JobRoot.Leaf> after = JobRoot.leaves(r);
      for (int j = 0; j < before.size(); j++) {
        if (!before.get(j).equals(after.get(j))) {
          differing.add(after.get(j).label());
        }
      }
      assertThat(differing).as("change %d", i).containsExactly(expectedLabels.get(i));
    }
  }

  @Test
  void aPeerThatNeverAnnouncedIsUnreportedAndAPartyWithoutOutputHasNone() {
    Receipt r = bankA().toBuilder().outputCommitment(null).build();
    Receipt noPeer = Receipt.builder().jobId(r.jobId()).jobName(r.jobName()).period(r.period())
        .operator(r.operator()).party(r.party(), r.partyPublicKey()).contractHash(r.contractHash())
        .approvals(r.approvals()).inputCommitment(IN_A).status(r.status())
        .startedAt(java.time.Instant.parse(r.startedAt())).finishedAt(java.time.Instant.parse(r.finishedAt()))
        .build();
    assertThat(JobRoot.leaves(noPeer)).contains(new JobRoot.Leaf("output:bank_a", JobRoot.NONE),
        new JobRoot.Leaf("input:bank_b", JobRoot.UNREPORTED), new JobRoot.Leaf("output:bank_b", JobRoot.UNREPORTED));
  }

  @Test
  void peerCommitmentsAreCheckedAndSorted() {
    assertThatThrownBy(() -> bankA().toBuilder()
        .addPeerCommitment(new Receipt.PeerCommitment("bank_a", IN_A.root(), null)).build())
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("receipt.peerCommitments");
    assertThatThrownBy(() -> new Receipt.PeerCommitment("bank_b", "not hex", null))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("peerCommitment.inputRoot");
    Receipt back = Receipt.fromJson(bankA().canonicalJson());
    assertThat(back).isEqualTo(bankA());
    assertThat(JobRoot.of(back)).isEqualTo(JobRoot.of(bankA()));
  }
}
