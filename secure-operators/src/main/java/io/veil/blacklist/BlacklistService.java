package io.veil.blacklist;

import io.veil.InvalidInputException;
import io.veil.PolicyRefusedException;
import io.veil.ProtocolException;
import io.veil.VeilException;
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
import io.veil.crypto.PartySecret;
import io.veil.crypto.PsiCipher;
import io.veil.blacklist.internal.StoreTasks;
import io.veil.job.JobGate;
import io.veil.job.JobRecord;
import io.veil.job.JobRequest;
import io.veil.job.ReceiptSink;
import io.veil.spec.Approval;
import io.veil.spec.JobSpec;
import io.veil.spec.PartySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The holder's side of the low-latency blacklist lookup: a long-running service that answers one
 * querier's blinded ids as they come, one applicant at a time or in small batches, without a Spark
 * job per query ({@code veil blacklist serve}). The querier uses {@link BlacklistClient}.
 *
 * <p>The service serves one agreed {@code blacklist-lookup} spec: its key, policy and gates are
 * checked when it starts, exactly as for a job. A querier opens a <b>session</b> with a signed hello
 * that carries its approval of the same contract; the holder checks the approval and its gates (a
 * data asset's spent quota refuses the session), and accepts with its list's current version, which
 * the querier's copy must match. Each request is a signed batch of blinded points bound to the
 * session and numbered; the holder multiplies them by its list key and answers in place, with its
 * list's version, so a copy that fell behind an encode is noticed at the next request. When the
 * session closes (the querier closes it, it is idle for {@code idleMs}, or the service stops) the
 * holder records a receipt of it: the ids it answered ({@code queriesAnswered}, which usage metering
 * counts), the rounds' digests and both approvals.
 *
 * <p>What each side learns is what the batch job's leakage table says: the holder learns how many
 * ids each request and session asks about, and when; never which.
 */
public final class BlacklistService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BlacklistService.class);
  /** Clock skew tolerated between the parties for a hello's time stamp. */
  public static final long HELLO_SKEW_MS = 30_000;
  /** Most ids in one request (the records stay far below a Kafka record's limit). */
  public static final int MAX_IDS = 16_384;
  private static final long MANIFEST_CACHE_MS = 1_000;

  private final JobSpec spec;
  private final BlacklistSpec b;
  private final PartySpec me;
  private final String querier;
  private final IdentityPublicKey querierKey;
  private final PartySecret secret;
  private final Channel channel;
  private final List<JobGate> gates;
  private final ReceiptSink receipts;
  private final Configuration conf;
  private final Consumer<String> progress;
  private final long idleMs;
  private final int maxSessions;
  private final PsiCipher cipher;
  private final long startedMillis = System.currentTimeMillis();
  private final Set<String> seen = new HashSet<>();
  private final List<Thread> sessions = new CopyOnWriteArrayList<>();
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final Thread hellos;
  private volatile boolean closed;
  /** Why the service stopped on its own (the channel failed), or null. */
  private volatile RuntimeException failure;
  private volatile BlacklistStore.Manifest manifest;
  private volatile long manifestReadAt;

  private BlacklistService(JobRequest rq, Configuration conf, long idleMs, int maxSessions) {
    this.spec = rq.spec();
    this.b = spec.settings(BlacklistSpec.class);
    this.me = spec.party(rq.party());
    this.querier = b.querier();
    this.querierKey = spec.party(querier).publicKey();
    this.secret = rq.key().resolve();
    this.channel = rq.channel();
    this.gates = rq.gates();
    this.receipts = rq.receipts();
    this.conf = conf;
    this.progress = rq.progress();
    this.idleMs = idleMs;
    this.maxSessions = maxSessions;
    this.cipher = PsiCipher.create(StoreTasks.listKey(rq.key(), b.list(), b.keyVersion()));
    this.hellos = new Thread(this::followHellos, "veil-blacklist-service-" + b.list());
    hellos.setDaemon(true);
  }

  /**
   * Checks the holder's key, policy and gates against the spec and its encoded list, then starts
   * serving. Nothing is sent before every check passes.
   *
   * @param rq the holder's request (spec, party, key, policy, channel, receipts, gates, progress)
   * @param conf where the store is read (the holder's Hadoop configuration)
   * @param idleMs a session idle this long is closed (and its receipt recorded)
   * @param maxSessions most sessions open at once; a hello beyond them is refused as busy
   * @throws InvalidInputException if this party is not the spec's holder, its key is not the one the
   *     spec pins, or its list is not encoded ({@code veil blacklist encode})
   */
  public static BlacklistService start(JobRequest rq, Configuration conf, long idleMs, int maxSessions) {
    JobSpec spec = rq.spec();
    BlacklistSpec b = checked(rq, true, "serve lookups", "The querier opens sessions with BlacklistClient (veil "
        + "blacklist check).");
    if (idleMs < 1_000) {
      throw new InvalidInputException("Cannot serve lookups: the session idle time must be at least 1000 ms (got "
          + idleMs + ").");
    }
    if (maxSessions < 1) {
      throw new InvalidInputException("Cannot serve lookups: at least one session must be allowed at once (got "
          + maxSessions + ").");
    }
    BlacklistService s = new BlacklistService(rq, conf, idleMs, maxSessions);
    BlacklistStore.Manifest m = s.manifest(true);
    if (!Lookup.storeMatches(m, b)) {
      throw new InvalidInputException("Cannot serve lookups of list '" + b.list() + "': its store " + b.store()
          + (m == null ? " holds no encoded list" : " holds another list or key version") + ". Encode it first: "
          + "veil blacklist encode --spec <spec> --party " + b.holder() + " --key <key>.");
    }
    s.channel.createStreams(List.of(ServiceWire.helloStream(spec, b.holder())), 1);
    s.hellos.start();
    s.progress.accept("serving list '" + b.list() + "' version " + m.current().version() + " (" + m.current().records()
        + " ids) to " + b.querier() + " on " + s.channel.describe());
    return s;
  }

  /**
   * The checks both sides make before anything is sent, as a job's driver makes them: the spec's
   * operator, the request's party in its role ({@code holder} or the querier), its key against the
   * key the spec pins, its policy and its gates. Returns the spec's settings.
   */
  static BlacklistSpec checked(JobRequest rq, boolean holder, String what, String otherSide) {
    JobSpec spec = rq.spec();
    if (!spec.operator().equals(BlacklistOperator.NAME)) {
      throw new InvalidInputException("Cannot " + what + " with spec '" + spec.name() + "': its operator is '"
          + spec.operator() + "', not '" + BlacklistOperator.NAME + "'.");
    }
    BlacklistSpec b = spec.settings(BlacklistSpec.class);
    String role = holder ? b.holder() : b.querier();
    if (!rq.party().equals(role)) {
      throw new InvalidInputException("Cannot " + what + " of list '" + b.list() + "' as " + rq.party() + ": the "
          + "spec's " + (holder ? "holder" : "querier") + " is " + role + ". " + otherSide);
    }
    PartySpec p = spec.party(rq.party());
    IdentityPublicKey key = rq.key().resolve().identity().publicKey();
    if (!key.equals(p.publicKey())) {
      throw new InvalidInputException("Cannot " + what + " of list '" + b.list() + "' as " + p.id() + ": key file "
          + rq.key().path() + " holds key " + key + " but the spec pins " + p.publicKey() + " for " + p.id()
          + ". Use " + p.id() + "'s key file or fix the spec.");
    }
    rq.policy().check(spec, rq.party());
    rq.gates().forEach(g -> g.check(spec, rq.party()));
    return b;
  }

  /** Sessions accepted since the service started. */
  public long sessionsOpened() {
    return opened.get();
  }

  /** Ids answered since the service started, over every session. */
  public long idsAnswered() {
    return answered.get();
  }

  /**
   * Waits until the service is closed (from another thread or a shutdown hook).
   *
   * @throws io.veil.VeilException if it stopped on its own because the channel failed
   */
  public void awaitClose() throws InterruptedException {
    hellos.join();
    if (failure != null && !closed) {
      throw failure;
    }
  }

  /** Stops accepting sessions, closes the open ones (recording their receipts) and returns. */
  @Override
  public void close() {
    closed = true;
    hellos.interrupt();
    sessions.forEach(Thread::interrupt);
    try {
      hellos.join(10_000);
      for (Thread t : sessions) {
        t.join(10_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private BlacklistStore.Manifest manifest(boolean fresh) {
    long now = System.currentTimeMillis();
    if (fresh || now - manifestReadAt > MANIFEST_CACHE_MS) {
      manifest = BlacklistStore.read(conf, b.store());
      manifestReadAt = now;
    }
    return manifest;
  }

  private void followHellos() {
    String stream = ServiceWire.helloStream(spec, b.holder());
    try (StreamFollower in = channel.openFollower(stream, 0)) {
      while (!closed) {
        byte[] record;
        try {
          record = in.next(500);
        } catch (VeilException e) {
          if (closed) {
            return;
          }
          throw e;
        }
        if (record != null) {
          try {
            hello(record, stream);
          } catch (ProtocolException e) {
            LOG.warn("Veil blacklist service: ignored a record on {}: {}", stream, e.getMessage());
          }
        }
      }
    } catch (RuntimeException e) {
      if (!closed) {
        LOG.error("Veil blacklist service: stopped following sessions: {}", e.getMessage(), e);
        failure = e;
      }
    }
  }

  private void hello(byte[] record, String stream) {
    BatchCodec.Batch batch = BatchCodec.decode(record, ServiceWire.serviceId(spec), stream, querier, querierKey, 0, 1,
        ServiceWire.STEP_HELLO);
    ServiceWire.Hello h = ServiceWire.Hello.parse(querier, batch.payload());
    long now = System.currentTimeMillis();
    if (h.millis() < startedMillis - HELLO_SKEW_MS || h.millis() > now + HELLO_SKEW_MS || !seen.add(h.session())) {
      LOG.debug("Veil blacklist service: ignored hello {} (from before the service started, or seen)", h.session());
      return;
    }
    String jobId = ServiceWire.sessionJobId(spec, h.session());
    ServiceWire.Accept accept;
    BlacklistStore.Manifest m = manifest(true);
    if (!Approval.verify(querierKey, spec.contractHash(), h.approval())) {
      accept = ServiceWire.Accept.refused("approval");
    } else if (!Lookup.storeMatches(m, b)) {
      accept = ServiceWire.Accept.refused("no-list");
    } else if (h.copyVersion() != m.current().version() || !h.copyDigest().equals(m.current().digest())) {
      accept = ServiceWire.Accept.staleCopy(m.current()); // answers would miss ids listed since
    } else if (sessions.size() >= maxSessions) {
      accept = ServiceWire.Accept.refused("busy");
    } else {
      accept = gate();
      if (accept == null) {
        accept = new ServiceWire.Accept(true, null, m.current(), MAX_IDS,
            Approval.sign(secret.identity(), spec.contractHash()));
      }
    }
    channel.createStreams(List.of(ServiceWire.requestStream(querier, h.session()),
        ServiceWire.answerStream(b.holder(), h.session())), 1);
    String answers = ServiceWire.answerStream(b.holder(), h.session());
    try (StreamWriter w = channel.openWriter(answers, 0)) {
      byte[] payload = accept.encode();
      w.write(BatchCodec.encode(jobId, answers, b.holder(), 0, 0, 1, payload, payload.length, secret.identity()));
      w.flush();
    }
    if (!accept.ok()) {
      progress.accept("session " + h.session() + " of " + querier + " refused (" + accept.refusal() + ")");
      return;
    }
    opened.incrementAndGet();
    progress.accept("session " + h.session() + " of " + querier + " opened (list version " + m.current().version()
        + ")");
    Thread t = new Thread(() -> serve(h, m, jobId), "veil-blacklist-session-" + h.session());
    t.setDaemon(true);
    sessions.add(t);
    t.start();
  }

  /** The gates (a data asset's quota) for a new session: null to accept, else the refusal. */
  private ServiceWire.Accept gate() {
    try {
      gates.forEach(g -> g.check(spec, me.id()));
      return null;
    } catch (PolicyRefusedException e) {
      progress.accept("refusing a session: " + e.getMessage());
      return ServiceWire.Accept.refused("policy");
    } catch (VeilException e) {
      progress.accept("refusing a session: " + e.getMessage());
      return ServiceWire.Accept.refused("unavailable");
    }
  }

  /** One session: answers requests in order until the querier closes it, it idles out or the service stops. */
  private void serve(ServiceWire.Hello h, BlacklistStore.Manifest accepted, String jobId) {
    Instant started = Instant.now();
    String requests = ServiceWire.requestStream(querier, h.session());
    String answers = ServiceWire.answerStream(b.holder(), h.session());
    List<SentBatch> asked = new ArrayList<>();
    List<SentBatch> sent = new ArrayList<>();
    long ids = 0;
    String end = "closed by " + querier;
    try (StreamFollower in = channel.openFollower(requests, 0);
        StreamWriter out = channel.openWriter(answers, 0)) {
      long lastAt = System.currentTimeMillis();
      int seq = 1;
      while (true) {
        if (closed) {
          end = "the service stopped";
          break;
        }
        byte[] record = in.next(Math.min(500, Math.max(1, lastAt + idleMs - System.currentTimeMillis())));
        if (record == null) {
          if (System.currentTimeMillis() - lastAt >= idleMs) {
            end = "idle for " + idleMs + " ms";
            break;
          }
          continue;
        }
        lastAt = System.currentTimeMillis();
        BatchCodec.Batch q = BatchCodec.decode(record, jobId, requests, querier, querierKey, 0,
            PsiCipher.POINT_BYTES, Lookup.STEP_QUERY);
        if (q.seq() != seq) {
          throw new ProtocolException(querier, Lookup.STEP_QUERY, "Cannot answer " + querier + "'s request: it is "
              + "numbered " + q.seq() + " where " + seq + " was due (replayed or reordered).");
        }
        if (q.count() == 0) {
          break;
        }
        asked.add(new SentBatch(0, seq, q.count(), RoundDigest.batchDigest(record), null));
        BlacklistStore.Manifest m = manifest(false);
        byte[] answer;
        int count;
        if (q.count() > MAX_IDS) {
          answer = ServiceWire.header(ServiceWire.STATUS_REFUSED, 0);
          count = 1;
        } else if (!Lookup.storeMatches(m, b) || m.current().version() != accepted.current().version()) {
          answer = ServiceWire.header(ServiceWire.STATUS_STALE, m == null ? -1 : m.current().version());
          count = 1;
        } else {
          answer = new byte[(q.count() + 1) * PsiCipher.POINT_BYTES];
          System.arraycopy(ServiceWire.header(ServiceWire.STATUS_OK, m.current().version()), 0, answer, 0,
              ServiceWire.HEADER_BYTES);
          byte[] points = new byte[q.count() * PsiCipher.POINT_BYTES];
          try {
            cipher.blindPeerPoints(q.payload(), q.count(), points);
            System.arraycopy(points, 0, answer, ServiceWire.HEADER_BYTES, points.length);
            count = q.count() + 1;
          } catch (InvalidPointException e) {
            answer = ServiceWire.header(ServiceWire.STATUS_REFUSED, 0);
            count = 1;
          }
        }
        byte[] reply = BatchCodec.encode(jobId, answers, b.holder(), 0, seq, PsiCipher.POINT_BYTES, answer, count,
            secret.identity());
        out.write(reply);
        out.flush();
        sent.add(new SentBatch(0, seq, count - 1, RoundDigest.batchDigest(reply), null));
        if (ServiceWire.status(answer) == ServiceWire.STATUS_REFUSED) {
          throw new ProtocolException(querier, Lookup.STEP_QUERY, "Cannot answer " + querier + "'s request " + seq
              + ": it holds " + q.count() + " elements (at most " + MAX_IDS + ") or a point off the curve.");
        }
        if (ServiceWire.status(answer) == ServiceWire.STATUS_OK) {
          ids += q.count();
          answered.addAndGet(q.count());
        }
        seq++;
      }
    } catch (VeilException e) {
      end = closed ? "the service stopped" : "refused: " + e.getMessage();
      LOG.warn("Veil blacklist service: session {} ended: {}", h.session(), e.getMessage());
    } finally {
      sessions.remove(Thread.currentThread());
      record(h, accepted, jobId, started, asked, sent, ids, end);
    }
  }

  /** The session's receipt: what was answered, both approvals, the rounds' digests. */
  private void record(ServiceWire.Hello h, BlacklistStore.Manifest m, String jobId, Instant started,
      List<SentBatch> asked, List<SentBatch> sent, long ids, String end) {
    try {
      Map<String, String> figures = new LinkedHashMap<>();
      figures.put("session", h.session());
      figures.put("requests", Integer.toString(asked.size()));
      figures.put("queriesAnswered", Long.toString(ids));
      figures.put("listRecords", Long.toString(m.current().records()));
      figures.put("listVersion", Long.toString(m.current().version()));
      JobRecord record = ServiceWire.sessionRecord(spec, jobId, me, Map.of(me.id(), Approval.sign(secret.identity(),
          spec.contractHash()), querier, h.approval()), querier, me.id(), asked, sent, figures,
          Lookup.listCommitment(m, secret.deriveJobSecret(jobId, "input-commitment-salt", 16)), started);
      ReceiptSink.Recorded r = receipts.record(record, secret.identity());
      progress.accept("session " + h.session() + " of " + querier + " closed (" + end + "): " + asked.size()
          + " requests, " + ids + " ids answered; receipt " + r.receiptHash().substring(0, 16) + "... in "
          + r.location());
    } catch (RuntimeException e) {
      LOG.error("Veil blacklist service: cannot record the receipt of session {}: {}", h.session(), e.getMessage(), e);
      progress.accept("session " + h.session() + " closed (" + end + "), but its receipt was not recorded: "
          + e.getMessage());
    }
  }
}
