package io.veil.jobs;

import io.veil.VeilException;
import io.veil.config.VeilConf;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import io.veil.job.VeilJobs;
import io.veil.jobs.bench.AggregateBench;
import io.veil.jobs.bench.PsiBench;
import io.veil.jobs.demo.PsiDemo;
import io.veil.jobs.demo.ReportDemo;
import io.veil.ledger.chain.AssetGate;
import io.veil.spec.JobSpec;
import io.veil.spec.PartySpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The commands that need no job settings: keys, hashes, the reference, the broker, demos and benchmarks. */
final class ToolCommands {
  private ToolCommands() {}

  @Command(name = "keygen",
      description = {"Create a party key file and print its public key.", "",
          "The public key (ed25519:...) is what the party sends to its peers and what job specs pin. Never "
              + "overwrites a file.", ""})
  static final class Keygen implements Callable<Integer> {
    private final VeilCli.Streams io;

    @Option(names = "--party", required = true, paramLabel = "ID", description = "The party's id, as job specs name it.")
    String party;

    @Option(names = "--out", required = true, paramLabel = "FILE",
        description = "Where to write the key file; it must not exist yet. Keep it private (mode 0400).")
    Path out;

    Keygen(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      PartySecret s = PartySecret.generate(party, new SecureRandom());
      s.write(out);
      io.out().println(s.identity().publicKey().encoded());
      return VeilCli.EXIT_OK;
    }
  }

  @Command(name = "spec-hash",
      description = {"Print a spec's hashes and job id.", "",
          "Prints the contract hash, algorithm hash and job id, to compare with the peers, and the commands with "
              + "which data owners authorise the job on their assets.", ""})
  static final class SpecHash implements Callable<Integer> {
    private final VeilCli.Streams io;

    @Option(names = "--spec", required = true, paramLabel = "FILE", description = "The job spec.")
    Path spec;

    @Option(names = "--period", paramLabel = "PERIOD",
        description = "The period of a periodic job (overrides the spec's); it changes the contract hash and job id.")
    String period;

    SpecHash(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      PrintStream out = io.out();
      JobSpec s = JobSpec.read(spec, period);
      out.println("contract hash:  " + s.contractHash());
      out.println("algorithm hash: " + s.algorithmHash());
      out.println("job id:         " + s.jobId());
      out.println("authorisation:  " + (s.authorisationRequired() ? "required" : "none"));
      for (PartySpec p : s.parties()) {
        if (p.input() != null && p.input().asset() != null) {
          out.println("  " + p.id() + "'s owner, for every period of this job: "
              + AssetGate.authoriseCommand(p.input().asset(), s.algorithmHash()));
          out.println("  " + p.id() + "'s owner, for this job only:          "
              + AssetGate.authoriseCommand(p.input().asset(), s.contractHash()));
        }
      }
      return VeilCli.EXIT_OK;
    }
  }

  @Command(name = "config",
      description = {"Print every setting as a Markdown table.", "",
          "The configuration reference: every setting of the modules on the classpath (its name, option, "
              + "environment variable, default and meaning), as in the README.", ""})
  static final class Config implements Callable<Integer> {
    private final VeilCli.Streams io;

    Config(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      io.out().print(VeilConf.markdownTable(VeilJobs.settings()));
      io.out().flush();
      return VeilCli.EXIT_OK;
    }
  }

  @Command(name = "broker",
      description = {"Run a Kafka broker on 127.0.0.1 until stopped.", "",
          "A broker (KRaft, no TLS, no authentication) for parties on this machine. Prints one line on standard "
              + "output when ready, 'VEIL-KAFKA-READY <bootstrap servers>', and runs until the process is interrupted (Ctrl-C) or terminated (SIGTERM), then stops the broker "
              + "cleanly. It does not read standard input, so 'veil broker &' keeps running in the background.", ""})
  static final class Broker implements Callable<Integer> {
    private final VeilCli.Streams io;
    @Spec CommandSpec spec;

    @Option(names = "--port", paramLabel = "N", description = "Client port; default: a free one.")
    Integer port;

    @Option(names = "--log-dir", paramLabel = "DIR",
        description = "Where the broker keeps its data (kept on stop; a restart reuses it); default: a temporary "
            + "directory deleted on stop.")
    Path logDir;

    Broker(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() throws InterruptedException {
      if (port != null && (port < 1 || port > 65535)) {
        throw new ParameterException(spec.commandLine(), "--port must be 1..65535, not " + port);
      }
      EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(logDir, port == null ? 0 : port).start();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        broker.close();
        stopped.countDown();
      }, "veil-broker-stop"));
      io.out().println(EmbeddedKafkaBroker.READY_LINE_PREFIX + " " + broker.bootstrapServers());
      io.out().flush();
      io.err().println("Kafka broker ready at " + broker.bootstrapServers() + " (log directory " + broker.logDirs().get(0)
          + "). Stop it with Ctrl-C or 'kill " + ProcessHandle.current().pid() + "'.");
      // Only a signal ends it: the shutdown hook stops the broker, then the JVM exits.
      stopped.await();
      return VeilCli.EXIT_OK;
    }
  }

  @Command(name = "demo",
      description = {"Two banks intersect their customers on this machine.", "",
          "The main demo: two banks, each its own Spark JVM, intersect their customers (a seeded sample "
          + "of the shipped default_credit dataset) over a Kafka broker started on 127.0.0.1, and the result is "
          + "checked against the plaintext join. 'veil demo report' runs the joint-report demo.", ""})
  static final class Demo implements Callable<Integer> {
    private final VeilCli.Streams io;
    @Mixin PsiDemo.Options options;

    Demo(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      return PsiDemo.run(options, io.out());
    }
  }

  @Command(name = "report",
      description = {"Three banks report SUM/COUNT by segment to a regulator.", "",
          "The joint-report demo: three banks split the UCI credit-card table and a regulator learns "
          + "COUNT(*) and sums by education and marital status over their union (secure SUM/COUNT, four Spark "
          + "JVMs); checked against the plaintext union + groupBy.", ""})
  static final class DemoReport implements Callable<Integer> {
    private final VeilCli.Streams io;
    @Mixin ReportDemo.Options options;

    DemoReport(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      return ReportDemo.run(options, io.out());
    }
  }

  @Command(name = "bench",
      description = {"End-to-end PSI benchmark on this machine.", "",
          "Two parties (each its own JVM, local[1]) and a "
          + "broker; prints wall time, elements per second per core, peak heap and RSS per party.", ""})
  static final class Bench implements Callable<Integer> {
    @Mixin PsiBench.Options options;

    @Override
    public Integer call() throws InterruptedException {
      try {
        return PsiBench.run(options);
      } catch (InterruptedException | VeilException e) {
        throw e;
      } catch (Exception e) {
        throw new VeilException("Cannot run the benchmark: " + e.getMessage() + ".", e);
      }
    }
  }

  @Command(name = "agg-bench",
      description = {"Secure aggregation against plaintext Spark on this machine.", "",
          "Aggregate and feature-aggregate: every party its own "
          + "JVM (local[1]), then the same computation in one plaintext Spark JVM; prints times, CPU, memory and "
          + "bytes sent per party, and checks the outputs agree.", ""})
  static final class AggBench implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AggregateBench.Options options;

    @Override
    public Integer call() throws InterruptedException {
      if (options.parties() < 2 || options.faParties() < 2) {
        throw new ParameterException(spec.commandLine(), "--parties and --fa-parties must be at least 2");
      }
      try {
        return AggregateBench.run(options);
      } catch (InterruptedException | VeilException e) {
        throw e;
      } catch (Exception e) {
        throw new VeilException("Cannot run the benchmark: " + e.getMessage() + ".", e);
      }
    }
  }

  @Command(name = "crypto-bench",
      description = {"Crypto operations per second, one thread.", "",
          "Scalar multiplications, hash-to-curve and point validation per second on both X25519 engines.", ""})
  static final class CryptoBench implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--seconds", defaultValue = "3", paramLabel = "N",
        description = "Seconds timed per figure, more than 0 and at most 600; default: ${DEFAULT-VALUE}.")
    double seconds;

    @Override
    public Integer call() {
      if (!(seconds > 0 && seconds <= 600)) {
        throw new ParameterException(spec.commandLine(), "--seconds must be more than 0 and at most 600, not "
            + seconds);
      }
      io.veil.crypto.bench.CryptoBench.main(new String[] {"--seconds", Double.toString(seconds)});
      return VeilCli.EXIT_OK;
    }
  }
}
