package io.veil.testing;

import io.veil.channel.Channel;
import io.veil.channel.memory.InMemoryChannel;
import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import io.veil.job.JobComponents;
import io.veil.job.JobRecord;
import io.veil.job.ReceiptSink;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test module for jobs built from settings alone (the SQL functions): with {@code
 * veil.test.memory-channel} set, the channel is the {@link InMemoryChannel} of that name and receipts
 * are kept in memory ({@link #receipts}). Without it, it contributes nothing.
 */
public final class MemoryComponents implements JobComponents {
  public static final ConfigKey<String> CHANNEL = ConfigKey.string("veil.test.memory-channel",
      "tests: the in-memory channel to use");
  private static final Map<String, List<JobRecord>> RECEIPTS = new ConcurrentHashMap<>();

  @Override
  public Optional<Channel> channel(VeilConf conf) {
    return conf.get(CHANNEL).map(InMemoryChannel::new);
  }

  @Override
  public Optional<ReceiptSink> receipts(VeilConf conf, String party) {
    return conf.get(CHANNEL).map(c -> new JobHarness.MemorySink(receipts(c, party), false));
  }

  /** The receipts {@code party} recorded on channel {@code channel}. */
  public static List<JobRecord> receipts(String channel, String party) {
    return RECEIPTS.computeIfAbsent(channel + "/" + party, k -> Collections.synchronizedList(new ArrayList<>()));
  }
}
