package io.veil.job;

import io.veil.crypto.IdentityKeys;
import java.util.Map;

/**
 * Where a party records the receipt of each job it finished: the local hash-chained ledger, and
 * optionally an anchor on an EVM chain ({@code LedgerReceipts} in ledger-sink). Must be durable when
 * {@link #record} returns; must never fail a finished job because a chain is slow (anchors wait in
 * an outbox).
 */
public interface ReceiptSink {
  /** Records {@code record}, signed with this party's identity key. */
  Recorded record(JobRecord record, IdentityKeys signer);

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
}
