package io.veil.crypto.ot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CuckooHashTest {
  private static byte[][] items(int n, String prefix) {
    byte[][] items = new byte[n][];
    for (int i = 0; i < n; i++) {
      items[i] = (prefix + i).getBytes(StandardCharsets.UTF_8);
    }
    return items;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 5, 100, 257, 1 << 16})
  void everyItemSitsInOneOfItsBinsExactlyOnce(int n) {
    byte[][] items = items(n, "user-");
    CuckooHash table = CuckooHash.build(OtTestKeys.seed("cuckoo"), items);
    assertThat(table.binCount()).isEqualTo(CuckooHash.binCount(n)).isGreaterThanOrEqualTo(Math.max(2, n));
    int[] binOfItem = new int[n];
    java.util.Arrays.fill(binOfItem, -1);
    CuckooHash.HashFunctions h = table.hashFunctions();
    for (int b = 0; b < table.binCount(); b++) {
      int item = table.itemAt(b);
      if (item < 0) {
        assertThat(table.hashIndexAt(b)).isEqualTo(-1);
        continue;
      }
      assertThat(binOfItem[item]).as("item %d placed twice", item).isEqualTo(-1);
      binOfItem[item] = b;
      assertThat(h.bins(items[item])[table.hashIndexAt(b)]).isEqualTo(b);
    }
    for (int i = 0; i < n; i++) {
      assertThat(binOfItem[i]).as("item %d not placed", i).isGreaterThanOrEqualTo(0);
    }
  }

  @Test
  void oprfInputsAreDistinctAndDummiesMatchNoRealInput() {
    byte[][] items = items(300, "");
    CuckooHash table = CuckooHash.build(OtTestKeys.seed("c"), items);
    byte[][] inputs = table.oprfInputs();
    assertThat(inputs.length).isEqualTo(table.binCount());
    Set<ByteBuffer> seen = new HashSet<>();
    Set<ByteBuffer> real = new HashSet<>();
    for (byte[] item : items) {
      for (int j = 0; j < CuckooHash.HASH_COUNT; j++) {
        real.add(ByteBuffer.wrap(CuckooHash.oprfInput(item, j)));
      }
    }
    int dummies = 0;
    for (int b = 0; b < inputs.length; b++) {
      assertThat(seen.add(ByteBuffer.wrap(inputs[b]))).isTrue();
      if (table.itemAt(b) < 0) {
        dummies++;
        assertThat(inputs[b]).isEqualTo(CuckooHash.dummyInput(b));
        assertThat(real).doesNotContain(ByteBuffer.wrap(inputs[b]));
      } else {
        assertThat(inputs[b]).isEqualTo(CuckooHash.oprfInput(items[table.itemAt(b)], table.hashIndexAt(b)));
      }
    }
    assertThat(dummies).isEqualTo(table.binCount() - items.length);
    // Hash index is part of the input: the same item under two indices gives two inputs.
    assertThat(CuckooHash.oprfInput(items[0], 0)).isNotEqualTo(CuckooHash.oprfInput(items[0], 1));
  }

  @Test
  void sizing() {
    assertThat(CuckooHash.binCount(0)).isEqualTo(2);
    assertThat(CuckooHash.binCount(1)).isEqualTo(2);
    assertThat(CuckooHash.binCount(2)).isEqualTo(32);
    assertThat(CuckooHash.binCount(256)).isEqualTo(384);
    assertThat(CuckooHash.binCount(1000)).isEqualTo(1270);
    assertThat(CuckooHash.binCount(1 << 20)).isEqualTo((int) Math.ceil(1.27 * (1 << 20)));
    for (int n = 1; n < 2000; n++) {
      assertThat(CuckooHash.binCount(n)).isGreaterThanOrEqualTo((int) Math.ceil(1.27 * n));
    }
    assertThatThrownBy(() -> CuckooHash.binCount(-1)).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void impossibleTableFailsCleanlyNamingItsSize() {
    assertThatThrownBy(() -> CuckooHash.build(OtTestKeys.seed("c"), items(10, "a"), 5))
        .isInstanceOfSatisfying(CuckooInsertionException.class, e -> {
          assertThat(e.bins()).isEqualTo(5);
          assertThat(e.items()).isEqualTo(10);
        })
        .hasMessageContaining("5 bins")
        .hasMessageContaining("new hash seed")
        .hasMessageNotContaining("a1");
    // Four copies of one item need four of its three bins.
    byte[] same = "dup".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> CuckooHash.build(OtTestKeys.seed("c"), new byte[][] {same, same, same, same}, 100))
        .isInstanceOf(CuckooInsertionException.class);
  }

  @Test
  void deterministicPerSeedAndSharedWithTheSender() {
    byte[][] items = items(500, "k");
    CuckooHash a = CuckooHash.build(OtTestKeys.seed("s1"), items);
    CuckooHash b = CuckooHash.build(OtTestKeys.seed("s1"), items);
    CuckooHash c = CuckooHash.build(OtTestKeys.seed("s2"), items);
    boolean differs = false;
    for (int bin = 0; bin < a.binCount(); bin++) {
      assertThat(b.itemAt(bin)).isEqualTo(a.itemAt(bin));
      differs |= c.itemAt(bin) != a.itemAt(bin);
    }
    assertThat(differs).isTrue();
    CuckooHash.HashFunctions sender = CuckooHash.hashFunctions(OtTestKeys.seed("s1"), a.binCount());
    for (byte[] item : items) {
      assertThat(sender.bins(item)).isEqualTo(a.hashFunctions().bins(item));
      for (int bin : sender.bins(item)) {
        assertThat(bin).isBetween(0, a.binCount() - 1);
      }
    }
    assertThatThrownBy(() -> CuckooHash.hashFunctions(new byte[20], 10)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> CuckooHash.hashFunctions(new byte[16], 0)).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void binsAreRoughlyUniform() {
    CuckooHash.HashFunctions h = CuckooHash.hashFunctions(new byte[32], 10);
    int[] counts = new int[10];
    for (byte[] item : items(30_000, "u")) {
      for (int b : h.bins(item)) {
        counts[b]++;
      }
    }
    for (int c : counts) {
      assertThat(c).isBetween(8_400, 9_600); // mean 9,000, sd ~ 90
    }
  }
}
