package io.veil.channel;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A signed message between drivers on a job's control log: who sent it, for which job, contract and
 * attempt, and one typed {@link Body}.
 *
 * <p><b>Encoding.</b> Canonical JSON (sorted keys, no insignificant white space) of {@code {"attempt",
 * "body", "contractHash", "from", "jobId", "kind", "timestampMs"}}, signed with the sender's Ed25519
 * identity key over {@link ControlCodec#CONTEXT} followed by those bytes, so a control-message
 * signature can never be taken for any other Veil signature. Every field is validated when a message
 * is read ({@link ControlCodec#decode}); a body with an unknown, missing or malformed field is
 * rejected.
 *
 * @param jobId the job (32 hex digits)
 * @param contractHash hex SHA-256 of the sender's spec
 * @param from sender party id
 * @param attempt the sender's attempt id (32 hex digits), random per run of a job
 * @param timestampMs sender's clock when sent; for logs only, never compared across parties
 * @param body what the message says
 */
public record ControlMessage(String jobId, String contractHash, String from, String attempt, long timestampMs,
    Body body) {

  public ControlMessage {
    Objects.requireNonNull(body, "body");
  }

  /** The kind of a message's body, as encoded. */
  public String kind() {
    return ControlCodec.kindOf(body);
  }

  /** The protocol step the body concerns ("" when none). */
  public String step() {
    return body.step();
  }

  /** One kind of control message. */
  public sealed interface Body permits Hello, Heartbeat, InputCommitted, RoundComplete, Notice, Abort, Done {
    /** The protocol step the message concerns ("" when none). */
    default String step() {
      return "";
    }
  }

  /**
   * The sender approves the contract and starts an attempt.
   *
   * @param approval hex Ed25519 signature of the sender over the 32 contract-hash bytes
   * @param agreementKey the sender's X25519 public key for this job (32 bytes), for pairwise key
   *     agreement between parties
   */
  public record Hello(String approval, byte[] agreementKey) implements Body {
    public Hello {
      agreementKey = agreementKey.clone();
    }

    @Override
    public byte[] agreementKey() {
      return agreementKey.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Hello h && h.approval.equals(approval) && Arrays.equals(h.agreementKey, agreementKey);
    }

    @Override
    public int hashCode() {
      return approval.hashCode() * 31 + Arrays.hashCode(agreementKey);
    }
  }

  /**
   * The sender is alive; it acknowledges the latest attempt it has seen of each party.
   *
   * @param acks party id to attempt id
   */
  public record Heartbeat(Map<String, String> acks) implements Body {
    public Heartbeat {
      acks = Map.copyOf(new TreeMap<>(acks));
    }
  }

  /**
   * The sender read and committed to its input (before sending any data).
   *
   * @param inputRoot hex root of the sender's input commitment, or null when it holds no input
   */
  public record InputCommitted(String inputRoot) implements Body {}

  /**
   * The sender finished writing one round of a data stream.
   *
   * @param step the protocol step
   * @param stats per-partition counts and digests
   */
  public record RoundComplete(String step, RoundStats stats) implements Body {}

  /**
   * A small operator-defined message (e.g. the released groups of an aggregation), whose payload
   * the operator encodes and validates itself.
   *
   * @param step the protocol step
   * @param payload the operator's bytes
   */
  public record Notice(String step, byte[] payload) implements Body {
    public Notice {
      payload = payload.clone();
    }

    @Override
    public byte[] payload() {
      return payload.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Notice n && n.step.equals(step) && Arrays.equals(n.payload, payload);
    }

    @Override
    public int hashCode() {
      return step.hashCode() * 31 + Arrays.hashCode(payload);
    }
  }

  /**
   * The sender gave up. It says only the kind of failure (and, for peer problems, which peer): the
   * details stay in the sender's own log, so no local path, URL, query or value reaches the peers.
   *
   * @param step the step it was in ("" before any)
   * @param kind what kind of failure
   * @param about the party the failure concerns (a peer that timed out or misbehaved), or null
   * @param acks the attempts the sender had seen (party to attempt), so that a party whose attempt is
   *     listed knows the abort concerns its run
   */
  public record Abort(String step, AbortKind kind, String about, Map<String, String> acks) implements Body {
    public Abort {
      acks = Map.copyOf(new TreeMap<>(acks));
    }

    /** The fixed text peers show for this abort. */
    public String text(String sender) {
      return kind.text(sender, about);
    }
  }

  /**
   * The sender finished the job.
   *
   * @param inputRoot hex root of its input commitment, or null
   * @param outputRoot hex root of its output commitment, or null
   */
  public record Done(String inputRoot, String outputRoot) implements Body {}

  /** Why a party aborted, as its peers are told. */
  public enum AbortKind {
    /** Its input, spec or settings failed its checks. */
    INVALID_INPUT("its input or settings failed its checks (the details are in %s's own job log)"),
    /** Its local policy or a data-asset authorisation refused the job. */
    POLICY_REFUSED("its policy refused the job (the details are in %s's own job log)"),
    /** It stopped waiting for a party. */
    PEER_TIMEOUT("it stopped waiting for %2$s"),
    /** It rejected what a party sent. */
    PROTOCOL_ERROR("it rejected what %2$s sent"),
    /** Its spec is not the same as the receiver's. */
    SPEC_MISMATCH("its spec differs from this party's (compare the contract hashes with 'veil spec-hash')"),
    /** It stopped because another party aborted. */
    PEER_ABORTED("%2$s aborted the job"),
    /** An input differs from an earlier attempt of the same job. */
    INPUT_CHANGED("an input changed since an earlier attempt of this job; run it as a new period"),
    /** Anything else. */
    INTERNAL("it failed (the details are in %s's own job log)");

    private final String format;

    AbortKind(String format) {
      this.format = format;
    }

    /** The text for an abort sent by {@code sender} about {@code about} (may be null). */
    public String text(String sender, String about) {
      return String.format(format, sender, about == null ? "a party" : about);
    }
  }
}
