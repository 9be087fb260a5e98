package io.veil.channel;

import java.util.List;

/** An append-only, totally ordered log of small messages shared by all parties of a job. */
public interface ControlTransport extends AutoCloseable {

  /** Appends a message; returns once the transport has durably accepted it. */
  void send(byte[] message);

  /**
   * Returns the messages appended since the previous call (from the start of the log on the first
   * call), in log order, waiting up to {@code maxWaitMs} for at least one. Returns an empty list
   * when nothing arrived in time. Includes this party's own messages.
   */
  List<byte[]> poll(long maxWaitMs);

  @Override
  void close();
}
