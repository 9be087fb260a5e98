package io.veil.spec;

import io.veil.psi.KeyNormalization;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Settings of additive feature aggregation ({@code operator: feature-aggregate}): rows aligned by
 * key (a prior PSI's output), each data party contributes a vector of {@code dims} values per row
 * (its input's {@code columns}), and only the result party learns their sum, row by row.
 *
 * @param resultParty the party that learns Z = sum of the parties' vectors (it must hold an input:
 *     the rows are identified by its keys)
 * @param dims vector length; every data party lists exactly this many {@code columns}
 * @param scale decimal places kept (fixed point)
 * @param maxAbs declared range of every contributed value
 * @param normalization key normalisation used for the alignment (as in PSI)
 * @param partitions data-plane partitions per stream
 * @param batchRows rows per signed batch (each carries {@code batchRows * dims} ring elements)
 */
public record FeatureAggregateSpec(
    String resultParty, int dims, int scale, BigDecimal maxAbs, KeyNormalization normalization, int partitions,
    int batchRows) implements OperatorSettings {

  public static final int DEFAULT_SCALE = 6;
  public static final int DEFAULT_BATCH_ROWS = 1024;
  public static final int MAX_DIMS = 4096;

  @Override
  public Map<String, Object> canonical() {
    return FeatureAggregateSection.canonical(this);
  }

  @Override
  public List<String> recipients() {
    return List.of(resultParty);
  }

  /**
   * The key columns as {@link ColumnUse#JOIN_KEY} (they align the rows across parties) and the
   * feature columns ({@code input.columns}, the party's vector) as {@link ColumnUse#AGGREGATE}:
   * only their row-wise sum over every party reaches the result party.
   */
  @Override
  public Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
    Map<String, Set<ColumnUse>> uses = new LinkedHashMap<>();
    if (party.input() != null) {
      ColumnUse.JOIN_KEY.addTo(uses, party.input().keyColumns());
      ColumnUse.AGGREGATE.addTo(uses, party.input().columns());
    }
    return uses;
  }
}
