package io.veil.blacklist.internal;

import io.veil.VeilException;

/**
 * A stored {@link ListIndex} (its manifest or a bucket file) is missing, truncated or does not match
 * what the format or the manifest says. Callers branch on it: the local copy cannot be trusted, so
 * the querier discards it and downloads the full list again. The message names the file and what is
 * wrong, never a tag or a payload.
 */
public class CorruptListIndexException extends VeilException {
  private static final long serialVersionUID = 1L;

  /** An exception whose message names the file and the problem. */
  public CorruptListIndexException(String message) {
    super(message);
  }

  /** As {@link #CorruptListIndexException(String)}, keeping the underlying parse or I/O error. */
  public CorruptListIndexException(String message, Throwable cause) {
    super(message, cause);
  }
}
