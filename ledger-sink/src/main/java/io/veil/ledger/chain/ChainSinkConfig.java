package io.veil.ledger.chain;

import io.veil.InvalidInputException;

/**
 * How a {@link ChainSink} batches and retries. Immutable; start from {@link #defaults()}.
 *
 * @param maxBatchReceipts receipts under one Merkle root, one transaction per batch (default 1: one
 *     transaction per job)
 * @param maxBatchWaitMs how long the oldest pending receipt waits for others before a partial batch
 *     is sent (default 2000)
 * @param retryInitialMs the first wait after the chain failed (default 500); doubled on each failure
 * @param retryMaxMs the cap of that wait (default 60000)
 */
public record ChainSinkConfig(int maxBatchReceipts, long maxBatchWaitMs, long retryInitialMs, long retryMaxMs) {
  public ChainSinkConfig {
    if (maxBatchReceipts < 1) {
      throw invalid("maxBatchReceipts", maxBatchReceipts, "Give 1 (one transaction per job) or more");
    }
    if (maxBatchWaitMs < 0) {
      throw invalid("maxBatchWaitMs", maxBatchWaitMs, "Give 0 (send at once) or more milliseconds");
    }
    if (retryInitialMs < 1 || retryMaxMs < retryInitialMs) {
      throw invalid("retryInitialMs/retryMaxMs", retryInitialMs + "/" + retryMaxMs,
          "Give a positive initial wait and a cap at least as large");
    }
  }

  public static ChainSinkConfig defaults() {
    return new ChainSinkConfig(1, 2_000, 500, 60_000);
  }

  public ChainSinkConfig withMaxBatchReceipts(int receipts) {
    return new ChainSinkConfig(receipts, maxBatchWaitMs, retryInitialMs, retryMaxMs);
  }

  public ChainSinkConfig withMaxBatchWaitMs(long waitMs) {
    return new ChainSinkConfig(maxBatchReceipts, waitMs, retryInitialMs, retryMaxMs);
  }

  public ChainSinkConfig withRetry(long initialMs, long maxMs) {
    return new ChainSinkConfig(maxBatchReceipts, maxBatchWaitMs, initialMs, maxMs);
  }

  private static InvalidInputException invalid(String field, Object value, String fix) {
    return new InvalidInputException("Cannot configure the chain sink: " + field + " is " + value + ". " + fix + ".");
  }
}
