package io.veil.aggregate;

import io.veil.channel.Channel;
import io.veil.channel.ControlLog;
import io.veil.crypto.IdentityPublicKey;
import io.veil.spark.KeyRef;
import java.util.List;
import java.util.Map;

/**
 * Where an aggregation runs: the job, this party, who contributes and who learns the result, the
 * channel, and the keys.
 *
 * @param jobId job id (binds every batch and every mask)
 * @param me this party's id
 * @param dataParties the parties that contribute a vector, in spec order
 * @param resultParty the party that learns the sum
 * @param identities every party's pinned Ed25519 identity key
 * @param aggregationKeys every data party's X25519 aggregation public key for this job, as
 *     announced with its approval ({@link io.veil.crypto.sharing.AggregationKeys})
 * @param channel data-plane transport
 * @param control this party's view of the job's control log
 * @param key this party's key file reference (resolved in executors, never shipped)
 * @param peerTimeoutMs how long a silent peer is waited for
 */
public record AggregationContext(
    String jobId,
    String me,
    List<String> dataParties,
    String resultParty,
    Map<String, IdentityPublicKey> identities,
    Map<String, byte[]> aggregationKeys,
    Channel channel,
    ControlLog control,
    KeyRef key,
    long peerTimeoutMs) {

  public boolean isResultParty() {
    return me.equals(resultParty);
  }

  public boolean isDataParty() {
    return dataParties.contains(me);
  }
}
