package io.veil.blacklist;

import io.veil.InvalidInputException;
import io.veil.PeerTimeoutException;
import io.veil.PolicyRefusedException;
import io.veil.ProtocolException;
import io.veil.blacklist.internal.ListCodec;
import io.veil.blacklist.internal.ListIndex;
import io.veil.blacklist.internal.Lookup;
import io.veil.blacklist.internal.ServiceWire;
import io.veil.channel.BatchCodec;
import io.veil.channel.Channel;
import io.veil.channel.RoundDigest;
import io.veil.channel.SentBatch;
import io.veil.channel.StreamFollower;
import io.veil.channel.StreamWriter;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.InvalidPointException;
import io.veil.crypto.Oprf;
import io.veil.crypto.PartySecret;
import io.veil.crypto.PsiCipher;
import io.veil.job.JobRequest;
import io.veil.job.ReceiptSink;
import io.veil.spec.Approval;
import io.veil.spec.JobSpec;
import io.veil.spec.PartySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.RowFactory;

/**
 * The querier's side of the low-latency blacklist lookup: a session with the holder's {@link
 * BlacklistService} that checks ids one applicant at a time (or a few at once) in one round trip
 * over the channel, without a Spark job ({@code veil blacklist check}, or from an application).
 *
 * <pre>{@code
 * JobRequest rq = VeilJobs.request(conf).build();     // spec, party, key, policy, channel, receipts
 * try (BlacklistClient list = BlacklistClient.open(rq, new Configuration())) {
 *   BlacklistClient.Answer a = list.lookup(List.of("4711-0815")).get(0);
 *   if (Boolean.TRUE.equals(a.listed())) { ... a.reason() ... }
 * }
 * }</pre>
 *
 * <p>It answers from the querier's copy of the encoded list, which the batch job ({@code veil run})
 * keeps up to date: a session opens only when the copy is at the holder's current version, and a
 * request answered after the holder encoded a newer version fails, so no id added since is missed.
 * Each request blinds the distinct ids with a fresh scalar; the holder sees only how many there are.
 * Closing the session records its receipt (ids asked, ids listed, the rounds' digests, both
 * approvals). Not thread-safe: use one client per thread, or synchronise.
 */
public final class BlacklistClient implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * One id's answer.
   *
   * @param key the id as given (its key columns' values)
   * @param listed whether it is on the list; null for an id with a NULL component (not asked about)
   * @param reason its reason code, or null (not listed, or a list without reasons)
   */
  public record Answer(List<String> key, Boolean listed, String reason) {
    /** The id, for a one-column key; the components joined by tabs otherwise. */
    public String id() {
      return key.size() == 1 ? key.get(0) : String.join("\t", key);
    }
  }

  private final JobSpec spec;
  private final BlacklistSpec b;
  private final PartySpec me;
  private final String holder;
  private final IdentityPublicKey holderKey;
  private final PartySecret secret;
  private final ReceiptSink receipts;
  private final ListIndex copy;
  private final String session;
  private final String jobId;
  private final String approval;
  private final StreamWriter out;
  private final StreamFollower in;
  private final ServiceWire.Accept accepted;
  private final long timeoutMs;
  private final Instant started = Instant.now();
  private final List<SentBatch> asked = new ArrayList<>();
  private final List<SentBatch> answered = new ArrayList<>();
  private long ids;
  private long listed;
  private int seq = 1;
  private boolean closed;

  private BlacklistClient(JobRequest rq, ListIndex copy, String session, StreamWriter out, StreamFollower in,
      ServiceWire.Accept accepted, String approval) {
    this.spec = rq.spec();
    this.b = spec.settings(BlacklistSpec.class);
    this.me = spec.party(rq.party());
    this.holder = b.holder();
    this.holderKey = spec.party(holder).publicKey();
    this.secret = rq.key().resolve();
    this.receipts = rq.receipts();
    this.copy = copy;
    this.session = session;
    this.jobId = ServiceWire.sessionJobId(spec, session);
    this.approval = approval;
    this.out = out;
    this.in = in;
    this.accepted = accepted;
    this.timeoutMs = spec.peerTimeoutMs();
  }

  /**
   * Checks this party's key, policy and gates, and its copy of the list, then opens a session with
   * the holder's service (waiting up to the spec's {@code peerTimeoutMs} for it to accept).
   *
   * @throws InvalidInputException if this party is not the spec's querier, has no copy of the list
   *     yet, or its copy is not at the holder's current version (run the batch job to update it)
   * @throws PeerTimeoutException if the holder's service does not answer
   * @throws PolicyRefusedException if the holder refuses the session
   */
  public static BlacklistClient open(JobRequest rq, Configuration conf) {
    JobSpec spec = rq.spec();
    BlacklistSpec b = BlacklistService.checked(rq, false, "look ids up", "The holder answers with veil blacklist "
        + "serve.");
    ListIndex copy;
    try {
      copy = Lookup.openCopy(conf, b);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the copy of list '" + b.list() + "' at " + b.copy() + ": "
          + e.getMessage(), e);
    }
    if (copy == null || !Integer.toString(b.keyVersion()).equals(copy.attributes().get("keyVersion"))) {
      closeQuietly(copy);
      throw new InvalidInputException("Cannot look ids up in list '" + b.list() + "': " + b.copy() + " holds no copy "
          + "of it (key version " + b.keyVersion() + "). Run the batch lookup once (veil run --spec <spec> --party "
          + b.querier() + " ..., with any input, even an empty one): it copies the encoded list.");
    }
    PartySecret secret = rq.key().resolve();
    Channel channel = rq.channel();
    byte[] sid = new byte[16];
    RANDOM.nextBytes(sid);
    String session = HexFormat.of().formatHex(sid);
    String jobId = ServiceWire.sessionJobId(spec, session);
    String requests = ServiceWire.requestStream(b.querier(), session);
    String answers = ServiceWire.answerStream(b.holder(), session);
    String hellos = ServiceWire.helloStream(spec, b.holder());
    String approval = Approval.sign(secret.identity(), spec.contractHash());
    StreamWriter out = null;
    StreamFollower in = null;
    try {
      channel.createStreams(List.of(hellos), 1);
      channel.createStreams(List.of(requests, answers), 1);
      byte[] hello = new ServiceWire.Hello(session, System.currentTimeMillis(), approval, copy.version(),
          copy.digest()).encode();
      try (StreamWriter w = channel.openWriter(hellos, 0)) {
        w.write(BatchCodec.encode(ServiceWire.serviceId(spec), hellos, b.querier(), 0, 0, 1, hello, hello.length,
            secret.identity()));
        w.flush();
      }
      in = channel.openFollower(answers, 0);
      byte[] record = in.next(spec.peerTimeoutMs());
      if (record == null) {
        throw new PeerTimeoutException(b.holder(), "Cannot look ids up in list '" + b.list() + "': " + b.holder()
            + "'s lookup service did not answer within " + spec.peerTimeoutMs() + " ms. Is 'veil blacklist serve' "
            + "running at " + b.holder() + " with this spec and the same Kafka? Nothing was sent but the session's "
            + "opening.");
      }
      BatchCodec.Batch a = BatchCodec.decode(record, jobId, answers, b.holder(), spec.party(b.holder()).publicKey(),
          0, 1, ServiceWire.STEP_HELLO);
      ServiceWire.Accept accept = ServiceWire.Accept.parse(b.holder(), a.payload());
      if (ServiceWire.Accept.STALE_COPY.equals(accept.refusal())) {
        throw staleCopy(b, copy.version(), accept.list().version());
      }
      if (!accept.ok()) {
        throw new PolicyRefusedException("Cannot look ids up in list '" + b.list() + "': " + b.holder() + " refused "
            + "the session (" + switch (accept.refusal()) {
              case "approval" -> "it does not accept this party's approval of the spec; are both on the same spec?";
              case "no-list" -> "its list is not encoded for this spec";
              case "policy" -> "its policy or its data asset's quota refuses it";
              case "busy" -> "it has as many sessions open as it allows; close idle ones, or retry later";
              default -> accept.refusal();
            } + "). Nothing was sent but the session's opening.");
      }
      if (!Approval.verify(spec.party(b.holder()).publicKey(), spec.contractHash(), accept.approval())) {
        throw new ProtocolException(b.holder(), ServiceWire.STEP_HELLO, "Cannot open a lookup session with "
            + b.holder() + ": its approval does not verify against its key in the spec.");
      }
      if (accept.list().version() != copy.version() || !accept.list().digest().equals(copy.digest())) {
        throw new ProtocolException(b.holder(), ServiceWire.STEP_HELLO, "Cannot open a lookup session with "
            + b.holder() + ": it accepted a copy at version " + copy.version() + " for its list at version "
            + accept.list().version() + ".");
      }
      out = channel.openWriter(requests, 0);
      return new BlacklistClient(rq, copy, session, out, in, accept, approval);
    } catch (RuntimeException e) {
      if (in != null) {
        in.close();
      }
      if (out != null) {
        out.close();
      }
      closeQuietly(copy);
      throw e;
    }
  }

  private static InvalidInputException staleCopy(BlacklistSpec b, long copyVersion, long holderVersion) {
    return new InvalidInputException("Cannot look ids up in list '" + b.list() + "': the copy at " + b.copy()
        + " is at version " + copyVersion + " but " + b.holder() + "'s list is at version " + holderVersion + ", so "
        + "ids listed since would be missed. Update the copy with the batch lookup (veil run ... as a new period, "
        + "e.g. --period <today>; any input, even an empty one), then open a new session.");
  }

  private static void closeQuietly(ListIndex copy) {
    if (copy != null) {
      try {
        copy.close();
      } catch (IOException e) {
        // nothing to lose: read-only
      }
    }
  }

  /** The list's version this session answers from. */
  public long listVersion() {
    return accepted.list().version();
  }

  /** The number of ids on the list. */
  public long listRecords() {
    return accepted.list().records();
  }

  /** The session's id (in both parties' receipts and logs). */
  public String session() {
    return session;
  }

  /** Looks up ids of a one-column key, in order; a NULL id gets a NULL answer and is not sent. */
  public List<Answer> lookup(List<String> ids) {
    List<List<String>> keys = new ArrayList<>(ids.size());
    ids.forEach(id -> keys.add(java.util.Collections.singletonList(id)));
    return lookupKeys(keys);
  }

  /**
   * Looks up ids given by their key columns' values (as many as the querier's {@code keyColumns}),
   * in order. Distinct ids are asked once, in as many requests of at most {@link
   * BlacklistService#MAX_IDS} as needed.
   */
  public List<Answer> lookupKeys(List<List<String>> keys) {
    if (closed) {
      throw new IllegalStateException("this lookup session is closed; open a new one");
    }
    int width = me.input() == null ? 1 : me.input().keyColumns().size();
    Map<String, Integer> distinct = new LinkedHashMap<>();
    List<byte[]> encoded = new ArrayList<>();
    byte[][] perKey = new byte[keys.size()][];
    for (int i = 0; i < keys.size(); i++) {
      List<String> k = keys.get(i);
      if (k.size() != width) {
        throw new InvalidInputException("Cannot look up id " + (i + 1) + ": it has " + k.size() + " components but "
            + me.id() + "'s key has " + width + " columns (" + (me.input() == null ? "" : String.join(", ",
            me.input().keyColumns())) + ").");
      }
      byte[] e = b.normalization().encode(RowFactory.create(k.toArray()));
      perKey[i] = e;
      if (e != null) {
        distinct.computeIfAbsent(HexFormat.of().formatHex(e), x -> {
          encoded.add(e);
          return encoded.size() - 1;
        });
      }
    }
    Boolean[] hit = new Boolean[encoded.size()];
    String[] reasons = new String[encoded.size()];
    for (int from = 0; from < encoded.size(); from += BlacklistService.MAX_IDS) {
      List<byte[]> part = encoded.subList(from, Math.min(encoded.size(), from + BlacklistService.MAX_IDS));
      ask(part, hit, reasons, from);
    }
    List<Answer> answers = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      if (perKey[i] == null) {
        answers.add(new Answer(keys.get(i), null, null));
      } else {
        int d = distinct.get(HexFormat.of().formatHex(perKey[i]));
        answers.add(new Answer(keys.get(i), hit[d], reasons[d]));
      }
    }
    return answers;
  }

  /** One request: blind, send, wait for the answer, unblind, look up. */
  private void ask(List<byte[]> part, Boolean[] hit, String[] reasons, int offset) {
    byte[] seed = new byte[32];
    RANDOM.nextBytes(seed);
    Oprf.Blinding blinding = Oprf.Blinding.derive(seed);
    byte[] points = new byte[part.size() * PsiCipher.POINT_BYTES];
    for (int i = 0; i < part.size(); i++) {
      blinding.blind(part.get(i), points, i * PsiCipher.POINT_BYTES);
    }
    String requests = ServiceWire.requestStream(me.id(), session);
    String answers = ServiceWire.answerStream(holder, session);
    byte[] request = BatchCodec.encode(jobId, requests, me.id(), 0, seq, PsiCipher.POINT_BYTES, points, part.size(),
        secret.identity());
    out.write(request);
    out.flush();
    asked.add(new SentBatch(0, seq, part.size(), RoundDigest.batchDigest(request), null));
    byte[] record = in.next(timeoutMs);
    if (record == null) {
      closed = true;
      throw new PeerTimeoutException(holder, "Cannot look ids up in list '" + b.list() + "': " + holder + " did not "
          + "answer request " + seq + " within " + timeoutMs + " ms. The session is closed; open a new one.");
    }
    BatchCodec.Batch a = BatchCodec.decode(record, jobId, answers, holder, holderKey, 0, PsiCipher.POINT_BYTES,
        Lookup.STEP_ANSWER);
    answered.add(new SentBatch(0, a.seq(), Math.max(0, a.count() - 1), RoundDigest.batchDigest(record), null));
    byte[] p = a.payload();
    if (a.seq() != seq || a.count() < 1) {
      closed = true;
      throw new ProtocolException(holder, Lookup.STEP_ANSWER, "Cannot use " + holder + "'s answer: it is numbered "
          + a.seq() + " where " + seq + " was due, or empty. The session is closed.");
    }
    seq++;
    int status = ServiceWire.status(p);
    if (status == ServiceWire.STATUS_STALE || (status == ServiceWire.STATUS_OK
        && ServiceWire.listVersion(p) != accepted.list().version())) {
      throw staleCopy(b, copy.version(), ServiceWire.listVersion(p));
    }
    if (status != ServiceWire.STATUS_OK || a.count() != part.size() + 1) {
      closed = true;
      throw new ProtocolException(holder, Lookup.STEP_ANSWER, "Cannot use " + holder + "'s answer to request "
          + (seq - 1) + ": " + (status == ServiceWire.STATUS_REFUSED ? "it refused the request"
          : "it holds " + (a.count() - 1) + " answers for " + part.size() + " ids") + ". The session is closed.");
    }
    try {
      for (int i = 0; i < part.size(); i++) {
        byte[] point;
        try {
          point = blinding.unblind(p, (i + 1) * PsiCipher.POINT_BYTES);
        } catch (InvalidPointException e) {
          closed = true;
          throw new ProtocolException(holder, Lookup.STEP_ANSWER, "Cannot use " + holder + "'s answer " + i
              + " to request " + (seq - 1) + ": not a valid curve point. The session is closed; " + holder
              + " is misbehaving or corrupted.");
        }
        byte[] output = Oprf.output(part.get(i), point);
        Optional<byte[]> found = copy.lookup(ListCodec.tag(output));
        hit[offset + i] = found.isPresent();
        reasons[offset + i] = found.isPresent() && found.get().length > 0 ? ListCodec.open(output, found.get()) : null;
        if (found.isPresent()) {
          listed++;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the copy of list '" + b.list() + "' at " + b.copy() + ": "
          + e.getMessage(), e);
    }
    ids += part.size();
  }

  /** Ends the session (the holder records its receipt) and records this party's receipt of it. */
  @Override
  public void close() {
    if (seq < 0) {
      return;
    }
    try {
      if (!closed) {
        byte[] end = BatchCodec.encode(jobId, ServiceWire.requestStream(me.id(), session), me.id(), 0, seq,
            PsiCipher.POINT_BYTES, new byte[0], 0, secret.identity());
        out.write(end);
        out.flush();
      }
    } finally {
      closed = true;
      seq = -1;
      in.close();
      out.close();
      closeQuietly(copy);
      record();
    }
  }

  private void record() {
    Map<String, String> figures = new LinkedHashMap<>();
    figures.put("session", session);
    figures.put("requests", Integer.toString(asked.size()));
    figures.put("queries", Long.toString(ids));
    figures.put("listed", Long.toString(listed));
    figures.put("listRecords", Long.toString(accepted.list().records()));
    figures.put("listVersion", Long.toString(accepted.list().version()));
    receipts.record(ServiceWire.sessionRecord(spec, jobId, me, Map.of(me.id(), approval, holder, accepted.approval()),
        me.id(), holder, asked, answered, figures, null, started), secret.identity());
  }

  @Override
  public String toString() {
    return "BlacklistClient[" + b.list() + " v" + accepted.list().version() + ", session " + session + "]";
  }
}
