package io.veil.jobs;

import io.veil.VeilException;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.jobs.bench.AggregateBench;
import io.veil.jobs.bench.BlacklistBench;
import io.veil.jobs.bench.IntersectionSumBench;
import io.veil.jobs.bench.MultiLenderBench;
import io.veil.jobs.bench.PsiBench;
import io.veil.jobs.bench.VflBench;
import io.veil.jobs.demo.PsiDemo;
import io.veil.jobs.demo.ReportDemo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The development tools: an embedded Kafka broker, the demos and the end-to-end benchmarks. They
 * are in the tools jar ({@code veil-tools-<version>.jar}, what {@code bin/veil} runs), not in the
 * jar that goes to a cluster, which carries no Kafka broker, ZooKeeper, Ganache launcher or demo
 * data.
 */
final class DevCommands {
  private DevCommands() {}

  /** Runs a benchmark; an I/O or other failure becomes a clear error. */
  private static int benchmark(Callable<Integer> bench) throws InterruptedException {
    try {
      return bench.call();
    } catch (InterruptedException | VeilException e) {
      throw e;
    } catch (Exception e) {
      throw new VeilException("Cannot run the benchmark: " + e.getMessage() + ".", e);
    }
  }

  /** Adds the tool commands to {@code veil}. */
  static void register(CommandLine veil, VeilCli.Streams io) {
    veil.addSubcommand(new Broker(io));
    veil.addSubcommand(new CommandLine(new Demo(io)).addSubcommand(new DemoReport(io)));
    veil.addSubcommand(new Bench());
    veil.addSubcommand(new AggBench());
    veil.addSubcommand(new VflBenchCommand());
    veil.addSubcommand(new BlacklistBenchCommand());
    veil.addSubcommand(new IntersectionSumBenchCommand());
    veil.addSubcommand(new MultiLenderBenchCommand());
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
    @Spec CommandSpec spec;
    @Mixin PsiBench.Options options;

    @Override
    public Integer call() throws InterruptedException {
      String bad = options.problem();
      if (bad != null) {
        throw new ParameterException(spec.commandLine(), bad);
      }
      return benchmark(() -> PsiBench.run(options));
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
      return benchmark(() -> AggregateBench.run(options));
    }
  }

  @Command(name = "vfl-bench",
      description = {"Vertical federated training against centralised MLlib on this machine.", "",
          "vfl-train on the demo data (guest: label + 13 features, host: 10), each party its own JVM (local[1]), "
          + "federated LR then MLP; then MLlib logistic regression on the same split in one plaintext JVM; prints "
          + "test AUCs, time and bytes per party per epoch, and an Arrow vs raw codec measurement.", ""})
  static final class VflBenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin VflBench.Options options;

    @Override
    public Integer call() throws InterruptedException {
      String bad = options.problem();
      if (bad != null) {
        throw new ParameterException(spec.commandLine(), bad);
      }
      return benchmark(() -> VflBench.run(options));
    }
  }

  @Command(name = "blacklist-bench",
      description = {"Blacklist lookup (blacklist-lookup) on this machine.", "",
          "The holder encodes a list once (reason codes on), then three jobs, holder and querier each its own JVM "
          + "(local[1]): the first with the querier's full copy, a query with the copy up to date, and a one-id "
          + "query; prints the encoding rate, each job's and step's time per party, and the store's and copy's "
          + "sizes.", ""})
  static final class BlacklistBenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin BlacklistBench.Options options;

    @Override
    public Integer call() throws InterruptedException {
      String bad = options.problem();
      if (bad != null) {
        throw new ParameterException(spec.commandLine(), bad);
      }
      return benchmark(() -> BlacklistBench.run(options));
    }
  }

  @Command(name = "isum-bench",
      description = {"Private intersection-sum (intersection-sum) beside the plaintext join and sum, on this machine.",
          "", "Generates N rows per party (half the ids shared, one value column 'amount' at scale 2, optionally a "
          + "group column), runs the job with the id party and the value party each its own JVM (local[2]), then "
          + "the plaintext join on id + sum(amount) of the same data in one JVM; prints each party's JVM, job and "
          + "protocol time, each step's time and bytes, the plaintext time and the ratio, and checks the results "
          + "agree.", ""})
  static final class IntersectionSumBenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin IntersectionSumBench.Options options;

    @Override
    public Integer call() throws InterruptedException {
      String bad = options.problem();
      if (bad != null) {
        throw new ParameterException(spec.commandLine(), bad);
      }
      return benchmark(() -> IntersectionSumBench.run(options));
    }
  }

  @Command(name = "mlc-bench",
      description = {"Multi-lender check (multi-lender) beside the plaintext Spark computation, on this machine.",
          "", "Generates the lender's N applicants and K peers' loans (L ids each, overlapping so that applicants are "
          + "at 0 to K peers, a few with two loans at one peer, 'outstanding' at scale 2), runs the job with the "
          + "lender (local[2]) and each peer (local[1]) its own JVM, then the plaintext per-peer sums, union, count "
          + "and sum per id and left join of the same data in one JVM; prints each party's JVM, CPU, job and "
          + "protocol time and peak memory, each step's time and bytes, the plaintext time and the ratio, and "
          + "checks the results agree row by row.", ""})
  static final class MultiLenderBenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin MultiLenderBench.Options options;

    @Override
    public Integer call() throws InterruptedException {
      String bad = options.problem();
      if (bad != null) {
        throw new ParameterException(spec.commandLine(), bad);
      }
      return benchmark(() -> MultiLenderBench.run(options));
    }
  }
}
