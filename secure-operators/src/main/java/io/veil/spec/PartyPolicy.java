package io.veil.spec;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.InvalidInputException;
import io.veil.PolicyRefusedException;
import io.veil.crypto.IdentityPublicKey;
import io.veil.psi.PsiMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A party's local policy: what it is willing to approve. Checked before the party signs a job's
 * contract; a refusal names the rule that refused.
 *
 * <pre>
 * party: bank_a
 * peers:                       # who this party computes with, and their pinned keys
 *   - id: bank_b
 *     publicKey: ed25519:...
 * operators: [psi, aggregate, feature-aggregate] # operators allowed
 * psiModes: [rows, cardinality] # optional, default both
 * minGroupSize: 10             # optional: smallest aggregate minGroupSize approved (default 0)
 * outputRecipients: [bank_a, bank_b] # who may receive outputs
 * columns: [id]                # optional: columns of our input a job may use (keys and outputs)
 * columnRules:                 # optional: how a job may use each column of our input, per peer
 *   - column: id
 *     allow: [join-key]
 * inputPaths: [data/]          # optional: prefixes of the locations our input may come from
 * </pre>
 *
 * <p>With {@code columns} set, every column a job reads from this party's input must be listed:
 * key and kept columns for PSI and feature aggregation, group and summed columns for aggregate.
 * For PSI and feature aggregation the spec must also list the columns it keeps from this party's input
 * ({@code input.columns}; {@code []} for the keys only): leaving it out keeps every column, which
 * the policy cannot check.
 *
 * <p>With {@code columnRules} set, every column a job uses from this party's input must be allowed
 * for each of its uses ({@link ColumnUse}: {@code join-key}, {@code group-by}, {@code aggregate},
 * {@code output}, as the operator declares them in {@link OperatorSettings#columnUses}), with each
 * other party of the job. For a column, a use and a peer, the first rule for that column (in file
 * order) whose {@code peers} is absent or names the peer decides; a column with no such rule is
 * refused, and so is a job that keeps every column. {@code allow: []} forbids any use. Both
 * {@code columns} and {@code columnRules} may be set; a job must pass both.
 *
 * <p>With {@code inputPaths} set, the input's location must start with one of the prefixes, and
 * the prefix must end at a separator of that location: the path for file inputs ({@code /}), the
 * table name for {@code table} inputs ({@code .}), the {@code url} option for {@code jdbc} inputs
 * ({@code /}, {@code ?} or {@code ;}). So {@code data/bank_a} covers {@code data/bank_a/x.csv} but
 * not {@code data/bank_a_hr}. A path containing {@code ..} is refused outright: Hadoop resolves it,
 * so it could leave the allowed directory.
 */
public final class PartyPolicy {
  private final String source;
  private final String party;
  private final Map<String, IdentityPublicKey> peers;
  private final Set<String> operators;
  private final Set<String> psiModes;
  private final Set<String> outputRecipients;
  private final List<String> columns;
  private final List<ColumnRule> columnRules;
  private final List<String> inputPaths;
  private final int minGroupSize;

  /**
   * One entry of {@code columnRules}.
   *
   * @param index its position in the list, to name it in refusals ({@code columnRules[index]})
   * @param column the column of this party's input it is about
   * @param allow the uses it allows (empty: none)
   * @param peers the peers it applies to, or null for every peer
   */
  private record ColumnRule(int index, String column, Set<ColumnUse> allow, List<String> peers) {
    boolean appliesTo(String column, String peer) {
      return this.column.equals(column) && (peers == null || peers.contains(peer));
    }

    /** E.g. {@code columnRules[2] (for peers [bank_b]) allows it only as [output]}. */
    String describe() {
      return "columnRules[" + index + "]" + (peers == null ? "" : " (for peers " + peers + ")")
          + " allows it only as " + allow + (allow.isEmpty() ? " (nothing)" : "");
    }
  }

  private PartyPolicy(String source, String party, Map<String, IdentityPublicKey> peers, Set<String> operators,
      Set<String> psiModes, Set<String> outputRecipients, List<String> columns, List<ColumnRule> columnRules,
      List<String> inputPaths, int minGroupSize) {
    this.source = source;
    this.party = party;
    this.peers = Map.copyOf(peers);
    this.operators = Set.copyOf(operators);
    this.psiModes = Set.copyOf(psiModes);
    this.outputRecipients = Set.copyOf(outputRecipients);
    this.columns = columns;
    this.columnRules = columnRules;
    this.inputPaths = inputPaths;
    this.minGroupSize = minGroupSize;
  }

  public static PartyPolicy read(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new InvalidInputException("Cannot read policy " + file + ": " + e.getClass().getSimpleName()
          + ". Check the --policy path.", e);
    }
  }

  public static PartyPolicy parse(String yaml, String source) {
    JsonNode root;
    try {
      root = SpecReader.YAML.readTree(yaml);
    } catch (IOException e) {
      throw new InvalidInputException("Cannot read policy " + source + ": it is not valid YAML ("
          + e.getMessage().lines().findFirst().orElse("") + "). Fix the syntax.", e);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidInputException("Cannot read policy " + source + ": it is empty or not a mapping. "
          + "See cluster-configs/examples/policy-bank_a.yaml.");
    }
    SpecReader r = new SpecReader("policy " + source);
    r.allowOnly(root, "", Set.of("party", "peers", "operators", "psiModes", "outputRecipients", "columns",
        "columnRules", "inputPaths", "minGroupSize"));
    String party = r.string(root, "", "party", null);
    Map<String, IdentityPublicKey> peers = new LinkedHashMap<>();
    JsonNode ps = root.get("peers");
    if (ps != null && !ps.isNull()) {
      if (!ps.isArray()) {
        throw r.error("peers", "must be a list");
      }
      int i = 0;
      for (JsonNode p : ps) {
        String path = "peers[" + i++ + "]";
        r.allowOnly(p, path, Set.of("id", "publicKey"));
        String id = r.string(p, path, "id", null);
        IdentityPublicKey key;
        try {
          key = IdentityPublicKey.parse(r.string(p, path, "publicKey", null));
        } catch (InvalidInputException e) {
          throw r.error(path + ".publicKey", "is not a valid key: " + e.getMessage());
        }
        if (peers.put(id, key) != null) {
          throw r.error(path + ".id", "repeats peer '" + id + "'; list each peer once, with the key you verified");
        }
      }
    }
    List<String> operators = r.strings(root, "", "operators", true);
    List<String> modes = r.strings(root, "", "psiModes", false);
    List<String> recipients = r.strings(root, "", "outputRecipients", true);
    return new PartyPolicy(source, party, peers,
        Set.copyOf(operators.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList()),
        modes == null ? Set.of("rows", "cardinality")
            : Set.copyOf(modes.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList()),
        Set.copyOf(recipients), r.strings(root, "", "columns", false), columnRules(r, root.get("columnRules")),
        r.strings(root, "", "inputPaths", false), r.integer(root, "", "minGroupSize", 0, 0, Integer.MAX_VALUE));
  }

  /** Reads {@code columnRules}: null when absent. */
  private static List<ColumnRule> columnRules(SpecReader r, JsonNode rules) {
    if (rules == null || rules.isNull()) {
      return null;
    }
    if (!rules.isArray()) {
      throw r.error("columnRules", "must be a list of rules, each {column: <name>, allow: [<uses>], peers: [<ids>]}");
    }
    List<ColumnRule> out = new ArrayList<>();
    for (JsonNode rule : rules) {
      String path = "columnRules[" + out.size() + "]";
      r.allowOnly(rule, path, Set.of("column", "allow", "peers"));
      String column = r.string(rule, path, "column", null);
      Set<ColumnUse> allow = EnumSet.noneOf(ColumnUse.class);
      for (String use : r.strings(rule, path, "allow", true)) {
        allow.add(ColumnUse.fromYamlName(use).orElseThrow(() -> r.error(path + ".allow", "names '" + use + "', "
            + "which is not a column use; use " + String.join(", ", ColumnUse.yamlNames()) + " ([] for none)")));
      }
      List<String> peers = r.texts(rule, path, "peers", false);
      if (peers != null && peers.isEmpty()) {
        throw r.error(path + ".peers", "is empty, so the rule would apply to no peer; leave 'peers' out for a rule "
            + "that applies to every peer");
      }
      out.add(new ColumnRule(out.size(), column, Collections.unmodifiableSet(allow),
          peers == null ? null : List.copyOf(peers)));
    }
    return List.copyOf(out);
  }

  public String party() {
    return party;
  }

  /** Throws {@link PolicyRefusedException} naming the first rule the spec breaks. */
  public void check(JobSpec spec, String me) {
    check(spec, me, null);
  }

  /**
   * As {@link #check(JobSpec, String)}, for a party whose input is named in SQL: {@code sqlSources}
   * are the tables and files that input reads (null when not known).
   */
  public void check(JobSpec spec, String me, List<SqlSource> sqlSources) {
    if (!party.equals(me)) {
      throw refuse("it is the policy of '" + party + "', not of '" + me + "'", "pass your own --policy");
    }
    if (!operators.contains(spec.operator())) {
      throw refuse("operator '" + spec.operator() + "' is not in 'operators' " + operators,
          "add it to the policy if you accept it");
    }
    if (spec.settings() instanceof PsiSpec psi) {
      String mode = psi.mode().name().toLowerCase(Locale.ROOT);
      if (!psiModes.contains(mode)) {
        throw refuse("PSI mode '" + mode + "' is not in 'psiModes' " + psiModes, "add it or change the spec");
      }
    }
    if (spec.settings() instanceof AggregateSpec agg && agg.minGroupSize() < minGroupSize) {
      throw refuse("the spec's minGroupSize " + agg.minGroupSize() + " is below the policy's "
          + "'minGroupSize' " + minGroupSize, "raise it in the spec");
    }
    for (PartySpec p : spec.parties()) {
      if (p.id().equals(me)) {
        continue;
      }
      IdentityPublicKey allowed = peers.get(p.id());
      if (allowed == null) {
        throw refuse("peer '" + p.id() + "' is not in 'peers'", "add it with its public key if you trust it");
      }
      if (!allowed.equals(p.publicKey())) {
        throw refuse("the spec pins a different public key for '" + p.id() + "' than the policy",
            "verify the key with " + p.id() + " out of band");
      }
    }
    for (String rec : spec.recipients()) {
      if (!outputRecipients.contains(rec)) {
        throw refuse("output recipient '" + rec + "' is not in 'outputRecipients' " + outputRecipients,
            "add it if that party may learn the result");
      }
    }
    PartySpec mine = spec.party(me);
    if (mine.input() != null && columns != null) {
      for (String c : spec.columnsUsed(me)) {
        if (!columns.contains(c)) {
          throw refuse("column '" + c + "' is not in 'columns' " + columns, "allow the column or change the spec");
        }
      }
      if (spec.settings().readsEveryColumn(mine)) {
        throw everyColumnKept(me, "'columns' allows only " + columns);
      }
    }
    if (mine.input() != null && columnRules != null) {
      checkColumnRules(spec.operator(), spec.settings(), mine, spec.others(me));
    }
    if (mine.input() != null && inputPaths != null) {
      checkLocation(mine.input(), sqlSources);
    }
  }

  /**
   * Checks each use of each column of {@code mine}'s input, by operator {@code operator} with
   * {@code settings}, with each of {@code peers} against {@code columnRules}.
   */
  void checkColumnRules(String operator, OperatorSettings settings, PartySpec mine, List<String> peers) {
    if (settings.readsEveryColumn(mine)) {
      throw everyColumnKept(mine.id(), "'columnRules' has rules only for "
          + columnRules.stream().map(ColumnRule::column).distinct().toList());
    }
    Map<String, Set<ColumnUse>> uses = settings.columnUses(mine);
    for (String c : settings.columnsUsed(mine)) {
      if (!uses.containsKey(c)) {
        throw refuse("operator '" + operator + "' reads column '" + c + "' of " + mine.id() + "'s input but does "
            + "not declare how it uses it (OperatorSettings.columnUses), so 'columnRules' cannot check it",
            "do not approve jobs of this operator under 'columnRules' until its author declares the use");
      }
    }
    for (Map.Entry<String, Set<ColumnUse>> e : uses.entrySet()) {
      String c = e.getKey();
      for (ColumnUse use : e.getValue()) {
        for (String peer : peers) {
          String what = "operator '" + operator + "' uses column '" + c + "' as " + use + " with " + peer;
          ColumnRule rule = columnRules.stream().filter(r -> r.appliesTo(c, peer)).findFirst().orElseThrow(() ->
              refuse(what + ", but column '" + c + "' has no rule in 'columnRules' that applies to peer " + peer,
                  "add a rule for the column (without 'peers', or with " + peer + " in its 'peers') or change "
                      + "the spec"));
          if (!rule.allow().contains(use)) {
            throw refuse(what + ", but " + rule.describe(), "allow that use in the rule or change the spec");
          }
        }
      }
    }
  }

  /**
   * The refusal of a job that keeps every column of {@code me}'s input, which {@code limit} (the
   * policy field and what it allows) cannot check.
   */
  private PolicyRefusedException everyColumnKept(String me, String limit) {
    return refuse("the spec keeps every column of " + me + "'s input (its 'columns' is not set) but " + limit,
        "list the columns to keep in the spec's input.columns ([] for the keys only)");
  }

  private void checkLocation(InputSpec in, List<SqlSource> sqlSources) {
    if (in.format().equals("sql")) {
      if (sqlSources == null) {
        throw refuse("the input is named in SQL (format sql) and the tables and files it reads are not known here, "
            + "so it cannot be checked against 'inputPaths' " + inputPaths, "run the job from a Veil SQL function");
      }
      for (SqlSource src : sqlSources) {
        checkLocation(src.table() ? "table read by the SQL input" : "path read by the SQL input", src.location(),
            src.table() ? "." : "/");
      }
    } else if (in.path() != null) {
      checkLocation("input path", in.path(), "/");
    } else if (in.format().equals("jdbc")) {
      checkLocation("JDBC url", in.options().get("url"), "/?;");
    } else {
      checkLocation("input table", in.table(), ".");
    }
  }

  private void checkLocation(String kind, String location, String separators) {
    if (location == null) {
      throw refuse("the " + kind + " is not set, so the input cannot be checked against 'inputPaths' " + inputPaths,
          "set it in the spec");
    }
    if (separators.equals("/") && location.contains("..")) {
      throw refuse(kind + " '" + location + "' contains '..', which can leave the directories in 'inputPaths' "
          + inputPaths, "give the path without '..'");
    }
    if (inputPaths.stream().noneMatch(prefix -> within(location, prefix, separators))) {
      throw refuse(kind + " '" + location + "' is outside 'inputPaths' " + inputPaths,
          "allow that location or change the spec");
    }
  }

  /**
   * A table or file an input named in SQL reads (format {@code sql}), as the SQL surface finds it in
   * the query's plan: checked against {@code inputPaths} like a spec's own input location.
   *
   * @param table a catalog table ({@code db.name}) rather than a file path
   * @param location the table's qualified name or the path (a query over anything else, such as
   *     an inline VALUES list, reads no location)
   */
  public record SqlSource(boolean table, String location) {}

  /** True if {@code location} starts with {@code prefix} and the prefix ends at a separator. */
  static boolean within(String location, String prefix, String separators) {
    if (prefix.isEmpty() || !location.startsWith(prefix)) {
      return false;
    }
    return location.length() == prefix.length()
        || separators.indexOf(prefix.charAt(prefix.length() - 1)) >= 0
        || separators.indexOf(location.charAt(prefix.length())) >= 0;
  }

  private PolicyRefusedException refuse(String why, String fix) {
    return new PolicyRefusedException("Cannot approve the job under policy " + source + ": " + why + ". "
        + Character.toUpperCase(fix.charAt(0)) + fix.substring(1) + ".");
  }

  /** True if the mode is allowed (for tests and tooling). */
  boolean allowsMode(PsiMode mode) {
    return psiModes.contains(mode.name().toLowerCase(Locale.ROOT));
  }
}
