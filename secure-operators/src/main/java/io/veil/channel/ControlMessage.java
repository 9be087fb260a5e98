package io.veil.channel;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small signed message between drivers on a job's control log.
 *
 * @param type what it says
 * @param jobId the job it belongs to
 * @param contractHash hex contract hash of the sender's spec
 * @param from sender party id
 * @param step protocol step it concerns ("" when none)
 * @param body type-specific fields (JSON values)
 * @param timestampMs sender's clock when sent
 */
public record ControlMessage(
    Type type, String jobId, String contractHash, String from, String step,
    Map<String, Object> body, long timestampMs) {

  /** Message kinds. */
  public enum Type {
    /** The sender approved the contract: body has "approval" (hex Ed25519 signature). */
    HELLO,
    /** The sender finished writing a round: body has per-partition counts and digests. */
    ROUND_COMPLETE,
    /** The sender gave up: body has "reason". */
    ABORT,
    /**
     * The sender finished the job: body has its input and output commitment roots ("inputRoot",
     * "outputRoot", when it has them).
     */
    DONE,
    /** The sender is alive and working (sent periodically during long steps). */
    HEARTBEAT
  }

  static final ObjectMapper JSON =
      JsonMapper.builder()
          .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .build();

  public ControlMessage {
    body = body == null ? Map.of() : new TreeMap<>(body);
    step = step == null ? "" : step;
  }

  /** Canonical bytes: sorted-key JSON. */
  byte[] canonicalBytes() {
    try {
      Map<String, Object> m = new TreeMap<>();
      m.put("type", type.name());
      m.put("jobId", jobId);
      m.put("contractHash", contractHash);
      m.put("from", from);
      m.put("step", step);
      m.put("body", body);
      m.put("timestampMs", timestampMs);
      return JSON.writeValueAsBytes(m);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static ControlMessage parse(byte[] json) throws IOException {
    Map<String, Object> m = JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
    @SuppressWarnings("unchecked")
    Map<String, Object> body = (Map<String, Object>) m.get("body");
    return new ControlMessage(
        Type.valueOf((String) m.get("type")),
        (String) m.get("jobId"),
        (String) m.get("contractHash"),
        (String) m.get("from"),
        (String) m.get("step"),
        body,
        ((Number) m.get("timestampMs")).longValue());
  }

  /** Envelope: u32 length, canonical JSON, 64-byte Ed25519 signature over the JSON. */
  static byte[] envelope(byte[] json, byte[] signature) {
    ByteBuffer b = ByteBuffer.allocate(4 + json.length + signature.length);
    b.putInt(json.length).put(json).put(signature);
    return b.array();
  }

  public String bodyString(String key) {
    Object v = body.get(key);
    return v == null ? null : v.toString();
  }

}
