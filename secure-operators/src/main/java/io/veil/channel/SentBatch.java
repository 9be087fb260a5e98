package io.veil.channel;

import java.io.Serializable;

/**
 * A batch this party wrote, as remembered after the write: position, size, digest of the framed
 * record, and optionally what each element stands for locally (PSI: the normalised key of each
 * blinded element, for mapping answers back) or the elements themselves, packed ({@link Locals}).
 *
 * <p>A plain class rather than a record: Spark 3.5's Kryo cannot serialise Java records, and these
 * travel through shuffles and the block manager.
 */
public final class SentBatch implements Serializable {
  private static final long serialVersionUID = 1L;
  private int partition;
  private int seq;
  private int count;
  private byte[] digest;
  private Locals locals;

  /** For Kryo. */
  SentBatch() {}

  public SentBatch(int partition, int seq, int count, byte[] digest, Locals locals) {
    this.partition = partition;
    this.seq = seq;
    this.count = count;
    this.digest = digest;
    this.locals = locals;
  }

  public int partition() {
    return partition;
  }

  public int seq() {
    return seq;
  }

  public int count() {
    return count;
  }

  public byte[] digest() {
    return digest;
  }

  /** What each element stands for at this party, or null when they were not kept. */
  public Locals locals() {
    return locals;
  }
}
