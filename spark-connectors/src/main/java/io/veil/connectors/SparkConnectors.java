package io.veil.connectors;

import io.veil.channel.Channel;
import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import io.veil.connectors.input.PartyInputs;
import io.veil.connectors.kafka.KafkaChannel;
import io.veil.job.InputReader;
import io.veil.job.JobComponents;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What spark-connectors gives a job built from settings: party inputs read with Spark's own readers
 * ({@link PartyInputs}) and the Kafka channel ({@code veil.channel.*}).
 */
public final class SparkConnectors implements JobComponents {
  @Override
  public Optional<InputReader> inputReader(VeilConf conf) {
    return Optional.of(PartyInputs.reader(new PartyInputs.Secrets(
        conf.get(ChannelConfig.JDBC_PASSWORD_FILE).map(Path::of).orElse(null))));
  }

  @Override
  public Optional<Channel> channel(VeilConf conf) {
    return ChannelConfig.channelOptions(conf).map(KafkaChannel::fromOptions);
  }

  @Override
  public List<ConfigKey<?>> settings() {
    return ChannelConfig.ALL;
  }
}
