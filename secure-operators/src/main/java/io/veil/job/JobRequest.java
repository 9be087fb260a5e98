package io.veil.job;

import io.veil.channel.Channel;
import io.veil.spark.KeyRef;
import io.veil.spec.JobSpec;
import io.veil.spec.PartyPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One party's request to run a job: the spec, who this party is, where its key is, the local
 * policy that must accept the job, the channel to the peers, how its input is read and where its
 * receipt goes. Build with {@link #builder}; run with {@link VeilJobs#run(org.apache.spark.sql.SparkSession,
 * JobRequest)}.
 */
public final class JobRequest {
  private final JobSpec spec;
  private final String party;
  private final KeyRef key;
  private final PartyPolicy policy;
  private final Channel channel;
  private final InputReader inputReader;
  private final Dataset<Row> input;
  private final List<PartyPolicy.SqlSource> sqlSources;
  private final ReceiptSink receipts;
  private final List<JobGate> gates;
  private final Consumer<String> progress;
  private final boolean writeOutput;

  private JobRequest(Builder b) {
    this.spec = b.spec;
    this.party = b.party;
    this.key = b.key;
    this.policy = require(b.policy, "no local policy is given (every job is checked against the party's policy). "
        + "Pass --policy FILE or set veil.party.policy-file");
    this.channel = require(b.channel, "no channel to the other parties is configured. Pass --bootstrap-servers "
        + "HOST:PORT (veil.channel.bootstrap.servers: a Kafka every party reaches), or start one on this machine with "
        + "'veil broker'");
    this.receipts = require(b.receipts, "no receipt sink is given (every finished job leaves a receipt). Put "
        + "ledger-sink on the classpath or pass one");
    this.inputReader = b.inputReader;
    this.input = b.input;
    this.sqlSources = b.sqlSources == null ? null : List.copyOf(b.sqlSources);
    this.gates = List.copyOf(b.gates);
    this.progress = b.progress;
    this.writeOutput = b.writeOutput;
    if (spec.party(party).input() != null && input == null && inputReader == null) {
      throw new IllegalStateException("party " + party + " has an input: give the request an input reader "
          + "(e.g. PartyInputs.reader()) or the input itself");
    }
  }

  private <T> T require(T value, String why) {
    if (value == null) {
      throw new io.veil.InvalidInputException("Cannot run job '" + spec.name() + "' as " + party + ": " + why + ".");
    }
    return value;
  }

  /** A request for {@code party} to run {@code spec} with the key file {@code key}. */
  public static Builder builder(JobSpec spec, String party, KeyRef key) {
    return new Builder(spec, party, key);
  }

  public JobSpec spec() {
    return spec;
  }

  public String party() {
    return party;
  }

  public KeyRef key() {
    return key;
  }

  public PartyPolicy policy() {
    return policy;
  }

  public Channel channel() {
    return channel;
  }

  public InputReader inputReader() {
    return inputReader;
  }

  /** The input given directly (null: read with {@link #inputReader()}). */
  public Dataset<Row> input() {
    return input;
  }

  /** For an input named in SQL: the tables and files it reads, checked against the policy (null: not named in SQL). */
  public List<PartyPolicy.SqlSource> sqlSources() {
    return sqlSources;
  }

  public ReceiptSink receipts() {
    return receipts;
  }

  public List<JobGate> gates() {
    return gates;
  }

  public Consumer<String> progress() {
    return progress;
  }

  /** Whether the output is written where the spec says (otherwise it is only returned). */
  public boolean writeOutput() {
    return writeOutput;
  }

  /** Builds a {@link JobRequest}. */
  public static final class Builder {
    private final JobSpec spec;
    private final String party;
    private final KeyRef key;
    private PartyPolicy policy;
    private Channel channel;
    private InputReader inputReader;
    private Dataset<Row> input;
    private List<PartyPolicy.SqlSource> sqlSources;
    private ReceiptSink receipts;
    private final List<JobGate> gates = new ArrayList<>();
    private Consumer<String> progress = m -> { };
    private boolean writeOutput = true;

    private Builder(JobSpec spec, String party, KeyRef key) {
      this.spec = Objects.requireNonNull(spec, "spec");
      this.party = Objects.requireNonNull(party, "party");
      this.key = Objects.requireNonNull(key, "key");
      spec.party(party); // fails early, naming the spec's parties
    }

    /** The local policy the job must satisfy (required). */
    public Builder policy(PartyPolicy p) {
      this.policy = p;
      return this;
    }

    /** The channel to the other parties (required). */
    public Builder channel(Channel c) {
      this.channel = c;
      return this;
    }

    /** How to open this party's input from the spec. */
    public Builder inputReader(InputReader r) {
      this.inputReader = r;
      return this;
    }

    /** This party's input, given directly (e.g. a table named in SQL); the spec's input section still says its key and value columns. */
    public Builder input(Dataset<Row> table) {
      this.input = table;
      return this;
    }

    /**
     * This party's input, named in SQL (spec input format {@code sql}), with the tables and files its
     * query reads: the policy's {@code inputPaths} are checked against those.
     */
    public Builder sqlInput(Dataset<Row> table, List<PartyPolicy.SqlSource> sources) {
      this.input = table;
      this.sqlSources = List.copyOf(sources);
      return this;
    }

    /** Where the receipt goes (required). */
    public Builder receipts(ReceiptSink sink) {
      this.receipts = sink;
      return this;
    }

    /** A check made before the input is opened. */
    public Builder gate(JobGate gate) {
      this.gates.add(gate);
      return this;
    }

    /** Checks made before the input is opened. */
    public Builder gates(List<JobGate> list) {
      this.gates.addAll(list);
      return this;
    }

    /** Where progress on long work is reported (besides the log). */
    public Builder progress(Consumer<String> listener) {
      this.progress = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Whether to write the output where the spec says (default true); false returns it only, committed. */
    public Builder writeOutput(boolean write) {
      this.writeOutput = write;
      return this;
    }

    public boolean hasPolicy() {
      return policy != null;
    }

    public boolean hasChannel() {
      return channel != null;
    }

    public boolean hasReceipts() {
      return receipts != null;
    }

    public boolean hasInputReader() {
      return inputReader != null || input != null;
    }

    public JobRequest build() {
      return new JobRequest(this);
    }
  }
}
