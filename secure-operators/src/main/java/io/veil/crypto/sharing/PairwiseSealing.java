package io.veil.crypto.sharing;

import io.veil.InvalidInputException;
import io.veil.crypto.Hkdf;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticated encryption of small messages between the parties of one job, for control-plane
 * notices that anyone reading the control topic (the Kafka operator, say) must not read: only the
 * named recipients can open a sealed message, and each can tell it comes unaltered from its sender.
 *
 * <p><b>Keys.</b> Each pair of parties agrees a key from the job's X25519 {@link AggregationKeys}
 * (announced with the approvals and authenticated by the control log's signatures):
 * <pre>
 *   k_ij = HKDF-SHA256(salt = "veil-seal/v1|" + jobId, ikm = X25519(sk_i, pk_j),
 *                      info = "veil-seal-key|" + min(i, j) + "|" + max(i, j), 32 bytes)
 * </pre>
 * independent of the pairwise mask seeds ({@link PairwiseMasking}: other salt and info) and fresh
 * per job, as the X25519 keys are.
 *
 * <p><b>Sealing.</b> {@link #seal} draws a random 32-byte content key, encrypts the message once
 * with AES-256-GCM under it, and wraps the content key for each recipient with AES-256-GCM under the
 * pair key; every nonce is random (96 bits). The associated data bind the job, the sender, the
 * recipient (for a wrap), the caller's {@code context} (e.g. the protocol step) and, for the
 * message, the whole header with every recipient's wrap: a sealed message opens only for the job,
 * sender, context and recipient list it was made for.
 *
 * <pre>
 *   u8 version (1) | u16 n | n x (u8 len, recipient id (UTF-8) | nonce (12) | wrapped key (32 + 16))
 *                  | nonce (12) | ciphertext (message length + 16)
 * </pre>
 *
 * <p><b>What it hides.</b> Everything about the message except its length and the recipients' ids:
 * callers that must hide more pad the message to a length fixed by public parameters. Any
 * recipient can read the message; the parties are not hidden from each other.
 *
 * <p>Immutable and thread-safe. Pair keys never leave the object; {@link #toString()} shows party
 * ids only. Security: about 128 bits (X25519, AES-256-GCM with random nonces, far fewer than 2^32
 * messages per pair key).
 */
public final class PairwiseSealing {
  private static final int VERSION = 1;
  private static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BYTES = 16;
  private static final int MAX_RECIPIENTS = 0xffff;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String me;
  private final String jobId;
  private final Map<String, byte[]> pairKeys;

  private PairwiseSealing(String me, String jobId, Map<String, byte[]> pairKeys) {
    this.me = me;
    this.jobId = jobId;
    this.pairKeys = pairKeys;
  }

  /**
   * Agrees a pair key with each peer.
   *
   * @param me this party's id in the job
   * @param mine this party's keys for {@code jobId}
   * @param peerPublicKeys the other parties' announced public keys, by party id
   * @param jobId the job id (the one {@code mine} was derived for)
   * @throws InvalidInputException naming the peer if its key is malformed, this party's own, or low order
   */
  public static PairwiseSealing create(String me, AggregationKeys mine, Map<String, byte[]> peerPublicKeys,
      String jobId) {
    Objects.requireNonNull(mine, "mine");
    Objects.requireNonNull(peerPublicKeys, "peerPublicKeys");
    requireId(me);
    if (jobId == null || !jobId.equals(mine.jobId())) {
      throw new InvalidInputException("Cannot set up sealed messages for job " + jobId + ": the aggregation keys "
          + "were derived for job " + mine.jobId() + ". Derive them with AggregationKeys.derive(secret, jobId).");
    }
    byte[] salt = ("veil-seal/v1|" + jobId).getBytes(StandardCharsets.UTF_8);
    byte[] myPublic = mine.publicKey();
    Map<String, byte[]> keys = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : new TreeMap<>(peerPublicKeys).entrySet()) {
      String peer = e.getKey();
      byte[] pk = e.getValue();
      requireId(peer);
      if (peer.equals(me)) {
        throw new InvalidInputException("Cannot set up sealed messages for job " + jobId + ": party " + me
            + " is listed among its own peers. Pass only the other parties' public keys.");
      }
      if (pk == null || pk.length != AggregationKeys.KEY_BYTES) {
        throw badPeerKey(jobId, peer, "it is " + (pk == null ? "missing" : pk.length + " bytes") + ", not "
            + AggregationKeys.KEY_BYTES);
      }
      if (MessageDigest.isEqual(pk, myPublic)) {
        throw badPeerKey(jobId, peer, "it equals this party's own key");
      }
      byte[] shared = new byte[AggregationKeys.KEY_BYTES];
      if (!mine.agree(pk, shared)) {
        throw badPeerKey(jobId, peer, "it is a low-order point (X25519 gives the all-zero output)");
      }
      String info = "veil-seal-key|" + (me.compareTo(peer) < 0 ? me + "|" + peer : peer + "|" + me);
      keys.put(peer, Hkdf.derive(salt, shared, info.getBytes(StandardCharsets.UTF_8), KEY_BYTES));
      Arrays.fill(shared, (byte) 0);
    }
    return new PairwiseSealing(me, jobId, keys);
  }

  /** This party's id. */
  public String party() {
    return me;
  }

  /**
   * Seals {@code message} for {@code recipients} (other parties of the job, at least one).
   *
   * @param context what the message is for (e.g. the protocol step); the recipient must pass the same
   */
  public byte[] seal(Collection<String> recipients, byte[] context, byte[] message) {
    TreeSet<String> to = new TreeSet<>(recipients);
    if (to.isEmpty() || to.size() > MAX_RECIPIENTS) {
      throw new IllegalArgumentException("a sealed message has 1.." + MAX_RECIPIENTS + " recipients");
    }
    byte[] contentKey = new byte[KEY_BYTES];
    RANDOM.nextBytes(contentKey);
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.write(VERSION);
    header.write(to.size() >>> 8);
    header.write(to.size() & 0xff);
    for (String r : to) {
      byte[] pair = pairKeys.get(r);
      if (pair == null) {
        throw new IllegalArgumentException("no pair key with " + r + " (not a peer of " + me + ")");
      }
      byte[] id = r.getBytes(StandardCharsets.UTF_8);
      byte[] nonce = nonce();
      header.write(id.length);
      header.writeBytes(id);
      header.writeBytes(nonce);
      header.writeBytes(gcm(Cipher.ENCRYPT_MODE, pair, nonce, ad("wrap", me, r, context, null), contentKey));
    }
    byte[] head = header.toByteArray();
    byte[] nonce = nonce();
    byte[] body = gcm(Cipher.ENCRYPT_MODE, contentKey, nonce, ad("body", me, "", context, head), message);
    Arrays.fill(contentKey, (byte) 0);
    return ByteBuffer.allocate(head.length + NONCE_BYTES + body.length).put(head).put(nonce).put(body).array();
  }

  /**
   * Opens a message {@code sender} sealed for this party.
   *
   * @throws IllegalArgumentException if it is malformed, not addressed to this party, or fails
   *     authentication (altered, another job, sender or context); the message says which, never
   *     any key or content
   */
  public byte[] open(String sender, byte[] context, byte[] sealed) {
    byte[] pair = pairKeys.get(sender);
    if (pair == null) {
      throw new IllegalArgumentException("no pair key with " + sender);
    }
    try {
      ByteBuffer in = ByteBuffer.wrap(sealed);
      if ((in.get() & 0xff) != VERSION) {
        throw new IllegalArgumentException("it is not a version " + VERSION + " sealed message");
      }
      int n = in.getShort() & 0xffff;
      byte[] wrapNonce = null;
      byte[] wrapped = null;
      for (int i = 0; i < n; i++) {
        byte[] id = new byte[in.get() & 0xff];
        in.get(id);
        byte[] nonce = new byte[NONCE_BYTES];
        in.get(nonce);
        byte[] w = new byte[KEY_BYTES + TAG_BYTES];
        in.get(w);
        if (new String(id, StandardCharsets.UTF_8).equals(me)) {
          wrapNonce = nonce;
          wrapped = w;
        }
      }
      if (wrapped == null) {
        throw new IllegalArgumentException("it is not addressed to " + me);
      }
      byte[] head = Arrays.copyOf(sealed, in.position());
      byte[] nonce = new byte[NONCE_BYTES];
      in.get(nonce);
      if (in.remaining() < TAG_BYTES) {
        throw new IllegalArgumentException("it is truncated");
      }
      byte[] body = new byte[in.remaining()];
      in.get(body);
      byte[] contentKey = gcm(Cipher.DECRYPT_MODE, pair, wrapNonce, ad("wrap", sender, me, context, null), wrapped);
      try {
        return gcm(Cipher.DECRYPT_MODE, contentKey, nonce, ad("body", sender, "", context, head), body);
      } finally {
        Arrays.fill(contentKey, (byte) 0);
      }
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("it is truncated");
    }
  }

  /** Associated data: length-prefixed fields, so that no two different tuples encode alike. */
  private byte[] ad(String part, String from, String to, byte[] context, byte[] header) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] f : new byte[][] {"veil-seal/v1".getBytes(StandardCharsets.UTF_8),
        part.getBytes(StandardCharsets.UTF_8), jobId.getBytes(StandardCharsets.UTF_8),
        from.getBytes(StandardCharsets.UTF_8), to.getBytes(StandardCharsets.UTF_8), context,
        header == null ? new byte[0] : header}) {
      b.writeBytes(ByteBuffer.allocate(4).putInt(f.length).array());
      b.writeBytes(f);
    }
    return b.toByteArray();
  }

  private static byte[] nonce() {
    byte[] n = new byte[NONCE_BYTES];
    RANDOM.nextBytes(n);
    return n;
  }

  private static byte[] gcm(int mode, byte[] key, byte[] nonce, byte[] ad, byte[] input) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
      c.updateAAD(ad);
      return c.doFinal(input);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IllegalArgumentException("it fails authentication (altered, or sealed for another job, sender, "
          + "recipient or step)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available", e);
    }
  }

  private static void requireId(String id) {
    if (id == null || id.isEmpty() || id.indexOf('|') >= 0 || id.getBytes(StandardCharsets.UTF_8).length > 255) {
      throw new InvalidInputException("Cannot set up sealed messages: the party id '" + id + "' is empty, longer "
          + "than 255 bytes or contains '|'. Use the party ids from the job spec.");
    }
  }

  private static InvalidInputException badPeerKey(String jobId, String peer, String why) {
    return new InvalidInputException("Cannot agree a sealing key with party " + peer + " in job " + jobId
        + ": its public key is invalid: " + why + ". Abort the job; the peer must announce the key from "
        + "AggregationKeys.derive for this job.");
  }

  @Override
  public String toString() {
    return "PairwiseSealing(party=" + me + ", job=" + jobId + ", peers=" + pairKeys.keySet() + ")";
  }
}
