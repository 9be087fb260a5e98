package io.veil.channel;

import java.util.Iterator;

/**
 * Reads the records of one partition of a data stream that were present when it was opened, in
 * append order, then ends. Not thread-safe.
 */
public interface StreamReader extends AutoCloseable {

  /** The records; may be called once. */
  Iterator<byte[]> records();

  @Override
  void close();
}
