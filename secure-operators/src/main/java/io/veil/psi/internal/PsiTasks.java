package io.veil.psi.internal;

import io.veil.ProtocolException;
import io.veil.channel.BatchCodec;
import io.veil.channel.BatchCodec.Batch;
import io.veil.channel.PeerStream;
import io.veil.channel.Locals;
import io.veil.channel.SentBatch;
import io.veil.channel.RoundDigest;
import io.veil.channel.StreamWriter;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.InvalidPointException;
import io.veil.crypto.PsiCipher;
import io.veil.crypto.Sha256;
import io.veil.spark.RunKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;
import scala.Tuple2;

/** The executor-side pieces of PSI: serializable functions holding no key material. */
final class PsiTasks {
  static final int POINT_BYTES = PsiCipher.POINT_BYTES;
  private static final int CHUNK = 1024;
  private static final byte[] CMP_DOMAIN = "veil-psi-cmp/v1".getBytes(StandardCharsets.UTF_8);

  private PsiTasks() {}

  /** Hashes each own key of a bucket to the curve and blinds it: (blinded point, key). */
  static final class BlindOwn implements Function2<Integer, Iterator<byte[]>, Iterator<Tuple2<byte[], byte[]>>> {
    private static final long serialVersionUID = 1L;
    private final RunKey key;

    BlindOwn(RunKey key) {
      this.key = key;
    }

    @Override
    public Iterator<Tuple2<byte[], byte[]>> call(Integer bucket, Iterator<byte[]> rows) {
      PsiCipher cipher = PsiCipher.create(key.blindingKey());
      // Chunks share one field inversion in hash-to-curve (PsiCipher.hashAndBlindBatch).
      return new Iterator<>() {
        private final byte[][] keys = new byte[CHUNK][];
        private final byte[] points = new byte[CHUNK * POINT_BYTES];
        private int filled;
        private int next;

        @Override
        public boolean hasNext() {
          if (next < filled) {
            return true;
          }
          filled = 0;
          next = 0;
          while (filled < CHUNK && rows.hasNext()) {
            keys[filled++] = rows.next();
          }
          if (filled > 0) {
            cipher.hashAndBlindBatch(keys, filled, points);
          }
          return filled > 0;
        }

        @Override
        public Tuple2<byte[], byte[]> next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          byte[] point = new byte[POINT_BYTES];
          System.arraycopy(points, next * POINT_BYTES, point, 0, POINT_BYTES);
          return new Tuple2<>(point, keys[next++]);
        }
      };
    }
  }

  /**
   * Reads the peer's blinded elements of one partition, validates every point, blinds it again
   * with this party's key and truncates it to the comparison hash. Optionally answers the peer in
   * place (same partition, sequence and order: rows mode). Returns one entry per received batch
   * whose locals are the comparison hashes.
   */
  static final class BlindPeer implements Function2<Integer, Iterator<Integer>, Iterator<SentBatch>> {
    private static final long serialVersionUID = 1L;
    private final PeerStream in;
    private final String me;
    private final RunKey key;
    private final int comparisonBytes;
    private final String answerStream; // null: do not answer in place
    private final AnswerCipher answerCipher; // with answerStream

    BlindPeer(PeerStream in, String me, RunKey key, int comparisonBytes, String answerStream, AnswerCipher cipher) {
      this.in = in;
      this.me = me;
      this.key = key;
      this.comparisonBytes = comparisonBytes;
      this.answerStream = answerStream;
      this.answerCipher = cipher;
    }

    @Override
    public Iterator<SentBatch> call(Integer partition, Iterator<Integer> ignored) {
      List<Batch> batches = in.read(partition);
      String peer = in.sender();
      String step = in.step();
      PsiCipher cipher = PsiCipher.create(key.blindingKey());
      IdentityKeys signer = key.identity();
      List<SentBatch> out = new ArrayList<>(batches.size());
      StreamWriter writer = answerStream == null ? null : in.channel().openWriter(answerStream, partition);
      try {
        MessageDigest sha = Sha256.newDigest();
        byte[] point = new byte[POINT_BYTES];
        for (Batch b : batches) {
          byte[] payload = new byte[b.count() * comparisonBytes];
          byte[] blinded = new byte[b.count() * POINT_BYTES];
          try {
            cipher.blindPeerPoints(b.payload(), b.count(), blinded);
          } catch (InvalidPointException e) {
            throw new ProtocolException(peer, step,
                "Cannot blind " + peer + "'s elements in step '" + step + "': element " + e.index()
                    + " of batch " + b.seq() + " in partition " + partition + " is not a valid curve point ("
                    + e.reason().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                    + "). The job was aborted and nothing was revealed; " + peer
                    + " is misbehaving or corrupted.");
          }
          for (int i = 0; i < b.count(); i++) {
            System.arraycopy(blinded, i * POINT_BYTES, point, 0, POINT_BYTES);
            System.arraycopy(comparisonHash(sha, point, comparisonBytes), 0, payload, i * comparisonBytes,
                comparisonBytes);
          }
          Locals hashes = Locals.fixed(payload.clone(), comparisonBytes, b.count());
          byte[] digest = null;
          if (writer != null) {
            answerCipher.apply(answerStream, partition, b.seq(), payload, payload.length);
            byte[] record = BatchCodec.encode(in.jobId(), answerStream, me, partition, b.seq(),
                comparisonBytes, payload, b.count(), signer);
            writer.write(record);
            digest = RoundDigest.batchDigest(record);
          }
          out.add(new SentBatch(partition, b.seq(), b.count(), digest, hashes));
        }
        if (writer != null) {
          writer.flush();
        }
      } finally {
        if (writer != null) {
          writer.close();
        }
      }
      return out.iterator();
    }
  }

  /** Reads and decrypts the peer's answers (comparison hashes) of one partition, in sequence order. */
  static final class ReadAnswers implements Function2<Integer, Iterator<Integer>, Iterator<SentBatch>> {
    private static final long serialVersionUID = 1L;
    private final PeerStream in;
    private final AnswerCipher cipher;

    ReadAnswers(PeerStream in, AnswerCipher cipher) {
      this.in = in;
      this.cipher = cipher;
    }

    @Override
    public Iterator<SentBatch> call(Integer partition, Iterator<Integer> ignored) {
      int size = in.elementBytes();
      // The verified batches (no more than announced) are turned into hashes one at a time.
      Iterator<Batch> batches = in.read(partition).iterator();
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return batches.hasNext();
        }

        @Override
        public SentBatch next() {
          Batch b = batches.next();
          cipher.apply(in.stream(), partition, b.seq(), b.payload(), b.count() * size);
          return new SentBatch(partition, b.seq(), b.count(), null, Locals.fixed(b.payload(), size, b.count()));
        }
      };
    }
  }

  /**
   * Matches the peer's in-place answers with what this party sent, batch by batch: yields
   * (comparison hash, own key) pairs. Any difference in shape is a protocol error.
   */
  static final class MatchAnswers
      implements org.apache.spark.api.java.function.FlatMapFunction2<
          Iterator<SentBatch>, Iterator<SentBatch>, Tuple2<byte[], byte[]>> {
    private static final long serialVersionUID = 1L;
    private final String peer;
    private final String step;

    MatchAnswers(String peer, String step) {
      this.peer = peer;
      this.step = step;
    }

    @Override
    public Iterator<Tuple2<byte[], byte[]>> call(Iterator<SentBatch> sent, Iterator<SentBatch> answers) {
      // Batch by batch, lazily: nothing of the partition is held beyond the current batch.
      return new Iterator<>() {
        private SentBatch s;
        private SentBatch a;
        private int i;

        @Override
        public boolean hasNext() {
          while (s == null || i == s.count()) {
            if (!sent.hasNext() && !answers.hasNext()) {
              return false;
            }
            if (!sent.hasNext() || !answers.hasNext()) {
              throw shapeMismatch();
            }
            s = sent.next();
            a = answers.next();
            i = 0;
            if (s.partition() != a.partition() || s.seq() != a.seq() || s.count() != a.count()) {
              throw shapeMismatch();
            }
          }
          return true;
        }

        @Override
        public Tuple2<byte[], byte[]> next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          Tuple2<byte[], byte[]> t = new Tuple2<>(a.locals().get(i), s.locals().get(i));
          i++;
          return t;
        }
      };
    }

    private ProtocolException shapeMismatch() {
      return new ProtocolException(peer, step,
          "Cannot match " + peer + "'s answers in step '" + step + "': they do not have the shape "
              + "of what was sent (batches or counts differ). The job was aborted.");
    }
  }

  static byte[] comparisonHash(MessageDigest sha, byte[] point, int bytes) {
    sha.reset();
    sha.update(CMP_DOMAIN);
    sha.update(point);
    byte[] full = sha.digest();
    byte[] out = new byte[bytes];
    System.arraycopy(full, 0, out, 0, bytes);
    return out;
  }

}
