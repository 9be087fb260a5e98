package io.veil.blacklist.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veil.crypto.Sha256;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The querier's local copy of an encoded blacklist, in any Hadoop {@link FileSystem}, looked up by
 * tag at a cost that depends on the query, not on the list.
 *
 * <p>The list holder encodes each listed id into a 16-byte <em>tag</em> (a truncated OPRF output,
 * uniformly random-looking) and an optional sealed <em>payload</em> of {@code payloadBytes} bytes
 * (0 when the list carries no reasons). An index is a directory of:
 *
 * <ul>
 *   <li>256 bucket files {@code bucket-00.bin} .. {@code bucket-ff.bin}; bucket {@code b} holds the
 *       records whose tag starts with byte {@code b}, sorted by tag, behind a 257-entry fanout table
 *       on the tag's second byte (layout in {@link BucketFormat});
 *   <li>{@code manifest.json}, written last: format {@value #FORMAT}, the list {@code version},
 *       {@code records}, {@code payloadBytes}, {@code digest}, the per-bucket record counts and
 *       digests, and caller {@code attributes} (list name, key version, ...).
 * </ul>
 *
 * <p>The {@code digest} is SHA-256 over the 256 bucket digests in bucket order, each bucket digest
 * being SHA-256 over its records in tag order: two indexes holding the same records have the same
 * digest, however and in whatever order they were written (full write, or write then merges).
 *
 * <p><b>Writing.</b> Buckets are independent: {@link #writeBucket} (full list) and {@link
 * #mergeBucket} (delta on top of an older index) each write one bucket file atomically, so Spark
 * tasks can write them in parallel and retries are harmless. The driver then collects the 256
 * {@link BucketSummary summaries} and calls {@link #writeManifest}; an index without a manifest is
 * incomplete and {@link #open} refuses it. A merge writes to a new directory, so the index being
 * read stays intact until the caller switches to the new one.
 *
 * <p><b>Reading.</b> {@link #open} checks the manifest and the header and fanout of every bucket
 * file, keeping one open stream and the fanout table per bucket. A {@link #lookup} then costs at
 * most one positional read of the records sharing the tag's first two bytes (about {@code records
 * / 65536} records), and none when there are no such records. Lookups are safe from several threads
 * when the file system's positional reads are (the Hadoop contract for {@code PositionedReadable}).
 *
 * <p>Tags and payloads are personal data: no message of this class contains them.
 */
public final class ListIndex implements Closeable {
  /** The format id stored in every manifest. */
  public static final String FORMAT = "veil-blacklist-index/v1";
  /** Name of the manifest file inside an index directory. */
  public static final String MANIFEST = "manifest.json";
  /** Number of bucket files in an index: one per value of the tag's first byte. */
  public static final int BUCKETS = 256;
  /** Length of a tag in bytes. */
  public static final int TAG_BYTES = BucketFormat.TAG_BYTES;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_MANIFEST_BYTES = 1 << 20;
  private static final String REDOWNLOAD = "Delete the index directory and download the full list again.";

  private final Path dir;
  private final long version;
  private final long records;
  private final int payloadBytes;
  private final String digest;
  private final Map<String, String> attributes;
  private final FSDataInputStream[] streams;
  private final int[][] fanouts;
  private volatile boolean closed;

  private ListIndex(
      Path dir,
      long version,
      long records,
      int payloadBytes,
      String digest,
      Map<String, String> attributes,
      FSDataInputStream[] streams,
      int[][] fanouts) {
    this.dir = dir;
    this.version = version;
    this.records = records;
    this.payloadBytes = payloadBytes;
    this.digest = digest;
    this.attributes = attributes;
    this.streams = streams;
    this.fanouts = fanouts;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Writes bucket file {@code bucket} of the index in {@code dir} from a full list's records.
   *
   * @param records {@code count} packed records, each a 16-byte tag then {@code payloadBytes} bytes
   *     of payload, in any order; every tag must start with byte {@code bucket}. Not modified.
   * @return the bucket's record count and digest, for {@link #writeManifest}
   * @throws IllegalArgumentException if a tag occurs twice, a tag belongs to another bucket, or the
   *     figures are out of range ({@code bucket} not in [0, 255], {@code payloadBytes} negative or
   *     above 65536, {@code records} shorter than {@code count} records)
   * @throws IOException if the file system fails; no partial file is left under the bucket's name
   */
  public static BucketSummary writeBucket(
      FileSystem given, Path dir, int bucket, int payloadBytes, byte[] records, int count)
      throws IOException {
    FileSystem fs = raw(given);
    checkFigures(bucket, payloadBytes);
    int stride = TAG_BYTES + payloadBytes;
    int[] order = sortedRecords(bucket, "records", records, count, stride);
    for (int i = 1; i < count; i++) {
      if (BucketFormat.sameTag(records, order[i - 1] * stride, records, order[i] * stride)) {
        throw duplicate(bucket, "records");
      }
    }
    return BucketFormat.write(
        fs,
        dir,
        bucket,
        payloadBytes,
        sink -> {
          for (int i = 0; i < count; i++) {
            sink.accept(records, order[i] * stride);
          }
        });
  }

  /**
   * Writes bucket file {@code bucket} of the index in {@code toDir} as the bucket of {@code
   * fromDir} with a delta applied: the old records, minus those whose tag is in {@code removedTags},
   * plus {@code added}. An added tag already present replaces the old record (its payload). A
   * removed tag that is absent is ignored. Removals apply to the old records only, so a tag both
   * removed and added ends up with the added record. The old bucket file is read sequentially (twice:
   * once to size the new file, once to write it), so memory does not grow with the list.
   *
   * @param fromDir the current index, or {@code null} when the querier has no copy yet (the first
   *     full download is a merge into an empty index)
   * @param toDir where to write the new bucket; must differ from {@code fromDir}
   * @param added {@code addedCount} packed records (tag then payload), any order, no tag twice
   * @param removedTags {@code removedCount} packed 16-byte tags, any order
   * @return the new bucket's record count and digest, for {@link #writeManifest}
   * @throws IllegalArgumentException if {@code added} holds a tag twice, a tag belongs to another
   *     bucket, the figures are out of range, or {@code toDir} equals {@code fromDir}
   * @throws CorruptListIndexException if the old bucket file is missing, truncated, has another
   *     payload size or is otherwise not a valid bucket file
   * @throws IOException if the file system fails; no partial file is left under the bucket's name
   */
  public static BucketSummary mergeBucket(
      FileSystem given,
      Path fromDir,
      Path toDir,
      int bucket,
      int payloadBytes,
      byte[] added,
      int addedCount,
      byte[] removedTags,
      int removedCount)
      throws IOException {
    FileSystem fs = raw(given);
    checkFigures(bucket, payloadBytes);
    if (fromDir != null && fs.makeQualified(fromDir).equals(fs.makeQualified(toDir))) {
      throw new IllegalArgumentException(
          "Cannot merge bucket "
              + hex(bucket)
              + " in place: fromDir and toDir are both "
              + toDir
              + ". Write the merged index to a new directory and switch to it after writeManifest.");
    }
    int stride = TAG_BYTES + payloadBytes;
    int[] addOrder = sortedRecords(bucket, "added", added, addedCount, stride);
    for (int i = 1; i < addedCount; i++) {
      if (BucketFormat.sameTag(added, addOrder[i - 1] * stride, added, addOrder[i] * stride)) {
        throw duplicate(bucket, "added");
      }
    }
    int[] removeOrder = sortedRecords(bucket, "removedTags", removedTags, removedCount, TAG_BYTES);
    Path oldFile = fromDir == null ? null : BucketFormat.file(fromDir, bucket);
    if (oldFile != null) {
      // Check the old file once up front, so a corrupt file fails before anything is written.
      try (FSDataInputStream in = openBucket(fs, oldFile)) {
        readHeader(oldFile, fs.getFileStatus(oldFile).getLen(), in, bucket, payloadBytes);
      }
    }
    return BucketFormat.write(
        fs,
        toDir,
        bucket,
        payloadBytes,
        sink -> {
          try (OldRecords old = new OldRecords(fs, oldFile, bucket, payloadBytes)) {
            int a = 0;
            int r = 0;
            while (old.current() != null || a < addedCount) {
              byte[] o = old.current();
              int cmp =
                  o == null
                      ? 1
                      : a == addedCount
                          ? -1
                          : BucketFormat.compareTags(o, 0, added, addOrder[a] * stride);
              if (cmp < 0) {
                while (r < removedCount
                    && BucketFormat.compareTags(removedTags, removeOrder[r] * TAG_BYTES, o, 0) < 0) {
                  r++;
                }
                boolean removed =
                    r < removedCount && BucketFormat.sameTag(removedTags, removeOrder[r] * TAG_BYTES, o, 0);
                if (!removed) {
                  sink.accept(o, 0);
                }
                old.advance();
              } else {
                sink.accept(added, addOrder[a] * stride);
                a++;
                if (cmp == 0) {
                  old.advance();
                }
              }
            }
          }
        });
  }

  /**
   * Writes {@code manifest.json} into {@code dir}, completing an index whose 256 bucket files are
   * already there. Written atomically (temporary file, then rename over any older manifest).
   *
   * @param buckets the summaries of all 256 buckets, each bucket exactly once, in any order
   * @param attributes opaque caller data stored verbatim (list name, key version, ...); no secrets
   * @throws IllegalArgumentException if a bucket is missing or repeated, {@code version} is negative
   *     or {@code payloadBytes} is out of range
   * @throws CorruptListIndexException if a bucket file is missing in {@code dir} or its length does
   *     not match its summary's record count
   * @throws IOException if the file system fails
   */
  public static void writeManifest(
      FileSystem given,
      Path dir,
      long version,
      int payloadBytes,
      List<BucketSummary> buckets,
      Map<String, String> attributes)
      throws IOException {
    FileSystem fs = raw(given);
    checkFigures(0, payloadBytes);
    if (version < 0) {
      throw new IllegalArgumentException("Cannot write the index manifest: version must be >= 0, was " + version);
    }
    attributes.forEach(
        (k, v) -> {
          if (k == null || v == null) {
            throw new IllegalArgumentException(
                "Cannot write the index manifest: attributes must not hold null keys or values.");
          }
        });
    BucketSummary[] byBucket = new BucketSummary[BUCKETS];
    for (BucketSummary s : buckets) {
      if (byBucket[s.bucket()] != null) {
        throw new IllegalArgumentException(
            "Cannot write the index manifest: bucket " + hex(s.bucket()) + " is summarised twice.");
      }
      byBucket[s.bucket()] = s;
    }
    long total = 0;
    for (int b = 0; b < BUCKETS; b++) {
      if (byBucket[b] == null) {
        throw new IllegalArgumentException(
            "Cannot write the index manifest: bucket "
                + hex(b)
                + " has no summary. Write all 256 buckets and pass every summary.");
      }
      total += byBucket[b].records();
    }
    Map<String, Long> lengths = fileLengths(fs, dir);
    for (int b = 0; b < BUCKETS; b++) {
      Path file = BucketFormat.file(dir, b);
      Long length = lengths.get(file.getName());
      long expected = BucketFormat.fileLength(byBucket[b].records(), payloadBytes);
      if (length == null || length != expected) {
        throw new CorruptListIndexException(
            "Cannot write the index manifest in "
                + dir
                + ": bucket file "
                + file
                + (length == null ? " is missing" : " is " + length + " bytes, expected " + expected)
                + ". Write every bucket into this directory before the manifest.");
      }
    }
    ObjectNode m = JSON.createObjectNode();
    m.put("format", FORMAT);
    m.put("version", version);
    m.put("records", total);
    m.put("payloadBytes", payloadBytes);
    m.put("digest", HexFormat.of().formatHex(combinedDigest(byBucket)));
    ArrayNode counts = m.putArray("bucketRecords");
    ArrayNode digests = m.putArray("bucketDigests");
    for (BucketSummary s : byBucket) {
      counts.add(s.records());
      digests.add(s.digestHex());
    }
    ObjectNode attrs = m.putObject("attributes");
    new TreeMap<>(attributes).forEach(attrs::put);

    Path tmp = new Path(dir, "_tmp." + MANIFEST + "." + UUID.randomUUID());
    boolean done = false;
    try {
      try (FSDataOutputStream out = fs.create(tmp, false)) {
        out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
      }
      BucketFormat.replace(fs, tmp, new Path(dir, MANIFEST));
      done = true;
    } finally {
      if (!done) {
        fs.delete(tmp, false);
      }
    }
  }

  /**
   * The file system an index is read and written with: for the local file system its raw form, without
   * Hadoop's .crc side files. Without Hadoop's native library every checksummed file created costs two
   * external chmod processes (about 18 ms a bucket) and every positional read reopens the .crc file;
   * the manifest's per-bucket digests already guard an index's content.
   */
  static FileSystem raw(FileSystem fs) {
    return fs instanceof org.apache.hadoop.fs.LocalFileSystem local ? local.getRawFileSystem() : fs;
  }

  /** Whether {@code dir} holds a complete index (its manifest exists); says nothing of its validity. */
  public static boolean exists(FileSystem fs, Path dir) throws IOException {
    return raw(fs).exists(new Path(dir, MANIFEST));
  }

  // ---------------------------------------------------------------- reading

  /**
   * Opens the index in {@code dir} for lookups, after checking it: the manifest's format, fields
   * and digest; for each of the 256 bucket files that it exists, that its length fits its record
   * count, and that its header (magic, format version, bucket, payload size, count, digest) and
   * fanout agree with the manifest. Keeps one stream per bucket open until {@link #close()}.
   *
   * @throws CorruptListIndexException naming the file and what is wrong, if anything is missing or
   *     does not match; the caller should discard the copy and download the full list again
   * @throws IOException if the file system fails
   */
  public static ListIndex open(FileSystem given, Path dir) throws IOException {
    FileSystem fs = raw(given);
    Path manifestFile = new Path(dir, MANIFEST);
    Manifest m = readManifest(fs, manifestFile);
    Map<String, Long> lengths = fileLengths(fs, dir);
    FSDataInputStream[] streams = new FSDataInputStream[BUCKETS];
    int[][] fanouts = new int[BUCKETS][];
    boolean ok = false;
    try {
      for (int b = 0; b < BUCKETS; b++) {
        Path file = BucketFormat.file(dir, b);
        Long length = lengths.get(file.getName());
        if (length == null) {
          throw corrupt(file, "is missing");
        }
        long expected = BucketFormat.fileLength(m.counts[b], m.payloadBytes);
        if (length != expected) {
          throw corrupt(
              file,
              (length < expected ? "is truncated" : "is too long")
                  + ": "
                  + length
                  + " bytes, expected "
                  + expected
                  + " for the manifest's "
                  + m.counts[b]
                  + " records of "
                  + (TAG_BYTES + m.payloadBytes)
                  + " bytes");
        }
        streams[b] = openBucket(fs, file);
        Header h = readHeader(file, length, streams[b], b, m.payloadBytes);
        if (h.count != m.counts[b]) {
          throw corrupt(file, "holds " + h.count + " records, the manifest says " + m.counts[b]);
        }
        if (!Arrays.equals(h.digest, m.digests[b])) {
          throw corrupt(file, "has another digest than the manifest records for it (a bucket from another index?)");
        }
        fanouts[b] = h.fanout;
      }
      ok = true;
      return new ListIndex(dir, m.version, m.records, m.payloadBytes, m.digest, m.attributes, streams, fanouts);
    } finally {
      if (!ok) {
        closeAll(streams);
      }
    }
  }

  /** The list version recorded in the manifest (the holder's version of the list). */
  public long version() {
    return version;
  }

  /** The number of records in the index. */
  public long records() {
    return records;
  }

  /** The payload size of every record, in bytes; 0 when the list carries no payloads. */
  public int payloadBytes() {
    return payloadBytes;
  }

  /**
   * The content digest in lower-case hex: SHA-256 over the 256 bucket digests in bucket order. Equal
   * for two indexes holding the same records, so the querier can compare it with the holder's.
   */
  public String digest() {
    return digest;
  }

  /** The caller attributes stored in the manifest (unmodifiable). */
  public Map<String, String> attributes() {
    return attributes;
  }

  /** The directory this index was opened from. */
  public Path dir() {
    return dir;
  }

  /**
   * Looks one tag up.
   *
   * @param tag a 16-byte tag; not modified
   * @return the record's payload ({@code payloadBytes} bytes, an empty array when 0) if the tag is
   *     in the list, otherwise empty
   * @throws IllegalArgumentException if {@code tag} is not 16 bytes
   * @throws IllegalStateException if the index is closed
   * @throws IOException if the read fails
   */
  public Optional<byte[]> lookup(byte[] tag) throws IOException {
    if (tag == null || tag.length != TAG_BYTES) {
      throw new IllegalArgumentException("Cannot look a tag up: a tag is 16 bytes, got " + (tag == null ? "null" : tag.length));
    }
    if (closed) {
      throw new IllegalStateException("Cannot look a tag up: the index " + dir + " is closed.");
    }
    int bucket = tag[0] & 0xff;
    int second = tag[1] & 0xff;
    int[] fanout = fanouts[bucket];
    int from = fanout[second];
    int to = fanout[second + 1];
    if (from == to) {
      return Optional.empty();
    }
    FSDataInputStream in = streams[bucket];
    if (in == null) {
      throw new IllegalStateException("Cannot look a tag up: the index " + dir + " is closed.");
    }
    int stride = TAG_BYTES + payloadBytes;
    byte[] slice = new byte[(to - from) * stride];
    in.readFully(BucketFormat.RECORDS_OFFSET + (long) from * stride, slice);
    int lo = 0;
    int hi = to - from - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = Arrays.compareUnsigned(slice, mid * stride + 2, mid * stride + TAG_BYTES, tag, 2, TAG_BYTES);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        int p = mid * stride + TAG_BYTES;
        return Optional.of(Arrays.copyOfRange(slice, p, p + payloadBytes));
      }
    }
    return Optional.empty();
  }

  /**
   * Looks several tags up, as {@link #lookup} does each.
   *
   * @return one result per tag, in the order of {@code tags}
   * @throws IllegalArgumentException if a tag is not 16 bytes
   * @throws IOException if a read fails
   */
  public List<Optional<byte[]>> lookupAll(List<byte[]> tags) throws IOException {
    List<Optional<byte[]>> out = new ArrayList<>(tags.size());
    for (byte[] tag : tags) {
      out.add(lookup(tag));
    }
    return out;
  }

  /** Closes the per-bucket streams; later lookups fail. Idempotent. */
  @Override
  public void close() throws IOException {
    if (!closed) {
      closed = true;
      closeAll(streams);
    }
  }

  @Override
  public String toString() {
    return "ListIndex[" + dir + ", version=" + version + ", records=" + records + "]";
  }

  // ---------------------------------------------------------------- internals

  private static void checkFigures(int bucket, int payloadBytes) {
    if (bucket < 0 || bucket >= BUCKETS) {
      throw new IllegalArgumentException("bucket must be in [0, 255], was " + bucket);
    }
    if (payloadBytes < 0 || payloadBytes > BucketFormat.MAX_PAYLOAD_BYTES) {
      throw new IllegalArgumentException(
          "payloadBytes must be in [0, " + BucketFormat.MAX_PAYLOAD_BYTES + "], was " + payloadBytes);
    }
  }

  /** Checks that {@code data} holds {@code count} entries of bucket {@code bucket}; their sort order. */
  private static int[] sortedRecords(int bucket, String what, byte[] data, int count, int stride) {
    if (count < 0 || (count > 0 && data == null) || (data != null && (long) count * stride > data.length)) {
      throw new IllegalArgumentException(
          "Cannot use "
              + what
              + " for bucket "
              + hex(bucket)
              + ": "
              + count
              + " entries of "
              + stride
              + " bytes do not fit in "
              + (data == null ? "null" : data.length + " bytes")
              + ".");
    }
    for (int i = 0; i < count; i++) {
      if ((data[i * stride] & 0xff) != bucket) {
        throw new IllegalArgumentException(
            "Cannot use " + what + " for bucket " + hex(bucket) + ": entry " + i + " has a tag of another bucket.");
      }
    }
    return BucketFormat.sortOrder(data, count, stride);
  }

  private static IllegalArgumentException duplicate(int bucket, String what) {
    return new IllegalArgumentException(
        "Cannot write bucket "
            + hex(bucket)
            + " of the blacklist index: two of its "
            + what
            + " have the same tag. Each tag must occur once; deduplicate the records first.");
  }

  private static String hex(int bucket) {
    return String.format("%02x", bucket);
  }

  private static CorruptListIndexException corrupt(Path file, String what) {
    return new CorruptListIndexException("Cannot open blacklist index file " + file + ": it " + what + ". " + REDOWNLOAD);
  }

  private static FSDataInputStream openBucket(FileSystem fs, Path file) throws IOException {
    try {
      return fs.open(file);
    } catch (java.io.FileNotFoundException e) {
      throw new CorruptListIndexException(
          "Cannot open blacklist index file " + file + ": it is missing. " + REDOWNLOAD, e);
    }
  }

  /** Names (not paths) and lengths of the files directly in {@code dir}. */
  private static Map<String, Long> fileLengths(FileSystem fs, Path dir) throws IOException {
    Map<String, Long> lengths = new HashMap<>();
    try {
      for (FileStatus s : fs.listStatus(dir)) {
        if (s.isFile()) {
          lengths.put(s.getPath().getName(), s.getLen());
        }
      }
    } catch (java.io.FileNotFoundException e) {
      throw new CorruptListIndexException(
          "Cannot use blacklist index directory " + dir + ": it does not exist. " + REDOWNLOAD, e);
    }
    return lengths;
  }

  private record Header(int count, byte[] digest, int[] fanout) {}

  /**
   * Reads and checks a bucket file's header and fanout against the expected bucket and payload size
   * and the file's {@code length} (from a listing, so opening an index costs no metadata call per
   * bucket).
   */
  private static Header readHeader(Path file, long length, FSDataInputStream in, int bucket, int payloadBytes)
      throws IOException {
    if (length < BucketFormat.RECORDS_OFFSET) {
      throw corrupt(file, "is truncated: " + length + " bytes, shorter than the " + BucketFormat.RECORDS_OFFSET + "-byte header and fanout");
    }
    byte[] raw = new byte[BucketFormat.RECORDS_OFFSET];
    in.readFully(0, raw);
    ByteBuffer b = ByteBuffer.wrap(raw);
    if (b.getInt() != BucketFormat.MAGIC) {
      throw corrupt(file, "does not start with the bucket file magic \"VBLI\" (not a blacklist index bucket file)");
    }
    int format = b.getInt();
    if (format != BucketFormat.FORMAT_VERSION) {
      throw corrupt(file, "has bucket format version " + format + ", this reader knows only " + BucketFormat.FORMAT_VERSION);
    }
    int fileBucket = b.getInt();
    if (fileBucket != bucket) {
      throw corrupt(file, "holds bucket " + fileBucket + " where bucket " + bucket + " was expected");
    }
    int filePayload = b.getInt();
    if (filePayload != payloadBytes) {
      throw corrupt(
          file,
          "has records of "
              + ((long) TAG_BYTES + filePayload)
              + " bytes (payloadBytes "
              + filePayload
              + "), expected "
              + (TAG_BYTES + payloadBytes)
              + " (payloadBytes "
              + payloadBytes
              + ")");
    }
    int count = b.getInt();
    if (count < 0 || BucketFormat.fileLength(count, payloadBytes) != length) {
      throw corrupt(
          file,
          (count >= 0 && BucketFormat.fileLength(count, payloadBytes) > length ? "is truncated" : "has a wrong length")
              + ": "
              + length
              + " bytes, its header announces "
              + count
              + " records of "
              + (TAG_BYTES + payloadBytes)
              + " bytes");
    }
    byte[] digest = new byte[BucketFormat.DIGEST_BYTES];
    b.get(digest);
    b.position(BucketFormat.HEADER_BYTES);
    int[] fanout = new int[BucketFormat.FANOUT_ENTRIES];
    for (int i = 0; i < fanout.length; i++) {
      fanout[i] = b.getInt();
      if (i > 0 && fanout[i] < fanout[i - 1]) {
        throw corrupt(file, "has a fanout table that decreases at entry " + i);
      }
    }
    if (fanout[0] != 0 || fanout[256] != count) {
      throw corrupt(file, "has a fanout table that does not span its " + count + " records");
    }
    return new Header(count, digest, fanout);
  }

  private record Manifest(
      long version,
      long records,
      int payloadBytes,
      String digest,
      int[] counts,
      byte[][] digests,
      Map<String, String> attributes) {}

  private static Manifest readManifest(FileSystem fs, Path file) throws IOException {
    FileStatus status;
    try {
      status = fs.getFileStatus(file);
    } catch (java.io.FileNotFoundException e) {
      throw new CorruptListIndexException(
          "Cannot open blacklist index manifest "
              + file
              + ": it is missing (the index was never completed). "
              + REDOWNLOAD,
          e);
    }
    if (status.getLen() > MAX_MANIFEST_BYTES) {
      throw badManifest(file, "is " + status.getLen() + " bytes, more than a manifest can be");
    }
    JsonNode root;
    try (InputStream in = fs.open(file)) {
      root = JSON.readTree(in);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new CorruptListIndexException(
          "Cannot open blacklist index manifest " + file + ": it is not valid JSON. " + REDOWNLOAD, e);
    }
    if (root == null || !root.isObject()) {
      throw badManifest(file, "is not a JSON object");
    }
    String format = text(root, "format", file);
    if (!FORMAT.equals(format)) {
      throw badManifest(file, "has format \"" + format + "\", expected \"" + FORMAT + "\"");
    }
    long version = number(root, "version", file);
    long records = number(root, "records", file);
    long payload = number(root, "payloadBytes", file);
    if (payload > BucketFormat.MAX_PAYLOAD_BYTES) {
      throw badManifest(file, "has payloadBytes " + payload + ", above " + BucketFormat.MAX_PAYLOAD_BYTES);
    }
    String digest = text(root, "digest", file);
    JsonNode counts = root.get("bucketRecords");
    JsonNode digests = root.get("bucketDigests");
    if (counts == null || !counts.isArray() || counts.size() != BUCKETS) {
      throw badManifest(file, "has no \"bucketRecords\" array of 256 counts");
    }
    if (digests == null || !digests.isArray() || digests.size() != BUCKETS) {
      throw badManifest(file, "has no \"bucketDigests\" array of 256 digests");
    }
    int[] c = new int[BUCKETS];
    byte[][] d = new byte[BUCKETS][];
    long sum = 0;
    MessageDigest all = Sha256.newDigest();
    for (int b = 0; b < BUCKETS; b++) {
      JsonNode n = counts.get(b);
      if (!n.canConvertToInt() || n.asInt() < 0 || !n.isIntegralNumber()) {
        throw badManifest(file, "has an invalid record count for bucket " + hex(b));
      }
      c[b] = n.asInt();
      sum += c[b];
      try {
        d[b] = HexFormat.of().parseHex(digests.get(b).asText());
      } catch (IllegalArgumentException e) {
        d[b] = null;
      }
      if (!digests.get(b).isTextual() || d[b] == null || d[b].length != BucketFormat.DIGEST_BYTES) {
        throw badManifest(file, "has an invalid digest for bucket " + hex(b));
      }
      all.update(d[b]);
    }
    if (sum != records) {
      throw badManifest(file, "says " + records + " records but its bucket counts add up to " + sum);
    }
    if (!HexFormat.of().formatHex(all.digest()).equals(digest)) {
      throw badManifest(file, "has a digest that is not the digest of its bucket digests");
    }
    JsonNode attrs = root.get("attributes");
    Map<String, String> attributes = new LinkedHashMap<>();
    if (attrs != null && !attrs.isNull()) {
      if (!attrs.isObject()) {
        throw badManifest(file, "has \"attributes\" that is not an object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = attrs.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) {
          throw badManifest(file, "has a non-string attribute \"" + e.getKey() + "\"");
        }
        attributes.put(e.getKey(), e.getValue().asText());
      }
    }
    return new Manifest(version, records, (int) payload, digest, c, d, Collections.unmodifiableMap(attributes));
  }

  private static String text(JsonNode root, String field, Path file) {
    JsonNode n = root.get(field);
    if (n == null || !n.isTextual()) {
      throw badManifest(file, "has no string field \"" + field + "\"");
    }
    return n.asText();
  }

  private static long number(JsonNode root, String field, Path file) {
    JsonNode n = root.get(field);
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
      throw badManifest(file, "has no non-negative integer field \"" + field + "\"");
    }
    return n.asLong();
  }

  private static CorruptListIndexException badManifest(Path file, String what) {
    return new CorruptListIndexException(
        "Cannot open blacklist index manifest " + file + ": it " + what + ". " + REDOWNLOAD);
  }

  private static byte[] combinedDigest(BucketSummary[] byBucket) {
    MessageDigest all = Sha256.newDigest();
    for (BucketSummary s : byBucket) {
      all.update(s.digest());
    }
    return all.digest();
  }

  private static void closeAll(FSDataInputStream[] streams) throws IOException {
    IOException first = null;
    for (int i = 0; i < streams.length; i++) {
      if (streams[i] != null) {
        try {
          streams[i].close();
        } catch (IOException e) {
          if (first == null) {
            first = e;
          } else {
            first.addSuppressed(e);
          }
        }
        streams[i] = null;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** Sequential reader of an old bucket file's records (none when {@code file} is null). */
  private static final class OldRecords implements Closeable {
    private final Path file;
    private final int bucket;
    private final DataInputStream in;
    private int remaining;
    private boolean started;
    private byte[] current;
    private byte[] previous;

    OldRecords(FileSystem fs, Path file, int bucket, int payloadBytes) throws IOException {
      this.file = file;
      this.bucket = bucket;
      if (file == null) {
        in = null;
        remaining = 0;
      } else {
        FSDataInputStream raw = openBucket(fs, file);
        try {
          remaining = readHeader(file, fs.getFileStatus(file).getLen(), raw, bucket, payloadBytes).count();
          raw.seek(BucketFormat.RECORDS_OFFSET);
        } catch (IOException | RuntimeException e) {
          raw.close();
          throw e;
        }
        in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
        current = new byte[TAG_BYTES + payloadBytes];
        previous = new byte[TAG_BYTES + payloadBytes];
      }
      advance();
    }

    /** The current record (tag then payload), or null at the end. Valid until {@link #advance()}. */
    byte[] current() {
      return remaining < 0 ? null : current;
    }

    /** Moves to the next record, checking that tags keep increasing within the bucket. */
    void advance() throws IOException {
      if (remaining <= 0) {
        remaining = -1;
        return;
      }
      byte[] t = previous;
      previous = current;
      current = t;
      try {
        in.readFully(current);
      } catch (EOFException e) {
        throw corrupt(file, "is truncated");
      }
      remaining--;
      if ((current[0] & 0xff) != bucket
          || (started && BucketFormat.compareTags(previous, 0, current, 0) >= 0)) {
        throw corrupt(file, "has records out of tag order or of another bucket");
      }
      started = true;
    }

    @Override
    public void close() throws IOException {
      if (in != null) {
        in.close();
      }
    }
  }
}
