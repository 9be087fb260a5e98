package io.veil.blacklist.internal;

import io.veil.crypto.Sha256;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The on-disk layout of one bucket file of a {@link ListIndex}, and the helpers that write and
 * sort it. All integers are big-endian.
 *
 * <pre>
 * offset  size        field
 * 0       4           magic "VBLI"
 * 4       4           format version (1)
 * 8       4           bucket number (the first byte of every tag in the file)
 * 12      4           payloadBytes
 * 16      4           record count n
 * 20      32          SHA-256 over the records, in file order
 * 52      12          zero (reserved)
 * 64      257 * 4     fanout: fanout[b] = index of the first record whose tag's second byte is
 *                     &gt;= b; fanout[0] = 0, fanout[256] = n
 * 1092    n * (16 + payloadBytes)
 *                     records: 16-byte tag then payload, sorted by tag (unsigned lexicographic),
 *                     no tag twice
 * </pre>
 *
 * The file length is therefore exactly {@code 1092 + n * (16 + payloadBytes)}.
 */
final class BucketFormat {
  static final int MAGIC = 0x5642_4C49; // "VBLI"
  static final int FORMAT_VERSION = 1;
  static final int TAG_BYTES = 16;
  static final int DIGEST_BYTES = 32;
  static final int HEADER_BYTES = 64;
  static final int FANOUT_ENTRIES = 257;
  static final int RECORDS_OFFSET = HEADER_BYTES + FANOUT_ENTRIES * 4;
  /** Upper bound on payloadBytes, so a corrupt header cannot make a reader allocate gigabytes. */
  static final int MAX_PAYLOAD_BYTES = 1 << 16;

  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final int INSERTION_SORT_BELOW = 24;

  private BucketFormat() {}

  static String fileName(int bucket) {
    return String.format(Locale.ROOT, "bucket-%02x.bin", bucket);
  }

  static Path file(Path dir, int bucket) {
    return new Path(dir, fileName(bucket));
  }

  static long fileLength(int count, int payloadBytes) {
    return RECORDS_OFFSET + (long) count * (TAG_BYTES + payloadBytes);
  }

  /** Header and fanout, ready to be written before the records. */
  static byte[] headerAndFanout(int bucket, int payloadBytes, int count, byte[] digest, int[] fanout) {
    ByteBuffer b = ByteBuffer.allocate(RECORDS_OFFSET);
    b.putInt(MAGIC).putInt(FORMAT_VERSION).putInt(bucket).putInt(payloadBytes).putInt(count);
    b.put(digest);
    b.position(HEADER_BYTES);
    for (int f : fanout) {
      b.putInt(f);
    }
    return b.array();
  }

  /**
   * The order that sorts {@code count} packed entries of {@code stride} bytes by their first 16
   * bytes (unsigned lexicographic). A merge sort of indices keyed by the first 8 bytes as a long,
   * falling back to the remaining 8 on a tie: no per-record objects.
   */
  static int[] sortOrder(byte[] data, int count, int stride) {
    long[] keys = new long[count];
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      keys[i] = (long) LONG_BE.get(data, i * stride);
      order[i] = i;
    }
    if (count > 1) {
      mergeSort(order, order.clone(), 0, count, keys, data, stride);
    }
    return order;
  }

  /** Compares the 16-byte tags of entries {@code i} and {@code j}. */
  private static int compare(int i, int j, long[] keys, byte[] data, int stride) {
    int c = Long.compareUnsigned(keys[i], keys[j]);
    if (c != 0) {
      return c;
    }
    int a = i * stride + 8;
    int b = j * stride + 8;
    return Arrays.compareUnsigned(data, a, a + 8, data, b, b + 8);
  }

  /** Sorts {@code a[from, to)}; {@code tmp} holds the same values on entry. */
  private static void mergeSort(int[] a, int[] tmp, int from, int to, long[] keys, byte[] data, int stride) {
    if (to - from < INSERTION_SORT_BELOW) {
      for (int i = from + 1; i < to; i++) {
        int v = a[i];
        int k = i - 1;
        while (k >= from && compare(a[k], v, keys, data, stride) > 0) {
          a[k + 1] = a[k];
          k--;
        }
        a[k + 1] = v;
      }
      return;
    }
    int mid = (from + to) >>> 1;
    // Sort both halves into tmp, then merge them back into a.
    mergeSort(tmp, a, from, mid, keys, data, stride);
    mergeSort(tmp, a, mid, to, keys, data, stride);
    int p = from;
    int q = mid;
    for (int i = from; i < to; i++) {
      if (q >= to || (p < mid && compare(tmp[p], tmp[q], keys, data, stride) <= 0)) {
        a[i] = tmp[p++];
      } else {
        a[i] = tmp[q++];
      }
    }
  }

  /** Whether the 16-byte tags at {@code a} and {@code b} are equal. */
  static boolean sameTag(byte[] x, int a, byte[] y, int b) {
    return Arrays.equals(x, a, a + TAG_BYTES, y, b, b + TAG_BYTES);
  }

  static int compareTags(byte[] x, int a, byte[] y, int b) {
    return Arrays.compareUnsigned(x, a, a + TAG_BYTES, y, b, b + TAG_BYTES);
  }

  /** Produces the records of one bucket file, in order, twice: once to count, once to write. */
  interface RecordSource {
    /** Calls {@code sink} for every record in tag order. */
    void forEach(RecordSink sink) throws IOException;
  }

  /** Receives one record: {@code stride} bytes at {@code offset} of {@code buf}. */
  interface RecordSink {
    void accept(byte[] buf, int offset) throws IOException;
  }

  /**
   * Writes a bucket file atomically: to a temporary file in {@code dir}, renamed over {@code
   * bucket-XX.bin} once complete (replacing a file a failed or retried task left there). The
   * records are passed once to count them and build the fanout, then again to write them.
   */
  static BucketSummary write(FileSystem fs, Path dir, int bucket, int payloadBytes, RecordSource source)
      throws IOException {
    int stride = TAG_BYTES + payloadBytes;
    int[] fanout = new int[FANOUT_ENTRIES];
    int[] count = {0};
    source.forEach(
        (buf, off) -> {
          fanout[(buf[off + 1] & 0xff) + 1]++;
          count[0]++;
        });
    for (int b = 1; b < FANOUT_ENTRIES; b++) {
      fanout[b] += fanout[b - 1];
    }
    MessageDigest sha = Sha256.newDigest();
    source.forEach((buf, off) -> sha.update(buf, off, stride));
    byte[] digest = sha.digest();

    Path target = file(dir, bucket);
    Path tmp = new Path(dir, "_tmp." + fileName(bucket) + "." + UUID.randomUUID());
    boolean done = false;
    try {
      int[] written = {0};
      try (FSDataOutputStream out = fs.create(tmp, false, 1 << 16)) {
        out.write(headerAndFanout(bucket, payloadBytes, count[0], digest, fanout));
        source.forEach(
            (buf, off) -> {
              out.write(buf, off, stride);
              written[0]++;
            });
      }
      if (written[0] != count[0]) {
        throw new IllegalStateException("record source changed between passes");
      }
      replace(fs, tmp, target);
      done = true;
    } finally {
      if (!done) {
        fs.delete(tmp, false);
      }
    }
    return new BucketSummary(bucket, count[0], digest);
  }

  /** Renames {@code tmp} to {@code target}, replacing {@code target} if it exists. */
  static void replace(FileSystem fs, Path tmp, Path target) throws IOException {
    if (fs.rename(tmp, target)) {
      return;
    }
    // HDFS and object stores refuse to rename over an existing file.
    if (fs.exists(target)) {
      fs.delete(target, false);
      if (fs.rename(tmp, target)) {
        return;
      }
    }
    throw new IOException("Cannot write " + target + ": renaming " + tmp + " to it failed");
  }
}
