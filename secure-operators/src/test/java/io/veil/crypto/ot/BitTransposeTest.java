package io.veil.crypto.ot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class BitTransposeTest {
  private static boolean bit(long[] a, int word, int bit) {
    return ((a[word] >>> bit) & 1) != 0;
  }

  @Test
  void transpose64MatchesNaive() {
    SplittableRandom r = new SplittableRandom(1);
    long[] a = new long[64 + 3];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextLong();
    }
    long[] before = a.clone();
    BitTranspose.transpose64(a, 3);
    for (int i = 0; i < 64; i++) {
      for (int j = 0; j < 64; j++) {
        assertThat(bit(a, 3 + j, i)).as("(%d,%d)", i, j).isEqualTo(bit(before, 3 + i, j));
      }
    }
    assertThat(a[0]).isEqualTo(before[0]);
  }

  @Test
  void columnsToRowsMatchesNaive() {
    SplittableRandom r = new SplittableRandom(2);
    int columns = 512;
    int words = 5; // 320 rows
    long[] cols = new long[columns * words];
    for (int i = 0; i < cols.length; i++) {
      cols[i] = r.nextLong();
    }
    long[] rows = new long[64 * words * (columns / 64)];
    BitTranspose.columnsToRows(cols, columns, words, rows, new long[64]);
    for (int row = 0; row < 64 * words; row++) {
      for (int col = 0; col < columns; col++) {
        boolean expected = bit(cols, col * words + row / 64, row % 64);
        assertThat(bit(rows, row * (columns / 64) + col / 64, col % 64)).isEqualTo(expected);
      }
    }
  }

  /** Transposing twice gives the block back, for any block (and leaves the words around it). */
  @Property(tries = 200)
  void transposeIsAnInvolution(@ForAll long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long[] a = new long[66];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextLong();
    }
    long[] before = a.clone();
    BitTranspose.transpose64(a, 1);
    BitTranspose.transpose64(a, 1);
    assertThat(a).isEqualTo(before);
  }
}
