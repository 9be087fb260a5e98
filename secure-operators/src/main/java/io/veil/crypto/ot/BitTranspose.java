package io.veil.crypto.ot;

/**
 * Bit-matrix transposition on 64-bit words, in 64x64 blocks (the recursive block swap of Hacker's
 * Delight, section 7-3, widened to 64 bits), as OT-extension libraries do. Bit {@code b} of a word
 * is {@code (word >>> b) & 1}: the least significant bit is index 0.
 */
final class BitTranspose {
  private static final long[] MASKS = {
    0x00000000FFFFFFFFL, 0x0000FFFF0000FFFFL, 0x00FF00FF00FF00FFL,
    0x0F0F0F0F0F0F0F0FL, 0x3333333333333333L, 0x5555555555555555L,
  };

  private BitTranspose() {}

  /**
   * Transposes the 64x64 bit block {@code a[off .. off+64)} in place: afterwards bit {@code j} of
   * word {@code i} is what bit {@code i} of word {@code j} was.
   */
  static void transpose64(long[] a, int off) {
    int s = 32;
    for (long mask : MASKS) {
      for (int block = 0; block < 64; block += 2 * s) {
        for (int i = off + block; i < off + block + s; i++) {
          long t = ((a[i] >>> s) ^ a[i + s]) & mask;
          a[i + s] ^= t;
          a[i] ^= t << s;
        }
      }
      s >>>= 1;
    }
  }

  /**
   * Transposes a matrix of {@code columns} columns (a multiple of 64) by {@code 64 * words} rows,
   * stored column-major in {@code cols} (column {@code j} is {@code cols[j*words .. j*words+words)},
   * row {@code r} its bit {@code r}), into row-major {@code rows} (row {@code r} is {@code
   * rows[r*(columns/64) ..]}, column {@code j} its bit {@code j}). {@code scratch} holds 64 words.
   */
  static void columnsToRows(long[] cols, int columns, int words, long[] rows, long[] scratch) {
    int rowWords = columns / 64;
    for (int cb = 0; cb < rowWords; cb++) {
      for (int rb = 0; rb < words; rb++) {
        int base = cb * 64 * words + rb;
        for (int a = 0; a < 64; a++) {
          scratch[a] = cols[base + a * words];
        }
        transpose64(scratch, 0);
        int out = rb * 64 * rowWords + cb;
        for (int b = 0; b < 64; b++) {
          rows[out + b * rowWords] = scratch[b];
        }
      }
    }
  }
}
