package io.veil.job;

import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.types.StructType;

/**
 * A secure operator: one joint computation Veil can run between parties (PSI, secure aggregation,
 * ...). The {@linkplain VeilJobs job runtime} runs every operator the same way; an operator only
 * says what its spec section holds, what its inputs must look like, and what each party does once
 * every party has approved the job.
 *
 * <p><b>Registration.</b> Operators are found with {@link java.util.ServiceLoader}: an
 * implementation with a public no-argument constructor, named in {@code
 * META-INF/services/io.veil.job.SecureOperator}. Adding an operator touches no runtime, spec-reader
 * or CLI file (see the README's "Adding an operator").
 *
 * <p><b>What the runtime guarantees the operator.</b> {@link #run} is called only after this party's
 * key, policy and input schema were checked and every party's signed approval of the same contract
 * was verified. The operator must commit to its input and {@linkplain OperatorContext#bindInput
 * bind} it before it touches the data plane: the runtime refuses channel access before, and the
 * per-run secrets it hands out ({@link OperatorContext#runKey()}) depend on every party's input
 * commitment, so a re-run over changed data never reuses a key, mask or noise. Any exception the
 * operator throws aborts the job at every party through one sanitised path: peers learn the kind of
 * failure, never its local details.
 *
 * <p><b>What the operator must guarantee.</b> Validate everything a peer sends (counts, sizes,
 * points) and throw {@link io.veil.ProtocolException} naming the peer and step; never put input
 * values, keys or shares in messages or exceptions; send only blinded or secret-shared values;
 * document its leakage (what each role learns beyond its output), and state it in {@link #leakage}.
 *
 * <p>Implementations are stateless and thread-safe (one instance serves every job in the JVM).
 */
public interface SecureOperator {
  /** The name a spec's {@code operator:} field uses, e.g. {@code psi}. Lower case, digits and '-'. */
  String name();

  /** The top-level spec field holding this operator's settings, e.g. {@code psi} or {@code featureAggregate}. */
  String section();

  /**
   * Reads and validates this operator's section (which may be absent: {@link SpecSection#present()})
   * against the spec's parties, already read and valid. Called on every party's driver when the spec
   * is read, before anything else happens.
   *
   * @throws io.veil.InvalidInputException naming the field and the fix
   */
  OperatorSettings readSettings(SpecSection section, List<PartySpec> parties);

  /**
   * Checks, from the schema alone (no data is read), that {@code party}'s input has what the job
   * needs. Called on the driver before this party approves the job.
   *
   * @throws io.veil.InvalidInputException naming each missing or mistyped column
   */
  void validateInput(JobSpec spec, PartySpec party, StructType schema);

  /**
   * The schema of the table {@code party} receives (its output), or empty when it receives none.
   * Lets a surface plan with the result before the job runs: the SQL functions declare their
   * relation with it. What {@link #run} returns as the output must have these column names and
   * types (nullability aside).
   *
   * @param inputSchema the party's input schema after the spec's column selection, or null for a
   *     party without input
   */
  Optional<StructType> outputSchema(JobSpec spec, PartySpec party, StructType inputSchema);

  /**
   * The job summary's labelled figures for {@code party}, in order, made from the result figures
   * the receipt records ({@link OperatorResult#figures()}): the same for a fresh run and for a
   * finished job run again, which returns what its receipt records. Default: the figures as they are.
   */
  default Map<String, String> display(JobSpec spec, String party, Map<String, String> figures) {
    return new java.util.TreeMap<>(figures);
  }

  /**
   * Runs this party's side of the job; every other party runs it concurrently with the same spec.
   *
   * @return this party's result: its output (where it has one), figures for the summary and the
   *     receipt, and the rounds it sent and received
   */
  OperatorResult run(OperatorContext context);

  /**
   * The operator's leakage statement for a job with {@code spec}'s settings: for each role (the
   * parties by their ids, the Kafka operator), what it learns beyond its own output, as the README's
   * leakage table says, with the figures the settings fix (minimum group size, DP budget, output
   * mode, recipients). Every operator owns its statement; {@code veil report} prints it with the
   * job's results.
   */
  List<Leakage> leakage(JobSpec spec);
}
