package io.veil.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ByteArraysTest {
  /** Records in the order sortedOrder gives, against sorting copies of them with UnsignedOrder. */
  @ParameterizedTest(name = "{0} records of {1} bytes")
  @CsvSource({"0, 9", "1, 9", "2, 8", "5000, 8", "5000, 11", "20000, 16", "300, 4", "300, 1"})
  void sortedOrderIsTheUnsignedOrderOfTheRecords(int count, int size) {
    Random rnd = new Random(count * 31L + size);
    byte[] flat = new byte[count * size];
    rnd.nextBytes(flat);
    // Runs that share their first five bytes (and some whole duplicates), high bits set, to exercise the ties.
    for (int i = 1; i < count; i += 7) {
      System.arraycopy(flat, (i - 1) * size, flat, i * size, Math.min(size, i % 2 == 0 ? size : 5));
      flat[i * size] |= (byte) 0x80;
      flat[(i - 1) * size] |= (byte) 0x80;
    }
    List<byte[]> expected = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      expected.add(Arrays.copyOfRange(flat, i * size, (i + 1) * size));
    }
    expected.sort(new ByteArrays.UnsignedOrder());
    int[] order = ByteArrays.sortedOrder(flat, size, count);
    assertThat(Arrays.stream(order).sorted().toArray()).as("a permutation").isEqualTo(
        java.util.stream.IntStream.range(0, count).toArray());
    List<byte[]> actual = new ArrayList<>();
    for (int i : order) {
      actual.add(Arrays.copyOfRange(flat, i * size, (i + 1) * size));
    }
    assertThat(actual).containsExactlyElementsOf(expected);
  }

  /** distinct against a set of wrapped copies: first occurrences, in order, with duplicates and equal hash codes. */
  @ParameterizedTest(name = "{0} values")
  @CsvSource({"0", "1", "2", "3", "1000", "70000"})
  void distinctKeepsEachValueWhereItFirstOccurs(int count) {
    Random rnd = new Random(count);
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (i > 0 && rnd.nextInt(3) == 0) {
        values.add(values.get(rnd.nextInt(i)).clone()); // an equal value in another array
      } else if (i % 11 == 5) {
        values.add(i % 2 == 0 ? new byte[] {0, 31, (byte) i} : new byte[] {1, 0, (byte) i}); // equal hash codes
      } else {
        byte[] v = new byte[1 + rnd.nextInt(40)];
        rnd.nextBytes(v);
        values.add(v);
      }
    }
    java.util.Set<java.nio.ByteBuffer> seen = new java.util.HashSet<>();
    List<byte[]> expected = new ArrayList<>();
    for (byte[] v : values) {
      if (seen.add(java.nio.ByteBuffer.wrap(v))) {
        expected.add(v);
      }
    }
    List<byte[]> actual = ByteArrays.distinct(values.iterator());
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(actual.get(i)).isSameAs(expected.get(i));
    }
  }
}
