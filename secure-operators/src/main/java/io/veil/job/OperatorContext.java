package io.veil.job;

import io.veil.channel.Channel;
import io.veil.channel.RoundStats;
import io.veil.crypto.IdentityPublicKey;
import io.veil.spark.DatasetCommitment;
import io.veil.spark.KeyRef;
import io.veil.spark.RunKey;
import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What the job runtime gives an operator at one party: the approved job, this party's validated
 * input, the channel (once the input is bound), references to this party's keys (resolved inside
 * executors, never shipped), and the control plane, with every message typed, signed and bound to
 * the job and to the peers' current attempts.
 *
 * <p>Used from the driver thread that runs the operator.
 */
public interface OperatorContext {
  SparkSession spark();

  /** The approved spec (identical at every party). */
  JobSpec spec();

  String jobId();

  /** This party's id. */
  String me();

  /** This party's entry in the spec. */
  PartySpec party();

  /** The other parties, in spec order. */
  List<String> peers();

  /** The operator's settings from its spec section. */
  <S extends OperatorSettings> S settings(Class<S> type);

  /** This party's input, opened and schema-checked (no row read yet); empty for a party without input. */
  Optional<Dataset<Row>> input();

  /** How long a silent peer is waited for. */
  long peerTimeoutMs();

  /** Every party's pinned identity key. */
  Map<String, IdentityPublicKey> identities();

  /** This party's key file reference, for executors that sign batches. */
  KeyRef key();

  /** The salt of this party's input commitment for this job (the same in every attempt). */
  byte[] inputCommitmentSalt();

  /**
   * Commits to {@link #input()} in one scan and {@linkplain #bindInput binds} it. For operators that do
   * not commit in a scan of their own.
   */
  RunKey commitAndBindInput();

  /**
   * Announces this party's input commitment (null without input), waits for every other party's,
   * refuses a re-run whose inputs differ from an earlier attempt of the same job, and returns the
   * key to this run's secrets, which depend on every party's input commitment. Call exactly once,
   * after reading and checking the input and before sending anything on the data plane.
   *
   * @throws io.veil.InvalidInputException if an input changed since an earlier attempt
   */
  RunKey bindInput(DatasetCommitment.Commitment inputCommitment);

  /** The channel's data plane; only after {@link #bindInput}. */
  Channel channel();

  /** The key to this run's secrets; only after {@link #bindInput}. */
  RunKey runKey();

  /** {@code party}'s X25519 public key for this job, announced with its approval (32 bytes). */
  byte[] agreementKey(String party);

  /** Announces that this party finished writing one round of a stream. */
  void announceRound(String step, RoundStats stats);

  /**
   * Waits for {@code peer}'s announcement of {@code step} and checks it has {@code partitions}
   * partitions.
   *
   * @param awaiting what is awaited, for a timeout ("its blinded set")
   * @throws io.veil.ProtocolException if it is malformed or the peer aborted
   * @throws io.veil.PeerTimeoutException if the peer stays silent
   */
  RoundStats awaitRound(String peer, String step, int partitions, String awaiting);

  /** Publishes a small operator-defined message (its own encoding; validated by the receivers). */
  void publishNotice(String step, byte[] payload);

  /** Waits for {@code peer}'s notice of {@code step}; the caller validates the payload. */
  byte[] awaitNotice(String peer, String step, String awaiting);

  /** The step in which each party commits to its input and binds it ({@link #bindInput}). */
  String STEP_INPUT = "input";

  /** Reports progress on long work (logged, and shown by the CLI). */
  void progress(String message);

  /**
   * Starts a step of the protocol: the Spark jobs this thread runs from now on carry its name and
   * {@code what} as their description (the Spark UI and history server show them under the job's
   * group), and it is reported as progress. Call it before each step's Spark work.
   *
   * @param step the step's name, e.g. {@code blind-1}
   * @param what what the step does, for people, e.g. "blinding and sending 1,000,000 keys"
   */
  void beginStep(String step, String what);
}
