package io.veil.ledger.chain;

import io.veil.InvalidInputException;

/**
 * Usage of a data asset as the ledger contract counts it ({@code usageOf}, {@code usageBy}), or a
 * quota of the same shape ({@link UsageQuota}).
 *
 * @param jobs jobs recorded
 * @param rows rows read from the asset
 * @param queries queries answered from the asset
 */
public record AssetUsage(long jobs, long rows, long queries) {
  /** No usage. */
  public static final AssetUsage NONE = new AssetUsage(0, 0, 0);

  public AssetUsage {
    if (jobs < 0 || rows < 0 || queries < 0) {
      throw new InvalidInputException("Cannot use usage figures " + jobs + "/" + rows + "/" + queries
          + ": they must not be negative. Give counts of 0 or more.");
    }
  }

  /** {@code jobs N, rows N, queries N}. */
  public String describe() {
    return "jobs " + jobs + ", rows " + rows + ", queries " + queries;
  }
}
