package io.veil.psi;

import io.veil.psi.internal.PsiProtocol;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Two-party private set intersection as a Spark {@code Dataset -> Dataset} operator: ECDH-PSI
 * (Diffie-Hellman blinding, Meadows 1986; Huberman, Franklin, Hogg 1999) over Curve25519 with
 * RFC 9380 hash-to-curve and RFC 7748 X25519.
 *
 * <h2>Protocol (semi-honest parties)</h2>
 * <ol>
 *   <li>Each party normalises its key columns, drops NULL keys (counted) and deduplicates; each
 *       distinct key k becomes H(k)^a (hash to the curve, blind with a per-job key a). The
 *       blinded set is repartitioned and sorted by the blinded values (an order unrelated to the
 *       input table) and sent in signed batches (step {@code blind-1}).
 *   <li>Each party validates every point it receives and blinds it again: H(y)^(ab). Its
 *       truncated hash is either answered back to the peer in place (rows mode, peer is a
 *       recipient), answered as a shuffled set (cardinality mode), or kept (step
 *       {@code blind-2}).
 *   <li>A recipient compares the truncated hashes of its own doubly-blinded keys (answered by the
 *       peer) with those of the peer's keys (computed itself) and joins matches back to its rows.
 * </ol>
 * Every crypto operation runs in executors; the driver only sees counts and digests.
 *
 * <h2>Leakage (beyond the output)</h2>
 * Both parties learn the other's number of distinct non-NULL keys. A non-recipient learns nothing
 * else. A recipient in rows mode learns which of its own keys are shared; in cardinality mode only
 * how many. Hash comparison length is chosen so that a false match has probability at most 2^-40.
 */
public final class PsiOperator {
  private PsiOperator() {}

  /**
   * Runs this party's side of PSI. The peer must run it concurrently with the same options.
   *
   * @return this party's result; see {@link PsiResult}
   * @throws io.veil.ProtocolException if the peer sends anything invalid (the peer is told)
   * @throws io.veil.PeerTimeoutException if the peer does not answer in time
   */
  public static PsiResult run(SparkSession spark, Dataset<Row> input, PsiOptions options, PsiContext context) {
    PsiInputs.validate(input.schema(), options.keyColumns(), context.me());
    return PsiProtocol.run(spark, input, options, context);
  }
}
