package io.veil.blacklist.internal;

import java.io.Serializable;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * What writing one bucket file of a {@link ListIndex} produced: the bucket number, its record count
 * and its content digest (SHA-256 over its records in tag order). Bucket files are written by
 * independent tasks; the caller collects the 256 summaries and passes them to {@link
 * ListIndex#writeManifest}, which records them. Immutable and {@link Serializable}, so a Spark task
 * can return it to the driver.
 */
public final class BucketSummary implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int bucket;
  private final int records;
  private final byte[] digest;

  /**
   * A summary as read back from a bucket header or a manifest.
   *
   * @throws IllegalArgumentException if {@code bucket} is not in [0, 255], {@code records} is
   *     negative or {@code digest} is not 32 bytes
   */
  public BucketSummary(int bucket, int records, byte[] digest) {
    if (bucket < 0 || bucket >= ListIndex.BUCKETS) {
      throw new IllegalArgumentException("bucket must be in [0, 255], was " + bucket);
    }
    if (records < 0) {
      throw new IllegalArgumentException("records must be >= 0, was " + records);
    }
    if (digest == null || digest.length != BucketFormat.DIGEST_BYTES) {
      throw new IllegalArgumentException("digest must be 32 bytes (SHA-256)");
    }
    this.bucket = bucket;
    this.records = records;
    this.digest = digest.clone();
  }

  /** The bucket number: the first byte of every tag in it, in [0, 255]. */
  public int bucket() {
    return bucket;
  }

  /** The number of records in the bucket file. */
  public int records() {
    return records;
  }

  /** SHA-256 over the bucket's records (tag then payload, each record) in unsigned tag order. */
  public byte[] digest() {
    return digest.clone();
  }

  /** {@link #digest()} in lower-case hex. */
  public String digestHex() {
    return HexFormat.of().formatHex(digest);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BucketSummary s
        && s.bucket == bucket
        && s.records == records
        && Arrays.equals(s.digest, digest);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * bucket + records) + Arrays.hashCode(digest);
  }

  @Override
  public String toString() {
    return "BucketSummary[bucket=" + bucket + ", records=" + records + ", digest=" + digestHex() + "]";
  }
}
