package io.veil.spec;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.psi.KeyNormalization;
import io.veil.psi.PsiMode;
import io.veil.psi.PsiOptions;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Reads and writes the {@code psi} section of a job spec. */
public final class PsiSection {
  private PsiSection() {}

  /** Reads and validates the section against the spec's parties. */
  public static PsiSpec read(SpecSection section, List<PartySpec> parties) {
    return read(section.reader(), section.root(), parties);
  }

  static PsiSpec read(SpecReader r, JsonNode root, List<PartySpec> parties) {
    Set<String> ids = new HashSet<>();
    parties.forEach(p -> ids.add(p.id()));
    JsonNode psiNode = r.object(root, "", "psi", false);
    r.allowOnly(psiNode, "psi", Set.of("mode", "recipients", "normalize", "partitions", "batchRows", "protocol"));
    PsiMode mode;
    String modeText = r.string(psiNode, "psi", "mode", "rows").toUpperCase(Locale.ROOT);
    try {
      mode = PsiMode.valueOf(modeText);
    } catch (IllegalArgumentException e) {
      throw r.error("psi.mode", "must be 'rows' or 'cardinality'");
    }
    List<String> recipients = r.strings(psiNode, "psi", "recipients", false);
    if (recipients == null) {
      recipients = parties.stream().map(PartySpec::id).toList();
    }
    for (String rec : recipients) {
      if (!ids.contains(rec)) {
        throw r.error("psi.recipients", "names '" + rec + "', which is not a party of the spec");
      }
    }
    if (new HashSet<>(recipients).size() != recipients.size()) {
      throw r.error("psi.recipients", "names a party twice; list each recipient once");
    }
    recipients = recipients.stream().sorted().toList(); // a set: order does not change the contract
    if (recipients.isEmpty()) {
      throw r.error("psi.recipients", "is empty; name at least one party that receives the output");
    }
    PsiSpec.Protocol protocol;
    try {
      protocol = PsiSpec.Protocol.valueOf(r.string(psiNode, "psi", "protocol", "ecdh").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw r.error("psi.protocol", "must be 'ecdh' or 'oprf'");
    }
    if (protocol == PsiSpec.Protocol.OPRF && mode != PsiMode.ROWS) {
      throw r.error("psi.protocol", "'oprf' runs in mode 'rows' only: its receiving party learns which of its "
          + "keys are shared. Use protocol 'ecdh' for mode 'cardinality'");
    }
    KeyNormalization normalization = normalization(r, psiNode, "psi");
    int partitions = r.integer(psiNode, "psi", "partitions", PsiOptions.DEFAULT_PARTITIONS, 1, 10_000);
    int batchRows = r.integer(psiNode, "psi", "batchRows", PsiOptions.DEFAULT_BATCH_ROWS, 1, 1 << 20);

    if (parties.size() != 2) {
      throw r.error("parties", "lists " + parties.size() + " parties but PSI runs between exactly 2");
    }
    int keyCount = -1;
    for (PartySpec p : parties) {
      if (p.input() == null) {
        throw r.error("parties[" + p.id() + "].input", "is required for PSI");
      }
      int n = requireKeys(r, p);
      if (keyCount >= 0 && n != keyCount) {
        throw r.error("parties[" + p.id() + "].input.keyColumns",
            "has " + n + " columns but the other party has " + keyCount + "; composite keys must match in length");
      }
      keyCount = n;
      if (recipients.contains(p.id()) && mode == PsiMode.ROWS && p.output() == null) {
        throw r.error("parties[" + p.id() + "].output", "is required: " + p.id() + " receives intersection rows");
      }
    }
    return new PsiSpec(mode, List.copyOf(recipients), normalization, partitions, batchRows, protocol);
  }


  /** Reads an optional {@code normalize} mapping under {@code parent} (at {@code path}). */
  static KeyNormalization normalization(SpecReader r, JsonNode parent, String path) {
    JsonNode norm = parent == null ? null : r.object(parent, path, "normalize", false);
    r.allowOnly(norm, path + ".normalize", Set.of("trim", "case"));
    KeyNormalization.CaseMode caseMode;
    try {
      caseMode = KeyNormalization.CaseMode.valueOf(
          r.string(norm, path + ".normalize", "case", "none").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw r.error(path + ".normalize.case", "must be 'none', 'lower' or 'upper'");
    }
    return new KeyNormalization(r.bool(norm, path + ".normalize", "trim", true), caseMode);
  }

  /** The number of key columns of party {@code p}'s input, which must list at least one. */
  static int requireKeys(SpecReader r, PartySpec p) {
    List<String> keys = p.input().keyColumns();
    if (keys == null || keys.isEmpty()) {
      throw r.error("parties[" + p.id() + "].input.keyColumns", "is required; name at least one key column");
    }
    return keys.size();
  }

  /** The canonical form of the section (defaults explicit). */
  public static Map<String, Object> canonical(PsiSpec psi) {
    Map<String, Object> m = new TreeMap<>();
    m.put("mode", psi.mode().name().toLowerCase(Locale.ROOT));
    m.put("recipients", psi.recipients());
    m.put("normalize", psi.normalization().canonical());
    m.put("partitions", psi.partitions());
    m.put("batchRows", psi.batchRows());
    if (psi.protocol() != PsiSpec.Protocol.ECDH) {
      // Only when not the default, so specs written before the option keep their contract hash.
      m.put("protocol", psi.protocol().name().toLowerCase(Locale.ROOT));
    }
    return m;
  }
}
