package io.veil.aggregate.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Ring elements on the wire: 8 bytes each, little-endian. */
final class LongCodec {
  static final int BYTES = Long.BYTES;

  private LongCodec() {}

  static byte[] encode(long[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return b.array();
  }

  static void addInto(long[] acc, byte[] payload) {
    ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < acc.length; i++) {
      acc[i] += b.getLong(i * BYTES);
    }
  }
}
