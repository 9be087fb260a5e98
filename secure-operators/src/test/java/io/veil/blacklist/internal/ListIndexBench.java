package io.veil.blacklist.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a {@link ListIndex} of {@code --records} records (default 10,000,000; payloadBytes 24) to
 * a temporary directory on the local Hadoop file system, single-threaded, and prints the write
 * time, the size on disk, the time to open it and look up 1,000 random tags (half present) with a
 * freshly opened index, and the time of one lookup on a warm index. Deletes the directory after.
 *
 * <pre>
 * mvn -o -q -pl secure-operators test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -cp secure-operators/target/classes:secure-operators/target/test-classes:$(cat /tmp/cp.txt) \
 *     io.veil.blacklist.internal.ListIndexBench [--records N] [--dir PATH]
 * </pre>
 */
public final class ListIndexBench {
  private static final int PAYLOAD_BYTES = 24;
  private static final int LOOKUPS = 1000;

  private ListIndexBench() {}

  /** Runs the benchmark; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException {
    long records = 10_000_000;
    String base = System.getProperty("java.io.tmpdir");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--records") && i + 1 < args.length) {
        records = Long.parseLong(args[++i]);
      } else if (args[i].equals("--dir") && i + 1 < args.length) {
        base = args[++i];
      } else {
        System.err.println("usage: ListIndexBench [--records N] [--dir PATH]");
        System.exit(2);
      }
    }
    LocalFileSystem fs = FileSystem.getLocal(new Configuration());
    Path dir = new Path(new Path(base), "list-index-bench-" + System.nanoTime());
    try {
      run(fs, dir, records);
    } finally {
      fs.delete(dir, true);
    }
  }

  private static void run(LocalFileSystem fs, Path dir, long records) throws IOException {
    int stride = 16 + PAYLOAD_BYTES;
    SplittableRandom rnd = new SplittableRandom(1);
    List<byte[]> present = new ArrayList<>();
    List<BucketSummary> summaries = new ArrayList<>();
    long t0 = System.nanoTime();
    long generateNs = 0;
    for (int b = 0; b < ListIndex.BUCKETS; b++) {
      long g = System.nanoTime();
      int count = (int) (records / 256 + (b < records % 256 ? 1 : 0));
      byte[] packed = new byte[count * stride];
      rnd.nextBytes(packed);
      for (int i = 0; i < count; i++) {
        packed[i * stride] = (byte) b;
      }
      // Random 15-byte tails collide with probability ~ count^2 / 2^121: not worth a check.
      for (int i = 0; i < 2; i++) {
        if (count > 0) {
          byte[] tag = new byte[16];
          System.arraycopy(packed, rnd.nextInt(count) * stride, tag, 0, 16);
          present.add(tag);
        }
      }
      generateNs += System.nanoTime() - g;
      summaries.add(ListIndex.writeBucket(fs, dir, b, PAYLOAD_BYTES, packed, count));
    }
    ListIndex.writeManifest(fs, dir, 1, PAYLOAD_BYTES, summaries, Map.of("list", "bench"));
    long writeNs = System.nanoTime() - t0 - generateNs;

    long bytes = fs.getContentSummary(dir).getLength();
    long crcBytes = 0;
    for (var s : fs.getRawFileSystem().listStatus(dir)) {
      if (s.getPath().getName().endsWith(".crc")) {
        crcBytes += s.getLen();
      }
    }

    Random pick = new Random(2);
    Collections.shuffle(present, pick);
    List<byte[]> queries = new ArrayList<>(present.subList(0, Math.min(LOOKUPS / 2, present.size())));
    while (queries.size() < LOOKUPS) {
      byte[] t = new byte[16];
      pick.nextBytes(t);
      queries.add(t);
    }
    Collections.shuffle(queries, pick);

    System.out.printf(
        Locale.ROOT,
        "records %,d, payloadBytes %d%n"
            + "write (sort + write 256 buckets + manifest, excluding generation): %.2f s (generation %.2f s)%n"
            + "index size on disk: %,d bytes (%.1f MB) + %,d bytes of local .crc files%n",
        records,
        PAYLOAD_BYTES,
        writeNs / 1e9,
        generateNs / 1e9,
        bytes,
        bytes / 1e6,
        crcBytes);
    lookups("file:// (LocalFileSystem, checksummed)", fs, dir, queries);
    lookups("RawLocalFileSystem (no checksums)", fs.getRawFileSystem(), dir, queries);
  }

  private static void lookups(String label, FileSystem fs, Path dir, List<byte[]> queries) throws IOException {
    long o = System.nanoTime();
    int found = 0;
    try (ListIndex index = ListIndex.open(fs, dir)) {
      long openNs = System.nanoTime() - o;
      long l = System.nanoTime();
      for (byte[] q : queries) {
        if (index.lookup(q).isPresent()) {
          found++;
        }
      }
      long lookupNs = System.nanoTime() - l;
      // One lookup on the now warm index: median and p99 of 1,001 repetitions over the query set.
      long[] one = new long[1001];
      for (int i = 0; i < one.length; i++) {
        byte[] q = queries.get(i % queries.size());
        long s = System.nanoTime();
        index.lookup(q);
        one[i] = System.nanoTime() - s;
      }
      Arrays.sort(one);
      System.out.printf(
          Locale.ROOT,
          "%s:%n"
              + "  open (manifest + 256 headers/fanouts): %.1f ms%n"
              + "  %,d lookups on the freshly opened index (%d found): %.1f ms (%.1f us each)%n"
              + "  one lookup, warm index: median %.1f us, p99 %.1f us%n",
          label,
          openNs / 1e6,
          queries.size(),
          found,
          lookupNs / 1e6,
          lookupNs / 1e3 / queries.size(),
          one[one.length / 2] / 1e3,
          one[one.length * 99 / 100] / 1e3);
    }
  }
}
