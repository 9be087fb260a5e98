package io.veil.psi.internal;

import io.veil.ProtocolException;
import io.veil.channel.Locals;
import io.veil.crypto.Sha256;
import io.veil.crypto.ot.KkrtSetup;
import io.veil.crypto.ot.CuckooHash;
import io.veil.crypto.ot.CuckooInsertionException;
import io.veil.crypto.ot.KkrtOprf;
import io.veil.spark.ByteArrays;
import io.veil.spark.PackedShuffle;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * The executor-side pieces of OPRF-PSI ({@link OprfPsiProtocol}): base OTs on the driver, one
 * cuckoo table and one OT extension per bucket in the executors.
 */
public final class OprfTasks {
  /** Bytes of one correction row (one cuckoo bin). */
  static final int ROW_BYTES = KkrtOprf.ROW_BYTES;
  /** Bytes of a PRF output kept before truncation to the comparison length. */
  static final int OUT_BYTES = 16;
  /** PRF values the sender sends per key: one per cuckoo hash function. */
  static final int HASHES = CuckooHash.HASH_COUNT;
  private static final byte[] TABLE_DOMAIN = "veil-oprf-psi-cuckoo/v1".getBytes(StandardCharsets.US_ASCII);

  private static final SendBatches.Packed EMPTY = new SendBatches.Packed() {
    @Override
    public int size() {
      return 0;
    }

    @Override
    public void elements(int from, int to, byte[] dst) {}

    @Override
    public void locals(int from, int to, Locals.Builder locals) {}
  };

  private OprfTasks() {}

  /** The cuckoo hash functions' seed of one bucket: public, from the job id. */
  public static byte[] tableSeed(String jobId, int bucket) {
    MessageDigest sha = Sha256.newDigest();
    sha.update(TABLE_DOMAIN);
    sha.update(jobId.getBytes(StandardCharsets.UTF_8));
    sha.update(new byte[] {(byte) (bucket >>> 24), (byte) (bucket >>> 16), (byte) (bucket >>> 8), (byte) bucket});
    return sha.digest();
  }

  /**
   * One bucket at the receiver: its cuckoo table's correction rows in bin order, each with a local
   * value (the bin's PRF output then the key, or absent for an empty bin), packed.
   */
  static SendBatches.Packed receiverRows(KkrtSetup.ReceiverSeeds seeds, String jobId, int bucket, List<byte[]> keys) {
    byte[][] items = keys.toArray(new byte[0][]);
    CuckooHash table;
    try {
      table = CuckooHash.build(tableSeed(jobId, bucket), items);
    } catch (CuckooInsertionException e) {
      throw new IllegalStateException("Cannot place the " + items.length + " keys of partition " + bucket
          + " in a cuckoo table of " + e.bins() + " bins (a failure of probability below 2^-40). Re-run the job "
          + "with another psi.partitions.", e);
    }
    KkrtOprf.Encoded enc = seeds.receiver().encode(bucket, table.oprfInputs(), OUT_BYTES);
    byte[] u = enc.u();
    byte[] outputs = enc.outputs();
    return new SendBatches.Packed() {
      @Override
      public int size() {
        return table.binCount();
      }

      @Override
      public void elements(int from, int to, byte[] dst) {
        System.arraycopy(u, from * ROW_BYTES, dst, 0, (to - from) * ROW_BYTES);
      }

      @Override
      public void locals(int from, int to, Locals.Builder locals) {
        for (int bin = from; bin < to; bin++) {
          int item = table.itemAt(bin);
          if (item >= 0) {
            locals.add(outputs, bin * OUT_BYTES, OUT_BYTES, items[item]);
          } else {
            locals.addNull();
          }
        }
      }
    };
  }

  /**
   * One bucket at the sender: the PRF of each key at each of its candidate bins, truncated to
   * {@code ell} bytes, in ascending order, each with a local value (the value then the key).
   *
   * @param rows the receiver's correction rows of this bucket, in bin order
   */
  static SendBatches.Packed senderValues(KkrtSetup.SenderKey key, String jobId, int bucket, byte[] rows, int m,
      List<byte[]> keys, int ell, String peer, String step) {
    if (m < 2 && !keys.isEmpty()) {
      throw new ProtocolException(peer, step, "Cannot evaluate the PRF on partition " + bucket + ": " + peer
          + " sent " + m + " correction rows there, but every cuckoo table has at least 2 bins. The job was aborted.");
    }
    if (keys.isEmpty()) {
      return EMPTY;
    }
    if (rows.length != (long) m * ROW_BYTES) {
      throw new ProtocolException(peer, step, "Cannot evaluate the PRF on partition " + bucket + ": " + peer
          + " announced " + m + " correction rows there but sent " + rows.length + " bytes. The job was aborted.");
    }
    KkrtOprf.Evaluator ev = key.sender().evaluator(bucket, rows, m, OUT_BYTES);
    CuckooHash.HashFunctions hashes = CuckooHash.hashFunctions(tableSeed(jobId, bucket), m);
    int n = keys.size() * HASHES;
    int[] bins = new int[HASHES];
    byte[] full = new byte[OUT_BYTES];
    byte[] values = new byte[n * ell]; // value v is of key v / HASHES
    for (int k = 0, v = 0; k < keys.size(); k++) {
      byte[] x = keys.get(k);
      hashes.bins(x, bins);
      for (int j = 0; j < HASHES; j++, v++) {
        ev.eval(bins[j], CuckooHash.oprfInput(x, j), full, 0);
        System.arraycopy(full, 0, values, v * ell, ell);
      }
    }
    // Sorted: the order tells the receiver nothing about which key gave which value.
    int[] order = ByteArrays.sortedOrder(values, ell, n);
    return new SendBatches.Packed() {
      @Override
      public int size() {
        return n;
      }

      @Override
      public void elements(int from, int to, byte[] dst) {
        for (int i = from; i < to; i++) {
          System.arraycopy(values, order[i] * ell, dst, (i - from) * ell, ell);
        }
      }

      @Override
      public void locals(int from, int to, Locals.Builder locals) {
        for (int i = from; i < to; i++) {
          locals.add(values, order[i] * ell, ell, keys.get(order[i] / HASHES));
        }
      }
    };
  }

  /**
   * One task's keys, packed per bucket ({@link OprfPsiProtocol#bucket}) for the bucketing shuffle
   * ({@link PackedShuffle}), so that it moves a few large arrays instead of one record per key.
   */
  public static Iterator<Tuple2<Integer, byte[]>> keyChunks(Iterator<Row> rows, int buckets) {
    return PackedShuffle.pack(rows, buckets, r -> OprfPsiProtocol.bucket((byte[]) r.get(0), buckets),
        r -> (byte[]) r.get(0));
  }

  /** The distinct keys of one bucket's partition: its chunks ({@link #keyChunks}) from every task, unpacked. */
  public static Iterator<byte[]> distinctKeys(Iterator<Tuple2<Integer, byte[]>> chunks) {
    List<byte[]> keys = new ArrayList<>();
    PackedShuffle.forEachRecord(chunks, (c, off, n) -> keys.add(Arrays.copyOfRange(c, off, off + n)));
    return ByteArrays.distinct(keys.iterator()).iterator();
  }

  /** The first {@code ell} bytes of each value, sorted, as elements to send (no locals). */
  static List<Tuple2<byte[], byte[]>> sortedPrefixes(java.util.Iterator<byte[]> values, int ell) {
    List<byte[]> prefixes = new ArrayList<>();
    values.forEachRemaining(v -> prefixes.add(Arrays.copyOf(v, ell)));
    byte[] flat = new byte[prefixes.size() * ell];
    for (int i = 0; i < prefixes.size(); i++) {
      System.arraycopy(prefixes.get(i), 0, flat, i * ell, ell);
    }
    List<Tuple2<byte[], byte[]>> out = new ArrayList<>(prefixes.size());
    for (int i : ByteArrays.sortedOrder(flat, ell, prefixes.size())) {
      out.add(new Tuple2<>(prefixes.get(i), null));
    }
    return out;
  }

  /**
   * The locals of this party's sent elements of one bucket (null for an empty bin) whose first bytes
   * are one of the peer's values of that bucket in {@code in}.
   */
  static java.util.Iterator<byte[]> matchingLocals(io.veil.channel.PeerStream in, int bucket,
      java.util.Iterator<io.veil.channel.SentBatch> sent) {
    SortedValues theirs = SortedValues.read(in, bucket);
    List<byte[]> out = new ArrayList<>();
    while (sent.hasNext()) {
      io.veil.channel.Locals locals = sent.next().locals();
      for (int i = 0; i < locals.size(); i++) {
        if (!locals.isNull(i) && theirs.contains(locals.data(), locals.offset(i))) {
          out.add(locals.get(i));
        }
      }
    }
    return out.iterator();
  }

  /**
   * A peer's values of one bucket as it sent them, in ascending order (which is checked), for
   * lookups by binary search.
   */
  static final class SortedValues {
    private final byte[] flat;
    private final int size;
    private final int count;

    private SortedValues(byte[] flat, int size) {
      this.flat = flat;
      this.size = size;
      this.count = flat.length / size;
    }

    /** Reads partition {@code bucket} of {@code in}; a ProtocolException if it is not sorted. */
    static SortedValues read(io.veil.channel.PeerStream in, int bucket) {
      SortedValues v = new SortedValues(in.readAll(bucket), in.elementBytes());
      for (int i = 1; i < v.count; i++) {
        if (Arrays.compareUnsigned(v.flat, (i - 1) * v.size, i * v.size, v.flat, i * v.size, (i + 1) * v.size) > 0) {
          throw new ProtocolException(in.sender(), in.step(), "Cannot accept " + in.sender() + "'s values in "
              + "partition " + bucket + " of stream '" + in.stream() + "': they are not in ascending order, as every "
              + "honest sender writes them. The job was aborted.");
        }
      }
      return v;
    }

    /** Whether the {@code size} bytes of {@code b} at {@code off} are one of the values. */
    boolean contains(byte[] b, int off) {
      int lo = 0;
      int hi = count - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        int c = Arrays.compareUnsigned(flat, mid * size, (mid + 1) * size, b, off, off + size);
        if (c == 0) {
          return true;
        } else if (c < 0) {
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      return false;
    }
  }
}
