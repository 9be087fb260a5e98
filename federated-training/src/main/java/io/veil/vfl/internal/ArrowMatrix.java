package io.veil.vfl.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A matrix of ring elements (64-bit, wrapping) as one Apache Arrow IPC stream: a schema of
 * {@code dims} non-null int64 columns named {@code prefix0 .. prefix(d-1)} and one record batch of
 * {@code rows} rows. This is how Z shares and masked dL/dZ travel, inside the channel's signed,
 * job-bound batches. Decoding is strict (schema, column names and types, one batch of exactly the
 * expected rows) and bounded in memory, since the bytes come from a peer.
 */
public final class ArrowMatrix {
  private static final long IPC_OVERHEAD_BYTES = 64 * 1024;
  private static volatile BufferAllocator root;

  private ArrowMatrix() {}

  private static BufferAllocator root() {
    if (root == null) {
      synchronized (ArrowMatrix.class) {
        if (root == null) {
          root = new RootAllocator(Long.MAX_VALUE);
        }
      }
    }
    return root;
  }

  private static Schema schema(String prefix, int dims) {
    List<Field> fields = new ArrayList<>(dims);
    for (int j = 0; j < dims; j++) {
      fields.add(new Field(prefix + j, FieldType.notNullable(new ArrowType.Int(64, true)), null));
    }
    return new Schema(fields);
  }

  /** Encodes {@code values} (row-major, {@code rows * dims}) as an Arrow IPC stream. */
  public static byte[] encode(String prefix, long[] values, int rows, int dims) {
    if (values.length != (long) rows * dims) {
      throw new IllegalArgumentException(values.length + " values for a " + rows + " x " + dims + " matrix");
    }
    long need = (long) rows * dims * 8 + IPC_OVERHEAD_BYTES;
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, need));
    try (BufferAllocator a = root().newChildAllocator("encode", 0, need * 2);
        VectorSchemaRoot batch = VectorSchemaRoot.create(schema(prefix, dims), a);
        ArrowStreamWriter writer = new ArrowStreamWriter(batch, null, out)) {
      for (int j = 0; j < dims; j++) {
        BigIntVector v = (BigIntVector) batch.getVector(j);
        v.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
          v.set(i, values[i * dims + j]);
        }
        v.setValueCount(rows);
      }
      batch.setRowCount(rows);
      writer.start();
      writer.writeBatch();
      writer.end();
    } catch (IOException e) {
      throw new IllegalStateException("cannot write an Arrow batch", e);
    }
    return out.toByteArray();
  }

  /**
   * Walks the stream's messages (continuation marker, metadata length, flatbuffer metadata, body)
   * and refuses any whose metadata or body would run past the bytes given: Arrow's reader would
   * otherwise allocate a heap buffer of whatever metadata length a peer declares before reading it.
   */
  private static void checkFraming(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      while (b.remaining() >= 4) {
        int length = b.getInt();
        if (length == -1) { // continuation marker, then the length
          length = b.remaining() >= 4 ? b.getInt() : -2;
        }
        if (length == 0) {
          return; // end of stream
        }
        if (length < 0 || length > b.remaining()) {
          throw new IllegalArgumentException("it is not a well-framed Arrow IPC stream (a message runs past its end)");
        }
        ByteBuffer meta = b.slice(b.position(), length).order(ByteOrder.LITTLE_ENDIAN);
        long body = Message.getRootAsMessage(meta).bodyLength();
        if (body < 0 || body > b.remaining() - length) {
          throw new IllegalArgumentException("it is not a well-framed Arrow IPC stream (a body runs past its end)");
        }
        b.position(b.position() + length + (int) body);
      }
    } catch (IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("it is not a well-framed Arrow IPC stream");
    }
  }

  /**
   * Decodes a matrix written by {@link #encode} with the same {@code prefix}, {@code rows} and
   * {@code dims}.
   *
   * @throws IllegalArgumentException saying what is wrong, for anything else
   */
  public static long[] decode(byte[] bytes, String prefix, int rows, int dims) {
    checkFraming(bytes);
    long budget = (long) rows * dims * 8 * 2 + IPC_OVERHEAD_BYTES;
    try (BufferAllocator a = root().newChildAllocator("decode", 0, budget);
        ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(bytes), a)) {
      VectorSchemaRoot batch = reader.getVectorSchemaRoot();
      if (!batch.getSchema().equals(schema(prefix, dims))) {
        throw new IllegalArgumentException("its Arrow schema is " + batch.getSchema() + " where " + dims
            + " int64 columns " + prefix + "0.. are expected");
      }
      if (!reader.loadNextBatch()) {
        throw new IllegalArgumentException("it holds no Arrow record batch");
      }
      if (batch.getRowCount() != rows) {
        throw new IllegalArgumentException("its Arrow batch has " + batch.getRowCount() + " rows where " + rows
            + " are expected");
      }
      long[] out = new long[rows * dims];
      for (int j = 0; j < dims; j++) {
        FieldVector f = batch.getVector(j);
        if (f.getValueCount() != rows || f.getNullCount() != 0) {
          throw new IllegalArgumentException("its column " + prefix + j + " has " + f.getValueCount() + " values and "
              + f.getNullCount() + " nulls");
        }
        BigIntVector v = (BigIntVector) f;
        for (int i = 0; i < rows; i++) {
          out[i * dims + j] = v.get(i);
        }
      }
      if (reader.loadNextBatch()) {
        throw new IllegalArgumentException("it holds more than one Arrow record batch");
      }
      return out;
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("it is not a readable Arrow IPC stream (" + e.getClass().getSimpleName()
          + ")");
    }
  }
}
