package io.veil.blacklist.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ListIndex} against a {@link TreeMap} oracle on the local Hadoop file system. */
class ListIndexTest {
  private static final Map<String, String> ATTRS = Map.of("list", "fraud-2026", "keyVersion", "7");

  @TempDir java.nio.file.Path tmp;
  /** Holds {@link #smallIndex()}, written once for the class. */
  @TempDir static java.nio.file.Path shared;
  private static Path small;
  private FileSystem fs;
  private Path root;
  private int dirs;

  @BeforeEach
  void setUp() throws IOException {
    fs = FileSystem.getLocal(new Configuration());
    root = new Path(tmp.toUri());
  }

  private Path newDir() {
    return new Path(root, "index-" + dirs++);
  }

  // ------------------------------------------------------------ oracle helpers

  private static TreeMap<byte[], byte[]> oracle() {
    return new TreeMap<>(Arrays::compareUnsigned);
  }

  private static byte[] randomTag(Random rnd) {
    byte[] t = new byte[16];
    rnd.nextBytes(t);
    return t;
  }

  private static TreeMap<byte[], byte[]> randomList(Random rnd, int n, int payloadBytes) {
    TreeMap<byte[], byte[]> list = oracle();
    while (list.size() < n) {
      byte[] p = new byte[payloadBytes];
      rnd.nextBytes(p);
      list.put(randomTag(rnd), p);
    }
    return list;
  }

  /** Packs the entries of each bucket, in a shuffled order. */
  private static List<List<byte[][]>> byBucket(Map<byte[], byte[]> entries, Random rnd) {
    List<List<byte[][]>> buckets = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      buckets.add(new ArrayList<>());
    }
    entries.forEach((t, p) -> buckets.get(t[0] & 0xff).add(new byte[][] {t, p}));
    buckets.forEach(l -> Collections.shuffle(l, rnd));
    return buckets;
  }

  private static byte[] pack(List<byte[][]> records, int payloadBytes) {
    ByteBuffer b = ByteBuffer.allocate(records.size() * (16 + payloadBytes));
    for (byte[][] r : records) {
      b.put(r[0]).put(r[1]);
    }
    return b.array();
  }

  private static byte[] packTags(List<byte[]> tags) {
    ByteBuffer b = ByteBuffer.allocate(tags.size() * 16);
    tags.forEach(b::put);
    return b.array();
  }

  /** Writes a full index of {@code list}, buckets in a random order, then the manifest. */
  private Path writeIndex(TreeMap<byte[], byte[]> list, int payloadBytes, long version, Random rnd)
      throws IOException {
    return writeIndex(newDir(), list, payloadBytes, version, rnd);
  }

  private Path writeIndex(Path dir, TreeMap<byte[], byte[]> list, int payloadBytes, long version, Random rnd)
      throws IOException {
    List<List<byte[][]>> buckets = byBucket(list, rnd);
    List<Integer> order = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      order.add(b);
    }
    Collections.shuffle(order, rnd);
    List<BucketSummary> summaries = new ArrayList<>();
    for (int b : order) {
      List<byte[][]> recs = buckets.get(b);
      summaries.add(ListIndex.writeBucket(fs, dir, b, payloadBytes, pack(recs, payloadBytes), recs.size()));
    }
    ListIndex.writeManifest(fs, dir, version, payloadBytes, summaries, ATTRS);
    return dir;
  }

  /** Merges a delta into {@code from} (null: no copy yet), writing a new index. */
  private Path mergeIndex(
      Path from, Map<byte[], byte[]> added, List<byte[]> removed, int payloadBytes, long version, Random rnd)
      throws IOException {
    Path dir = newDir();
    List<List<byte[][]>> adds = byBucket(added, rnd);
    List<List<byte[]>> removes = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      removes.add(new ArrayList<>());
    }
    removed.forEach(t -> removes.get(t[0] & 0xff).add(t));
    List<BucketSummary> summaries = new ArrayList<>();
    for (int b = 255; b >= 0; b--) {
      List<byte[][]> a = adds.get(b);
      List<byte[]> r = removes.get(b);
      summaries.add(
          ListIndex.mergeBucket(
              fs, from, dir, b, payloadBytes, pack(a, payloadBytes), a.size(), packTags(r), r.size()));
    }
    ListIndex.writeManifest(fs, dir, version, payloadBytes, summaries, ATTRS);
    return dir;
  }

  /** A tag absent from {@code list} sharing the first two bytes with a present one. */
  private static byte[] neighbour(TreeMap<byte[], byte[]> list, byte[] present, Random rnd) {
    while (true) {
      byte[] t = randomTag(rnd);
      t[0] = present[0];
      t[1] = present[1];
      if (!list.containsKey(t)) {
        return t;
      }
    }
  }

  /** Every (or a sample of the) present tags, their neighbours and random absent tags. */
  private static void assertMatches(ListIndex index, TreeMap<byte[], byte[]> list, int payloadBytes, int sample)
      throws IOException {
    Random rnd = new Random(99);
    assertThat(index.records()).isEqualTo(list.size());
    assertThat(index.payloadBytes()).isEqualTo(payloadBytes);
    List<byte[]> present = new ArrayList<>(list.keySet());
    if (present.size() > sample) {
      Collections.shuffle(present, rnd);
      present = present.subList(0, sample);
    }
    List<byte[]> queries = new ArrayList<>();
    List<Optional<byte[]>> expected = new ArrayList<>();
    for (byte[] t : present) {
      queries.add(t);
      expected.add(Optional.of(list.get(t)));
      queries.add(neighbour(list, t, rnd));
      expected.add(Optional.empty());
    }
    for (int i = 0; i < Math.max(100, present.size()); i++) {
      byte[] t = randomTag(rnd);
      if (!list.containsKey(t)) {
        queries.add(t);
        expected.add(Optional.empty());
      }
    }
    for (int i = 0; i < queries.size(); i++) {
      Optional<byte[]> got = index.lookup(queries.get(i));
      assertThat(got.isPresent()).as("query %d", i).isEqualTo(expected.get(i).isPresent());
      got.ifPresent(p -> assertThat(p).hasSize(payloadBytes));
      if (got.isPresent()) {
        assertThat(got.get()).isEqualTo(expected.get(i).get());
      }
    }
    List<Optional<byte[]>> batch = index.lookupAll(queries);
    assertThat(batch).hasSize(queries.size());
    for (int i = 0; i < batch.size(); i++) {
      assertThat(batch.get(i).map(Arrays::toString)).isEqualTo(expected.get(i).map(Arrays::toString));
    }
  }

  // ------------------------------------------------------------ writing and lookups

  @ParameterizedTest(name = "{0} records, payloadBytes {1}")
  @CsvSource({"0,0", "0,24", "1,0", "1,24", "2,0", "2,24", "300,0", "5000,24"})
  void lookupsMatchTheOracle(int n, int payloadBytes) throws IOException {
    Random rnd = new Random(n * 31L + payloadBytes);
    TreeMap<byte[], byte[]> list = randomList(rnd, n, payloadBytes);
    Path dir = writeIndex(list, payloadBytes, 42, rnd);
    try (ListIndex index = ListIndex.open(fs, dir)) {
      assertThat(index.version()).isEqualTo(42);
      assertThat(index.attributes()).isEqualTo(ATTRS);
      assertThat(index.digest()).hasSize(64);
      assertMatches(index, list, payloadBytes, Integer.MAX_VALUE);
    }
  }

  @Test
  void twoHundredThousandRecords() throws IOException {
    Random rnd = new Random(200_000);
    TreeMap<byte[], byte[]> list = randomList(rnd, 200_000, 24);
    Path dir = writeIndex(list, 24, 1, rnd);
    try (ListIndex index = ListIndex.open(fs, dir)) {
      assertMatches(index, list, 24, 20_000);
    }
  }

  @Test
  void crowdedBucketsAndEdgeBytes() throws IOException {
    // Many tags share both leading bytes (one large fanout slice); others sit at byte values 00 and ff.
    Random rnd = new Random(5);
    TreeMap<byte[], byte[]> list = oracle();
    for (int i = 0; i < 3000; i++) {
      byte[] t = randomTag(rnd);
      switch (i % 4) {
        case 0 -> {
          t[0] = 0x42;
          t[1] = 0x17;
        }
        case 1 -> {
          t[0] = 0;
          t[1] = 0;
        }
        case 2 -> {
          t[0] = (byte) 0xff;
          t[1] = (byte) 0xff;
        }
        default -> t[0] = (byte) 0x80;
      }
      list.put(t, new byte[] {(byte) i, (byte) (i >> 8), 3});
    }
    Path dir = writeIndex(list, 3, 9, rnd);
    try (ListIndex index = ListIndex.open(fs, dir)) {
      assertMatches(index, list, 3, Integer.MAX_VALUE);
    }
  }

  @Test
  void digestDependsOnTheRecordsOnly() throws IOException {
    Random rnd = new Random(11);
    TreeMap<byte[], byte[]> list = randomList(rnd, 2000, 24);
    Path a = writeIndex(list, 24, 1, new Random(1));
    Path b = writeIndex(list, 24, 2, new Random(2));
    list.firstEntry().getValue()[0] ^= 1;
    Path c = writeIndex(list, 24, 1, new Random(1));
    try (ListIndex ia = ListIndex.open(fs, a);
        ListIndex ib = ListIndex.open(fs, b);
        ListIndex ic = ListIndex.open(fs, c)) {
      assertThat(ia.digest()).isEqualTo(ib.digest());
      assertThat(ic.digest()).isNotEqualTo(ia.digest());
    }
  }

  @Test
  void aLookupIsAtMostOnePositionalReadOfOneFanoutSlice() throws IOException {
    Random rnd = new Random(13);
    TreeMap<byte[], byte[]> list = randomList(rnd, 5000, 24);
    Path dir = writeIndex(list, 24, 1, rnd);
    long[] reads = {0, 0}; // count, bytes
    FileSystem counting =
        new FilterFileSystem(fs) {
          @Override
          public FSDataInputStream open(Path f, int bufferSize) throws IOException {
            FSDataInputStream inner = super.open(f, bufferSize);
            return new FSDataInputStream(inner) {
              @Override
              public void readFully(long position, byte[] buffer, int offset, int length) throws IOException {
                reads[0]++;
                reads[1] += length;
                inner.readFully(position, buffer, offset, length);
              }

              @Override
              public void readFully(long position, byte[] buffer) throws IOException {
                readFully(position, buffer, 0, buffer.length);
              }

              @Override
              public int read(long position, byte[] buffer, int offset, int length) {
                throw new AssertionError("lookups use readFully");
              }
            };
          }
        };
    try (ListIndex index = ListIndex.open(counting, dir)) {
      reads[0] = 0;
      reads[1] = 0;
      List<byte[]> present = new ArrayList<>(list.keySet()).subList(0, 200);
      for (byte[] t : present) {
        assertThat(index.lookup(t)).isPresent();
      }
      assertThat(reads[0]).isEqualTo(200);
      // 5000 records over 65536 slices: a slice holds a record or two, so 200 reads stay small.
      assertThat(reads[1]).isLessThan(200L * 6 * 40);
      byte[] lonely = new byte[16]; // a (first, second) byte pair with no records: no read at all
      for (int p = 0; p < 65536; p++) {
        lonely[0] = (byte) (p >> 8);
        lonely[1] = (byte) p;
        byte[] from = lonely.clone();
        byte[] to = lonely.clone();
        Arrays.fill(to, 2, 16, (byte) 0xff);
        if (list.subMap(from, true, to, true).isEmpty()) {
          break;
        }
      }
      reads[0] = 0;
      assertThat(index.lookup(lonely)).isEmpty();
      assertThat(reads[0]).isZero();
    }
  }

  // ------------------------------------------------------------ merging

  @ParameterizedTest(name = "payloadBytes {0}")
  @CsvSource({"0", "24"})
  void mergeAppliesAddsRemovesAndReplacements(int payloadBytes) throws IOException {
    Random rnd = new Random(77 + payloadBytes);
    TreeMap<byte[], byte[]> list = randomList(rnd, 5000, payloadBytes);
    Path v1 = writeIndex(list, payloadBytes, 1, rnd);

    List<byte[]> existing = new ArrayList<>(list.keySet());
    Collections.shuffle(existing, rnd);
    TreeMap<byte[], byte[]> added = randomList(rnd, 500, payloadBytes); // new tags (random: absent)
    for (byte[] t : existing.subList(0, 300)) { // replacements
      byte[] p = new byte[payloadBytes];
      rnd.nextBytes(p);
      added.put(t, p);
    }
    List<byte[]> removed = new ArrayList<>(existing.subList(300, 700)); // present
    for (int i = 0; i < 100; i++) {
      removed.add(randomTag(rnd)); // absent: ignored
    }
    removed.add(existing.get(0)); // removed and re-added: the added record wins
    removed.add(existing.get(300)); // removed twice

    TreeMap<byte[], byte[]> expected = oracle();
    expected.putAll(list);
    removed.forEach(expected::remove);
    expected.putAll(added);

    Path v2 = mergeIndex(v1, added, removed, payloadBytes, 2, rnd);
    Path full = writeIndex(expected, payloadBytes, 2, rnd);
    try (ListIndex merged = ListIndex.open(fs, v2);
        ListIndex written = ListIndex.open(fs, full);
        ListIndex old = ListIndex.open(fs, v1)) {
      assertThat(merged.version()).isEqualTo(2);
      assertMatches(merged, expected, payloadBytes, Integer.MAX_VALUE);
      assertThat(merged.digest()).isEqualTo(written.digest()).isNotEqualTo(old.digest());
      assertMatches(old, list, payloadBytes, 500); // the old index is untouched
    }
  }

  @Test
  void firstDownloadIsAMergeIntoNothing() throws IOException {
    Random rnd = new Random(3);
    TreeMap<byte[], byte[]> list = randomList(rnd, 3000, 24);
    Path merged = mergeIndex(null, list, List.of(randomTag(rnd)), 24, 5, rnd);
    Path written = writeIndex(list, 24, 5, rnd);
    try (ListIndex m = ListIndex.open(fs, merged);
        ListIndex w = ListIndex.open(fs, written)) {
      assertMatches(m, list, 24, Integer.MAX_VALUE);
      assertThat(m.digest()).isEqualTo(w.digest());
    }
    // Removing everything leaves an empty, valid index.
    Path emptied = mergeIndex(merged, Map.of(), new ArrayList<>(list.keySet()), 24, 6, rnd);
    try (ListIndex e = ListIndex.open(fs, emptied)) {
      assertMatches(e, oracle(), 24, 10);
    }
  }

  @Test
  void mergeRefusesToWorkInPlace() throws IOException {
    Path dir = writeIndex(oracle(), 0, 1, new Random(1));
    assertThatThrownBy(() -> ListIndex.mergeBucket(fs, dir, dir, 0, 0, new byte[0], 0, new byte[0], 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("in place");
  }

  // ------------------------------------------------------------ bad input

  @Test
  void duplicateTagsAreRejectedNamingTheBucket() {
    byte[] tag = new byte[16];
    tag[0] = 0x2a;
    byte[] twice = new byte[64];
    System.arraycopy(tag, 0, twice, 0, 16);
    System.arraycopy(tag, 0, twice, 32, 16);
    twice[16] = 1; // different payloads, same tag
    Path dir = newDir();
    assertThatThrownBy(() -> ListIndex.writeBucket(fs, dir, 0x2a, 16, twice, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bucket 2a")
        .hasMessageContaining("same tag");
    assertThatThrownBy(() -> ListIndex.mergeBucket(fs, null, dir, 0x2a, 16, twice, 2, new byte[0], 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bucket 2a");
  }

  @Test
  void tagsOfAnotherBucketAreRejected() {
    byte[] rec = new byte[16];
    rec[0] = 1;
    assertThatThrownBy(() -> ListIndex.writeBucket(fs, newDir(), 2, 0, rec, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bucket 02")
        .hasMessageContaining("another bucket");
    assertThatThrownBy(() -> ListIndex.writeBucket(fs, newDir(), 1, 0, rec, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("do not fit");
  }

  @Test
  void manifestNeedsEveryBucket() throws IOException {
    Path dir = newDir();
    List<BucketSummary> summaries = new ArrayList<>();
    for (int b = 0; b < 255; b++) {
      summaries.add(ListIndex.writeBucket(fs, dir, b, 0, new byte[0], 0));
    }
    assertThatThrownBy(() -> ListIndex.writeManifest(fs, dir, 1, 0, summaries, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bucket ff has no summary");
    summaries.add(new BucketSummary(255, 0, summaries.get(0).digest()));
    assertThatThrownBy(() -> ListIndex.writeManifest(fs, dir, 1, 0, summaries, Map.of()))
        .isInstanceOf(CorruptListIndexException.class)
        .hasMessageContaining("bucket-ff.bin is missing");
    assertThat(ListIndex.exists(fs, dir)).isFalse();
  }

  @Test
  void lookupChecksTagsAndState() throws IOException {
    ListIndex index = ListIndex.open(fs, writeIndex(oracle(), 0, 1, new Random(1)));
    assertThatThrownBy(() -> index.lookup(new byte[15])).isInstanceOf(IllegalArgumentException.class);
    index.close();
    index.close();
    assertThatThrownBy(() -> index.lookup(new byte[16])).isInstanceOf(IllegalStateException.class);
  }

  // ------------------------------------------------------------ corrupt indexes

  /** Rewrites a file through the Hadoop file system (so its checksum file follows). */
  private void rewrite(Path file, UnaryOperator<byte[]> change) throws IOException {
    byte[] bytes;
    try (InputStream in = fs.open(file)) {
      bytes = in.readAllBytes();
    }
    try (OutputStream out = fs.create(file, true)) {
      out.write(change.apply(bytes));
    }
  }

  /**
   * An index of 2,000 records with payloadBytes 24, the same for every test of the class (written
   * once): a test damages it only through {@link #damaging}, which puts it back.
   */
  private Path smallIndex() throws IOException {
    if (small == null) {
      Random rnd = new Random(8);
      small = writeIndex(new Path(shared.toUri()), randomList(rnd, 2000, 24), 24, 1, rnd);
    }
    return small;
  }

  private interface Damage {
    void apply(Path dir) throws IOException;
  }

  /** Runs {@code damage} on {@link #smallIndex()}, then puts back {@code files} (of that index) as they were. */
  private void damaging(List<String> files, Damage damage) throws IOException {
    Path dir = smallIndex();
    Map<String, byte[]> saved = new HashMap<>();
    for (String f : files) {
      try (InputStream in = fs.open(new Path(dir, f))) {
        saved.put(f, in.readAllBytes());
      }
    }
    try {
      damage.apply(dir);
    } finally {
      for (String f : files) {
        try (OutputStream out = fs.create(new Path(dir, f), true)) {
          out.write(saved.get(f));
        }
      }
    }
  }

  private void assertCorrupt(Path dir, String file, String problem) {
    assertThatThrownBy(() -> ListIndex.open(fs, dir))
        .isInstanceOf(CorruptListIndexException.class)
        .hasMessageContaining(file)
        .hasMessageContaining(problem);
  }

  @Test
  void missingBucketFile() throws IOException {
    damaging(List.of("bucket-07.bin"), dir -> {
      fs.delete(new Path(dir, "bucket-07.bin"), false);
      assertCorrupt(dir, "bucket-07.bin", "missing");
    });
  }

  @Test
  void truncatedBucketFile() throws IOException {
    damaging(List.of("bucket-10.bin"), dir -> {
      rewrite(new Path(dir, "bucket-10.bin"), b -> Arrays.copyOf(b, b.length - 7));
      assertCorrupt(dir, "bucket-10.bin", "truncated");
      rewrite(new Path(dir, "bucket-10.bin"), b -> Arrays.copyOf(b, 100));
      assertCorrupt(dir, "bucket-10.bin", "truncated");
    });
  }

  @Test
  void wrongMagic() throws IOException {
    damaging(List.of("bucket-20.bin"), dir -> {
      rewrite(new Path(dir, "bucket-20.bin"), b -> {
        b[0] = 'X';
        return b;
      });
      assertCorrupt(dir, "bucket-20.bin", "magic");
    });
  }

  @Test
  void wrongRecordSize() throws IOException {
    Path dir = writeIndex(oracle(), 24, 1, new Random(1)); // all buckets empty: lengths agree
    ListIndex.writeBucket(fs, dir, 0x33, 8, new byte[0], 0);
    assertCorrupt(dir, "bucket-33.bin", "records of 24 bytes (payloadBytes 8), expected 40");
  }

  @Test
  void bucketOfAnotherIndex() throws IOException {
    // Same record count in bucket 40, one payload differs: only the digests tell the files apart.
    Random rnd = new Random(8);
    TreeMap<byte[], byte[]> list = randomList(rnd, 2000, 24);
    list.put(new byte[] {0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, new byte[24]);
    Path a = writeIndex(list, 24, 1, rnd);
    list.put(new byte[] {0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, new byte[24]);
    list.get(new byte[] {0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})[0] = 1;
    Path b = writeIndex(list, 24, 1, rnd);
    fs.delete(new Path(a, "bucket-40.bin"), false);
    fs.rename(new Path(b, "bucket-40.bin"), new Path(a, "bucket-40.bin"));
    assertCorrupt(a, "bucket-40.bin", "another digest");

    damaging(List.of("bucket-41.bin"), dir -> {
      rewrite(new Path(dir, "bucket-41.bin"), bytes -> {
        bytes[20] ^= 1; // the header's digest
        return bytes;
      });
      assertCorrupt(dir, "bucket-41.bin", "another digest");
    });
  }

  @Test
  void countsThatDoNotAddUp() throws IOException {
    damaging(List.of("manifest.json"), dir -> {
      rewrite(new Path(dir, "manifest.json"), b -> new String(b, StandardCharsets.UTF_8)
          .replaceFirst("\"records\" : 2000", "\"records\" : 2001")
          .getBytes(StandardCharsets.UTF_8));
      assertCorrupt(dir, "manifest.json", "add up to 2000");
    });
  }

  @Test
  void wrongManifest() throws IOException {
    damaging(List.of("manifest.json"), dir -> {
      Path manifest = new Path(dir, "manifest.json");
      byte[] good;
      try (InputStream in = fs.open(manifest)) {
        good = in.readAllBytes();
      }
      String json = new String(good, StandardCharsets.UTF_8);
      rewrite(manifest, b -> json.replace("veil-blacklist-index/v1", "veil-blacklist-index/v9")
          .getBytes(StandardCharsets.UTF_8));
      assertCorrupt(dir, "manifest.json", "format");
      rewrite(manifest, b -> json.substring(0, json.length() / 2).getBytes(StandardCharsets.UTF_8));
      assertCorrupt(dir, "manifest.json", "not valid JSON");
      rewrite(manifest, b -> json.replaceFirst("\"digest\" : \"[0-9a-f]", "\"digest\" : \"x")
          .getBytes(StandardCharsets.UTF_8));
      assertCorrupt(dir, "manifest.json", "digest");
      rewrite(manifest, b -> json.replaceFirst("\"payloadBytes\" : 24", "\"payloadBytes\" : 8")
          .getBytes(StandardCharsets.UTF_8));
      assertCorrupt(dir, "bucket-00.bin", "expected");
      fs.delete(manifest, false);
      assertCorrupt(dir, "manifest.json", "missing");
    });
  }

  @Test
  void mergeFromACorruptBucketFails() throws IOException {
    damaging(List.of("bucket-05.bin"), dir -> {
      rewrite(new Path(dir, "bucket-05.bin"), b -> Arrays.copyOf(b, b.length - 40));
      assertThatThrownBy(() -> ListIndex.mergeBucket(fs, dir, newDir(), 5, 24, new byte[0], 0, new byte[0], 0))
          .isInstanceOf(CorruptListIndexException.class)
          .hasMessageContaining("bucket-05.bin");
      assertThatThrownBy(() -> ListIndex.mergeBucket(fs, dir, newDir(), 6, 8, new byte[0], 0, new byte[0], 0))
          .isInstanceOf(CorruptListIndexException.class)
          .hasMessageContaining("bucket-06.bin")
          .hasMessageContaining("payloadBytes");
    });
  }
}
