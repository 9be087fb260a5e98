package io.veil.ledger.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.veil.InvalidInputException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * The one canonical JSON encoding used for ledger hashing and storage.
 *
 * <p>It is RFC 8785 (JSON Canonicalization Scheme) restricted to the values receipts use:
 * objects with members sorted by the UTF-16 code units of their names, no insignificant
 * whitespace, strings escaped as ECMAScript's {@code JSON.stringify} does (only {@code "},
 * {@code \}, and control characters; backslash b, t, n, f, r short forms, other controls as
 * backslash-u00xx with lowercase hex; everything else literal), integers in decimal within
 * +-(2^53 - 1), {@code true}, {@code false}, {@code null}; UTF-8 bytes. Fractional numbers and
 * unpaired surrogates are rejected, so every value has exactly one encoding. Stateless and
 * thread-safe.
 */
public final class CanonicalJson {
  /** Largest integer that every JSON reader (IEEE double) represents exactly. */
  public static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

  private static final BigInteger MAX = BigInteger.valueOf(MAX_SAFE_INTEGER);
  private static final BigInteger MIN = MAX.negate();
  private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

  private CanonicalJson() {}

  /** Encodes {@code node} canonically as UTF-8. */
  public static byte[] encode(JsonNode node) {
    StringBuilder sb = new StringBuilder(1024);
    write(node, sb, "$");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(JsonNode node, StringBuilder sb, String path) {
    switch (node.getNodeType()) {
      case OBJECT -> {
        List<String> names = new ArrayList<>(node.size());
        node.fieldNames().forEachRemaining(names::add);
        Collections.sort(names); // String order is UTF-16 code unit order, as RFC 8785 requires
        sb.append('{');
        for (int i = 0; i < names.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          String name = names.get(i);
          writeString(name, sb, path);
          sb.append(':');
          write(node.get(name), sb, path + "." + name);
        }
        sb.append('}');
      }
      case ARRAY -> {
        sb.append('[');
        Iterator<JsonNode> it = node.elements();
        int i = 0;
        while (it.hasNext()) {
          if (i > 0) {
            sb.append(',');
          }
          write(it.next(), sb, path + "[" + i + "]");
          i++;
        }
        sb.append(']');
      }
      case STRING -> writeString(node.textValue(), sb, path);
      case NUMBER -> {
        if (!node.isIntegralNumber()) {
          throw new InvalidInputException(
              "Cannot encode " + path + " as canonical JSON: it is a fractional number. "
                  + "Receipts hold integers and strings only; encode the value as a string.");
        }
        BigInteger v = node.bigIntegerValue();
        if (v.compareTo(MAX) > 0 || v.compareTo(MIN) < 0) {
          throw new InvalidInputException(
              "Cannot encode " + path + " as canonical JSON: the integer is outside +-(2^53-1), "
                  + "which JSON readers cannot represent exactly. Encode the value as a string.");
        }
        sb.append(v);
      }
      case BOOLEAN -> sb.append(node.booleanValue() ? "true" : "false");
      case NULL -> sb.append("null");
      default -> throw new InvalidInputException(
          "Cannot encode " + path + " as canonical JSON: node type " + node.getNodeType()
              + " has no JSON text form. Use strings, integers, lists and maps.");
    }
  }

  private static void writeString(String s, StringBuilder sb, String path) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\b' -> sb.append("\\b");
        case '\t' -> sb.append("\\t");
        case '\n' -> sb.append("\\n");
        case '\f' -> sb.append("\\f");
        case '\r' -> sb.append("\\r");
        default -> {
          if (c < 0x20) {
            sb.append("\\u00").append(HEX_DIGITS[c >> 4]).append(HEX_DIGITS[c & 0xf]);
          } else if (Character.isHighSurrogate(c)) {
            if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
              throw unpaired(path);
            }
            sb.append(c).append(s.charAt(++i));
          } else if (Character.isLowSurrogate(c)) {
            throw unpaired(path);
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  private static InvalidInputException unpaired(String path) {
    return new InvalidInputException(
        "Cannot encode " + path + " as canonical JSON: a string contains an unpaired UTF-16 "
            + "surrogate, which has no UTF-8 form. Pass well-formed Unicode text.");
  }
}
