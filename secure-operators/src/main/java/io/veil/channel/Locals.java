package io.veil.channel;

import java.io.Serializable;
import java.util.Arrays;

/**
 * What each element of a sent batch stands for at its sender ({@link SentBatch#locals()}), packed
 * into one byte array and one array of end offsets. Spark caches sent batches as objects and
 * estimates their size by walking them; packed, a batch is three arrays to walk instead of one
 * object per element, and a batch costs two allocations instead of one per element.
 *
 * <p>An element may be absent ({@link #isNull}), e.g. an empty cuckoo bin.
 */
public final class Locals implements Serializable {
  private static final long serialVersionUID = 1L;
  private byte[] data;
  /** End offset of element i in {@link #data}; {@code -1 - offset} where element i is absent. */
  private int[] ends;

  /** For Kryo. */
  Locals() {}

  private Locals(byte[] data, int[] ends) {
    this.data = data;
    this.ends = ends;
  }

  /** Packs {@code values} (null entries are absent elements). */
  public static Locals of(byte[][] values) {
    Builder b = new Builder(values.length, 0);
    for (byte[] v : values) {
      b.add(v);
    }
    return b.build();
  }

  /** {@code count} elements of {@code size} bytes each, back to back in {@code data} (taken, not copied). */
  public static Locals fixed(byte[] data, int size, int count) {
    if ((long) size * count > data.length) {
      throw new IllegalArgumentException(count + " elements of " + size + " bytes do not fit " + data.length);
    }
    int[] ends = new int[count];
    for (int i = 0; i < count; i++) {
      ends[i] = (i + 1) * size;
    }
    return new Locals(data, ends);
  }

  /** How many elements. */
  public int size() {
    return ends.length;
  }

  /** Whether element {@code i} is absent. */
  public boolean isNull(int i) {
    return ends[i] < 0;
  }

  /** Where element {@code i} starts in {@link #data()}. */
  public int offset(int i) {
    if (i == 0) {
      return 0;
    }
    int e = ends[i - 1];
    return e < 0 ? -1 - e : e;
  }

  /** Length of element {@code i}; 0 where it is absent. */
  public int length(int i) {
    return ends[i] < 0 ? 0 : ends[i] - offset(i);
  }

  /** The packed elements (shared, not copied): element i is {@code length(i)} bytes at {@code offset(i)}. */
  public byte[] data() {
    return data;
  }

  /** A copy of element {@code i}, or null where it is absent. */
  public byte[] get(int i) {
    if (isNull(i)) {
      return null;
    }
    int from = offset(i);
    return Arrays.copyOfRange(data, from, from + length(i));
  }

  /** Builds one batch's locals, element by element. */
  public static final class Builder {
    private byte[] data;
    private int[] ends;
    private int size;
    private int used;

    /** @param elements expected number of elements; @param bytes expected bytes in all (grows as needed) */
    public Builder(int elements, int bytes) {
      this.data = new byte[Math.max(16, bytes)];
      this.ends = new int[Math.max(1, elements)];
    }

    /** Adds {@code value} (null: an absent element). */
    public Builder add(byte[] value) {
      return value == null ? addNull() : add(value, 0, value.length);
    }

    /** Adds {@code length} bytes of {@code src} at {@code from} as one element. */
    public Builder add(byte[] src, int from, int length) {
      reserve(length);
      System.arraycopy(src, from, data, used, length);
      used += length;
      return end(used);
    }

    /** Adds {@code length} bytes of {@code head} at {@code from}, then all of {@code tail}, as one element. */
    public Builder add(byte[] head, int from, int length, byte[] tail) {
      reserve(length + tail.length);
      System.arraycopy(head, from, data, used, length);
      System.arraycopy(tail, 0, data, used + length, tail.length);
      used += length + tail.length;
      return end(used);
    }

    private void reserve(int length) {
      if (used + length > data.length) {
        data = Arrays.copyOf(data, Math.max(used + length, data.length * 2));
      }
    }

    /** Adds an absent element. */
    public Builder addNull() {
      return end(-1 - used);
    }

    private Builder end(int value) {
      if (size == ends.length) {
        ends = Arrays.copyOf(ends, ends.length * 2);
      }
      ends[size++] = value;
      return this;
    }

    /** How many elements were added. */
    public int size() {
      return size;
    }

    /** The locals added so far, trimmed; the builder starts again empty. */
    public Locals build() {
      Locals out = new Locals(Arrays.copyOf(data, used), Arrays.copyOf(ends, size));
      size = 0;
      used = 0;
      return out;
    }
  }
}
