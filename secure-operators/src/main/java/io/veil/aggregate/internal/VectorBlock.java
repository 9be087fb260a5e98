package io.veil.aggregate.internal;

import java.io.Serializable;

/**
 * A block of a vector being summed: positions {@code [index * blockLength, ...)} of the vector,
 * optionally with the local row keys the positions stand for (feature aggregation at the result
 * party). A plain class, not a record: Spark 3.5's Kryo cannot serialise records.
 */
public final class VectorBlock implements Serializable {
  private static final long serialVersionUID = 1L;
  private int index;
  private long[] values;
  private KeyTexts keys;

  /** For Kryo. */
  VectorBlock() {}

  public VectorBlock(int index, long[] values, KeyTexts keys) {
    this.index = index;
    this.values = values;
    this.keys = keys;
  }

  public int index() {
    return index;
  }

  public long[] values() {
    return values;
  }

  /** Row keys of the block's rows (null when not kept). */
  public KeyTexts keys() {
    return keys;
  }
}
