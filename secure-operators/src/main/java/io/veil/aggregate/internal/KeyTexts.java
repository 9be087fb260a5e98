package io.veil.aggregate.internal;

import io.veil.channel.Locals;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The key text of consecutive rows, packed: every cell's UTF-8 bytes as one element of a {@link
 * Locals} (one byte array and one array of end offsets), row after row. Two arrays instead of a
 * {@code String[]} per row and a {@code String} per cell, because Spark estimates the size of every
 * cached or shuffled block by walking its objects: over a million rows' keys that walk cost the
 * result party seconds per step. Cells are never NULL (rows with a NULL key are refused before any
 * block is made). A plain class, not a record (Kryo).
 */
public final class KeyTexts implements Serializable {
  private static final long serialVersionUID = 1L;
  private int columns;
  /** Cell {@code row * columns + column}'s UTF-8 bytes. */
  private Locals cells;

  /** For Kryo. */
  KeyTexts() {}

  private KeyTexts(int columns, Locals cells) {
    this.columns = columns;
    this.cells = cells;
  }

  public int rows() {
    return cells.size() / columns;
  }

  public int columns() {
    return columns;
  }

  /** The text of one cell. */
  public String get(int row, int column) {
    int cell = row * columns + column;
    return new String(cells.data(), cells.offset(cell), cells.length(cell), StandardCharsets.UTF_8);
  }

  /** Rows {@code [from, to)}. */
  public KeyTexts slice(int from, int to) {
    Locals.Builder out = new Locals.Builder((to - from) * columns, 0);
    copy(this, from, to, out);
    return new KeyTexts(columns, out.build());
  }

  /** The rows of {@code parts}, in order; all with the same number of columns. */
  public static KeyTexts concat(List<KeyTexts> parts) {
    int columns = parts.get(0).columns;
    int cells = 0;
    for (KeyTexts p : parts) {
      if (p.columns != columns) {
        throw new IllegalArgumentException("key texts of " + p.columns + " and " + columns + " columns");
      }
      cells = Math.addExact(cells, p.cells.size());
    }
    Locals.Builder out = new Locals.Builder(cells, 0);
    for (KeyTexts p : parts) {
      copy(p, 0, p.rows(), out);
    }
    return new KeyTexts(columns, out.build());
  }

  private static void copy(KeyTexts k, int from, int to, Locals.Builder out) {
    for (int cell = from * k.columns; cell < to * k.columns; cell++) {
      out.add(k.cells.data(), k.cells.offset(cell), k.cells.length(cell));
    }
  }

  /** Collects rows of key cells. */
  public static final class Builder {
    private final int columns;
    private final Locals.Builder cells = new Locals.Builder(64, 1024);

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
        cells.add(cell.getBytes(StandardCharsets.UTF_8));
      }
      return this;
    }

    public KeyTexts build() {
      return new KeyTexts(columns, cells.build());
    }
  }
}
