package io.veil.jobs;

import io.veil.VeilException;
import io.veil.config.VeilConf;
import io.veil.crypto.PartySecret;
import io.veil.job.VeilJobs;
import io.veil.ledger.chain.AssetGate;
import io.veil.spec.JobSpec;
import io.veil.spec.PartySpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The commands that need no job settings: keys, hashes, the reference, the crypto benchmark. */
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
