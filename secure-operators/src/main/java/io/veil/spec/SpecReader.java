package io.veil.spec;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.veil.InvalidInputException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict reading of a YAML tree: unknown fields and wrong types are errors naming the field path
 * and the file, so a typo never silently becomes a default.
 */
final class SpecReader {
  /**
   * YAML reader for specs and policies. A key repeated in one mapping is an error: otherwise the
   * last value would silently win, and a reviewer reading the first would approve something else.
   */
  static final ObjectMapper YAML =
      new ObjectMapper(YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

  private final String source;

  SpecReader(String source) {
    this.source = source;
  }

  void allowOnly(JsonNode node, String path, Set<String> allowed) {
    if (node == null || node.isNull()) {
      return;
    }
    if (!node.isObject()) {
      throw error(path, "must be a mapping");
    }
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (!allowed.contains(n)) {
        throw new InvalidInputException("Cannot read " + source + ": unknown field '" + join(path, n)
            + "'. Allowed here: " + String.join(", ", allowed.stream().sorted().toList()) + ".");
      }
    }
  }

  JsonNode object(JsonNode parent, String path, String field, boolean required) {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw error(join(path, field), "is required");
      }
      return null;
    }
    if (!n.isObject()) {
      throw error(join(path, field), "must be a mapping");
    }
    return n;
  }

  String string(JsonNode parent, String path, String field, String dflt) {
    JsonNode n = parent == null ? null : parent.get(field);
    if (n == null || n.isNull()) {
      if (dflt == null) {
        throw error(join(path, field), "is required");
      }
      return dflt;
    }
    if (!n.isValueNode() || n.isBinary()) {
      throw error(join(path, field), "must be a text value");
    }
    return n.asText();
  }

  String optionalString(JsonNode parent, String field) {
    JsonNode n = parent == null ? null : parent.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  int integer(JsonNode parent, String path, String field, int dflt, int min, int max) {
    JsonNode n = parent == null ? null : parent.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.canConvertToInt() || !n.isIntegralNumber()) {
      throw error(join(path, field), "must be an integer");
    }
    int v = n.asInt();
    if (v < min || v > max) {
      throw error(join(path, field), "must be between " + min + " and " + max + " (got " + v + ")");
    }
    return v;
  }

  long longValue(JsonNode parent, String path, String field, long dflt, long min) {
    JsonNode n = parent == null ? null : parent.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isIntegralNumber()) {
      throw error(join(path, field), "must be an integer");
    }
    long v = n.asLong();
    if (v < min) {
      throw error(join(path, field), "must be at least " + min);
    }
    return v;
  }

  /** A decimal number (YAML number or text), exactly as written; null when absent and {@code required} is false. */
  java.math.BigDecimal decimal(JsonNode parent, String path, String field, boolean required) {
    JsonNode n = parent == null ? null : parent.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw error(join(path, field), "is required");
      }
      return null;
    }
    if (!n.isValueNode() || n.isBoolean()) {
      throw error(join(path, field), "must be a number");
    }
    try {
      return new java.math.BigDecimal(n.asText().trim());
    } catch (NumberFormatException e) {
      throw error(join(path, field), "must be a number (got '" + n.asText() + "')");
    }
  }

  /** A finite floating-point number. */
  double real(JsonNode parent, String path, String field) {
    java.math.BigDecimal d = decimal(parent, path, field, true);
    double v = d.doubleValue();
    if (!Double.isFinite(v)) {
      throw error(join(path, field), "must be a finite number");
    }
    return v;
  }

  boolean bool(JsonNode parent, String path, String field, boolean dflt) {
    JsonNode n = parent == null ? null : parent.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isBoolean()) {
      throw error(join(path, field), "must be true or false");
    }
    return n.asBoolean();
  }

  /** A list of text values (a single value is a list of one); numbers and booleans are taken as text. */
  List<String> strings(JsonNode parent, String path, String field, boolean required) {
    return list(parent, path, field, required, false);
  }

  /** As {@link #strings}, but every element must be YAML text: a number or boolean is an error. */
  List<String> texts(JsonNode parent, String path, String field, boolean required) {
    return list(parent, path, field, required, true);
  }

  private List<String> list(JsonNode parent, String path, String field, boolean required, boolean textOnly) {
    JsonNode n = parent == null ? null : parent.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw error(join(path, field), "is required");
      }
      return null;
    }
    List<String> out = new ArrayList<>();
    if (n.isTextual()) {
      out.add(n.asText());
      return out;
    }
    if (!n.isArray()) {
      throw error(join(path, field), "must be a list");
    }
    for (JsonNode e : n) {
      if (!e.isValueNode() || (textOnly && !e.isTextual())) {
        throw error(join(path, field), "must be a list of text values" + (textOnly && e.isValueNode()
            ? " (got " + e.asText() + "; quote it if it is meant as text)" : ""));
      }
      out.add(e.asText());
    }
    return out;
  }

  Map<String, String> stringMap(JsonNode parent, String path, String field) {
    JsonNode n = parent == null ? null : parent.get(field);
    Map<String, String> out = new LinkedHashMap<>();
    if (n == null || n.isNull()) {
      return out;
    }
    if (!n.isObject()) {
      throw error(join(path, field), "must be a mapping");
    }
    n.fields().forEachRemaining(e -> {
      if (!e.getValue().isValueNode()) {
        throw error(join(path, field + "." + e.getKey()), "must be a text value");
      }
      out.put(e.getKey(), e.getValue().asText());
    });
    return out;
  }

  InvalidInputException error(String path, String problem) {
    return new InvalidInputException("Cannot read " + source + ": '" + path + "' " + problem + ".");
  }

  /** A nested error message without its final period, to embed in another sentence. */
  static String sentence(String message) {
    return message.endsWith(".") ? message.substring(0, message.length() - 1) : message;
  }

  static String join(String path, String field) {
    return path.isEmpty() ? field : path + "." + field;
  }
}
