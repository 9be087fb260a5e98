package io.veil.crypto.sharing;

import io.veil.InvalidInputException;
import io.veil.crypto.PartySecret;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * A party's X25519 key pair for one aggregation job (RFC 7748), used to agree pairwise mask seeds
 * with the other parties ({@link PairwiseMasking}).
 *
 * <p><b>Derivation.</b> private = {@code PartySecret.deriveJobSecret(jobId, "aggregation-x25519", 32)}
 * (HKDF-SHA256 with the job id as salt), public = {@code X25519(private, 9)}. The pair is
 * therefore deterministic per (party secret, job) — a restarted party announces the same public
 * key — and independent across jobs, so keys are never reused between jobs.
 *
 * <p><b>Encoding.</b> {@link #publicKey()} is the 32-byte little-endian u-coordinate of RFC 7748,
 * to be announced to the other parties of the job (authenticated by the job's channel).
 *
 * <p>Immutable and thread-safe. The private key is never returned; {@link #toString()} shows the
 * party and job only, no key bytes.
 */
public final class AggregationKeys {
  /** Length of X25519 private and public keys. */
  public static final int KEY_BYTES = 32;

  static final String PURPOSE = "aggregation-x25519";

  private final String party;
  private final String jobId;
  private final byte[] privateKey;
  private final byte[] publicKey;

  private AggregationKeys(String party, String jobId, byte[] privateKey) {
    this.party = party;
    this.jobId = jobId;
    this.privateKey = privateKey;
    this.publicKey = new byte[KEY_BYTES];
    X25519.scalarMultBase(privateKey, 0, publicKey, 0);
  }

  /** The key pair of {@code secret}'s party for job {@code jobId}. */
  public static AggregationKeys derive(PartySecret secret, String jobId) {
    Objects.requireNonNull(secret, "secret");
    if (jobId == null || jobId.isEmpty()) {
      throw new InvalidInputException(
          "Cannot derive aggregation keys: the job id is empty. Set the job id in the job spec.");
    }
    return new AggregationKeys(secret.party(), jobId, secret.deriveJobSecret(jobId, PURPOSE, KEY_BYTES));
  }

  /** The public key to announce: 32 bytes (a copy). */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The job these keys belong to. */
  public String jobId() {
    return jobId;
  }

  /** The party (from its key file) these keys belong to. */
  public String party() {
    return party;
  }

  /**
   * X25519 agreement with {@code peerPublicKey} into {@code out}; false if the result is all zero
   * (a low-order or otherwise invalid peer key).
   */
  boolean agree(byte[] peerPublicKey, byte[] out) {
    return X25519.calculateAgreement(privateKey, 0, peerPublicKey, 0, out, 0);
  }

  @Override
  public String toString() {
    return "AggregationKeys(party=" + party + ", job=" + jobId + ")";
  }
}
