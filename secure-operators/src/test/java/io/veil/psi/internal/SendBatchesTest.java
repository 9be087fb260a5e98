package io.veil.psi.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.channel.Locals;
import io.veil.channel.SentBatch;
import io.veil.channel.memory.InMemoryChannel;
import io.veil.crypto.PartySecret;
import io.veil.spark.KeyRef;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;

/**
 * A partition written from packed arrays ({@link SendBatches#packed}) is the same records, batch
 * digests and locals as the same elements written one object at a time ({@link SendBatches#call}).
 */
class SendBatchesTest {
  private static final String STREAM = "s";
  private static final int ELEMENT = 5;
  private static final int BATCH = 7;

  @TempDir
  static Path dir;

  private static KeyRef key;

  private static KeyRef key() {
    if (key == null) {
      Path f = dir.resolve("a.key");
      PartySecret.generate("bank_a", new SecureRandom()).write(f);
      key = new KeyRef(f.toString());
    }
    return key;
  }

  private static SendBatches writer(InMemoryChannel channel, boolean keep) {
    channel.createStreams(List.of(STREAM), 2);
    return new SendBatches(channel, "job-1", STREAM, "bank_a", key(), ELEMENT, BATCH, keep);
  }

  @Test
  void packedAndOneByOneWriteTheSameBatches() {
    Random rnd = new Random(42);
    for (int count : new int[] {0, 1, BATCH - 1, BATCH, BATCH + 1, 5 * BATCH, 5 * BATCH + 3}) {
      for (boolean keep : new boolean[] {true, false}) {
        byte[] elements = new byte[count * ELEMENT];
        rnd.nextBytes(elements);
        byte[][] locals = new byte[count][];
        List<Tuple2<byte[], byte[]>> pairs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          if (rnd.nextInt(4) > 0) {
            locals[i] = new byte[rnd.nextInt(12)];
            rnd.nextBytes(locals[i]);
          }
          pairs.add(new Tuple2<>(Arrays.copyOfRange(elements, i * ELEMENT, (i + 1) * ELEMENT), locals[i]));
        }
        InMemoryChannel one = new InMemoryChannel("one-" + UUID.randomUUID());
        InMemoryChannel packed = new InMemoryChannel("packed-" + UUID.randomUUID());
        List<SentBatch> a = drain(writer(one, keep).call(1, pairs.iterator()));
        List<SentBatch> b = drain(writer(packed, keep).packed(1, new SendBatches.Packed() {
          @Override
          public int size() {
            return pairs.size();
          }

          @Override
          public void elements(int from, int to, byte[] dst) {
            System.arraycopy(elements, from * ELEMENT, dst, 0, (to - from) * ELEMENT);
          }

          @Override
          public void locals(int from, int to, Locals.Builder builder) {
            for (int i = from; i < to; i++) {
              builder.add(locals[i]);
            }
          }
        }));

        assertThat(packed.records(STREAM)).as("records of %d elements", count)
            .containsExactlyElementsOf(one.records(STREAM));
        assertThat(b).hasSameSizeAs(a).hasSize((count + BATCH - 1) / BATCH);
        for (int i = 0; i < a.size(); i++) {
          assertThat(b.get(i).partition()).isEqualTo(1);
          assertThat(b.get(i).seq()).isEqualTo(a.get(i).seq()).isEqualTo(i);
          assertThat(b.get(i).count()).isEqualTo(a.get(i).count());
          assertThat(b.get(i).digest()).isEqualTo(a.get(i).digest());
          if (keep) {
            for (int j = 0; j < a.get(i).count(); j++) {
              assertThat(b.get(i).locals().get(j)).isEqualTo(locals[i * BATCH + j]);
            }
          } else {
            assertThat(b.get(i).locals()).isNull();
          }
        }
      }
    }
  }

  private static List<SentBatch> drain(Iterator<SentBatch> it) {
    List<SentBatch> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
