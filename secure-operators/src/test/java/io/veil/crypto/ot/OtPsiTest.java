package io.veil.crypto.ot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * End-to-end OPRF-based PSI in memory (KKRT16 section 5), against the plaintext intersection: the
 * receiver cuckoo-hashes Y and encodes one OPRF row per bin; the sender evaluates every x under each
 * of its 3 hash indices in the matching bin and sends the truncated outputs; the receiver's items
 * whose output is among them form the intersection.
 */
class OtPsiTest {
  private static final int OUT_BYTES = 12;

  /** Raw lists with duplicates, deduplicated as the PSI operator does; overlap = shared ids. */
  private static List<byte[]> set(SplittableRandom r, int size, int overlap, String own) {
    Set<String> s = new LinkedHashSet<>();
    for (int i = 0; i < overlap; i++) {
      s.add("shared-" + i);
    }
    while (s.size() < size) {
      s.add(own + r.nextInt(size * 4 + 1));
    }
    List<byte[]> raw = new ArrayList<>();
    for (String x : s) {
      raw.add(x.getBytes(StandardCharsets.UTF_8));
    }
    // Duplicates in the input ...
    for (int i = 0; i < Math.min(5, raw.size()); i++) {
      raw.add(raw.get(i).clone());
    }
    // ... removed before hashing.
    Set<ByteBuffer> dedup = new LinkedHashSet<>();
    for (byte[] x : raw) {
      dedup.add(ByteBuffer.wrap(x));
    }
    List<byte[]> out = new ArrayList<>();
    dedup.forEach(b -> out.add(b.array()));
    return out;
  }

  /** One bucket of PSI; returns the receiver's items found in the sender's set. */
  private static Set<ByteBuffer> psi(OtTestKeys.Setup keys, int bucket, List<byte[]> receiverSet, List<byte[]> senderSet) {
    byte[] hashSeed = OtTestKeys.seed("cuckoo-seed-" + bucket);
    // Receiver
    byte[][] ys = receiverSet.toArray(new byte[0][]);
    CuckooHash table = CuckooHash.build(hashSeed, ys);
    KkrtOprf.Encoded enc = keys.receiver().encode(bucket, table.oprfInputs(), OUT_BYTES);
    // Sender, given U and the agreed bin count
    KkrtOprf.Evaluator ev = keys.sender().evaluator(bucket, enc.u(), table.binCount(), OUT_BYTES);
    CuckooHash.HashFunctions h = CuckooHash.hashFunctions(hashSeed, table.binCount());
    Set<ByteBuffer> sent = new HashSet<>();
    for (byte[] x : senderSet) {
      int[] bins = h.bins(x);
      for (int j = 0; j < CuckooHash.HASH_COUNT; j++) {
        sent.add(ByteBuffer.wrap(ev.eval(bins[j], CuckooHash.oprfInput(x, j))));
      }
    }
    // Receiver compares
    Set<ByteBuffer> found = new HashSet<>();
    for (int b = 0; b < table.binCount(); b++) {
      if (table.itemAt(b) >= 0 && sent.contains(ByteBuffer.wrap(enc.output(b)))) {
        found.add(ByteBuffer.wrap(ys[table.itemAt(b)]));
      }
    }
    return found;
  }

  private static Set<ByteBuffer> plain(List<byte[]> a, List<byte[]> b) {
    Set<ByteBuffer> sa = new HashSet<>();
    a.forEach(x -> sa.add(ByteBuffer.wrap(x)));
    Set<ByteBuffer> out = new HashSet<>();
    b.forEach(x -> {
      if (sa.contains(ByteBuffer.wrap(x))) {
        out.add(ByteBuffer.wrap(x));
      }
    });
    return out;
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0, 0", "0, 5, 0", "5, 0, 0", "1, 1, 1", "1, 1, 0", "2, 3, 1",
    "100, 100, 40", "100, 1000, 100", "10000, 10000, 3000", "10000, 100, 50"
  })
  void intersectionEqualsPlaintextIntersection(int receiverSize, int senderSize, int overlap) {
    SplittableRandom r = new SplittableRandom(receiverSize * 31L + senderSize);
    List<byte[]> y = set(r, receiverSize, overlap, "r");
    List<byte[]> x = set(r, senderSize, overlap, "s");
    Set<ByteBuffer> expected = plain(x, y);
    assertThat(expected).hasSize(overlap);
    assertThat(psi(OtTestKeys.fromBaseOt(), 0, y, x)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"4, 2000, 2000, 700"})
  void bucketsRunIndependentlyFromOneSetOfBaseOts(int buckets, int receiverSize, int senderSize, int overlap) {
    SplittableRandom r = new SplittableRandom(99);
    List<byte[]> y = set(r, receiverSize, overlap, "r");
    List<byte[]> x = set(r, senderSize, overlap, "s");
    Set<ByteBuffer> found = new HashSet<>();
    OtTestKeys.Setup keys = OtTestKeys.fromBaseOt();
    for (int b = 0; b < buckets; b++) {
      // Partition both sides by the same public function, as Spark would.
      List<byte[]> yb = new ArrayList<>();
      List<byte[]> xb = new ArrayList<>();
      for (byte[] v : y) {
        if (Math.floorMod(ByteBuffer.wrap(v).hashCode(), buckets) == b) {
          yb.add(v);
        }
      }
      for (byte[] v : x) {
        if (Math.floorMod(ByteBuffer.wrap(v).hashCode(), buckets) == b) {
          xb.add(v);
        }
      }
      found.addAll(psi(keys, b, yb, xb));
    }
    assertThat(found).isEqualTo(plain(x, y)).hasSize(overlap);
  }
}
