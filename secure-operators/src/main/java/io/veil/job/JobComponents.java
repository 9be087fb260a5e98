package io.veil.job;

import io.veil.channel.Channel;
import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import java.util.List;
import java.util.Optional;

/**
 * A module's contribution to a job built from configuration alone ({@link VeilJobs#run(
 * org.apache.spark.sql.SparkSession, VeilConf)}): spark-connectors gives the input reader and the
 * Kafka channel, ledger-sink the receipt ledger, its chain anchoring and the data-asset gate. Found
 * with {@link java.util.ServiceLoader} ({@code META-INF/services/io.veil.job.JobComponents}); what
 * a caller passes explicitly wins.
 */
public interface JobComponents {
  /** The reader of party inputs this module provides, configured from {@code conf}. */
  default Optional<InputReader> inputReader(VeilConf conf) {
    return Optional.empty();
  }

  /** The channel this module provides, if {@code conf} configures one. */
  default Optional<Channel> channel(VeilConf conf) {
    return Optional.empty();
  }

  /** The receipt sink this module provides for {@code party}. */
  default Optional<ReceiptSink> receipts(VeilConf conf, String party) {
    return Optional.empty();
  }

  /** Checks this module adds before a party reads its input. */
  default List<JobGate> gates(VeilConf conf) {
    return List.of();
  }

  /** This module's settings, for the configuration reference. */
  default List<ConfigKey<?>> settings() {
    return List.of();
  }
}
