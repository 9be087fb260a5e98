package io.veil.channel;

import java.io.Serializable;
import java.util.Collection;

/**
 * Byte transport between parties: a control log per job (driver to driver) and partitioned data
 * streams (executor to executor).
 *
 * <p>A {@code Channel} is a small serializable description (for example bootstrap servers and
 * client properties). The driver uses it for the control log and to create streams; Spark ships it
 * to executors, which open writers and readers inside tasks. It must never hold key material:
 * secrets needed to reach the transport (SASL passwords, TLS keystores) are referenced by path and
 * resolved where they are used.
 *
 * <p>The transport only moves bytes. Framing, job binding, signatures and duplicate removal are
 * done above it ({@link BatchCodec}, {@link ControlLog}), so a transport never needs to be trusted.
 *
 * <p>Names: streams and control logs are named by the caller with characters
 * {@code [A-Za-z0-9._-]}; a transport maps them 1:1 onto its own namespace (Kafka: topic names).
 */
public interface Channel extends Serializable {

  /** Opens (creating if needed) the append-only control log {@code name}, read from its start. */
  ControlTransport openControl(String name);

  /**
   * Makes sure each named stream exists with exactly {@code partitions} partitions. Idempotent:
   * both parties may call it for the same names. Called on the driver.
   */
  void createStreams(Collection<String> streams, int partitions);

  /** Opens a writer for one partition of a stream. Called inside an executor task. */
  StreamWriter openWriter(String stream, int partition);

  /**
   * Opens a reader over the records present in one partition of a stream when it is opened.
   * Called inside an executor task, only after the sender announced that the round is complete.
   * Its records are read lazily: a caller that stops early reads no further.
   */
  StreamReader openReader(String stream, int partition);

  /**
   * Opens a follower on one partition of a stream: it returns every record of the partition in
   * append order, starting at the partition's first record, and waits for records written after it
   * was opened. Called inside an executor task, for interactive exchanges where each side waits for
   * the other's next record. A follower never skips or reorders records; what the records mean
   * (framing, duplicates of a retried task) is checked above the channel, as for readers.
   */
  StreamFollower openFollower(String stream, int partition);

  /**
   * Largest record, in bytes, this channel's writers accept. Readers ({@link PeerStream}) refuse a
   * larger record from a peer without decoding it. Unbounded unless the transport has a limit.
   */
  default int maxRecordBytes() {
    return Integer.MAX_VALUE;
  }

  /** Short human-readable description for logs and errors (no secrets). */
  String describe();
}
