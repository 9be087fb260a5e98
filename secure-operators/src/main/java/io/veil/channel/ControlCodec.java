package io.veil.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.veil.channel.ControlMessage.Abort;
import io.veil.channel.ControlMessage.AbortKind;
import io.veil.channel.ControlMessage.Body;
import io.veil.channel.ControlMessage.Done;
import io.veil.channel.ControlMessage.Heartbeat;
import io.veil.channel.ControlMessage.Hello;
import io.veil.channel.ControlMessage.InputCommitted;
import io.veil.channel.ControlMessage.Notice;
import io.veil.channel.ControlMessage.RoundComplete;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Canonical encoding, signing envelope and strict decoding of {@link ControlMessage}s.
 *
 * <p>Envelope on the wire: {@code u32 length | canonical JSON | 64-byte Ed25519 signature over
 * CONTEXT || canonical JSON}.
 */
public final class ControlCodec {
  /** Domain-separation prefix of every control-message signature. */
  public static final byte[] CONTEXT = "veil-control/v2\n".getBytes(StandardCharsets.UTF_8);
  /** Largest number of parties an acknowledgement map may name. */
  static final int MAX_PARTIES = 256;
  /** Largest data-plane partition count a round may announce. */
  static final int MAX_PARTITIONS = 10_000;
  /** Largest operator notice payload. */
  static final int MAX_NOTICE_BYTES = 1 << 20;
  private static final Pattern HEX32 = Pattern.compile("[0-9a-f]{32}");
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern HEX128 = Pattern.compile("[0-9a-f]{128}");
  private static final Pattern PARTY = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern STEP = Pattern.compile("|[a-z0-9][a-z0-9._-]{0,63}");
  private static final HexFormat HEX = HexFormat.of();
  private static final ObjectMapper JSON = JsonMapper.builder()
      .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
      .build();
  private static final Set<String> ENVELOPE_FIELDS =
      Set.of("attempt", "body", "contractHash", "from", "jobId", "kind", "timestampMs");

  private ControlCodec() {}

  /** A message that is not a well-formed Veil control message; the message says what is wrong. */
  public static final class MalformedException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedException(String message) {
      super(message);
    }
  }

  /** Whether {@code id} is a party id a control message may carry. */
  public static boolean isPartyId(String id) {
    return id != null && PARTY.matcher(id).matches();
  }

  /** Whether {@code step} is a step name a control message may carry ("" included). */
  public static boolean isStep(String step) {
    return step != null && STEP.matcher(step).matches();
  }

  /** The encoded kind of a body. */
  static String kindOf(Body body) {
    if (body instanceof Hello) {
      return "hello";
    } else if (body instanceof Heartbeat) {
      return "heartbeat";
    } else if (body instanceof InputCommitted) {
      return "input-committed";
    } else if (body instanceof RoundComplete) {
      return "round-complete";
    } else if (body instanceof Notice) {
      return "notice";
    } else if (body instanceof Abort) {
      return "abort";
    }
    return "done";
  }

  /** The canonical JSON bytes of {@code m} (what is signed, after {@link #CONTEXT}). */
  public static byte[] canonical(ControlMessage m) {
    Map<String, Object> e = new TreeMap<>();
    e.put("attempt", m.attempt());
    e.put("body", body(m.body()));
    e.put("contractHash", m.contractHash());
    e.put("from", m.from());
    e.put("jobId", m.jobId());
    e.put("kind", kindOf(m.body()));
    e.put("timestampMs", m.timestampMs());
    try {
      return JSON.writeValueAsBytes(e);
    } catch (IOException x) {
      throw new IllegalStateException(x);
    }
  }

  /** The bytes an Ed25519 control-message signature covers. */
  public static byte[] signedBytes(byte[] canonicalJson) {
    byte[] out = new byte[CONTEXT.length + canonicalJson.length];
    System.arraycopy(CONTEXT, 0, out, 0, CONTEXT.length);
    System.arraycopy(canonicalJson, 0, out, CONTEXT.length, canonicalJson.length);
    return out;
  }

  /** Envelope: u32 length, canonical JSON, signature. */
  public static byte[] envelope(byte[] json, byte[] signature) {
    ByteBuffer b = ByteBuffer.allocate(4 + json.length + signature.length);
    b.putInt(json.length).put(json).put(signature);
    return b.array();
  }

  /** The parts of an envelope: the JSON and the signature; null if the bytes are not an envelope. */
  public static byte[][] open(byte[] raw) {
    if (raw == null || raw.length < 4) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(raw);
    int len = b.getInt();
    if (len < 2 || len > b.remaining()) {
      return null;
    }
    byte[] json = new byte[len];
    b.get(json);
    byte[] sig = new byte[b.remaining()];
    b.get(sig);
    return new byte[][] {json, sig};
  }

  /** The {@code from} field of a JSON envelope, without validating anything else; null if absent. */
  public static String claimedSender(byte[] json) {
    return claimed(json, "from");
  }

  /** The job id a message's JSON claims, or null if there is none; nothing else is checked. */
  public static String claimedJob(byte[] json) {
    return claimed(json, "jobId");
  }

  private static String claimed(byte[] json, String field) {
    try {
      JsonNode n = JSON.readTree(json);
      JsonNode f = n == null ? null : n.get(field);
      return f != null && f.isTextual() ? f.asText() : null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Decodes and validates a message's JSON. Every field must be present with the right type and
   * format, and nothing else may be there; the bytes must be the canonical encoding.
   */
  public static ControlMessage decode(byte[] json) throws MalformedException {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new MalformedException("it is not JSON");
    }
    if (root == null || !root.isObject()) {
      throw new MalformedException("it is not a JSON object");
    }
    onlyFields(root, ENVELOPE_FIELDS, "the envelope");
    String jobId = text(root, "jobId", HEX32);
    String contract = text(root, "contractHash", HEX64);
    String from = text(root, "from", PARTY);
    String attempt = text(root, "attempt", HEX32);
    JsonNode ts = root.get("timestampMs");
    if (ts == null || !ts.isIntegralNumber() || !ts.canConvertToLong()) {
      throw new MalformedException("field 'timestampMs' is not a whole number");
    }
    String kind = text(root, "kind", Pattern.compile("[a-z-]{1,32}"));
    JsonNode b = root.get("body");
    if (b == null || !b.isObject()) {
      throw new MalformedException("field 'body' is not an object");
    }
    Body body = switch (kind) {
      case "hello" -> {
        onlyFields(b, Set.of("approval", "agreementKey"), "a hello");
        yield new Hello(text(b, "approval", HEX128), HEX.parseHex(text(b, "agreementKey", HEX64)));
      }
      case "heartbeat" -> {
        onlyFields(b, Set.of("acks"), "a heartbeat");
        yield new Heartbeat(acks(b));
      }
      case "input-committed" -> {
        onlyFields(b, Set.of("inputRoot"), "an input commitment");
        yield new InputCommitted(nullableText(b, "inputRoot", HEX64));
      }
      case "round-complete" -> {
        onlyFields(b, Set.of("step", "partitions", "elements", "digest"), "a round announcement");
        yield new RoundComplete(text(b, "step", STEP), roundStats(b));
      }
      case "notice" -> {
        onlyFields(b, Set.of("step", "payload"), "a notice");
        byte[] payload;
        try {
          payload = Base64.getDecoder().decode(text(b, "payload", Pattern.compile("[A-Za-z0-9+/=]*")));
        } catch (IllegalArgumentException e) {
          throw new MalformedException("field 'payload' is not base64");
        }
        if (payload.length > MAX_NOTICE_BYTES) {
          throw new MalformedException("field 'payload' is larger than " + MAX_NOTICE_BYTES + " bytes");
        }
        yield new Notice(text(b, "step", STEP), payload);
      }
      case "abort" -> {
        onlyFields(b, Set.of("step", "kind", "about", "acks"), "an abort");
        AbortKind k;
        try {
          k = AbortKind.valueOf(text(b, "kind", Pattern.compile("[a-z_]{1,32}")).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new MalformedException("field 'kind' is not a known abort kind");
        }
        yield new Abort(text(b, "step", STEP), k, nullableText(b, "about", PARTY), acks(b));
      }
      case "done" -> {
        onlyFields(b, Set.of("inputRoot", "outputRoot"), "a done message");
        yield new Done(nullableText(b, "inputRoot", HEX64), nullableText(b, "outputRoot", HEX64));
      }
      default -> throw new MalformedException("kind '" + kind + "' is unknown");
    };
    ControlMessage m = new ControlMessage(jobId, contract, from, attempt, ts.longValue(), body);
    if (!java.util.Arrays.equals(canonical(m), json)) {
      throw new MalformedException("it is not in canonical form");
    }
    return m;
  }

  private static Map<String, Object> body(Body body) {
    Map<String, Object> m = new TreeMap<>();
    if (body instanceof Hello h) {
      m.put("approval", h.approval());
      m.put("agreementKey", HEX.formatHex(h.agreementKey()));
    } else if (body instanceof Heartbeat h) {
      m.put("acks", new TreeMap<>(h.acks()));
    } else if (body instanceof InputCommitted c) {
      m.put("inputRoot", c.inputRoot());
    } else if (body instanceof RoundComplete r) {
      m.put("step", r.step());
      RoundStats s = r.stats();
      List<List<Object>> parts = new ArrayList<>();
      for (int p = 0; p < s.partitions(); p++) {
        parts.add(List.of(p, s.batches(p), s.elements(p), HEX.formatHex(s.digest(p))));
      }
      m.put("partitions", parts);
      m.put("elements", s.totalElements());
      m.put("digest", HEX.formatHex(s.roundDigest()));
    } else if (body instanceof Notice n) {
      m.put("step", n.step());
      m.put("payload", Base64.getEncoder().encodeToString(n.payload()));
    } else if (body instanceof Abort a) {
      m.put("step", a.step());
      m.put("kind", a.kind().name().toLowerCase(Locale.ROOT));
      m.put("about", a.about());
      m.put("acks", new TreeMap<>(a.acks()));
    } else if (body instanceof Done d) {
      m.put("inputRoot", d.inputRoot());
      m.put("outputRoot", d.outputRoot());
    }
    return m;
  }

  private static RoundStats roundStats(JsonNode b) throws MalformedException {
    JsonNode parts = b.get("partitions");
    if (parts == null || !parts.isArray() || parts.isEmpty() || parts.size() > MAX_PARTITIONS) {
      throw new MalformedException("field 'partitions' is not a list of 1 to " + MAX_PARTITIONS + " partitions");
    }
    int n = parts.size();
    long[] batches = new long[n];
    long[] elements = new long[n];
    byte[][] digests = new byte[n][];
    for (int i = 0; i < n; i++) {
      JsonNode p = parts.get(i);
      if (!p.isArray() || p.size() != 4 || !p.get(0).isIntegralNumber() || p.get(0).asLong() != i
          || !nonNegativeLong(p.get(1)) || !nonNegativeLong(p.get(2)) || !p.get(3).isTextual()
          || !HEX64.matcher(p.get(3).asText()).matches()) {
        throw new MalformedException("partition " + i + " of field 'partitions' is malformed");
      }
      batches[i] = p.get(1).asLong();
      elements[i] = p.get(2).asLong();
      digests[i] = HEX.parseHex(p.get(3).asText());
    }
    RoundStats stats = new RoundStats(batches, elements, digests);
    JsonNode total = b.get("elements");
    if (!nonNegativeLong(total) || total.asLong() != stats.totalElements()
        || !HEX.formatHex(stats.roundDigest()).equals(text(b, "digest", HEX64))) {
      throw new MalformedException("the round's total or digest does not match its partitions");
    }
    return stats;
  }

  private static boolean nonNegativeLong(JsonNode n) {
    return n != null && n.isIntegralNumber() && n.canConvertToLong() && n.asLong() >= 0;
  }

  private static Map<String, String> acks(JsonNode b) throws MalformedException {
    JsonNode a = b.get("acks");
    if (a == null || !a.isObject() || a.size() > MAX_PARTIES) {
      throw new MalformedException("field 'acks' is not a map of at most " + MAX_PARTIES + " parties");
    }
    Map<String, String> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = a.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!PARTY.matcher(e.getKey()).matches() || !e.getValue().isTextual()
          || !HEX32.matcher(e.getValue().asText()).matches()) {
        throw new MalformedException("field 'acks' holds a malformed entry");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static void onlyFields(JsonNode n, Set<String> allowed, String what) throws MalformedException {
    Iterator<String> names = n.fieldNames();
    while (names.hasNext()) {
      String f = names.next();
      if (!allowed.contains(f)) {
        throw new MalformedException(what + " has an unknown field '" + f + "'");
      }
    }
    for (String f : allowed) {
      if (!n.has(f)) {
        throw new MalformedException(what + " lacks field '" + f + "'");
      }
    }
  }

  private static String text(JsonNode n, String field, Pattern format) throws MalformedException {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || !format.matcher(v.asText()).matches()) {
      throw new MalformedException("field '" + field + "' is missing or malformed");
    }
    return v.asText();
  }

  private static String nullableText(JsonNode n, String field, Pattern format) throws MalformedException {
    JsonNode v = n.get(field);
    if (v != null && v.isNull()) {
      return null;
    }
    return text(n, field, format);
  }
}
