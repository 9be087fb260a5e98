package io.veil.aggregate;

import io.veil.channel.RoundSummary;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Outcome of a secure grouped SUM/COUNT at one party.
 *
 * @param table at the result party: one row per group of the domain (group columns, {@code count},
 *     the sums, {@code suppressed}); suppressed groups have NULL count and sums
 * @param inputRows rows this party contributed (0 if it holds no input)
 * @param groups groups in the declared domain
 * @param released groups whose sums were computed and revealed (every party of the job learns which;
 *     nobody else)
 * @param rounds the rounds this party took part in, for the receipt
 */
public record AggregateResult(
    Optional<Dataset<Row>> table, long inputRows, int groups, int released, List<RoundSummary> rounds) {}
