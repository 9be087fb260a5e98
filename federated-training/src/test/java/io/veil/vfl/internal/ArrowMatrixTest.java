package io.veil.vfl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The wire format of Z shares and dL/dZ: exact round trips, and anything else from a peer refused. */
class ArrowMatrixTest {
  private static long[] random(int n, long seed) {
    Random r = new Random(seed);
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextLong();
    }
    return v;
  }

  @Test
  void roundTripsExactly() {
    for (int[] shape : new int[][] {{1, 1}, {7, 3}, {256, 1}, {1024, 8}}) {
      long[] v = random(shape[0] * shape[1], shape[0]);
      v[0] = Long.MIN_VALUE;
      byte[] bytes = ArrowMatrix.encode("z", v, shape[0], shape[1]);
      assertThat(ArrowMatrix.decode(bytes, "z", shape[0], shape[1])).containsExactly(v);
    }
  }

  @Test
  void refusesAnotherShapeNameOrGarbage() {
    byte[] bytes = ArrowMatrix.encode("z", random(21, 1), 7, 3);
    assertThatThrownBy(() -> ArrowMatrix.decode(bytes, "z", 8, 3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("7 rows where 8");
    assertThatThrownBy(() -> ArrowMatrix.decode(bytes, "z", 7, 2)).hasMessageContaining("schema");
    assertThatThrownBy(() -> ArrowMatrix.decode(bytes, "g", 7, 3)).hasMessageContaining("schema");
    assertThatThrownBy(() -> ArrowMatrix.decode(Arrays.copyOf(bytes, bytes.length / 2), "z", 7, 3))
        .isInstanceOf(IllegalArgumentException.class);
    Random r = new Random(3);
    for (int i = 0; i < 200; i++) {
      byte[] garbage = new byte[r.nextInt(600)];
      r.nextBytes(garbage);
      assertThatThrownBy(() -> ArrowMatrix.decode(garbage, "z", 7, 3)).isInstanceOf(IllegalArgumentException.class);
      byte[] flipped = bytes.clone();
      flipped[r.nextInt(flipped.length)] ^= (byte) (1 + r.nextInt(255));
      try {
        long[] got = ArrowMatrix.decode(flipped, "z", 7, 3);
        assertThat(got).hasSize(21); // a flipped value bit still decodes: the batch signature is what rejects it
      } catch (IllegalArgumentException expected) {
        // a flipped structural bit is refused
      }
    }
  }

  @Test
  void aMessageDeclaringHugeMetadataIsRefusedUnread() {
    // Continuation marker, then a metadata length of almost 2 GiB: Arrow's reader would allocate it.
    byte[] bytes = {-1, -1, -1, -1, (byte) 0xf0, (byte) 0xff, (byte) 0xff, 0x7f, 1, 2, 3};
    assertThatThrownBy(() -> ArrowMatrix.decode(bytes, "z", 7, 3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("runs past its end");
  }

  @Test
  void aBatchDeclaringHugeBuffersIsRefusedWithoutAllocatingThem() {
    byte[] bytes = ArrowMatrix.encode("z", random(1024 * 8, 2), 1024, 8);
    assertThatThrownBy(() -> ArrowMatrix.decode(bytes, "z", 1, 8)).isInstanceOf(IllegalArgumentException.class);
  }
}
