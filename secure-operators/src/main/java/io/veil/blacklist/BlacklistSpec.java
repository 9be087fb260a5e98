package io.veil.blacklist;

import io.veil.psi.KeyNormalization;
import io.veil.spec.ColumnUse;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Settings of a blacklist lookup ({@code operator: blacklist-lookup}, section {@code blacklist}):
 * the holder's list, encoded once into its {@link #store() store} and copied to the querier's
 * {@link #copy() copy}, answers the querier's ids.
 *
 * @param holder the party holding the list; its input is the list (key columns, and its reason
 *     column when {@code reasonColumn} is set)
 * @param querier the party asking; its input holds the ids to check; it alone receives an output
 * @param list the list's name: the holder's long-lived list key derives from it and {@code keyVersion}
 * @param keyVersion the list key's version; raising it re-encodes the whole list under a new key
 * @param reasonColumn the holder's column with a reason code per id (at most {@value
 *     BlacklistStore#MAX_REASON_BYTES} UTF-8 bytes), or null for a list without reasons
 * @param store where the holder keeps the encoded list (a Hadoop path of its own storage)
 * @param copy where the querier keeps its copy of the encoded list (a Hadoop path of its storage)
 * @param partitions Spark partitions of the query and of a copy's transfer
 * @param batchRows elements per signed batch on the channel
 * @param normalization key normalisation, as in PSI; the same at both parties
 */
public record BlacklistSpec(String holder, String querier, String list, int keyVersion, String reasonColumn,
    String store, String copy, int partitions, int batchRows, KeyNormalization normalization)
    implements OperatorSettings {

  /** Reads and validates the section against the spec's parties. */
  public static BlacklistSpec read(SpecSection s, List<PartySpec> parties) {
    s.require();
    s.allowOnly("holder", "querier", "list", "keyVersion", "reasonColumn", "store", "copy", "partitions",
        "batchRows", "normalize");
    if (parties.size() != 2) {
      throw s.errorAt("parties", "lists " + parties.size() + " parties but a blacklist lookup runs between "
          + "exactly 2: the list's holder and the querier");
    }
    String holder = s.party("holder", parties);
    String querier = s.party("querier", parties);
    if (holder.equals(querier)) {
      throw s.error("querier", "names the holder; the querier is the other party");
    }
    String list = s.string("list", null);
    if (!list.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw s.error("list", "must be 1 to 64 letters, digits, '.', '_' or '-' (the list's name; its key derives "
          + "from it)");
    }
    String reason = s.optionalString("reasonColumn").orElse(null);
    s.twoPartyInputs(parties, p -> p.id().equals(holder) ? "the list" : "the ids to check", querier, "querier",
        "the querier receives its rows with their list status");
    PartySpec h = parties.stream().filter(p -> p.id().equals(holder)).findFirst().orElseThrow();
    if (reason != null && h.input().keyColumns().contains(reason)) {
      throw s.error("reasonColumn", "names the key column '" + reason + "'; name the column with the reason codes");
    }
    return new BlacklistSpec(holder, querier, list, s.integer("keyVersion", 1, 1, 1_000_000), reason,
        s.string("store", null), s.string("copy", null), s.integer("partitions", 4, 1, 4096),
        s.integer("batchRows", 4096, 1, 1 << 20), s.normalization());
  }

  @Override
  public Map<String, Object> canonical() {
    Map<String, Object> m = new TreeMap<>();
    m.put("holder", holder);
    m.put("querier", querier);
    m.put("list", list);
    m.put("keyVersion", keyVersion);
    m.put("reasonColumn", reasonColumn);
    m.put("store", store);
    m.put("copy", copy);
    m.put("partitions", partitions);
    m.put("batchRows", batchRows);
    m.put("normalize", normalization.canonical());
    return m;
  }

  @Override
  public List<String> recipients() {
    return List.of(querier);
  }

  /** Ids are join keys; the holder's reasons and the querier's kept columns are released as output. */
  @Override
  public Map<String, Set<ColumnUse>> columnUses(PartySpec party) {
    Map<String, Set<ColumnUse>> uses = new LinkedHashMap<>();
    ColumnUse.JOIN_KEY.addTo(uses, party.input().keyColumns());
    if (party.id().equals(holder)) {
      if (reasonColumn != null) {
        ColumnUse.OUTPUT.addTo(uses, List.of(reasonColumn));
      }
    } else if (party.input().columns() != null) {
      ColumnUse.OUTPUT.addTo(uses, party.input().columns());
    }
    return uses;
  }

  /** The holder reads its keys and reason column only, whatever its {@code columns} says. */
  @Override
  public boolean readsEveryColumn(PartySpec party) {
    return !party.id().equals(holder) && OperatorSettings.super.readsEveryColumn(party);
  }
}
