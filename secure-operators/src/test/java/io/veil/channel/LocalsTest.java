package io.veil.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Packed locals give back every element as it was added, absent ones included, and survive reuse of the builder. */
class LocalsTest {

  @Property(tries = 100)
  void packedElementsComeBackAsAdded(@ForAll @IntRange(min = 0, max = 200) int count, @ForAll long seed) {
    Random rnd = new Random(seed);
    byte[][] values = new byte[count][];
    for (int i = 0; i < count; i++) {
      if (rnd.nextInt(5) > 0) {
        values[i] = new byte[rnd.nextInt(40)]; // empty elements too
        rnd.nextBytes(values[i]);
      }
    }
    Locals l = Locals.of(values);
    assertThat(l.size()).isEqualTo(count);
    for (int i = 0; i < count; i++) {
      assertThat(l.isNull(i)).isEqualTo(values[i] == null);
      assertThat(l.get(i)).isEqualTo(values[i]);
      if (values[i] != null) {
        assertThat(Arrays.copyOfRange(l.data(), l.offset(i), l.offset(i) + l.length(i))).isEqualTo(values[i]);
      }
    }
  }

  @Test
  void aBuilderStartsAgainEmptyAfterEachBatch() {
    Locals.Builder b = new Locals.Builder(1, 1);
    Locals first = b.add(new byte[] {1, 2, 3}).addNull().add(new byte[] {4}).build();
    Locals second = b.add(new byte[] {9, 9}, 1, 1).build();
    assertThat(first.size()).isEqualTo(3);
    assertThat(first.get(0)).containsExactly(1, 2, 3);
    assertThat(first.get(1)).isNull();
    assertThat(first.length(1)).isZero();
    assertThat(first.get(2)).containsExactly(4);
    assertThat(second.size()).isEqualTo(1);
    assertThat(second.get(0)).containsExactly(9);
    assertThat(first.get(0)).containsExactly(1, 2, 3); // the second batch did not overwrite the first
  }

  @Test
  void fixedSizeElementsAreSlicesOfOneArray() {
    Locals l = Locals.fixed(new byte[] {1, 2, 3, 4, 5, 6, 7}, 3, 2);
    assertThat(l.size()).isEqualTo(2);
    assertThat(l.get(0)).containsExactly(1, 2, 3);
    assertThat(l.get(1)).containsExactly(4, 5, 6);
    assertThat(l.offset(1)).isEqualTo(3);
    assertThatThrownBy(() -> Locals.fixed(new byte[5], 3, 2)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aHeadAndATailMakeOneElement() {
    Locals l = new Locals.Builder(1, 1).add(new byte[] {1, 2, 3, 4}, 1, 2, new byte[] {9}).addNull()
        .add(new byte[] {5}, 0, 1, new byte[0]).build();
    assertThat(l.size()).isEqualTo(3);
    assertThat(l.get(0)).containsExactly(2, 3, 9);
    assertThat(l.get(1)).isNull();
    assertThat(l.get(2)).containsExactly(5);
  }
}
