package io.veil.spec;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.InvalidInputException;
import io.veil.psi.KeyNormalization;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * An operator's section of a job spec (e.g. {@code psi:}), read strictly: a field that is not
 * allowed, has the wrong type or is out of range is an error naming the field's path and the spec
 * file, so a typo never silently becomes a default. Operators read their settings through it in
 * {@link io.veil.job.SecureOperator#readSettings}.
 */
public final class SpecSection {
  private final SpecReader reader;
  private final JsonNode root;
  private final JsonNode node;
  private final String path;

  SpecSection(SpecReader reader, JsonNode root, JsonNode node, String path) {
    this.reader = reader;
    this.root = root;
    this.node = node == null || node.isNull() ? null : node;
    this.path = path;
  }

  /** The section's path in the spec, e.g. {@code psi}. */
  public String path() {
    return path;
  }

  /** Whether the spec has the section at all. */
  public boolean present() {
    return node != null;
  }

  /** Fails unless the section is present. */
  public SpecSection require() {
    if (node == null) {
      throw reader.error(path, "is required");
    }
    return this;
  }

  /** Fails on any field of the section not in {@code fields}, and unless the section is a mapping. */
  public void allowOnly(String... fields) {
    reader.allowOnly(node, path, Set.of(fields));
  }

  /** Whether the section has {@code field}. */
  public boolean has(String field) {
    return node != null && node.has(field) && !node.get(field).isNull();
  }

  /** A text field; {@code dflt} when absent (null: the field is required). */
  public String string(String field, String dflt) {
    return reader.string(node, path, field, dflt);
  }

  /** A text field that may be absent. */
  public Optional<String> optionalString(String field) {
    return Optional.ofNullable(reader.optionalString(node, field));
  }

  /** A whole number in {@code [min, max]}, {@code dflt} when absent. */
  public int integer(String field, int dflt, int min, int max) {
    return reader.integer(node, path, field, dflt, min, max);
  }

  /** A whole number of at least {@code min}, {@code dflt} when absent. */
  public long longValue(String field, long dflt, long min) {
    return reader.longValue(node, path, field, dflt, min);
  }

  /** A decimal number exactly as written; empty when absent and not {@code required}. */
  public Optional<BigDecimal> decimal(String field, boolean required) {
    return Optional.ofNullable(reader.decimal(node, path, field, required));
  }

  /** true or false, {@code dflt} when absent. */
  public boolean bool(String field, boolean dflt) {
    return reader.bool(node, path, field, dflt);
  }

  /** A list of text values (a single value counts as a list of one); empty when absent and not {@code required}. */
  public Optional<List<String>> strings(String field, boolean required) {
    return Optional.ofNullable(reader.strings(node, path, field, required));
  }

  /** A nested mapping (possibly absent: see {@link #present()}). */
  public SpecSection child(String field) {
    JsonNode n = node == null ? null : reader.object(node, path, field, false);
    return new SpecSection(reader, root, n, SpecReader.join(path, field));
  }

  /** A list of mappings; empty when absent. */
  public List<SpecSection> list(String field) {
    List<SpecSection> out = new ArrayList<>();
    JsonNode n = node == null ? null : node.get(field);
    if (n == null || n.isNull()) {
      return out;
    }
    if (!n.isArray()) {
      throw reader.error(SpecReader.join(path, field), "must be a list");
    }
    int i = 0;
    for (JsonNode e : n) {
      out.add(new SpecSection(reader, root, e, SpecReader.join(path, field) + "[" + i++ + "]"));
    }
    return out;
  }

  /** A text field that must name one of {@code parties}; fails naming the field otherwise. */
  public String party(String field, List<PartySpec> parties) {
    String id = string(field, null);
    if (parties.stream().noneMatch(p -> p.id().equals(id))) {
      throw error(field, "names '" + id + "', which is not a party of the spec");
    }
    return id;
  }

  /**
   * Checks the two parties of a two-party operator in the spec's order: each input names key
   * columns, as many as the other party's, and only {@code receiver} has an output.
   *
   * @param missingInput why a party needs an input ("is required: <why>"), or null to report a
   *     missing input as missing key columns
   * @param receiverRole what the spec calls the receiver, e.g. {@code querier}
   * @param receiverOutput why the receiver needs an output ("is required: <why>")
   */
  public void twoPartyInputs(List<PartySpec> parties, Function<PartySpec, String> missingInput, String receiver,
      String receiverRole, String receiverOutput) {
    int keyLength = -1;
    for (PartySpec p : parties) {
      String path = "parties[" + p.id() + "].input";
      if (p.input() == null && missingInput != null) {
        throw errorAt(path, "is required: " + missingInput.apply(p));
      }
      List<String> keys = p.input() == null ? null : p.input().keyColumns();
      if (keys == null || keys.isEmpty()) {
        throw errorAt(path + ".keyColumns", "is required; name the id column(s)");
      }
      if (keyLength >= 0 && keys.size() != keyLength) {
        throw errorAt(path + ".keyColumns", "has " + keys.size() + " columns but the other party's has "
            + keyLength + "; composite keys must match in length");
      }
      keyLength = keys.size();
      boolean receives = p.id().equals(receiver);
      if (receives ? p.output() == null : p.output() != null) {
        throw errorAt("parties[" + p.id() + "].output", receives
            ? "is required: " + receiverOutput
            : "is set but only the " + receiverRole + " (" + receiver + ") receives an output; remove it");
      }
    }
  }

  /** A key normalisation read from the section's optional {@code normalize} mapping. */
  public KeyNormalization normalization() {
    return PsiSection.normalization(reader, node, path);
  }

  /** An error about {@code field} of this section: "Cannot read job spec F: 'psi.mode' must be ...". */
  public InvalidInputException error(String field, String problem) {
    return reader.error(field.isEmpty() ? path : SpecReader.join(path, field), problem);
  }

  /** An error about any place in the spec, e.g. {@code parties[bank_a].input.keyColumns}. */
  public InvalidInputException errorAt(String specPath, String problem) {
    return reader.error(specPath, problem);
  }

  SpecReader reader() {
    return reader;
  }

  JsonNode root() {
    return root;
  }
}
