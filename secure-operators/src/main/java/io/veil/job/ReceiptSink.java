package io.veil.job;

import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where a party records the receipt of each job it finished: the local hash-chained ledger, and
 * optionally an anchor on an EVM chain ({@code LedgerReceipts} in ledger-sink). Must be durable when
 * {@link #record} returns; must never fail a finished job because a chain is slow (anchors wait in
 * an outbox).
 *
 * <p>A sink also answers whether a job already finished here ({@link #finished}): the runtime then
 * returns the recorded result of a finished period instead of running it again.
 */
public interface ReceiptSink {
  /** Records {@code record}, signed with this party's identity key. */
  Recorded record(JobRecord record, IdentityKeys signer);

  /**
   * The receipt this party recorded for {@code jobId}, if it finished here, after checking it (the
   * record's integrity and that {@code partyKey} signed it); empty if it did not finish here.
   *
   * @throws io.veil.VeilException if the record cannot be read or does not verify
   */
  Optional<Finished> finished(String jobId, IdentityPublicKey partyKey);

  /** One line for people: the kind of sink and where it writes. */
  String describe();

  /**
   * What was recorded.
   *
   * @param location where the receipt is (e.g. the ledger file)
   * @param receiptHash hex hash of the receipt
   * @param jobRoot hex Merkle root over the job's shared artefacts, the same at every party
   * @param notes further labelled facts for the summary (e.g. the anchor's state), in order
   */
  record Recorded(String location, String receiptHash, String jobRoot, Map<String, String> notes) {
    public Recorded {
      notes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(notes));
    }
  }

  /**
   * A job this party finished, as its receipt records it.
   *
   * @param recorded where the receipt is, its hash and the job root
   * @param finishedAt when the job finished (ISO-8601)
   * @param input this party's input commitment, or null without input
   * @param output the commitment to the output as written, or null without one
   * @param outputLocation where the output was written, or null
   * @param result the result figures
   * @param peersReported the parties whose commitments the receipt records (they finished their part)
   */
  record Finished(Recorded recorded, String finishedAt, JobRecord.CommitmentRecord input,
      JobRecord.CommitmentRecord output, String outputLocation, Map<String, String> result, Set<String> peersReported) {
    public Finished {
      result = Map.copyOf(result);
      peersReported = Set.copyOf(peersReported);
    }

    /** The input commitment's root, or null. */
    public String inputRoot() {
      return input == null ? null : input.root();
    }

    /** The output commitment's root, or null. */
    public String outputRoot() {
      return output == null ? null : output.root();
    }
  }
}
