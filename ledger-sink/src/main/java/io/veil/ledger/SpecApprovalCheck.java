package io.veil.ledger;

import io.veil.crypto.IdentityPublicKey;
import io.veil.ledger.internal.Hashes;
import io.veil.spec.JobSpec;
import io.veil.spec.PartySpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks who approved a job against its spec: every party of the spec has exactly one approval in
 * the receipt, made with the Ed25519 key the spec pins for that party and valid over the spec's
 * contract hash, and nobody else has one. {@link LedgerVerifier} alone only checks that each listed
 * approval is a valid signature by the key it lists, which a party writing its own receipt can
 * satisfy with a self-made key, or by leaving a party out; with the spec in hand this check closes
 * that gap. It is what {@code veil verify --spec} adds.
 *
 * <p>Only receipts of the spec's job (its {@link JobSpec#jobId()}, so also its period) are checked;
 * others pass. Each problem names the party, what is wrong and what to do. Immutable and
 * thread-safe.
 */
public final class SpecApprovalCheck implements EntryCheck {
  private final JobSpec spec;

  /** A check of every receipt of {@code spec}'s job against the parties and keys {@code spec} pins. */
  public SpecApprovalCheck(JobSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
  }

  @Override
  public String passes() {
    return "every receipt of the spec's job holds exactly one approval per spec party, by the key the "
        + "spec pins for it";
  }

  @Override
  public List<String> check(LedgerEntry entry) {
    Receipt r = entry.receipt();
    if (!r.jobId().equals(spec.jobId())) {
      return List.of(); // another job's receipt
    }
    return problems(spec, r.approvals());
  }

  /**
   * The problems of {@code approvals} (as a receipt of {@code spec}'s job lists them) against
   * {@code spec}: one description per problem, empty if every party of the spec approved once with
   * its pinned key and nobody else approved.
   */
  public static List<String> problems(JobSpec spec, List<Receipt.Approval> approvals) {
    byte[] contractHash = Hashes.unhex(spec.contractHash());
    String contract = Hashes.abbreviate(spec.contractHash());
    Map<String, List<Receipt.Approval>> byParty = new LinkedHashMap<>();
    for (Receipt.Approval a : approvals) {
      byParty.computeIfAbsent(a.party(), p -> new ArrayList<>()).add(a);
    }
    List<String> out = new ArrayList<>();
    for (PartySpec party : spec.parties()) {
      String id = party.id();
      IdentityPublicKey pinned = party.publicKey();
      List<Receipt.Approval> given = byParty.getOrDefault(id, List.of());
      if (given.isEmpty()) {
        out.add("cannot accept the approvals: party '" + id + "' of the spec has none, so nothing shows that it "
            + "agreed to the job, and the spec needs every party's approval. Ask " + id + " for its own receipt "
            + "of the job, which holds its approval made with the key the spec pins for it ("
            + pinned.encoded() + ")");
        continue;
      }
      if (given.size() > 1) {
        out.add("cannot accept the approvals of party '" + id + "': the receipt lists " + given.size()
            + " of them, where the spec allows exactly one per party; Veil writes one, so the receipt was edited. "
            + "Restore the ledger from a copy, or ask " + id + " for its own receipt of the job");
      }
      for (Receipt.Approval a : given) {
        if (!a.publicKey().equals(pinned.encoded())) {
          out.add("cannot accept the approval of party '" + id + "': it is made with key " + a.publicKey()
              + ", not with the key the spec pins for " + id + " (" + pinned.encoded() + "), so it is not "
              + id + "'s approval (a self-made or another party's key). Ask " + id + " for its own receipt of "
              + "the job, and check that --spec is the spec the job ran with");
        } else if (!a.verifies(contractHash)) {
          out.add("cannot accept the approval of party '" + id + "': it is not a valid signature by " + id
              + "'s pinned key over the spec's contract hash " + contract + ", so " + id + " approved another "
              + "contract (another spec or period) or the signature was edited. Check that --spec and --period "
              + "are the ones the job ran with");
        }
      }
    }
    List<String> parties = spec.parties().stream().map(PartySpec::id).toList();
    byParty.forEach((id, given) -> {
      if (!parties.contains(id)) {
        for (Receipt.Approval a : given) {
          out.add("cannot accept the approval of '" + id + "' (key " + a.publicKey() + "): the spec has no party '"
              + id + "' (its parties: " + String.join(", ", parties) + "), and only its parties approve its job. "
              + "The receipt was written for another spec, or edited; check that --spec is the spec the job ran "
              + "with");
        }
      }
    });
    return out;
  }
}
