package io.veil.jobs;

import io.veil.InvalidInputException;
import io.veil.blacklist.BlacklistOperator;
import io.veil.blacklist.BlacklistSpec;
import io.veil.blacklist.BlacklistStore;
import io.veil.connectors.input.PartyInputs;
import io.veil.spark.KeyRef;
import io.veil.spec.JobSpec;
import io.veil.spec.PartySpec;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veil blacklist encode}: the holder encodes its list, or brings the encoded list up to date;
 * {@code serve} and {@code check}: the low-latency lookups ({@link BlacklistSessionCommand}).
 */
final class BlacklistCommands {
  private BlacklistCommands() {}

  static CommandLine blacklist(VeilCli.Streams io) {
    CommandLine group = new CommandLine(new Group());
    group.addSubcommand(new Encode(io));
    group.addSubcommand("serve", BlacklistSessionCommand.serve(io));
    group.addSubcommand("check", BlacklistSessionCommand.check(io));
    return group;
  }

  @Command(name = "blacklist",
      description = {"The holder's encoded list of blacklist-lookup jobs, and the low-latency lookup service.", ""})
  static final class Group {}

  @Command(name = "encode",
      description = {"Encode the holder's list into its store, or refresh it with what changed.", "",
          "Reads the holder's input as the spec declares it and writes the store named by blacklist.store. The "
              + "first run encodes every id; later runs encode only ids added (or whose reason changed) and mark "
              + "those removed, so the querier's next job copies only the changes. An unchanged list writes "
              + "nothing. Schedule it whenever the list changes; lookups answer from the last encoded version.", ""})
  static final class Encode implements Callable<Integer> {
    private final VeilCli.Streams io;

    @Option(names = "--spec", required = true, paramLabel = "FILE", description = "The blacklist-lookup job spec.")
    Path spec;

    @Option(names = "--party", required = true, paramLabel = "ID", description = "The holder's id in the spec.")
    String party;

    @Option(names = "--key", required = true, paramLabel = "FILE",
        description = "The holder's key file (the list key derives from it).")
    Path key;

    @Option(names = "--master", paramLabel = "URL",
        description = "Spark master; default: the one spark-submit sets, else local[2].")
    String master;

    @Option(names = "--jdbc-password-file", paramLabel = "FILE",
        description = "The password of a JDBC input, read from this file (never from the spec).")
    Path jdbcPassword;

    Encode(VeilCli.Streams io) {
      this.io = io;
    }

    @Override
    public Integer call() {
      JobSpec job = JobSpec.read(spec, null);
      if (!job.operator().equals(BlacklistOperator.NAME)) {
        throw new InvalidInputException("Cannot encode a list with spec " + spec + ": its operator is '"
            + job.operator() + "', not '" + BlacklistOperator.NAME + "'.");
      }
      BlacklistSpec b = job.settings(BlacklistSpec.class);
      if (!party.equals(b.holder())) {
        throw new InvalidInputException("Cannot encode list '" + b.list() + "' as " + party + ": the spec's holder is "
            + b.holder() + ". Only the holder encodes its list; the querier's copy follows in each job.");
      }
      PartySpec me = job.party(party);
      RunCommand.checkKey(job, me, key.toString());
      SparkSession spark = RunCommand.session(master, "veil-blacklist-encode-" + party);
      try {
        long t0 = System.nanoTime();
        BlacklistStore.Refresh r = BlacklistStore.refresh(spark,
            PartyInputs.open(spark, me.input(), party, new PartyInputs.Secrets(jdbcPassword)),
            me.input().keyColumns(), b.reasonColumn(), b.normalization(), b.store(), b.list(), b.keyVersion(),
            new KeyRef(key.toAbsolutePath().toString()));
        BlacklistStore.Version v = r.manifest().current();
        io.out().println("list:      " + b.list() + " (key version " + b.keyVersion() + ")");
        io.out().println("store:     " + b.store());
        io.out().println("version:   " + v.version() + (r.added() + r.removed() == 0 && !r.fullEncode()
            ? " (unchanged: nothing written)" : r.fullEncode() ? " (encoded in full)" : " (refreshed)"));
        io.out().println("ids:       " + v.records() + " listed; " + r.added() + " encoded now, " + r.removed()
            + " removed, " + r.nullKeyRows() + " rows with a NULL id skipped");
        io.out().println("digest:    " + v.digest());
        io.out().println("time:      " + (System.nanoTime() - t0) / 1_000_000 + " ms");
      } finally {
        spark.stop();
      }
      return VeilCli.EXIT_OK;
    }
  }
}
