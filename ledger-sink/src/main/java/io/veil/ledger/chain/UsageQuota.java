package io.veil.ledger.chain;

import io.veil.InvalidInputException;

/**
 * The quota that applies to a consumer of a data asset ({@code quotaOf}): the most jobs, rows read
 * and queries answered it may use. A figure of 0 is unlimited.
 *
 * @param maxJobs the most jobs, 0 for no limit
 * @param maxRows the most rows read, 0 for no limit
 * @param maxQueries the most queries answered, 0 for no limit
 * @param own true if the consumer has its own quota, false if the asset's default (consumer 0x0) applies
 */
public record UsageQuota(long maxJobs, long maxRows, long maxQueries, boolean own) {
  public UsageQuota {
    if (maxJobs < 0 || maxRows < 0 || maxQueries < 0) {
      throw new InvalidInputException("Cannot use quota " + maxJobs + "/" + maxRows + "/" + maxQueries
          + ": its figures must not be negative. Give 0 (no limit) or more.");
    }
  }

  /** True if no figure is limited. */
  public boolean unlimited() {
    return maxJobs == 0 && maxRows == 0 && maxQueries == 0;
  }

  /** True once {@code used} reaches a limited figure, as the contract's {@code quotaSpent} decides. */
  public boolean spentBy(AssetUsage used) {
    return (maxJobs != 0 && used.jobs() >= maxJobs) || (maxRows != 0 && used.rows() >= maxRows)
        || (maxQueries != 0 && used.queries() >= maxQueries);
  }

  /** {@code jobs N, rows N, queries N} with {@code unlimited} for 0, and whose quota it is. */
  public String describe() {
    return "jobs " + limit(maxJobs) + ", rows " + limit(maxRows) + ", queries " + limit(maxQueries)
        + (own ? "" : " (the asset's default)");
  }

  private static String limit(long max) {
    return max == 0 ? "unlimited" : Long.toString(max);
  }
}
