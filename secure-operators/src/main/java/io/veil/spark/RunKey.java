package io.veil.spark;

import io.veil.crypto.BlindingKey;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.sharing.AggregationKeys;
import io.veil.crypto.sharing.PairwiseMasking;
import java.io.Serializable;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * A reference to the secrets of one run of a job at one party, resolved where they are used
 * (driver or executor): the party's key file reference, the job id and the job's <b>input
 * binding</b>, a hash over every party's input commitment. Every per-run secret (PSI blinding key,
 * mask seeds, noise seeds) is derived from the three with HKDF, so a re-run over unchanged inputs
 * derives the same secrets (and resumes, its batches being duplicates), while a run over changed
 * inputs derives new ones. Carries no key material; {@link #toString()} shows no secret.
 */
public final class RunKey implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Length of an input binding. */
  public static final int BINDING_BYTES = 32;

  private final KeyRef key;
  private final String jobId;
  private final byte[] binding;

  public RunKey(KeyRef key, String jobId, byte[] binding) {
    this.key = Objects.requireNonNull(key, "key");
    this.jobId = Objects.requireNonNull(jobId, "jobId");
    if (binding == null || binding.length != BINDING_BYTES) {
      throw new IllegalArgumentException("an input binding is " + BINDING_BYTES + " bytes");
    }
    this.binding = binding.clone();
  }

  public KeyRef key() {
    return key;
  }

  public String jobId() {
    return jobId;
  }

  /** The job's input binding (a copy). */
  public byte[] binding() {
    return binding.clone();
  }

  /** Hex of the input binding. */
  public String bindingHex() {
    return HexFormat.of().formatHex(binding);
  }

  /** This party's identity keys (batch signatures). */
  public IdentityKeys identity() {
    return key.resolve().identity();
  }

  /** A run secret for {@code purpose}. */
  public byte[] secret(String purpose, int lengthBytes) {
    return key.resolve().deriveRunSecret(jobId, binding, purpose, lengthBytes);
  }

  /**
   * Party {@code me}'s pairwise masking with {@code peerPublicKeys} (their announced X25519 keys)
   * for this run: agreed under the job's {@link AggregationKeys}, seeds bound to the input binding.
   */
  public PairwiseMasking pairwiseMasking(String me, Map<String, byte[]> peerPublicKeys) {
    return PairwiseMasking.create(me, AggregationKeys.derive(key.resolve(), jobId), peerPublicKeys, jobId, binding);
  }

  /** The PSI blinding key of this run. */
  public BlindingKey blindingKey() {
    return key.resolve().blindingKey(jobId, binding);
  }

  @Override
  public String toString() {
    return "RunKey(" + key + ", job " + jobId + ", binding " + bindingHex().substring(0, 16) + "...)";
  }
}
