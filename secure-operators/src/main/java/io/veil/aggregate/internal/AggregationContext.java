package io.veil.aggregate.internal;

import io.veil.channel.Channel;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.sharing.AggregationKeys;
import io.veil.crypto.sharing.PairwiseSealing;
import io.veil.job.OperatorContext;
import io.veil.spark.KeyRef;
import io.veil.spark.RunKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where an aggregation runs: the runtime's context, who contributes a vector and who learns the sum.
 *
 * @param op the runtime's context for this party
 * @param dataParties the parties that contribute a vector, in spec order
 * @param resultParty the party that learns the sum
 */
public record AggregationContext(OperatorContext op, List<String> dataParties, String resultParty) {
  public AggregationContext {
    dataParties = List.copyOf(dataParties);
  }

  public String jobId() {
    return op.jobId();
  }

  public String me() {
    return op.me();
  }

  public boolean isResultParty() {
    return op.me().equals(resultParty);
  }

  public boolean isDataParty() {
    return dataParties.contains(op.me());
  }

  public Channel channel() {
    return op.channel();
  }

  /** This party's key file reference (batch signatures). */
  public KeyRef key() {
    return op.key();
  }

  /** This run's secrets (masks, noise). */
  public RunKey runKey() {
    return op.runKey();
  }

  public Map<String, IdentityPublicKey> identities() {
    return op.identities();
  }

  /**
   * The parties whose pairwise masks cancel in a sum: the data parties and the result party, even
   * when it contributes no vector. Without the result party's masks, the data parties' masked
   * vectors (all that travels, so all the broker holds) would add up to the sum.
   */
  public List<String> maskingParties() {
    List<String> out = new ArrayList<>(dataParties);
    if (!out.contains(resultParty)) {
      out.add(resultParty);
    }
    return out;
  }

  /** Every masking party's X25519 agreement key for this job, as announced with its approval. */
  public Map<String, byte[]> aggregationKeys() {
    Map<String, byte[]> keys = new TreeMap<>();
    maskingParties().forEach(d -> keys.put(d, op.agreementKey(d)));
    return keys;
  }

  /**
   * Seals notices for, and opens notices from, the other parties of this job, under keys agreed
   * pairwise from the job's agreement keys: what the control topic carries for them stays unreadable
   * to anyone else reading it.
   */
  public PairwiseSealing sealing() {
    Map<String, byte[]> peers = new TreeMap<>();
    op.peers().forEach(p -> peers.put(p, op.agreementKey(p)));
    return PairwiseSealing.create(me(), AggregationKeys.derive(op.key().resolve(), jobId()), peers, jobId());
  }

  public long peerTimeoutMs() {
    return op.peerTimeoutMs();
  }
}
