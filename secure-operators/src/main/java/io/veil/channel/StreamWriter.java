package io.veil.channel;

/** Appends records to one partition of a data stream. Not thread-safe. */
public interface StreamWriter extends AutoCloseable {

  /** Queues one record (a framed batch). May return before the record is durable. */
  void write(byte[] record);

  /** Blocks until every record written so far is durable; throws if any failed. */
  void flush();

  /** Flushes and releases resources. */
  @Override
  void close();
}
