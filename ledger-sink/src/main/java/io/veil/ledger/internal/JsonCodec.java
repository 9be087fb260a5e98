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
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veil.InvalidInputException;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;

/**
 * Maps ledger values to and from JSON with one strict, private Jackson configuration: duplicate
 * keys, unknown properties, missing properties (but those marked {@link MayBeAbsent}), trailing
 * tokens, fractional numbers and scalar
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
          .addModule(absentMembers())
          .build();

  private JsonCodec() {}

  /**
   * Marks a record component that may be missing from the JSON (it reads as null) although every
   * other missing member is an error: a member added to a format after values were written without
   * it. Pair it with {@code @JsonInclude(NON_NULL)}, so that a null value is left out and such values
   * keep their bytes.
   */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface MayBeAbsent {}

  /** Reads a missing {@link MayBeAbsent} member of a record as an explicit null. */
  private static final class AbsentMembers extends DelegatingDeserializer {
    private static final long serialVersionUID = 1L;
    private final List<String> names;

    AbsentMembers(JsonDeserializer<?> delegate, List<String> names) {
      super(delegate);
      this.names = names;
    }

    @Override
    protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> newDelegatee) {
      return new AbsentMembers(newDelegatee, names);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonNode tree = ctxt.readTree(p);
      if (tree instanceof ObjectNode object) {
        for (String name : names) {
          if (!object.has(name)) {
            object.putNull(name);
          }
        }
      }
      JsonParser replay = tree.traverse(p.getCodec());
      replay.nextToken();
      return _delegatee.deserialize(replay, ctxt);
    }
  }

  private static SimpleModule absentMembers() {
    SimpleModule module = new SimpleModule("veil-absent-members");
    module.setDeserializerModifier(new BeanDeserializerModifier() {
      @Override
      public JsonDeserializer<?> modifyDeserializer(DeserializationConfig config, BeanDescription desc,
          JsonDeserializer<?> deserializer) {
        Class<?> type = desc.getBeanClass();
        if (!type.isRecord()) {
          return deserializer;
        }
        List<String> names = Arrays.stream(type.getRecordComponents())
            .filter(c -> c.isAnnotationPresent(MayBeAbsent.class))
            .map(RecordComponent::getName)
            .toList();
        return names.isEmpty() ? deserializer : new AbsentMembers(deserializer, names);
      }
    });
    return module;
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
