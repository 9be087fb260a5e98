package io.veil.ledger.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.veil.InvalidInputException;
import java.io.IOException;

/**
 * Maps ledger values to and from JSON with one strict, private Jackson configuration: duplicate
 * keys, unknown properties, missing properties, trailing tokens, fractional numbers and scalar
 * coercions (a number where a string belongs, or the reverse) are all rejected. Thread-safe.
 */
public final class JsonCodec {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .serializationInclusion(JsonInclude.Include.ALWAYS)
          .withCoercionConfig(LogicalType.Textual, cfg -> cfg
              .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
              .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
              .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
          .injectableValues(new Absent())
          .build();

  /**
   * The injection id of an optional field ({@code @JacksonInject(value = ABSENT, useInput = TRUE)}):
   * read from the JSON when present, null when missing (every other missing field is an error).
   */
  public static final String ABSENT = "veil.absent";

  private JsonCodec() {}

  /** Supplies null for {@link #ABSENT}, so only fields marked optional may be missing. */
  private static final class Absent extends com.fasterxml.jackson.databind.InjectableValues {
    private static final long serialVersionUID = 1L;

    @Override
    public Object findInjectableValue(Object valueId, com.fasterxml.jackson.databind.DeserializationContext ctxt,
        com.fasterxml.jackson.databind.BeanProperty forProperty, Object beanInstance)
        throws JsonMappingException {
      if (ABSENT.equals(valueId)) {
        return null;
      }
      return ctxt.reportBadDefinition(Object.class, "no injectable value '" + valueId + "'");
    }
  }

  /** The canonical UTF-8 JSON of {@code value} (see {@link CanonicalJson}). */
  public static byte[] canonical(Object value) {
    return CanonicalJson.encode(MAPPER.valueToTree(value));
  }

  /** Parses one JSON object from {@code json} (UTF-8) into {@code type}. */
  public static <T> T parse(byte[] json, Class<T> type, String what) {
    JsonNode tree = parseTree(json, what);
    return fromTree(tree, type, what);
  }

  /** Parses {@code json} (UTF-8) into a tree; it must be a single JSON object. */
  public static JsonNode parseTree(byte[] json, String what) {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new ReadFailure(what, "it is not valid JSON (" + originalMessage(e) + ")", e);
    }
    if (tree == null || !tree.isObject()) {
      throw new ReadFailure(what, "it is not a JSON object", null);
    }
    return tree;
  }

  /** Binds an already parsed tree to {@code type}, reporting the failing field by its JSON path. */
  public static <T> T fromTree(JsonNode tree, Class<T> type, String what) {
    try {
      return MAPPER.treeToValue(tree, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      String path = e instanceof JsonMappingException jme ? path(jme) : "";
      InvalidInputException ours = findCause(e);
      String why = ours != null ? ours.getMessage() : originalMessage(e);
      throw new ReadFailure(what, (path.isEmpty() ? "" : "field " + path + ": ") + why, e);
    }
  }

  /** JSON that cannot be read as the expected value; {@link #reason()} says why, without a fix. */
  public static final class ReadFailure extends InvalidInputException {
    private static final long serialVersionUID = 1L;
    private final String reason;

    ReadFailure(String what, String reason, Throwable cause) {
      super("Cannot read " + what + ": " + reason + (reason.endsWith(".") ? "" : ".")
          + " The text was damaged or edited; restore it from a copy.", cause);
      this.reason = reason;
    }

    /** Why it failed, e.g. "it is not valid JSON (...)" or "field seq: ...". */
    public String reason() {
      return reason;
    }
  }

  private static InvalidInputException findCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof InvalidInputException iie) {
        return iie;
      }
    }
    return null;
  }

  private static String originalMessage(Exception e) {
    String m = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
    if (m == null) {
      return e.getClass().getSimpleName();
    }
    // Jackson quotes offending input; keep only the first line and cap the length.
    int nl = m.indexOf('\n');
    if (nl >= 0) {
      m = m.substring(0, nl);
    }
    return m.length() > 200 ? m.substring(0, 200) + "..." : m;
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }
}
