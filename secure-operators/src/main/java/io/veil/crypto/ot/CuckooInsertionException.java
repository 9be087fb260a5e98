package io.veil.crypto.ot;

import io.veil.VeilException;

/**
 * A {@link CuckooHash} could not place every item: the random walk exceeded its eviction bound.
 * Callers branch on it to retry with a fresh hash seed (agreed with the peer) or a larger table.
 * The message names the sizes, never an item.
 */
public final class CuckooInsertionException extends VeilException {
  private static final long serialVersionUID = 1L;
  private final int items;
  private final int bins;

  CuckooInsertionException(int items, int bins, int maxEvictions) {
    super(
        "Cannot build the cuckoo table of " + bins + " bins for " + items + " items: an item found no free bin "
            + "after " + maxEvictions + " evictions. Retry with a new hash seed (this happens with probability "
            + "about 2^-40 at CuckooHash.binCount(n) bins), or use more bins; check that the items are distinct.");
    this.items = items;
    this.bins = bins;
  }

  /** Number of items the table was built for. */
  public int items() {
    return items;
  }

  /** Number of bins of the table that failed. */
  public int bins() {
    return bins;
  }
}
