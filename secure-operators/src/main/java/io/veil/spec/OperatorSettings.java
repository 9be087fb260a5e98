package io.veil.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

  /** The columns of {@code party}'s input the job uses: by default its key columns and the columns it keeps. */
  default List<String> columnsUsed(PartySpec party) {
    List<String> cols = new ArrayList<>();
    if (party.input() == null) {
      return cols;
    }
    if (party.input().keyColumns() != null) {
      cols.addAll(party.input().keyColumns());
    }
    if (party.input().columns() != null) {
      cols.addAll(party.input().columns());
    }
    return cols;
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
