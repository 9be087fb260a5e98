package io.veil.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.ProtocolException;
import io.veil.channel.BatchCodec.Batch;
import io.veil.crypto.IdentityKeys;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Framing round-trips; duplicates from task retries are dropped in any arrival order; tampering is caught. */
class BatchFramingPropertiesTest {
  private static final IdentityKeys SENDER = IdentityKeys.fromSeed(new byte[32]);
  private static final String STREAM = "job1.blind-1.bank_b";

  private static byte[] record(int seq, byte[] payload, int count) {
    return BatchCodec.encode("job1", STREAM, "bank_b", 0, seq, 8, payload, count, SENDER);
  }

  private static Batch decode(byte[] record) {
    return BatchCodec.decode(record, "job1", STREAM, "bank_b", SENDER.publicKey(), 0, 8, "blind-1");
  }

  @Property(tries = 50)
  void encodeDecodeRoundTrips(@ForAll @IntRange(min = 0, max = 300) int count, @ForAll long seed) {
    byte[] payload = new byte[count * 8];
    new Random(seed).nextBytes(payload);
    Batch b = decode(record(7, payload, count));
    assertThat(b.seq()).isEqualTo(7);
    assertThat(b.count()).isEqualTo(count);
    assertThat(b.payload()).isEqualTo(payload);
  }

  @Property(tries = 50)
  void duplicatesInAnyOrderCollectToTheSameBatches(
      @ForAll @IntRange(min = 0, max = 12) int batches, @ForAll @IntRange(min = 0, max = 3) int copies,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    List<byte[]> records = new ArrayList<>();
    long elements = 0;
    for (int s = 0; s < batches; s++) {
      int count = 1 + rnd.nextInt(20);
      byte[] payload = new byte[count * 8];
      rnd.nextBytes(payload);
      elements += count;
      byte[] r = record(s, payload, count);
      for (int c = 0; c <= copies; c++) {
        records.add(r);
      }
    }
    Collections.shuffle(records, rnd);
    BatchCollector inOrder = new BatchCollector("bank_b", "blind-1", STREAM, 0, batches, elements);
    BatchCollector shuffled = new BatchCollector("bank_b", "blind-1", STREAM, 0, batches, elements);
    List<byte[]> unique = new ArrayList<>(new java.util.LinkedHashSet<>(records.stream()
        .map(java.nio.ByteBuffer::wrap).toList()).stream().map(java.nio.ByteBuffer::array).toList());
    unique.sort((a, b) -> Integer.compare(decode(a).seq(), decode(b).seq()));
    unique.forEach(r -> inOrder.accept(decode(r), RoundDigest.batchDigest(r)));
    records.forEach(r -> shuffled.accept(decode(r), RoundDigest.batchDigest(r)));
    List<Batch> got = shuffled.complete(inOrder.digest());
    assertThat(got).extracting(Batch::seq).containsExactlyElementsOf(
        java.util.stream.IntStream.range(0, batches).boxed().toList());
  }

  @Property(tries = 30)
  void anyFlippedBitIsRejected(@ForAll @IntRange(min = 0, max = 10_000) int position) {
    byte[] r = record(0, new byte[64], 8);
    r[position % r.length] ^= 1;
    assertThatThrownBy(() -> decode(r)).isInstanceOf(ProtocolException.class);
  }

  @Property(tries = 20)
  void twoDifferentBatchesWithOneSequenceNumberAbort(@ForAll long seed) {
    byte[] p1 = new byte[16];
    byte[] p2 = new byte[16];
    new Random(seed).nextBytes(p1);
    p2[0] = (byte) (p1[0] + 1);
    BatchCollector c = new BatchCollector("bank_b", "blind-1", STREAM, 0, 1, 2);
    byte[] r1 = record(0, p1, 2);
    byte[] r2 = record(0, p2, 2);
    c.accept(decode(r1), RoundDigest.batchDigest(r1));
    assertThatThrownBy(() -> c.accept(decode(r2), RoundDigest.batchDigest(r2))).isInstanceOf(ProtocolException.class)
        .hasMessageContaining("two different batches with sequence number 0");
  }
}
