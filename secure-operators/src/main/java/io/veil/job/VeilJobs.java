package io.veil.job;

import io.veil.channel.Channel;
import io.veil.config.ConfigKey;
import io.veil.config.JobConfig;
import io.veil.config.VeilConf;
import io.veil.job.internal.JobRun;
import io.veil.spark.KeyRef;
import io.veil.spec.JobSpec;
import io.veil.spec.PartyPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;

/**
 * The job runtime's entry point: runs this party's side of a job, whatever the operator, the same
 * way for every surface (the {@code veil} CLI and spark-submit, the Spark SQL functions, code).
 *
 * <p>What every run does, in order: checks this party's key against the key the spec pins, the
 * spec against the local policy, and the {@linkplain JobGate gates} (data-asset authorisation);
 * opens the input and checks its schema (metadata only); publishes its signed approval and waits
 * for every other party's (a different spec at a peer, a bad signature or a silent peer stops it
 * here, before any row is read); runs the {@linkplain SecureOperator operator}, which commits to its
 * input and binds every party's input commitment before anything leaves the party; writes the output
 * and commits to it; announces its commitment roots; and records a signed receipt (and its chain
 * anchor). Any failure aborts the job at every party through one sanitised path.
 *
 * <pre>{@code
 * JobSpec spec = JobSpec.read(Path.of("psi.yaml"), "2026-11");
 * Channel channel = KafkaChannel.fromOptions(Map.of("bootstrap.servers", "kafka:9093"));
 * JobOutcome outcome = VeilJobs.run(spark, spec, "bank_a", new KeyRef("bank_a.key"), channel);
 * Dataset<Row> shared = outcome.output().orElseThrow();
 * }</pre>
 */
public final class VeilJobs {
  private VeilJobs() {}

  /** Runs {@code request}; returns this party's outcome or throws the job's error (see {@link io.veil.VeilException}). */
  public static JobOutcome run(SparkSession spark, JobRequest request) {
    return JobRun.run(spark, request);
  }

  /**
   * Runs {@code spec} as {@code party} over {@code channel}. The policy, the receipt ledger (and
   * chain), and how the input is read come from the session's {@code spark.veil.*} settings and the
   * environment ({@code veil.party.policy-file} is required), through the modules on the classpath.
   */
  public static JobOutcome run(SparkSession spark, JobSpec spec, String party, KeyRef key, Channel channel) {
    return run(spark, request(conf(spark, Map.of()), spec, party, key).channel(channel).build());
  }

  /** Runs the job that {@code conf} describes: {@code veil.job.spec}, {@code veil.party.*}, channel, ledger, chain. */
  public static JobOutcome run(SparkSession spark, VeilConf conf) {
    return run(spark, request(conf).build());
  }

  /** A request built from settings; the caller may override any part before {@code build()}. */
  public static JobRequest.Builder request(VeilConf conf) {
    JobSpec spec = JobSpec.read(Path.of(conf.require(JobConfig.SPEC, "run the job")),
        conf.get(JobConfig.PERIOD).orElse(null));
    String party = conf.require(JobConfig.PARTY, "run the job");
    return request(conf, spec, party, new KeyRef(conf.require(JobConfig.KEY_FILE, "run the job as " + party)));
  }

  /** A request for {@code spec} and {@code party}, its other parts from settings and the modules on the classpath. */
  public static JobRequest.Builder request(VeilConf conf, JobSpec spec, String party, KeyRef key) {
    JobRequest.Builder b = JobRequest.builder(spec, party, key);
    b.policy(PartyPolicy.read(Path.of(conf.require(JobConfig.POLICY_FILE, "run job '" + spec.name() + "'"))));
    for (JobComponents c : components()) {
      if (!b.hasInputReader()) {
        c.inputReader(conf).ifPresent(b::inputReader);
      }
      if (!b.hasChannel()) {
        c.channel(conf).ifPresent(b::channel);
      }
      if (!b.hasReceipts()) {
        c.receipts(conf, party).ifPresent(b::receipts);
      }
      b.gates(c.gates(conf));
    }
    return b;
  }

  /** Settings from {@code options} (command line), the session's {@code spark.veil.*} configuration and the environment. */
  public static VeilConf conf(SparkSession spark, Map<String, String> options) {
    Map<String, String> sc = new TreeMap<>();
    scala.collection.Iterator<scala.Tuple2<String, String>> it = spark.conf().getAll().iterator();
    while (it.hasNext()) {
      scala.Tuple2<String, String> t = it.next();
      if (t._1().startsWith("spark.veil.")) {
        sc.put(t._1(), t._2());
      }
    }
    return VeilConf.of(options, sc, System.getenv());
  }

  /** The {@link JobComponents} on the classpath. */
  public static List<JobComponents> components() {
    List<JobComponents> out = new ArrayList<>();
    ServiceLoader.load(JobComponents.class).forEach(out::add);
    out.sort(java.util.Comparator.comparing(c -> c.getClass().getName()));
    return out;
  }

  /** Every setting of the runtime and of the modules on the classpath, for the configuration reference. */
  public static List<ConfigKey<?>> settings() {
    List<ConfigKey<?>> all = new ArrayList<>(JobConfig.ALL);
    components().forEach(c -> all.addAll(c.settings()));
    return all;
  }
}
