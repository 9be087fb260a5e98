package io.veil.psi;

import io.veil.channel.RoundSummary;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Outcome of a PSI run at one party.
 *
 * @param rows in {@link PsiMode#ROWS} mode at a recipient: this party's input rows whose key is in
 *     the intersection (all columns of the input, every duplicate row of a matching key); empty
 *     otherwise
 * @param intersectionSize number of distinct normalised keys in the intersection, or -1 where this
 *     party is not a recipient
 * @param inputRows rows read from this party's input
 * @param nullKeyRows rows dropped because a key column was NULL
 * @param distinctKeys distinct normalised keys this party sent
 * @param peerDistinctKeys distinct keys the peer sent (its set size: learned by every party)
 * @param comparisonBytes truncated hash length used for the comparison
 * @param rounds digests of every round this party sent or received
 */
public record PsiResult(
    Optional<Dataset<Row>> rows,
    long intersectionSize,
    long inputRows,
    long nullKeyRows,
    long distinctKeys,
    long peerDistinctKeys,
    int comparisonBytes,
    List<RoundSummary> rounds) {
}
