package io.veil.psi;

import io.veil.channel.Channel;
import io.veil.channel.ControlLog;
import io.veil.crypto.IdentityPublicKey;
import io.veil.spark.KeyRef;

/**
 * Where a PSI run happens: the job, this party and its peer, the channel between them and the
 * reference to this party's key (resolved in executors, never shipped).
 *
 * @param jobId job id (binds every batch)
 * @param me this party's id
 * @param peer the other party's id
 * @param peerKey the peer's pinned identity key
 * @param channel data-plane transport
 * @param control this party's view of the job's control log
 * @param key this party's key file reference
 */
public record PsiContext(
    String jobId,
    String me,
    String peer,
    IdentityPublicKey peerKey,
    Channel channel,
    ControlLog control,
    KeyRef key) {}
