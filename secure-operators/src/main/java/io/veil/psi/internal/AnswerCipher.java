package io.veil.psi.internal;

import io.veil.crypto.sharing.PairwiseMasking;
import io.veil.spark.RunKey;
import java.io.Serializable;
import java.util.Map;

/**
 * Hides the answers of step {@code blind-2} from anyone relaying them. A key in the intersection,
 * blinded by both parties, has the same comparison hash in both parties' answers; sent in clear,
 * the Kafka operator could match the two answer streams and learn the intersection size (and, in
 * rows mode, which blinded keys match). Each answer batch is therefore XORed with the key stream
 * that only the two parties compute ({@link PairwiseMasking#pairKeystream}, from their X25519
 * agreement for this run, bound to the inputs), under a domain naming the stream, partition and
 * sequence number: every position is covered once. The batch signature covers the encrypted bytes.
 * Deterministic per run, so a retried task still writes a byte-identical batch.
 *
 * <p>Holds a run key reference and the peer's public key, never key material; the agreement is
 * redone in each JVM. XOR is its own inverse: the same call encrypts and decrypts.
 */
final class AnswerCipher implements Serializable {
  private static final long serialVersionUID = 1L;
  private final RunKey key;
  private final String me;
  private final String peer;
  private final byte[] peerAgreementKey;
  private transient PairwiseMasking pair;

  AnswerCipher(RunKey key, String me, String peer, byte[] peerAgreementKey) {
    this.key = key;
    this.me = me;
    this.peer = peer;
    this.peerAgreementKey = peerAgreementKey.clone();
  }

  /** XORs {@code payload[0, length)} in place with the pair's key stream for this batch. */
  void apply(String stream, int partition, int seq, byte[] payload, int length) {
    if (pair == null) {
      pair = key.pairwiseMasking(me, Map.of(peer, peerAgreementKey));
    }
    byte[] ks = pair.pairKeystream(peer, "psi-answers|" + stream + "|" + partition + "|" + seq, length);
    for (int i = 0; i < length; i++) {
      payload[i] ^= ks[i];
    }
  }
}
