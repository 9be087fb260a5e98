package io.veil.job;

import io.veil.crypto.IdentityPublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything a party's receipt of a finished job states, as the runtime assembled it, for a
 * {@link ReceiptSink} to record. Hashes and roots are lowercase hex.
 *
 * @param jobId the job
 * @param jobName the spec's name
 * @param period the period, or null
 * @param operator the operator's label (e.g. {@code psi-cardinality})
 * @param party this party
 * @param partyKey this party's identity key
 * @param contractHash the spec's contract hash
 * @param approvals every party's approval of the contract, this party's first
 * @param input this party's input commitment, or null
 * @param output this party's output commitment, or null
 * @param outputLocation where the output was written, or null
 * @param result the operator's result figures
 * @param rounds every round this party sent or received
 * @param peers the other parties' announced commitment roots (parties that did not announce them are left out)
 * @param startedAt when the run started
 * @param finishedAt when the output was committed
 * @param inputAsset the data asset this party's input names ({@code input.asset}), or null: the receipt then
 *     records the job's usage of it (rows read, the {@code queriesAnswered} figure, the other parties as consumers)
 */
public record JobRecord(String jobId, String jobName, String period, String operator, String party,
    IdentityPublicKey partyKey, String contractHash, List<ApprovalRecord> approvals, CommitmentRecord input,
    CommitmentRecord output, String outputLocation, Map<String, String> result, List<RoundRecord> rounds,
    List<PeerRoots> peers, Instant startedAt, Instant finishedAt, String inputAsset) {

  public JobRecord {
    approvals = List.copyOf(approvals);
    result = Map.copyOf(result);
    rounds = List.copyOf(rounds);
    peers = List.copyOf(peers);
  }

  /** A party's approval: its Ed25519 signature over the contract hash bytes. */
  public record ApprovalRecord(String party, IdentityPublicKey key, String signatureHex) {}

  /** A salted commitment to a row set. */
  public record CommitmentRecord(String algorithm, String root, long rows, String salt) {}

  /** One direction of one round: its number (position of its step, from 1), sender, receiver and digest. */
  public record RoundRecord(int round, String from, String to, long batches, long elements, String digest) {}

  /** A peer's commitment roots from its DONE message (null where it has none). */
  public record PeerRoots(String party, String inputRoot, String outputRoot) {}
}
