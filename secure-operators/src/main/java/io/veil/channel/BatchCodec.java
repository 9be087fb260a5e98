package io.veil.channel;

import io.veil.ProtocolException;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.SignatureDomain;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Frames data-plane batches: a binding header, a payload of fixed-size elements and the sender's
 * Ed25519 signature over both.
 *
 * <pre>
 * "VB01" | u8 len, jobId | u8 len, stream | u8 len, sender | i32 partition | i32 seq
 *        | u16 elementBytes | i32 count | payload (count * elementBytes) | signature (64)
 * </pre>
 *
 * The binding (job, stream, sender, partition, seq) makes a batch useless anywhere else: a batch
 * replayed from another job, round, direction or partition fails {@link #decode}. Signatures are
 * deterministic (Ed25519), so a Spark task retry produces a byte-identical duplicate that readers
 * drop ({@link BatchCollector}).
 */
public final class BatchCodec {
  private static final byte[] MAGIC = {'V', 'B', '0', '1'};

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
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + count * elementBytes + 64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MAGIC);
      writeShortString(out, jobId);
      writeShortString(out, stream);
      writeShortString(out, sender);
      out.writeInt(partition);
      out.writeInt(seq);
      out.writeShort(elementBytes);
      out.writeInt(count);
      out.write(payload, 0, count * elementBytes);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    byte[] body = bytes.toByteArray();
    byte[] sig = signer.sign(SignatureDomain.DATA_BATCH, body);
    byte[] record = new byte[body.length + sig.length];
    System.arraycopy(body, 0, record, 0, body.length);
    System.arraycopy(sig, 0, record, body.length, sig.length);
    return record;
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
    byte[] body = new byte[bodyLen];
    System.arraycopy(record, 0, body, 0, bodyLen);
    byte[] sig = new byte[sigBytes];
    System.arraycopy(record, bodyLen, sig, 0, sigBytes);
    if (!senderKey.verify(SignatureDomain.DATA_BATCH, body, sig)) {
      throw reject(sender, step, partition,
          "is not signed by " + sender + "'s key pinned in the spec (forged or corrupted)");
    }
    ByteBuffer in = ByteBuffer.wrap(body);
    try {
      byte[] magic = new byte[MAGIC.length];
      in.get(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
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

  private static void writeShortString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 255) {
      throw new IllegalArgumentException("name longer than 255 bytes: " + s);
    }
    out.writeByte(b.length);
    out.write(b);
  }

  private static String readShortString(ByteBuffer in) {
    int len = in.get() & 0xff;
    byte[] b = new byte[len];
    in.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
