package io.veil.vfl.model;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * A named, dense, row-major matrix of doubles: the form in which a {@link Network}'s parameters and an {@link
 * Optimizer}'s state travel between Spark tasks and the driver. A bias vector is a 1 x n tensor.
 *
 * <p>Immutable: the values are copied on the way in and on the way out.
 *
 * @param name the tensor's name, e.g. {@code layer0.weight}
 * @param rows the number of rows, at least 1
 * @param cols the number of columns, at least 1
 * @param values rows x cols values, row-major
 */
public record Tensor(String name, int rows, int cols, double[] values) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Validates the shape and copies the values. */
  public Tensor {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a tensor needs a non-empty name");
    }
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException("tensor " + name + ": rows and cols must be at least 1, got " + rows + " x "
          + cols);
    }
    if (values == null) {
      throw new IllegalArgumentException("tensor " + name + ": values are missing");
    }
    if ((long) rows * cols != values.length) {
      throw new IllegalArgumentException("tensor " + name + ": " + rows + " x " + cols + " needs " + (long) rows * cols
          + " values, got " + values.length);
    }
    values = values.clone();
  }

  /** A copy of the values, row-major. */
  @Override
  public double[] values() {
    return values.clone();
  }

  /** The value at ({@code row}, {@code col}). */
  public double get(int row, int col) {
    Objects.checkIndex(row, rows);
    Objects.checkIndex(col, cols);
    return values[row * cols + col];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t && name.equals(t.name) && rows == t.rows && cols == t.cols
        && Arrays.equals(values, t.values);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, rows, cols, Arrays.hashCode(values));
  }

  @Override
  public String toString() {
    return "Tensor[" + name + ", " + rows + " x " + cols + "]";
  }

  /** The values without a copy, for this package's hot paths; callers must not modify them. */
  double[] valuesView() {
    return values;
  }
}
