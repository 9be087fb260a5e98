package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.jobs.PartyProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two jars psi-jobs builds: the cluster jar (what spark-submit sends to a cluster) carries the
 * jobs and every library they need, and no development tooling (Kafka broker, ZooKeeper, the
 * embedded broker, the Ganache launcher, demos, benchmarks, demo data); the tools jar, which
 * {@code bin/veil} runs, carries both.
 */
class ClusterJarIT {
  private static final List<String> DEV = List.of("kafka/Kafka.class", "kafka/server/KafkaRaftServer.class",
      "org/apache/zookeeper/ZooKeeper.class", "io/veil/connectors/kafka/EmbeddedKafkaBroker.class",
      "io/veil/ledger/chain/DevChain.class", "io/veil/jobs/DevCommands.class", "io/veil/jobs/demo/PsiDemo.class",
      "io/veil/jobs/bench/PsiBench.class", "io/veil/jobs/demo/data/default_credit_hetero_guest.csv.gz");
  private static final List<String> JOBS = List.of("io/veil/jobs/VeilCli.class", "io/veil/job/VeilJobs.class",
      "io/veil/psi/PsiOperator.class", "io/veil/ledger/LedgerReceipts.class",
      "io/veil/connectors/kafka/KafkaChannel.class", "org/apache/kafka/clients/producer/KafkaProducer.class",
      "picocli/CommandLine.class", "org/bouncycastle/math/ec/rfc7748/X25519.class",
      "META-INF/services/io.veil.job.SecureOperator", "META-INF/services/io.veil.job.JobComponents");
  @TempDir Path dir;

  private static Set<String> entries(Path jar) throws Exception {
    try (JarFile j = new JarFile(jar.toFile())) {
      return j.stream().map(e -> e.getName()).collect(Collectors.toSet());
    }
  }

  @Test
  void theClusterJarHasTheJobsAndNoDevelopmentTooling() throws Exception {
    Path cluster = ClusterBuild.dist("veil-psi-jobs-");
    Set<String> in = entries(cluster);
    assertThat(in).containsAll(JOBS).doesNotContainAnyElementsOf(DEV);
    assertThat(in).noneMatch(e -> e.startsWith("org/apache/zookeeper/") || e.startsWith("kafka/server/")
        || e.startsWith("org/apache/kafka/raft/") || e.startsWith("org/apache/kafka/storage/"));
    try (JarFile j = new JarFile(cluster.toFile())) {
      String operators = new String(j.getInputStream(j.getEntry("META-INF/services/io.veil.job.SecureOperator"))
          .readAllBytes(), StandardCharsets.UTF_8);
      assertThat(operators).contains("io.veil.psi.PsiOperator", "io.veil.aggregate.AggregateOperator",
          "io.veil.aggregate.FeatureAggregation");
    }
    assertThat(entries(ClusterBuild.dist("veil-tools-"))).containsAll(JOBS).containsAll(DEV);
  }

  @Test
  void aDevelopmentToolRunFromTheClusterJarSaysWhereTheToolsAre() throws Exception {
    String classpath = ClusterBuild.clusterJar() + java.io.File.pathSeparator + ClusterBuild.sparkClasspath();
    PartyProcess p = PartyProcess.startJava("broker", classpath, "io.veil.jobs.VeilCli", List.of("broker"), "256m",
        List.of(), dir, System.out);
    assertThat(p.await(120_000)).isEqualTo(1);
    assertThat(AggregateFixture.text(p)).contains("Cannot run 'veil broker': it is a development tool")
        .contains("bin/veil");
  }
}
