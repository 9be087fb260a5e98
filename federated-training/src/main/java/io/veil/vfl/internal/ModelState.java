package io.veil.vfl.internal;

import io.veil.vfl.model.Network;
import io.veil.vfl.model.Optimizer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One party's part of a federated model while it trains: its bottom network (none at a label
 * party without features) and, at the label party, the top network, each with its optimizer state.
 * Travels between the driver and the tasks as bytes ({@link #toBytes}), so that Spark's serializer
 * never has to handle it.
 */
public final class ModelState implements Serializable {
  private static final long serialVersionUID = 1L;
  public Network bottom;
  public Optimizer bottomOptimizer;
  public Network top;
  public Optimizer topOptimizer;

  public ModelState(Network bottom, Optimizer bottomOptimizer, Network top, Optimizer topOptimizer) {
    this.bottom = bottom;
    this.bottomOptimizer = bottomOptimizer;
    this.top = top;
    this.topOptimizer = topOptimizer;
  }

  public byte[] toBytes() {
    return Bytes.of(this);
  }

  public static ModelState fromBytes(byte[] bytes) {
    return Bytes.read(bytes, ModelState.class);
  }

  /** The mean of copies trained on different partitions, weighted by the rows each trained on. */
  public static ModelState average(List<ModelState> copies, long[] rows) {
    List<ModelState> used = new ArrayList<>();
    List<Long> weights = new ArrayList<>();
    for (int i = 0; i < copies.size(); i++) {
      if (rows[i] > 0) {
        used.add(copies.get(i));
        weights.add(rows[i]);
      }
    }
    if (used.isEmpty()) {
      return copies.get(0);
    }
    long[] w = weights.stream().mapToLong(Long::longValue).toArray();
    ModelState first = used.get(0);
    return new ModelState(
        first.bottom == null ? null : Network.average(used.stream().map(s -> s.bottom).toList(), w),
        first.bottomOptimizer == null ? null
            : Optimizer.average(used.stream().map(s -> s.bottomOptimizer).toList(), w),
        first.top == null ? null : Network.average(used.stream().map(s -> s.top).toList(), w),
        first.topOptimizer == null ? null : Optimizer.average(used.stream().map(s -> s.topOptimizer).toList(), w));
  }

  /** Java serialization to and from bytes, for values that travel through Spark as plain byte arrays. */
  public static final class Bytes {
    private Bytes() {}

    public static byte[] of(Serializable value) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ObjectOutputStream o = new ObjectOutputStream(out)) {
        o.writeObject(value);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return out.toByteArray();
    }

    /** Reads what {@link #of} wrote in this job (never bytes from a peer). */
    public static <T> T read(byte[] bytes, Class<T> type) {
      try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
        return type.cast(in.readObject());
      } catch (IOException | ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
