package io.veil.ledger;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import io.veil.InvalidInputException;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.SignatureDomain;
import io.veil.ledger.internal.Fields;
import io.veil.ledger.internal.Hashes;
import io.veil.ledger.internal.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One party's signed-off account of one job: which contract ran, who approved it, what went in
 * and came out (as commitments), what the protocol rounds exchanged, and the result. Immutable
 * and thread-safe; every constructor path validates every field.
 *
 * <p><b>Encoding.</b> {@link #canonicalJson()} is the single encoding used for storage and
 * hashing: RFC 8785 canonical JSON (members sorted, no whitespace, UTF-8; integers only).
 * {@link #fromJson(byte[])} reads it back (any JSON formatting is accepted on read; unknown or
 * missing fields are rejected, except {@code usage}, which is left out when there is none, so a
 * receipt written before usage metering keeps its bytes and its hash). The record is also plain
 * Jackson-serialisable with the same
 * field names, but only the canonical bytes are hashed.
 *
 * <p><b>Hashes.</b> {@link #hash()} is SHA-256 of the canonical JSON, anchors included: it is the
 * {@code receiptHash} of a ledger entry, and the {@code receipt:<party>} leaf a chain sink anchors
 * with the job's leaves ({@code io.veil.ledger.chain.AnchorLeaf}), so the chain covers every field.
 * {@link #anchorLeaf()} is the hash of the same receipt with {@code anchors} emptied, for a tree
 * built over receipts that later record where they were anchored; for a receipt without anchors
 * (every receipt a Veil job writes to its local ledger) the two are equal.
 *
 * <p><b>Ordering.</b> {@code approvals} are kept sorted by party and {@code roundDigests} by
 * (round, from, to), so the same facts always give the same bytes; {@code anchors} keep their
 * order (it is the order in which sinks anchored the receipt).
 *
 * @param version format version, {@value #CURRENT_VERSION}
 * @param jobId the job id (derived from the contract hash and period)
 * @param jobName the job's name from its spec
 * @param period the period of a periodic job, or null
 * @param operator the operator, e.g. {@code psi}
 * @param party the id of the party that wrote this receipt
 * @param partyKey that party's Ed25519 key, {@code ed25519:<base64url>}
 * @param contractHash lowercase hex SHA-256 of the canonical job spec
 * @param approvals every party's signature over the contract hash bytes
 * @param inputCommitment commitment to this party's input, or null (e.g. a job that failed early)
 * @param outputCommitment commitment to the output this party received, or null
 * @param outputLocation where the output was written, or null
 * @param roundDigests per protocol round and direction, what was exchanged
 * @param result result figures, e.g. {@code intersectionSize}; sorted by key
 * @param status {@code succeeded} or {@code failed}
 * @param startedAt ISO-8601 UTC instant, {@link Instant#toString()} form
 * @param finishedAt ISO-8601 UTC instant, not before {@code startedAt}
 * @param anchors where the receipt was anchored; empty in the local ledger
 * @param peerCommitments the other parties' commitment roots as they announced them when they
 *     finished (no row counts, no salts); a party that never announced is absent. With this
 *     party's own commitments they make the job's shared root ({@link JobRoot})
 * @param usage what the job used of this party's data asset and who used it, or null when the
 *     party's input names no asset (then the field is left out of the JSON)
 */
public record Receipt(
    int version,
    String jobId,
    String jobName,
    String period,
    String operator,
    String party,
    String partyKey,
    String contractHash,
    List<Approval> approvals,
    Commitment inputCommitment,
    Commitment outputCommitment,
    String outputLocation,
    List<RoundDigest> roundDigests,
    SortedMap<String, String> result,
    Status status,
    String startedAt,
    String finishedAt,
    List<Anchor> anchors,
    List<PeerCommitment> peerCommitments,
    @JsonInclude(JsonInclude.Include.NON_NULL) @JsonCodec.MayBeAbsent Usage usage) {

  /** The receipt format this release writes and reads. */
  public static final int CURRENT_VERSION = 3; // 3: approvals and entries signed with Ed25519ctx domains

  public Receipt {
    if (version != CURRENT_VERSION) {
      throw new InvalidInputException(
          "Cannot use receipt version " + version + ": this Veil reads version " + CURRENT_VERSION
              + " only. " + (version > CURRENT_VERSION
                  ? "Upgrade Veil to read receipts written by a newer release."
                  : "Receipts of format " + version + " come from an earlier Veil release; verify them with "
                      + "that release, or re-run the job."));
    }
    Fields.requireText(jobId, "receipt.jobId");
    Fields.requireText(jobName, "receipt.jobName");
    Fields.optionalText(period, "receipt.period");
    Fields.requireText(operator, "receipt.operator");
    Fields.requireText(party, "receipt.party");
    Fields.requirePublicKey(partyKey, "receipt.partyKey");
    Fields.requireHash(contractHash, "receipt.contractHash");
    approvals = sortedApprovals(approvals);
    Fields.optionalText(outputLocation, "receipt.outputLocation");
    roundDigests = sortedRounds(roundDigests);
    result = checkedResult(result);
    if (status == null) {
      throw Fields.invalid("receipt.status", "is missing", "Set it to succeeded or failed.");
    }
    Fields.requireInstant(startedAt, "receipt.startedAt");
    Fields.requireInstant(finishedAt, "receipt.finishedAt");
    if (Instant.parse(finishedAt).isBefore(Instant.parse(startedAt))) {
      throw Fields.invalid("receipt.finishedAt", "is before startedAt",
          "Record the time the job finished, taken after its start time.");
    }
    if (anchors == null) {
      throw Fields.invalid("receipt.anchors", "is missing", "Pass an empty list when there are none.");
    }
    for (Anchor a : anchors) {
      if (a == null) {
        throw Fields.invalid("receipt.anchors", "contains null", "Remove the null element.");
      }
    }
    anchors = List.copyOf(anchors);
    peerCommitments = sortedPeers(peerCommitments, party);
    if (usage != null && usage.consumers().contains(Hashes.hex(Fields.publicKey(partyKey).bytes()))) {
      throw Fields.invalid("receipt.usage.consumers", "lists the receipt's own party",
          "List the other parties of the job only.");
    }
  }

  /** A builder for a version-{@value #CURRENT_VERSION} receipt. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this receipt's fields. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** This receipt with {@code anchors} replaced (a receipt is never changed in place). */
  public Receipt withAnchors(List<Anchor> newAnchors) {
    return toBuilder().anchors(newAnchors).build();
  }

  /** Canonical JSON (RFC 8785 subset, UTF-8): the bytes that are hashed and stored. */
  public byte[] canonicalJson() {
    return JsonCodec.canonical(this);
  }

  /** Reads a receipt from JSON (UTF-8); validates every field. */
  public static Receipt fromJson(byte[] json) {
    return JsonCodec.parse(json, Receipt.class, "receipt");
  }

  /** Reads a receipt from JSON text; validates every field. */
  public static Receipt fromJson(String json) {
    return fromJson(json.getBytes(StandardCharsets.UTF_8));
  }

  /** SHA-256 of {@link #canonicalJson()}; 32 bytes. */
  public byte[] hash() {
    return Hashes.sha256(canonicalJson());
  }

  /** {@link #hash()} as lowercase hex. */
  public String hashHex() {
    return Hashes.hex(hash());
  }

  /**
   * {@link #hash()} of this receipt with {@code anchors} emptied (32 bytes), so that recording an
   * anchor in the receipt would not change it. (The chain sink anchors {@link #hash()} itself, with
   * the job's leaves and the entry's place in the ledger: {@code io.veil.ledger.chain.AnchorLeaf}.)
   */
  public byte[] anchorLeaf() {
    return anchors.isEmpty() ? hash() : withAnchors(List.of()).hash();
  }

  /** The contract hash as 32 bytes: the message every approval signs. */
  public byte[] contractHashBytes() {
    return Hashes.unhex(contractHash);
  }

  /** The writer's public key. */
  public IdentityPublicKey partyPublicKey() {
    return Fields.publicKey(partyKey);
  }

  private static List<Approval> sortedApprovals(List<Approval> approvals) {
    if (approvals == null) {
      throw Fields.invalid("receipt.approvals", "is missing", "Pass an empty list when there are none.");
    }
    List<Approval> copy = new ArrayList<>(approvals.size());
    Set<String> seen = new HashSet<>();
    for (Approval a : approvals) {
      if (a == null) {
        throw Fields.invalid("receipt.approvals", "contains null", "Remove the null element.");
      }
      if (!seen.add(a.party())) {
        throw Fields.invalid("receipt.approvals", "lists party '" + a.party() + "' twice",
            "Keep one approval per party.");
      }
      copy.add(a);
    }
    copy.sort(Comparator.comparing(Approval::party));
    return List.copyOf(copy);
  }

  private static List<PeerCommitment> sortedPeers(List<PeerCommitment> peers, String self) {
    if (peers == null) {
      throw Fields.invalid("receipt.peerCommitments", "is missing", "Pass an empty list when there are none.");
    }
    List<PeerCommitment> copy = new ArrayList<>(peers.size());
    Set<String> seen = new HashSet<>();
    for (PeerCommitment p : peers) {
      if (p == null) {
        throw Fields.invalid("receipt.peerCommitments", "contains null", "Remove the null element.");
      }
      if (!seen.add(p.party()) || p.party().equals(self)) {
        throw Fields.invalid("receipt.peerCommitments", "lists party '" + p.party() + "' twice or lists "
            + "the receipt's own party", "Keep one entry per other party.");
      }
      copy.add(p);
    }
    copy.sort(Comparator.comparing(PeerCommitment::party));
    return List.copyOf(copy);
  }

  private static List<RoundDigest> sortedRounds(List<RoundDigest> rounds) {
    if (rounds == null) {
      throw Fields.invalid("receipt.roundDigests", "is missing", "Pass an empty list when there are none.");
    }
    List<RoundDigest> copy = new ArrayList<>(rounds.size());
    for (RoundDigest r : rounds) {
      if (r == null) {
        throw Fields.invalid("receipt.roundDigests", "contains null", "Remove the null element.");
      }
      copy.add(r);
    }
    copy.sort(Comparator.comparingInt(RoundDigest::round)
        .thenComparing(RoundDigest::from)
        .thenComparing(RoundDigest::to));
    return List.copyOf(copy);
  }

  private static SortedMap<String, String> checkedResult(Map<String, String> result) {
    if (result == null) {
      throw Fields.invalid("receipt.result", "is missing", "Pass an empty map when there is none.");
    }
    TreeMap<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : result.entrySet()) {
      Fields.requireText(e.getKey(), "receipt.result key");
      if (e.getValue() == null) {
        throw Fields.invalid("receipt.result['" + e.getKey() + "']", "is null",
            "Record the figure as text, or leave the key out.");
      }
      copy.put(e.getKey(), e.getValue());
    }
    return Collections.unmodifiableSortedMap(copy);
  }

  /** Outcome of the job as this party saw it. */
  public enum Status {
    SUCCEEDED("succeeded"),
    FAILED("failed");

    private final String wire;

    Status(String wire) {
      this.wire = wire;
    }

    /** The JSON form: {@code succeeded} or {@code failed}. */
    @JsonValue
    public String wire() {
      return wire;
    }

    @JsonCreator
    public static Status fromWire(String text) {
      for (Status s : values()) {
        if (s.wire.equals(text)) {
          return s;
        }
      }
      throw Fields.invalid("receipt.status", "must be succeeded or failed", "Use one of those two words.");
    }
  }

  /**
   * One party's approval: its Ed25519 signature over the 32 contract hash bytes.
   *
   * @param party the approving party's id
   * @param publicKey its key, {@code ed25519:<base64url>}
   * @param signature the 64-byte signature, lowercase hex
   */
  public record Approval(String party, String publicKey, String signature) {
    public Approval {
      Fields.requireText(party, "approval.party");
      Fields.requirePublicKey(publicKey, "approval.publicKey");
      Fields.requireSignature(signature, "approval.signature");
    }

    public static Approval of(String party, IdentityPublicKey key, byte[] signature) {
      return new Approval(party, key.encoded(), Hashes.hex(signature));
    }

    /** Signs {@code contractHash} (32 bytes) as {@code party}. */
    public static Approval sign(String party, IdentityKeys keys, byte[] contractHash) {
      return of(party, keys.publicKey(), keys.sign(SignatureDomain.APPROVAL, contractHash));
    }

    /** True if {@link #signature()} is {@link #publicKey()}'s signature over {@code contractHash}. */
    public boolean verifies(byte[] contractHash) {
      return Fields.publicKey(publicKey).verify(SignatureDomain.APPROVAL, contractHash, Hashes.unhex(signature));
    }
  }

  /**
   * A commitment to a data set (an input table or an output).
   *
   * @param algorithm how {@code root} was computed, e.g. {@code merkle-sha256/v1}
   * @param root the commitment value, lowercase hex
   * @param rows number of rows committed to
   * @param salt the salt mixed into the commitment, lowercase hex (may be empty)
   */
  public record Commitment(String algorithm, String root, long rows, String salt) {
    public Commitment {
      Fields.requireText(algorithm, "commitment.algorithm");
      Fields.requireHex(root, "commitment.root", false);
      Fields.requireCount(rows, "commitment.rows");
      Fields.requireHex(salt, "commitment.salt", true);
    }
  }

  /**
   * What one protocol round sent in one direction.
   *
   * @param round round number, from 0
   * @param from sending party id
   * @param to receiving party id
   * @param batches number of batches (records) sent
   * @param elements number of elements (points, shares) sent
   * @param digest digest over the batches, lowercase hex
   */
  public record RoundDigest(int round, String from, String to, long batches, long elements, String digest) {
    public RoundDigest {
      if (round < 0) {
        throw Fields.invalid("roundDigest.round", "is negative", "Number rounds from 0.");
      }
      Fields.requireText(from, "roundDigest.from");
      Fields.requireText(to, "roundDigest.to");
      Fields.requireCount(batches, "roundDigest.batches");
      Fields.requireCount(elements, "roundDigest.elements");
      Fields.requireHex(digest, "roundDigest.digest", false);
    }
  }

  /**
   * Another party's commitments, as it announced them when it finished the job.
   *
   * @param party its id
   * @param inputRoot root of its input commitment, lowercase hex, or null (no input)
   * @param outputRoot root of its output commitment, lowercase hex, or null (no output)
   */
  public record PeerCommitment(String party, String inputRoot, String outputRoot) {
    public PeerCommitment {
      Fields.requireText(party, "peerCommitment.party");
      if (inputRoot != null) {
        Fields.requireHex(inputRoot, "peerCommitment.inputRoot", false);
      }
      if (outputRoot != null) {
        Fields.requireHex(outputRoot, "peerCommitment.outputRoot", false);
      }
    }
  }

  /** Whether an anchor transaction is final. */
  public enum AnchorStatus {
    PENDING("pending"),
    CONFIRMED("confirmed");

    private final String wire;

    AnchorStatus(String wire) {
      this.wire = wire;
    }

    @JsonValue
    public String wire() {
      return wire;
    }

    @JsonCreator
    public static AnchorStatus fromWire(String text) {
      for (AnchorStatus s : values()) {
        if (s.wire.equals(text)) {
          return s;
        }
      }
      throw Fields.invalid("anchor.status", "must be pending or confirmed", "Use one of those two words.");
    }
  }

  /**
   * Where a sink anchored this receipt's {@link #anchorLeaf()} (not used by Veil's own chain sink,
   * which records its anchors in an outbox next to the ledger).
   *
   * @param sink the sink, e.g. {@code evm:<chainId>:<contract>}
   * @param status pending or confirmed
   * @param reference the sink's reference (e.g. transaction hash and leaf index), or null while pending
   */
  public record Anchor(String sink, AnchorStatus status, String reference) {
    public Anchor {
      Fields.requireText(sink, "anchor.sink");
      if (status == null) {
        throw Fields.invalid("anchor.status", "is missing", "Set it to pending or confirmed.");
      }
      Fields.optionalText(reference, "anchor.reference");
    }
  }

  /**
   * What a job used of the writing party's data asset, for usage metering: the asset's owner records
   * it on the ledger contract once per consumer ({@code recordUsage}).
   *
   * @param asset the asset the party's input names, 64 lowercase hex digits
   * @param rowsRead the party's input rows the job read (its input commitment's row count)
   * @param queriesAnswered the operator's {@value #QUERIES_FIGURE} result figure, 0 when it reports none
   * @param jobs the jobs this receipt counts: 1
   * @param consumers the Ed25519 identity keys (32 bytes, 64 lowercase hex digits) of every other
   *     party of the job, sorted
   */
  public record Usage(String asset, long rowsRead, long queriesAnswered, long jobs, List<String> consumers) {
    /** The result figure an operator reports the queries it answered under. */
    public static final String QUERIES_FIGURE = "queriesAnswered";

    public Usage {
      Fields.requireHash(asset, "usage.asset");
      Fields.requireCount(rowsRead, "usage.rowsRead");
      Fields.requireCount(queriesAnswered, "usage.queriesAnswered");
      Fields.requireCount(jobs, "usage.jobs");
      if (consumers == null) {
        throw Fields.invalid("usage.consumers", "is missing", "Pass an empty list when there are none.");
      }
      List<String> sorted = new ArrayList<>(consumers.size());
      for (String c : consumers) {
        if (!Hashes.isLowerHex(c, 32)) {
          throw Fields.invalid("usage.consumers[]", "must be an Ed25519 identity key as 64 lowercase hex digits",
              "List each other party's public key as hex.");
        }
        sorted.add(c);
      }
      Collections.sort(sorted);
      if (new HashSet<>(sorted).size() != sorted.size()) {
        throw Fields.invalid("usage.consumers", "lists a key twice", "Keep one entry per consumer.");
      }
      consumers = List.copyOf(sorted);
    }

    /**
     * The usage of one job over {@code asset}: {@code rowsRead} input rows, the {@value #QUERIES_FIGURE}
     * figure of {@code result} (0 when absent), one job, and the other parties' keys as consumers.
     *
     * @throws InvalidInputException if the figure is present but not a count
     */
    public static Usage ofJob(String asset, long rowsRead, Map<String, String> result, List<IdentityPublicKey> others) {
      String q = result.get(QUERIES_FIGURE);
      long queries;
      try {
        queries = q == null ? 0 : Long.parseLong(q);
      } catch (NumberFormatException e) {
        queries = -1;
      }
      if (queries < 0) {
        throw Fields.invalid("result['" + QUERIES_FIGURE + "']", "is not a count of 0 or more",
            "The operator must report it as a whole number.");
      }
      return new Usage(asset, rowsRead, queries, 1, others.stream().map(k -> Hashes.hex(k.bytes())).toList());
    }
  }

  /** Collects fields; {@link #build()} validates them. Not thread-safe. */
  public static final class Builder {
    private String jobId;
    private String jobName;
    private String period;
    private String operator;
    private String party;
    private String partyKey;
    private String contractHash;
    private final List<Approval> approvals = new ArrayList<>();
    private Commitment inputCommitment;
    private Commitment outputCommitment;
    private String outputLocation;
    private final List<RoundDigest> roundDigests = new ArrayList<>();
    private final SortedMap<String, String> result = new TreeMap<>();
    private Status status;
    private String startedAt;
    private String finishedAt;
    private final List<Anchor> anchors = new ArrayList<>();
    private final List<PeerCommitment> peerCommitments = new ArrayList<>();
    private Usage usage;

    private Builder() {}

    private Builder(Receipt r) {
      jobId = r.jobId;
      jobName = r.jobName;
      period = r.period;
      operator = r.operator;
      party = r.party;
      partyKey = r.partyKey;
      contractHash = r.contractHash;
      approvals.addAll(r.approvals);
      inputCommitment = r.inputCommitment;
      outputCommitment = r.outputCommitment;
      outputLocation = r.outputLocation;
      roundDigests.addAll(r.roundDigests);
      result.putAll(r.result);
      status = r.status;
      startedAt = r.startedAt;
      finishedAt = r.finishedAt;
      anchors.addAll(r.anchors);
      peerCommitments.addAll(r.peerCommitments);
      usage = r.usage;
    }

    public Builder jobId(String v) {
      jobId = v;
      return this;
    }

    public Builder jobName(String v) {
      jobName = v;
      return this;
    }

    public Builder period(String v) {
      period = v;
      return this;
    }

    public Builder operator(String v) {
      operator = v;
      return this;
    }

    /** The writing party and its identity key. */
    public Builder party(String id, IdentityPublicKey key) {
      party = id;
      partyKey = key == null ? null : key.encoded();
      return this;
    }

    /** The contract hash as lowercase hex. */
    public Builder contractHash(String hex) {
      contractHash = hex;
      return this;
    }

    /** The contract hash as 32 bytes. */
    public Builder contractHash(byte[] hash) {
      contractHash = hash == null ? null : Hashes.hex(hash);
      return this;
    }

    public Builder addApproval(Approval a) {
      approvals.add(a);
      return this;
    }

    public Builder approvals(List<Approval> list) {
      approvals.clear();
      approvals.addAll(list);
      return this;
    }

    public Builder inputCommitment(Commitment c) {
      inputCommitment = c;
      return this;
    }

    public Builder outputCommitment(Commitment c) {
      outputCommitment = c;
      return this;
    }

    public Builder outputLocation(String v) {
      outputLocation = v;
      return this;
    }

    public Builder addRoundDigest(RoundDigest d) {
      roundDigests.add(d);
      return this;
    }

    public Builder roundDigests(List<RoundDigest> list) {
      roundDigests.clear();
      roundDigests.addAll(list);
      return this;
    }

    public Builder result(String key, String value) {
      result.put(Fields.requireText(key, "receipt.result key"), value);
      return this;
    }

    public Builder result(Map<String, String> map) {
      result.clear();
      map.forEach(this::result);
      return this;
    }

    public Builder status(Status v) {
      status = v;
      return this;
    }

    public Builder startedAt(Instant v) {
      startedAt = v == null ? null : v.toString();
      return this;
    }

    public Builder finishedAt(Instant v) {
      finishedAt = v == null ? null : v.toString();
      return this;
    }

    public Builder addAnchor(Anchor a) {
      anchors.add(a);
      return this;
    }

    public Builder anchors(List<Anchor> list) {
      anchors.clear();
      anchors.addAll(list);
      return this;
    }

    public Builder addPeerCommitment(PeerCommitment p) {
      peerCommitments.add(p);
      return this;
    }

    /** What the job used of the party's data asset; null (the default) when its input names none. */
    public Builder usage(Usage v) {
      usage = v;
      return this;
    }

    public Receipt build() {
      return new Receipt(CURRENT_VERSION, jobId, jobName, period, operator, party, partyKey,
          contractHash, approvals, inputCommitment, outputCommitment, outputLocation, roundDigests,
          result, status, startedAt, finishedAt, anchors, peerCommitments, usage);
    }
  }
}
