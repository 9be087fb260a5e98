package io.veil.ledger.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veil.InvalidInputException;
import io.veil.ledger.internal.CanonicalJson;
import io.veil.ledger.internal.Hashes;
import io.veil.ledger.internal.JsonCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The off-chain metadata of a data, compute or algorithm asset, whose hash the ledger contract
 * stores as the asset's {@code proof} ({@link ChainClient#registerAsset}).
 *
 * <p>JSON form (one object; unknown fields are errors):
 * <pre>{@code
 * {"id": "<64 hex>", "type": "data", "owner": "0x<40 hex>", "storagePath": "s3a://bank/customers",
 *  "endpoint": "https://bank.example/veil", "children": ["<64 hex>", ...], "operationCodeHashes": ["<64 hex>", ...]}
 * }</pre>
 * {@code id}, {@code type} and {@code storagePath} are required; {@code owner} and {@code endpoint}
 * may be left out (null), {@code children} and {@code operationCodeHashes} default to empty lists.
 * Ids and hashes are 64 lower-case hex digits without {@code 0x}. {@code owner} is informational:
 * the chain makes the registering account the owner; {@code veil asset register} refuses metadata
 * naming another account. The order of {@code children} is the order registered on chain.
 *
 * <p>{@link #proof()} is SHA-256 of the RFC 8785 canonical JSON ({@link #toJson()}) of all seven
 * fields, absent ones as {@code null} or {@code []}: two files that differ only in layout, key order
 * or left-out defaults have the same proof; any change of a value changes it. Immutable.
 *
 * @param idHex the asset id, 64 lower-case hex digits, not all zero
 * @param type what the asset is
 * @param owner the owner's account, {@code 0x} + 40 lower-case hex digits, or null
 * @param storagePath where the data lives (a URI), at most 1024 UTF-8 bytes
 * @param endpoint where the asset is served (e.g. a compute endpoint), or null
 * @param childrenHex the ids of the assets this asset uses, distinct, not its own id
 * @param operationCodeHashes hashes of the operations (code) allowed on or provided by the asset, distinct
 */
public record DataAsset(String idHex, Type type, String owner, String storagePath, String endpoint,
    List<String> childrenHex, List<String> operationCodeHashes) {
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
  private static final int MAX_STORAGE_PATH_BYTES = 1024;
  private static final Set<String> FIELDS =
      Set.of("id", "type", "owner", "storagePath", "endpoint", "children", "operationCodeHashes");

  /** What an asset is, as in the JSON {@code type} field (lower case). */
  public enum Type {
    DATA, COMPUTE, ALGORITHM;

    public String jsonName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Validates every field; messages name the field. */
  public DataAsset {
    owner = owner == null ? null : owner.toLowerCase(Locale.ROOT);
    childrenHex = List.copyOf(childrenHex == null ? List.of() : childrenHex);
    operationCodeHashes = List.copyOf(operationCodeHashes == null ? List.of() : operationCodeHashes);
    validate("asset metadata", idHex, type, owner, storagePath, endpoint, childrenHex, operationCodeHashes);
  }

  /** Reads and validates a metadata file. */
  public static DataAsset read(Path file) {
    byte[] json;
    try {
      json = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputException("Cannot read asset metadata " + file + ": " + e.getClass().getSimpleName()
          + ". Check the --metadata path.", e);
    }
    return parse(json, file.toString());
  }

  /** Parses and validates metadata JSON (UTF-8); {@code source} names it in errors. */
  public static DataAsset parse(byte[] json, String source) {
    String what = "asset metadata " + source;
    JsonNode root;
    try {
      root = JsonCodec.parseTree(json, what);
    } catch (JsonCodec.ReadFailure e) {
      throw new InvalidInputException("Cannot read " + what + ": " + e.reason() + ". Write one JSON object "
          + "with the fields " + String.join(", ", FIELDS.stream().sorted().toList()) + ".", e);
    }
    root.fieldNames().forEachRemaining(name -> {
      if (!FIELDS.contains(name)) {
        throw error(what, name, "is not a metadata field",
            "Allowed: " + String.join(", ", FIELDS.stream().sorted().toList()));
      }
    });
    String id = text(what, root, "id");
    String typeName = text(what, root, "type");
    Type type = null;
    for (Type t : Type.values()) {
      if (t.jsonName().equals(typeName)) {
        type = t;
      }
    }
    if (typeName != null && type == null) {
      throw error(what, "type", "is '" + typeName + "'", "Use data, compute or algorithm");
    }
    String owner = text(what, root, "owner");
    String storagePath = text(what, root, "storagePath");
    String endpoint = text(what, root, "endpoint");
    List<String> children = texts(what, root, "children");
    List<String> opHashes = texts(what, root, "operationCodeHashes");
    validate(what, id, type, owner, storagePath, endpoint, children, opHashes);
    return new DataAsset(id, type, owner, storagePath, endpoint, children, opHashes);
  }

  /** The asset id as 32 bytes. */
  public byte[] id() {
    return Hashes.unhex(idHex);
  }

  /** The child asset ids as 32-byte values, in order. */
  public List<byte[]> children() {
    return childrenHex.stream().map(Hashes::unhex).toList();
  }

  /** The canonical JSON of this metadata (RFC 8785, UTF-8): what {@link #proof()} hashes. */
  public String toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("id", idHex);
    o.put("type", type.jsonName());
    o.put("owner", owner);
    o.put("storagePath", storagePath);
    o.put("endpoint", endpoint);
    ArrayNode kids = o.putArray("children");
    childrenHex.forEach(kids::add);
    ArrayNode ops = o.putArray("operationCodeHashes");
    operationCodeHashes.forEach(ops::add);
    return new String(CanonicalJson.encode(o), StandardCharsets.UTF_8);
  }

  /** SHA-256 of {@link #toJson()}: the asset's on-chain {@code proof}. */
  public byte[] proof() {
    return Hashes.sha256(toJson().getBytes(StandardCharsets.UTF_8));
  }

  /** {@link #proof()} as 64 lower-case hex digits. */
  public String proofHex() {
    return Hashes.hex(proof());
  }

  private static void validate(String what, String id, Type type, String owner, String storagePath, String endpoint,
      List<String> children, List<String> opHashes) {
    if (id == null) {
      throw error(what, "id", "is missing", "Give the asset id, 64 lower-case hex digits");
    }
    requireHash(what, "id", id);
    if (id.equals(Hashes.ZERO_HASH_HEX)) {
      throw error(what, "id", "is all zero, which the ledger contract refuses", "Pick another id, e.g. a random "
          + "one (openssl rand -hex 32)");
    }
    if (type == null) {
      throw error(what, "type", "is missing", "Use data, compute or algorithm");
    }
    if (owner != null && !ADDRESS.matcher(owner).matches()) {
      throw error(what, "owner", "is not 0x followed by 40 hex digits", "Give the owner's account address or "
          + "leave the field out");
    }
    if (storagePath == null || storagePath.isBlank()) {
      throw error(what, "storagePath", "is missing or blank", "Give the URI of the asset's data");
    }
    if (storagePath.getBytes(StandardCharsets.UTF_8).length > MAX_STORAGE_PATH_BYTES) {
      throw error(what, "storagePath", "is longer than " + MAX_STORAGE_PATH_BYTES + " UTF-8 bytes",
          "Give a shorter URI");
    }
    if (endpoint != null && endpoint.isBlank()) {
      throw error(what, "endpoint", "is blank", "Give the endpoint or leave the field out");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < children.size(); i++) {
      String child = children.get(i);
      requireHash(what, "children[" + i + "]", child);
      if (child.equals(id)) {
        throw error(what, "children[" + i + "]", "is the asset's own id", "An asset cannot use itself");
      }
      if (!seen.add(child)) {
        throw error(what, "children[" + i + "]", "repeats a child", "List each child once");
      }
    }
    seen.clear();
    for (int i = 0; i < opHashes.size(); i++) {
      requireHash(what, "operationCodeHashes[" + i + "]", opHashes.get(i));
      if (!seen.add(opHashes.get(i))) {
        throw error(what, "operationCodeHashes[" + i + "]", "repeats a hash", "List each hash once");
      }
    }
  }

  private static void requireHash(String what, String field, String value) {
    if (value == null || !HASH.matcher(value).matches()) {
      throw error(what, field, "is not 64 lower-case hex digits", "Write the 32-byte value as lower-case hex "
          + "without 0x");
    }
  }

  private static String text(String what, JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw error(what, field, "is not a string", "Quote the value");
    }
    return n.textValue();
  }

  private static List<String> texts(String what, JsonNode root, String field) {
    JsonNode n = root.get(field);
    List<String> out = new ArrayList<>();
    if (n == null || n.isNull()) {
      return out;
    }
    if (!n.isArray()) {
      throw error(what, field, "is not a list", "Write a JSON array of strings");
    }
    for (int i = 0; i < n.size(); i++) {
      if (!n.get(i).isTextual()) {
        throw error(what, field + "[" + i + "]", "is not a string", "Quote the value");
      }
      out.add(n.get(i).textValue());
    }
    return out;
  }

  private static InvalidInputException error(String what, String field, String problem, String fix) {
    return new InvalidInputException("Cannot read " + what + ": field '" + field + "' " + problem + ". " + fix + ".");
  }
}
