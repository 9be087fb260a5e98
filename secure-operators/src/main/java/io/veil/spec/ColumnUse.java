package io.veil.spec;

import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How a job uses a column of a party's input, as an operator declares it
 * ({@link OperatorSettings#columnUses}) and as a party's policy {@code columnRules} allows it
 * ({@link PartyPolicy}). Each use has a YAML name, which {@link #toString()} returns.
 */
public enum ColumnUse {
  /**
   * {@code join-key}: a key matched across parties (PSI keys, feature-aggregation alignment keys).
   * Peers learn how many distinct keys there are; recipients learn which (or how many) are shared.
   */
  JOIN_KEY("join-key"),
  /**
   * {@code group-by}: an aggregate's group column; its declared domain labels the released groups,
   * so the result party learns per-group totals over every party's rows.
   */
  GROUP_BY("group-by"),
  /**
   * {@code aggregate}: a value only released summed with other rows and parties (aggregate sums,
   * feature-aggregation feature columns).
   */
  AGGREGATE("aggregate"),
  /**
   * {@code output}: shown as-is in a released output row (PSI {@code input.columns} kept next to
   * the matching keys, at a recipient in rows mode).
   */
  OUTPUT("output"),
  /**
   * {@code train}: a feature or the label of a jointly trained model (vertical federated learning):
   * a feature leaves only as the party's bottom-model output, summed with every other party's; the
   * label only as the gradients the label party returns (see the vfl-train leakage table).
   */
  TRAIN("train");

  private final String yamlName;

  ColumnUse(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name policies use, e.g. {@code join-key}. */
  public String yamlName() {
    return yamlName;
  }

  /** The YAML name. */
  @Override
  public String toString() {
    return yamlName;
  }

  /** Every YAML name, in declaration order: {@code join-key, group-by, aggregate, output}. */
  public static List<String> yamlNames() {
    return Arrays.stream(values()).map(ColumnUse::yamlName).toList();
  }

  /** The use named {@code name} (case does not matter), or empty if there is none. */
  public static Optional<ColumnUse> fromYamlName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(u -> u.yamlName.equals(n)).findFirst();
  }

  /**
   * Records this use for each of {@code columns} in {@code uses}, an ordered map from column to
   * its uses as {@link OperatorSettings#columnUses} returns it: a column not yet in the map is added
   * at its end. {@code null} columns add nothing. For implementations of {@code columnUses}.
   */
  public void addTo(Map<String, Set<ColumnUse>> uses, Collection<String> columns) {
    if (columns != null) {
      columns.forEach(c -> uses.computeIfAbsent(c, k -> EnumSet.noneOf(ColumnUse.class)).add(this));
    }
  }
}
