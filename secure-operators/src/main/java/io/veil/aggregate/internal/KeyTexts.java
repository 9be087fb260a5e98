package io.veil.aggregate.internal;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The key text of consecutive rows, packed: every cell in UTF-8 in one byte array, and the cells'
 * end offsets in one int array. Two arrays instead of a {@code String[]} per row and a {@code String}
 * per cell, because Spark estimates the size of every cached or shuffled block by walking its
 * objects: over a million rows' keys that walk cost the result party seconds per step. Kryo and
 * Java serialisation also write two arrays. Cells are never NULL (rows with a NULL key are refused
 * before any block is made). A plain class, not a record (Kryo).
 */
public final class KeyTexts implements Serializable {
  private static final long serialVersionUID = 1L;
  private int columns;
  /** {@code ends[row * columns + column]}: where that cell's bytes end in {@link #utf8}. */
  private int[] ends;
  private byte[] utf8;

  /** For Kryo. */
  KeyTexts() {}

  private KeyTexts(int columns, int[] ends, byte[] utf8) {
    this.columns = columns;
    this.ends = ends;
    this.utf8 = utf8;
  }

  public int rows() {
    return ends.length / columns;
  }

  public int columns() {
    return columns;
  }

  /** The text of one cell. */
  public String get(int row, int column) {
    int cell = row * columns + column;
    int start = cell == 0 ? 0 : ends[cell - 1];
    return new String(utf8, start, ends[cell] - start, StandardCharsets.UTF_8);
  }

  /** Rows {@code [from, to)}. */
  public KeyTexts slice(int from, int to) {
    int start = from == 0 ? 0 : ends[from * columns - 1];
    int end = to == 0 ? 0 : ends[to * columns - 1];
    int[] e = Arrays.copyOfRange(ends, from * columns, to * columns);
    for (int i = 0; i < e.length; i++) {
      e[i] -= start;
    }
    return new KeyTexts(columns, e, Arrays.copyOfRange(utf8, start, end));
  }

  /** The rows of {@code parts}, in order; all with the same number of columns. */
  public static KeyTexts concat(List<KeyTexts> parts) {
    int columns = parts.get(0).columns;
    int cells = 0;
    int bytes = 0;
    for (KeyTexts p : parts) {
      if (p.columns != columns) {
        throw new IllegalArgumentException("key texts of " + p.columns + " and " + columns + " columns");
      }
      cells = Math.addExact(cells, p.ends.length);
      bytes = Math.addExact(bytes, p.utf8.length);
    }
    int[] ends = new int[cells];
    byte[] utf8 = new byte[bytes];
    int cellAt = 0;
    int byteAt = 0;
    for (KeyTexts p : parts) {
      for (int i = 0; i < p.ends.length; i++) {
        ends[cellAt + i] = p.ends[i] + byteAt;
      }
      System.arraycopy(p.utf8, 0, utf8, byteAt, p.utf8.length);
      cellAt += p.ends.length;
      byteAt += p.utf8.length;
    }
    return new KeyTexts(columns, ends, utf8);
  }

  /** Collects rows of key cells. */
  public static final class Builder {
    private final int columns;
    private int[] ends = new int[64];
    private byte[] utf8 = new byte[1024];
    private int cells;
    private int bytes;

    public Builder(int columns) {
      if (columns < 1) {
        throw new IllegalArgumentException("a key has at least one column");
      }
      this.columns = columns;
    }

    public Builder add(String[] row) {
      if (row.length != columns) {
        throw new IllegalArgumentException("a key of " + row.length + " cells where " + columns + " were expected");
      }
      for (String cell : row) {
        if (cell == null) {
          throw new IllegalArgumentException("a NULL key cell: rows with a NULL key never reach a block");
        }
        byte[] b = cell.getBytes(StandardCharsets.UTF_8);
        if (bytes + b.length > utf8.length) {
          utf8 = Arrays.copyOf(utf8, Math.max(Math.addExact(bytes, b.length), 2 * utf8.length));
        }
        System.arraycopy(b, 0, utf8, bytes, b.length);
        bytes += b.length;
        if (cells == ends.length) {
          ends = Arrays.copyOf(ends, 2 * ends.length);
        }
        ends[cells++] = bytes;
      }
      return this;
    }

    public KeyTexts build() {
      return new KeyTexts(columns, Arrays.copyOf(ends, cells), Arrays.copyOf(utf8, bytes));
    }
  }
}
