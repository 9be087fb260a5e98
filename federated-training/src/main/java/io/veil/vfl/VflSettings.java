package io.veil.vfl;

import io.veil.spec.ColumnUse;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Spec-reading helpers shared by the vflTrain and vflPredict sections. */
final class VflSettings {
  private VflSettings() {}

  /** The section's {@code labelParty}: a party of the spec. */
  static String labelParty(SpecSection s, List<PartySpec> parties) {
    String label = s.party("labelParty", parties);
    if (parties.size() < 2) {
      throw s.errorAt("parties", "lists " + parties.size() + " party but federated learning needs at least 2");
    }
    return label;
  }

  /** Fails unless {@code p} has an input with key columns and a column list. */
  static void requireInput(SpecSection s, PartySpec p, String columnsHold) {
    String path = "parties[" + p.id() + "].input";
    if (p.input() == null) {
      throw s.errorAt(path, "is required: every party of a federated model holds the aligned rows");
    }
    if (p.input().keyColumns() == null || p.input().keyColumns().isEmpty()) {
      throw s.errorAt(path + ".keyColumns", "is required; name the key column(s) the rows are aligned by");
    }
    if (p.input().columns() == null) {
      throw s.errorAt(path + ".columns", "is required: list " + columnsHold);
    }
  }

  /** Fails unless every party's key has as many columns (composite keys must match in length). */
  static void requireSameKeyLength(SpecSection s, List<PartySpec> parties) {
    int n = parties.get(0).input().keyColumns().size();
    for (PartySpec p : parties) {
      if (p.input().keyColumns().size() != n) {
        throw s.errorAt("parties[" + p.id() + "].input.keyColumns", "has " + p.input().keyColumns().size()
            + " columns but " + parties.get(0).id() + "'s has " + n + "; composite keys must match in length");
      }
    }
  }

  /** A text field that must be one of {@code allowed} (lower case), {@code dflt} when absent. */
  static String oneOf(SpecSection s, String field, String dflt, String... allowed) {
    String v = s.string(field, dflt).toLowerCase(Locale.ROOT);
    if (!List.of(allowed).contains(v)) {
      throw s.error(field, "is '" + v + "'; use one of " + String.join(", ", allowed));
    }
    return v;
  }

  /** A decimal above 0, {@code dflt} when absent (null: required). */
  static BigDecimal positive(SpecSection s, String field, String dflt) {
    BigDecimal v = s.decimal(field, dflt == null).orElseGet(() -> new BigDecimal(dflt));
    if (v.signum() <= 0) {
      throw s.error(field, "must be above 0");
    }
    return v;
  }

  /** The key columns align the rows; every other listed column is {@link ColumnUse#TRAIN}. */
  static Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
    Map<String, Set<ColumnUse>> uses = new LinkedHashMap<>();
    if (party.input() != null) {
      ColumnUse.JOIN_KEY.addTo(uses, party.input().keyColumns());
      ColumnUse.TRAIN.addTo(uses, party.input().columns());
    }
    return uses;
  }
}
