package io.veil.crypto.sharing;

import io.veil.InvalidInputException;
import io.veil.crypto.Hkdf;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Zero-sum masks for N-party secure aggregation from pairwise agreed seeds, so that each party
 * sends one masked message per round (after a one-time exchange of public keys).
 *
 * <p><b>Protocol.</b> Every party announces its {@link AggregationKeys#publicKey()} for the job.
 * Party {@code m} and each peer {@code j} agree on a seed
 * <pre>
 *   s_mj = HKDF-SHA256(salt = UTF-8(jobId) || binding, ikm = X25519(sk_m, pk_j),
 *                      info = "veil-agg-seed|" + min(m, j) + "|" + max(m, j), 32 bytes)
 * </pre>
 * (so {@code s_mj = s_jm}), where {@code binding} is the job's input binding (a hash over every
 * party's input commitment: a run over changed inputs gets fresh seeds), and its mask at position {@code i} of stream {@code domain} is
 * <pre>
 *   M_m[i] = Σ_{j ≠ m} (m &lt; j ? +1 : -1) · PRG(s_mj, domain)[i]   (mod 2^64)
 * </pre>
 * with {@link MaskPrg} as PRG and party ids compared with {@link String#compareTo} (UTF-16 code
 * units). Each pair's stream is added by one party and subtracted by the other, so
 * {@code Σ_m M_m[i] = 0 (mod 2^64)} for every position and domain. A party sends
 * {@code x_m + M_m}; the sum of all messages is {@code Σ x_m}. This is the pairwise masking of
 * Bonawitz et al., "Practical Secure Aggregation for Privacy-Preserving Machine Learning" (CCS
 * 2017), without its dropout recovery.
 *
 * <p><b>Security.</b> Against a passive adversary controlling up to N - 2 parties (and the
 * aggregator), the messages of the honest parties reveal only the sum of their inputs, assuming
 * X25519 is a secure key agreement (about 128-bit security), HKDF-SHA256 a good extractor and
 * AES-256 a PRP. Public keys must be authenticated by the job's channel: an unauthenticated key
 * exchange lets a man in the middle unmask. Each peer key is validated: 32 bytes, not the
 * caller's own key nor another peer's, and giving a non-zero X25519 output (rejecting the
 * low-order points). <b>Dropouts:</b> if any party fails to send, the masks do not cancel and the
 * round must be aborted and re-run with a fresh domain; nothing is revealed. <b>Domain reuse:</b>
 * a (domain, position) must mask only one value per party; masking two values with the same mask
 * reveals their difference.
 *
 * <p>Immutable and thread-safe. Keys are per job ({@link AggregationKeys}); seeds never leave the
 * object and {@link #toString()} shows party ids only.
 */
public final class PairwiseMasking {
  private static final String SEED_INFO = "veil-agg-seed|";

  private final String me;
  private final String jobId;
  /** peer id -> +1 if me < peer, else -1; iteration order fixed (sorted). */
  private final Map<String, Integer> signs;
  private final Map<String, byte[]> seeds;

  private PairwiseMasking(String me, String jobId, Map<String, Integer> signs, Map<String, byte[]> seeds) {
    this.me = me;
    this.jobId = jobId;
    this.signs = signs;
    this.seeds = seeds;
  }

  /**
   * Agrees a seed with each peer.
   *
   * @param me this party's id in the job
   * @param mine this party's keys for {@code jobId}
   * @param peerPublicKeys every other party's announced public key, by party id (at least one)
   * @param jobId the job id (must be the one {@code mine} was derived for)
   * @throws InvalidInputException naming the peer if its key is malformed, duplicated or low order,
   *     or if the ids or job do not match
   */
  public static PairwiseMasking create(
      String me, AggregationKeys mine, Map<String, byte[]> peerPublicKeys, String jobId) {
    return create(me, mine, peerPublicKeys, jobId, new byte[0]);
  }

  /**
   * Agrees a seed with each peer for one run of the job over inputs described by {@code binding}
   * (every party must pass the same binding).
   */
  public static PairwiseMasking create(
      String me, AggregationKeys mine, Map<String, byte[]> peerPublicKeys, String jobId, byte[] binding) {
    Objects.requireNonNull(mine, "mine");
    Objects.requireNonNull(binding, "binding");
    Objects.requireNonNull(peerPublicKeys, "peerPublicKeys");
    requireId(me, "this party");
    if (jobId == null || !jobId.equals(mine.jobId())) {
      throw new InvalidInputException(
          "Cannot set up pairwise masking for job " + jobId + ": the aggregation keys were derived "
              + "for job " + mine.jobId() + ". Derive the keys with AggregationKeys.derive(secret, jobId) "
              + "for this job.");
    }
    if (peerPublicKeys.isEmpty()) {
      throw new InvalidInputException(
          "Cannot set up pairwise masking for job " + jobId + ": no peer public keys were given. "
              + "Aggregation needs at least two parties; list them in the job spec.");
    }
    byte[] myPublic = mine.publicKey();
    byte[] job = jobId.getBytes(StandardCharsets.UTF_8);
    byte[] salt = Arrays.copyOf(job, job.length + binding.length);
    System.arraycopy(binding, 0, salt, job.length, binding.length);
    Map<String, Integer> signs = new TreeMap<>();
    Map<String, byte[]> seeds = new TreeMap<>();
    Map<String, byte[]> seen = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : new TreeMap<>(peerPublicKeys).entrySet()) {
      String peer = e.getKey();
      byte[] pk = e.getValue();
      requireId(peer, "a peer");
      if (peer.equals(me)) {
        throw new InvalidInputException(
            "Cannot set up pairwise masking for job " + jobId + ": party " + me + " is listed among its "
                + "own peers. Pass only the other parties' public keys.");
      }
      if (pk == null || pk.length != AggregationKeys.KEY_BYTES) {
        throw badPeerKey(jobId, peer, "it is " + (pk == null ? "missing" : pk.length + " bytes")
            + ", not " + AggregationKeys.KEY_BYTES);
      }
      if (MessageDigest.isEqual(pk, myPublic)) {
        throw badPeerKey(jobId, peer, "it equals this party's own key");
      }
      for (Map.Entry<String, byte[]> other : seen.entrySet()) {
        if (MessageDigest.isEqual(pk, other.getValue())) {
          throw badPeerKey(jobId, peer, "it equals the key of party " + other.getKey());
        }
      }
      seen.put(peer, pk.clone());
      byte[] shared = new byte[AggregationKeys.KEY_BYTES];
      if (!mine.agree(pk, shared)) {
        throw badPeerKey(jobId, peer, "it is a low-order point (X25519 gives the all-zero output)");
      }
      boolean meFirst = me.compareTo(peer) < 0;
      String info = SEED_INFO + (meFirst ? me + "|" + peer : peer + "|" + me);
      seeds.put(peer, Hkdf.derive(salt, shared, info.getBytes(StandardCharsets.UTF_8), MaskPrg.SEED_BYTES));
      Arrays.fill(shared, (byte) 0);
      signs.put(peer, meFirst ? 1 : -1);
    }
    return new PairwiseMasking(me, jobId, Collections.unmodifiableMap(signs), seeds);
  }

  /** This party's id. */
  public String party() {
    return me;
  }

  /** The job id. */
  public String jobId() {
    return jobId;
  }

  /** Number of parties, this one included. */
  public int parties() {
    return seeds.size() + 1;
  }

  /**
   * This party's masks for positions {@code [offset, offset + count)} of stream {@code domain}
   * (e.g. {@code "round-1/column-3"}). Over all parties of the job these sum to zero mod 2^64.
   */
  public long[] mask(String domain, int count, long offset) {
    Objects.requireNonNull(domain, "domain");
    long[] out = new long[MaskPrg.checkRange(count, offset)];
    long[] buf = new long[count];
    for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
      MaskPrg.create(e.getValue(), domain).fill(buf, offset);
      if (signs.get(e.getKey()) > 0) {
        Ring64.addInPlace(out, buf);
      } else {
        Ring64.subInPlace(out, buf);
      }
    }
    return out;
  }

  /**
   * {@code bytes} bytes of the key stream of {@code domain} that this party and {@code peer} (and
   * nobody else) compute alike: {@code PRG(s_mj, domain)} as little-endian words. XOR data with it
   * to hide what the pair exchanges from anyone relaying it (e.g. the Kafka operator); the pair's
   * signatures still authenticate the data. Like masks, a (domain, position) must cover one value only.
   *
   * @throws IllegalArgumentException if {@code peer} is not a peer of this party in the job
   */
  public byte[] pairKeystream(String peer, String domain, int bytes) {
    byte[] seed = seeds.get(peer);
    if (seed == null) {
      throw new IllegalArgumentException("no seed agreed with " + peer);
    }
    long[] words = MaskPrg.create(seed, domain).masks((bytes + 7) / 8, 0);
    byte[] out = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      out[i] = (byte) (words[i >>> 3] >>> ((i & 7) * 8));
    }
    return out;
  }

  private static void requireId(String id, String who) {
    if (id == null || id.isEmpty() || id.indexOf('|') >= 0) {
      throw new InvalidInputException(
          "Cannot set up pairwise masking: the id of " + who + " ('" + id + "') is empty or contains '|', "
              + "which separates ids in the seed derivation. Use the party ids from the job spec "
              + "(lowercase letters, digits, '_' and '-').");
    }
  }

  private static InvalidInputException badPeerKey(String jobId, String peer, String why) {
    return new InvalidInputException(
        "Cannot agree a mask seed with party " + peer + " in job " + jobId
            + " (aggregation key exchange): its public key is invalid: " + why
            + ". Abort the job; the peer must announce the key from AggregationKeys.derive for this job.");
  }

  @Override
  public String toString() {
    return "PairwiseMasking(party=" + me + ", job=" + jobId + ", peers=" + signs.keySet() + ")";
  }
}
