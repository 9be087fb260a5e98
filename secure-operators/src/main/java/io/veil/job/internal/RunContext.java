package io.veil.job.internal;

import io.veil.InputChangedException;
import io.veil.ProtocolException;
import io.veil.channel.Channel;
import io.veil.channel.ControlLog;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.InputCommitted;
import io.veil.channel.ControlMessage.Notice;
import io.veil.channel.ControlMessage.RoundComplete;
import io.veil.channel.RoundStats;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.Sha256;
import io.veil.job.OperatorContext;
import io.veil.spark.DatasetCommitment;
import io.veil.spark.KeyRef;
import io.veil.spark.RunKey;
import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The runtime's {@link OperatorContext} for one party's run of one job. */
final class RunContext implements OperatorContext {
  private static final Logger LOG = LoggerFactory.getLogger(RunContext.class);

  private final SparkSession spark;
  private final JobSpec spec;
  private final PartySpec me;
  private final Dataset<Row> input;
  private final Channel channel;
  private final ControlLog log;
  private final KeyRef key;
  private final byte[] inputSalt;
  private final Map<String, byte[]> agreementKeys;
  private final Consumer<String> progress;
  private String step = "";
  private Dataset<Row> cached;
  private RunKey runKey;
  private DatasetCommitment.Commitment inputCommitment;

  RunContext(SparkSession spark, JobSpec spec, PartySpec me, Dataset<Row> input, Channel channel, ControlLog log,
      KeyRef key, byte[] inputSalt, Map<String, byte[]> agreementKeys, Consumer<String> progress) {
    this.spark = spark;
    this.spec = spec;
    this.me = me;
    this.input = input;
    this.channel = channel;
    this.log = log;
    this.key = key;
    this.inputSalt = inputSalt.clone();
    this.agreementKeys = Map.copyOf(agreementKeys);
    this.progress = progress;
  }

  @Override
  public SparkSession spark() {
    return spark;
  }

  @Override
  public JobSpec spec() {
    return spec;
  }

  @Override
  public String jobId() {
    return spec.jobId();
  }

  @Override
  public String me() {
    return me.id();
  }

  @Override
  public PartySpec party() {
    return me;
  }

  @Override
  public List<String> peers() {
    return spec.others(me.id());
  }

  @Override
  public <S extends OperatorSettings> S settings(Class<S> type) {
    return spec.settings(type);
  }

  @Override
  public Optional<Dataset<Row>> input() {
    return Optional.ofNullable(input);
  }

  @Override
  public long peerTimeoutMs() {
    return spec.peerTimeoutMs();
  }

  @Override
  public Map<String, IdentityPublicKey> identities() {
    return spec.partyKeys();
  }

  @Override
  public KeyRef key() {
    return key;
  }

  @Override
  public byte[] inputCommitmentSalt() {
    return inputSalt.clone();
  }

  @Override
  public RunKey commitAndBindInput() {
    if (input == null) {
      return bindInput(null);
    }
    beginStep(STEP_INPUT, "committing to the input");
    cached = input.persist(StorageLevel.MEMORY_AND_DISK()); // read once: the commitment and the operator scan it
    return bindInput(DatasetCommitment.compute(cached, inputSalt));
  }

  @Override
  public RunKey bindInput(DatasetCommitment.Commitment commitment) {
    if (runKey != null) {
      throw new IllegalStateException("the input is already bound: call bindInput once");
    }
    if ((commitment == null) != (input == null)) {
      throw new IllegalStateException(input == null ? "party " + me.id() + " has no input to commit to"
          : "party " + me.id() + " has an input: bind its commitment");
    }
    step = STEP_INPUT;
    inputCommitment = commitment;
    String root = commitment == null ? null : commitment.rootHex();
    log.publish(new InputCommitted(root));
    Map<String, String> roots = new TreeMap<>();
    roots.put(me.id(), root);
    for (String peer : peers()) {
      InputCommitted c = log.await(peer, InputCommitted.class, null, spec.peerTimeoutMs(),
          "its input commitment (step " + STEP_INPUT + ")");
      boolean hasInput = spec.party(peer).input() != null;
      if ((c.inputRoot() == null) == hasInput) {
        throw new ProtocolException(peer, STEP_INPUT, "Cannot accept " + peer + "'s input commitment: it "
            + (hasInput ? "commits to no input, but the spec gives it one" : "commits to an input, but the spec gives it "
            + "none") + ". The job was aborted; check that every party runs the same spec and Veil version.");
      }
      roots.put(peer, c.inputRoot());
    }
    refuseChangedInputs(roots);
    byte[] binding = binding(roots);
    runKey = new RunKey(key, spec.jobId(), binding);
    LOG.info("Veil job {}: inputs bound ({} parties, binding {}...)", spec.jobId(), roots.size(),
        runKey.bindingHex().substring(0, 16));
    return runKey;
  }

  /**
   * The job's input binding: SHA-256 over the job id and every party's input commitment root in spec
   * order. Equal at every party; it changes whenever any party's input does.
   */
  private byte[] binding(Map<String, String> roots) {
    StringBuilder b = new StringBuilder("veil-input-binding/v1|").append(spec.jobId());
    for (PartySpec p : spec.parties()) {
      b.append('|').append(p.id()).append('=').append(Objects.requireNonNullElse(roots.get(p.id()), "none"));
    }
    return Sha256.hash(b.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Refuses a run whose inputs differ from what any earlier attempt of this job committed to: the
   * earlier attempt may have sent data computed over the old input, and a second run over new data
   * under the same job would let the parties compare the two.
   */
  private void refuseChangedInputs(Map<String, String> roots) {
    Map<String, String[]> changed = new LinkedHashMap<>();
    for (ControlMessage m : log.seen()) {
      if (m.jobId().equals(spec.jobId()) && m.body() instanceof InputCommitted c && roots.containsKey(m.from())
          && !Objects.equals(c.inputRoot(), roots.get(m.from()))) {
        changed.putIfAbsent(m.from(), new String[] {c.inputRoot(), roots.get(m.from())});
      }
    }
    if (changed.isEmpty()) {
      return;
    }
    List<String> parts = new ArrayList<>();
    changed.forEach((party, r) -> parts.add(party + "'s input (commitment " + prefix(r[0]) + " then, " + prefix(r[1])
        + " now)"));
    throw new InputChangedException("Cannot run job '" + spec.name() + "' (" + spec.jobId() + ") again: "
        + String.join(" and ", parts) + " differ" + (parts.size() == 1 ? "s" : "") + " from what an earlier "
        + "attempt of this job committed to. A re-run over changed data would let the parties compare two results "
        + "over different data, so Veil refuses it; nothing was sent. Run the job as a new period (--period), or "
        + "restore the input the earlier attempt read.");
  }

  static String prefix(String root) {
    return root == null ? "none" : root.substring(0, 16) + "...";
  }

  /** This party's input commitment, once bound (null without input). */
  DatasetCommitment.Commitment inputCommitment() {
    return inputCommitment;
  }

  /** Drops what this context cached of the input. */
  void release() {
    if (cached != null) {
      cached.unpersist(false);
    }
  }

  boolean bound() {
    return runKey != null;
  }

  /** The step the operator was last in, for an abort. */
  String step() {
    return step;
  }

  @Override
  public Channel channel() {
    requireBound("use the channel");
    return channel;
  }

  @Override
  public RunKey runKey() {
    requireBound("derive this run's secrets");
    return runKey;
  }

  private void requireBound(String what) {
    if (runKey == null) {
      throw new IllegalStateException("Cannot " + what + " before the input is bound: call bindInput (or "
          + "commitAndBindInput) first, so that nothing leaves the party before every input is committed");
    }
  }

  @Override
  public byte[] agreementKey(String party) {
    byte[] k = agreementKeys.get(party);
    if (k == null) {
      throw new IllegalArgumentException("no agreement key for " + party);
    }
    return k.clone();
  }

  @Override
  public void announceRound(String step, RoundStats stats) {
    requireBound("announce a round");
    this.step = step;
    log.publish(new RoundComplete(step, stats));
  }

  @Override
  public RoundStats awaitRound(String peer, String step, int partitions, String awaiting) {
    this.step = step;
    RoundStats s = log.await(peer, RoundComplete.class, step, spec.peerTimeoutMs(), awaiting).stats();
    if (s.partitions() != partitions) {
      throw new ProtocolException(peer, step, "Cannot accept " + peer + "'s announcement for step '" + step
          + "': it has " + s.partitions() + " partitions but the spec gives " + partitions + ". The job was aborted; "
          + "check that every party runs the same spec and Veil version.");
    }
    return s;
  }

  @Override
  public void publishNotice(String step, byte[] payload) {
    requireBound("publish a notice");
    this.step = step;
    log.publish(new Notice(step, payload));
  }

  @Override
  public byte[] awaitNotice(String peer, String step, String awaiting) {
    this.step = step;
    return log.await(peer, Notice.class, step, spec.peerTimeoutMs(), awaiting).payload();
  }

  @Override
  public void beginStep(String step, String what) {
    this.step = step;
    SparkSteps.describe(spark, spec, me.id(), step, what);
    progress("step " + step + ": " + what);
  }

  @Override
  public void progress(String message) {
    LOG.info("Veil job {}: {}", spec.jobId(), message);
    progress.accept(message);
  }
}
