package io.veil.channel;

import io.veil.ProtocolException;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.SignatureDomain;
import io.veil.crypto.Sha256;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Frames data-plane batches: a binding header, a payload of fixed-size elements and the sender's
 * Ed25519 signature over the SHA-256 digest of both.
 *
 * <pre>
 * "VB02" | u8 len, jobId | u8 len, stream | u8 len, sender | i32 partition | i32 seq
 *        | u16 elementBytes | i32 count | payload (count * elementBytes) | signature (64)
 * </pre>
 *
 * The signature (domain {@link SignatureDomain#DATA_BATCH}) covers SHA-256 of everything before it
 * rather than the bytes themselves: Ed25519 hashes its message twice with SHA-512 when signing and
 * once when verifying, in Java, where SHA-256 runs on the processor's SHA instructions; a batch is
 * up to a megabyte.
 *
 * The binding (job, stream, sender, partition, seq) makes a batch useless anywhere else: a batch
 * replayed from another job, round, direction or partition fails {@link #decode}. Signatures are
 * deterministic (Ed25519), so a Spark task retry produces a byte-identical duplicate that readers
 * drop ({@link BatchCollector}).
 */
public final class BatchCodec {
  private static final byte[] MAGIC = {'V', 'B', '0', '2'};

  private BatchCodec() {}

  /** A decoded, verified batch. {@code payload} holds {@code count * elementBytes} bytes. */
  public record Batch(int partition, int seq, int elementBytes, int count, byte[] payload) {}

  /** Encodes and signs one batch. */
  public static byte[] encode(
      String jobId,
      String stream,
      String sender,
      int partition,
      int seq,
      int elementBytes,
      byte[] payload,
      int count,
      IdentityKeys signer) {
    if (payload.length < count * elementBytes) {
      throw new IllegalArgumentException("payload shorter than count * elementBytes");
    }
    int sigBytes = IdentityPublicKey.SIGNATURE_BYTES;
    byte[] record = new byte[Math.toIntExact(recordBytes(jobId, stream, sender, elementBytes, count))];
    ByteBuffer out = ByteBuffer.wrap(record);
    out.put(MAGIC);
    putShortString(out, jobId);
    putShortString(out, stream);
    putShortString(out, sender);
    out.putInt(partition);
    out.putInt(seq);
    out.putShort((short) elementBytes);
    out.putInt(count);
    out.put(payload, 0, count * elementBytes);
    int bodyLen = record.length - sigBytes;
    byte[] sig = signer.sign(SignatureDomain.DATA_BATCH, bodyDigest(record, bodyLen));
    System.arraycopy(sig, 0, record, bodyLen, sigBytes);
    return record;
  }

  /** SHA-256 of the first {@code bodyLen} bytes of {@code record}: what the signature signs. */
  private static byte[] bodyDigest(byte[] record, int bodyLen) {
    MessageDigest sha = Sha256.newDigest();
    sha.update(record, 0, bodyLen);
    return sha.digest();
  }

  /**
   * Size in bytes of the framed record of a batch of {@code count} elements of {@code elementBytes}
   * bytes, bound to {@code jobId}, {@code stream} and {@code sender}: what a reader may expect
   * before it verifies anything.
   */
  public static long recordBytes(String jobId, String stream, String sender, int elementBytes, long count) {
    return MAGIC.length + 3L + utf8Length(jobId) + utf8Length(stream) + utf8Length(sender) + 4 + 4 + 2 + 4
        + count * elementBytes + IdentityPublicKey.SIGNATURE_BYTES;
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * Verifies and decodes one record read from {@code stream}/{@code partition}. Throws a
   * {@link ProtocolException} naming {@code sender} and {@code step} for anything unsigned,
   * mis-bound, malformed or of the wrong element size.
   */
  public static Batch decode(
      byte[] record,
      String jobId,
      String stream,
      String sender,
      IdentityPublicKey senderKey,
      int partition,
      int elementBytes,
      String step) {
    int sigBytes = IdentityPublicKey.SIGNATURE_BYTES;
    if (record == null || record.length < MAGIC.length + sigBytes + 17) {
      throw reject(sender, step, partition, "is truncated or empty");
    }
    int bodyLen = record.length - sigBytes;
    byte[] sig = Arrays.copyOfRange(record, bodyLen, record.length);
    if (!senderKey.verify(SignatureDomain.DATA_BATCH, bodyDigest(record, bodyLen), sig)) {
      throw reject(sender, step, partition,
          "is not signed by " + sender + "'s key pinned in the spec (forged or corrupted)");
    }
    ByteBuffer in = ByteBuffer.wrap(record, 0, bodyLen);
    try {
      byte[] magic = new byte[MAGIC.length];
      in.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw reject(sender, step, partition, "has an unknown format");
      }
      String gotJob = readShortString(in);
      String gotStream = readShortString(in);
      String gotSender = readShortString(in);
      int gotPartition = in.getInt();
      int seq = in.getInt();
      int gotElementBytes = in.getShort() & 0xffff;
      int count = in.getInt();
      if (!gotJob.equals(jobId)) {
        throw reject(sender, step, partition, "belongs to another job (replayed)");
      }
      if (!gotStream.equals(stream) || !gotSender.equals(sender)) {
        throw reject(sender, step, partition, "belongs to another round or direction (replayed)");
      }
      if (gotPartition != partition) {
        throw reject(sender, step, partition, "is bound to partition " + gotPartition + " (replayed)");
      }
      if (gotElementBytes != elementBytes) {
        throw reject(sender, step, partition,
            "has " + gotElementBytes + "-byte elements where " + elementBytes + " are expected");
      }
      if (seq < 0 || count < 0 || (long) count * elementBytes != in.remaining()) {
        throw reject(sender, step, partition, "has an inconsistent element count");
      }
      byte[] payload = new byte[in.remaining()];
      in.get(payload);
      return new Batch(partition, seq, elementBytes, count, payload);
    } catch (java.nio.BufferUnderflowException e) {
      throw reject(sender, step, partition, "is truncated");
    }
  }

  private static ProtocolException reject(String sender, String step, int partition, String why) {
    return new ProtocolException(sender, step,
        "Cannot accept data from " + sender + " in step '" + step + "': a batch in partition "
            + partition + " " + why + ". The job was aborted and nothing was revealed; check that "
            + "only the job's parties can write to the channel and re-run the job.");
  }

  private static void putShortString(ByteBuffer out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 255) {
      throw new IllegalArgumentException("name longer than 255 bytes: " + s);
    }
    out.put((byte) b.length);
    out.put(b);
  }

  private static String readShortString(ByteBuffer in) {
    int len = in.get() & 0xff;
    byte[] b = new byte[len];
    in.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
