package io.veil.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An operator's settings, as read from its section of a job spec by the operator's
 * {@link io.veil.job.SecureOperator#readSettings}. Immutable; identical at every party that reads
 * the same spec.
 */
public interface OperatorSettings {
  /**
   * The section with every default made explicit, as plain values (maps, lists, text, numbers,
   * booleans, null), for the canonical JSON the contract and algorithm hashes are computed over.
   * Two settings that compute something different must give different maps.
   */
  Map<String, Object> canonical();

  /** The parties that receive an output of the job. */
  List<String> recipients();

  /**
   * How the job uses each column of {@code party}'s input, in a stable order: the map's keys are
   * every column the job reads from that input, each with its uses. A column may have no use: the
   * job reads it but releases nothing derived from it (e.g. PSI's kept columns at a party that
   * receives no rows). A party's policy {@code columnRules} is checked against these uses, for
   * every operator, so an operator that reads a column must list it here.
   *
   * <p>By default: the key columns as {@link ColumnUse#JOIN_KEY}, the kept columns
   * ({@code input.columns}) as {@link ColumnUse#OUTPUT}; none for a party without input. Returns a
   * new mutable map with mutable sets, which overrides may adjust.
   */
  default Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
    Map<String, Set<ColumnUse>> uses = new LinkedHashMap<>();
    if (party.input() != null) {
      ColumnUse.JOIN_KEY.addTo(uses, party.input().keyColumns());
      ColumnUse.OUTPUT.addTo(uses, party.input().columns());
    }
    return uses;
  }

  /**
   * The columns of {@code party}'s input the job uses, in order: the keys of
   * {@link #columnUses(PartySpec)}. A party's policy {@code columns} is checked against them.
   */
  default List<String> columnsUsed(PartySpec party) {
    return List.copyOf(columnUses(party).keySet());
  }

  /** Whether the job reads (and may output) every column of {@code party}'s input: by default when its {@code columns} is not set. */
  default boolean readsEveryColumn(PartySpec party) {
    return party.input() != null && party.input().columns() == null;
  }

  /** The label receipts record for the operator with these settings (e.g. {@code psi-cardinality}); by default its name. */
  default String label(String operator) {
    return operator;
  }
}
