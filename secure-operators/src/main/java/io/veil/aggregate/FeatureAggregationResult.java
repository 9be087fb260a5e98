package io.veil.aggregate;

import io.veil.channel.RoundSummary;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Outcome of a feature aggregation at one party.
 *
 * @param z at the result party: its key columns (as strings) and {@code z0..z(d-1)}, one row per
 *     aligned row
 * @param rows aligned rows (equal at every party)
 * @param rounds the rounds this party took part in, for the receipt
 */
public record FeatureAggregationResult(Optional<Dataset<Row>> z, long rows, List<RoundSummary> rounds) {}
