package io.veil.channel;

import io.veil.PeerTimeoutException;
import io.veil.ProtocolException;
import io.veil.channel.ControlMessage.Abort;
import io.veil.channel.ControlMessage.Body;
import io.veil.channel.ControlMessage.Heartbeat;
import io.veil.channel.ControlMessage.Hello;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.SignatureDomain;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's control log seen by one party, in one attempt: publishes signed, typed
 * {@link ControlMessage}s and reads the other parties' messages.
 *
 * <p><b>What is read.</b> Anyone who can append to the control topic can write to it, so nothing
 * unauthenticated decides anything: messages that are not Veil control messages, whose sender is
 * not a party of the spec, or that claim a party but are not signed by its pinned key (with the
 * {@link SignatureDomain#CONTROL} domain) are ignored and logged (a warning for the first of each
 * claimed sender, then a count), never fatal, so a stranger cannot stop a job by writing to its
 * topic. A message validly signed by a party that is malformed is a protocol error naming that
 * party if it claims this job, and is ignored if it claims another job sharing the topic.
 *
 * <p><b>Attempts.</b> Every run of a job has a random attempt id, carried in every message it sends.
 * A job can be run again under the same job id (after a failure, or to resume), and earlier
 * attempts' messages stay on the log. Each party acknowledges, in its heartbeats, the latest attempt
 * it has seen of every other party. A peer's attempt is <i>live</i> for this party once it has
 * acknowledged this party's attempt: only then is it known to be running now. After {@link #bind},
 * this party reads only the messages of the peer's bound attempt, or of a newer live attempt of the
 * same peer (a peer that crashed and was started again), to which it then rebinds. An
 * {@link Abort} counts if it comes from such an attempt, or names this party's attempt among those
 * it acknowledges. Nothing is decided by comparing clocks.
 *
 * <p>Used from one thread, apart from the heartbeat thread, which reads the log and publishes
 * (reads are serialised on this object; transports accept concurrent sends).
 */
public final class ControlLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlLog.class);
  private static final long POLL_MS = 200;

  private final ControlTransport transport;
  private final String me;
  private final IdentityKeys keys;
  private final Map<String, IdentityPublicKey> parties;
  private final String jobId;
  private final String contractHash;
  private final String attempt = newAttemptId();
  private final List<ControlMessage> seen = new ArrayList<>();
  /** Per party: index in {@link #seen} of its latest HELLO (any job), and that HELLO's attempt. */
  private final Map<String, Integer> helloAt = new HashMap<>();
  private final Map<String, String> latestAttempt = new TreeMap<>();
  /** Per party: index of each of its attempts' HELLO, to order its attempts. */
  private final Map<String, Map<String, Integer>> attemptOrder = new HashMap<>();
  /** "party|attempt" of every peer attempt that acknowledged this party's attempt. */
  private final Set<String> ackedMe = new HashSet<>();
  /** Per peer: the attempt this party reads. */
  private final Map<String, String> bound = new HashMap<>();
  /** Per claimed sender: messages ignored because the signature did not verify. */
  private final Map<String, Integer> forgeries = new TreeMap<>();
  private int myHelloAt = -1;
  private ProtocolException failure;
  private Thread heartbeat;

  public ControlLog(
      ControlTransport transport,
      String me,
      IdentityKeys keys,
      Map<String, IdentityPublicKey> parties,
      String jobId,
      String contractHash) {
    this.transport = transport;
    this.me = me;
    this.keys = keys;
    this.parties = Map.copyOf(parties);
    this.jobId = jobId;
    this.contractHash = contractHash;
  }

  public String me() {
    return me;
  }

  public String jobId() {
    return jobId;
  }

  public String contractHash() {
    return contractHash;
  }

  /** This attempt's random id (32 hex digits), carried in every message this party sends. */
  public String attempt() {
    return attempt;
  }

  /** Signs and appends a message from this party, in this attempt. */
  public void publish(Body body) {
    ControlMessage msg = new ControlMessage(jobId, contractHash, me, attempt, System.currentTimeMillis(), body);
    byte[] json = ControlCodec.canonical(msg);
    transport.send(ControlCodec.envelope(json, keys.sign(SignatureDomain.CONTROL, ControlCodec.signedBytes(json))));
  }

  /** Publishes a heartbeat acknowledging the latest attempt of every party seen so far. */
  public synchronized void publishAcks() {
    pollOnce(0);
    publish(new Heartbeat(latestAttempt));
  }

  /** The attempts this party acknowledges: each party's latest attempt seen (party id to attempt id). */
  public synchronized Map<String, String> acknowledged() {
    pollOnce(0);
    return Map.copyOf(latestAttempt);
  }

  /**
   * {@code peer}'s latest HELLO (of any job on this log) if that attempt has acknowledged this
   * party's attempt, i.e. it is running now. Empty otherwise.
   */
  public synchronized Optional<ControlMessage> liveHello(String peer) {
    pollOnce(0);
    Integer at = helloAt.get(peer);
    if (at == null) {
      return Optional.empty();
    }
    ControlMessage h = seen.get(at);
    return isLive(peer, h.attempt()) ? Optional.of(h) : Optional.empty();
  }

  /** From now on this party reads {@code peer}'s messages of {@code attempt} (or of a newer live attempt). */
  public synchronized void bind(String peer, String peerAttempt) {
    bound.put(peer, peerAttempt);
  }

  /** The attempt of {@code peer} this party reads, if bound. */
  public synchronized Optional<String> boundAttempt(String peer) {
    return Optional.ofNullable(bound.get(peer));
  }

  /**
   * Index in {@link #seen()} of this party's own HELLO of this attempt, or -1 before it was read
   * back. Messages after it were appended after this attempt started.
   */
  public synchronized int myHelloIndex() {
    pollOnce(0);
    return myHelloAt;
  }

  /**
   * Waits for {@code peer}'s message of type {@code kind} and {@code step} (null: any step) in this
   * job, from the peer's bound attempt (or a newer live one). An abort from the peer ends the wait
   * with a {@link ProtocolException}; silence for {@code timeoutMs} (no message at all from the
   * peer) with a {@link PeerTimeoutException}.
   *
   * @param awaiting what is awaited, for the timeout message (e.g. "its blinded set")
   */
  public <T extends Body> T await(String peer, Class<T> kind, String step, long timeoutMs, String awaiting) {
    Predicate<ControlMessage> wanted = m -> kind.isInstance(m.body()) && (step == null || m.step().equals(step));
    long deadline = System.currentTimeMillis() + timeoutMs;
    int alreadySeen;
    synchronized (this) {
      alreadySeen = seen.size();
    }
    int scanned = 0;
    while (true) {
      List<ControlMessage> snapshot;
      synchronized (this) {
        snapshot = List.copyOf(seen.subList(scanned, seen.size()));
      }
      for (ControlMessage m : snapshot) {
        int index = scanned++;
        if (!m.from().equals(peer)) {
          continue;
        }
        if (index >= alreadySeen) {
          deadline = System.currentTimeMillis() + timeoutMs; // anything new from the peer: it is alive
        }
        if (!m.jobId().equals(jobId) || !readable(peer, m.attempt())) {
          continue;
        }
        if (m.body() instanceof Abort a) {
          throw aborted(peer, m, a);
        }
        if (wanted.test(m)) {
          return kind.cast(m.body());
        }
      }
      synchronized (this) {
        for (ControlMessage m : seen) {
          if (m.body() instanceof Abort a && !m.from().equals(me) && m.jobId().equals(jobId)
              && attempt.equals(a.acks().get(me)) && parties.containsKey(m.from())) {
            throw aborted(m.from(), m, a); // a party that saw this attempt gave up
          }
        }
      }
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        throw new PeerTimeoutException(peer,
            "Cannot continue job " + jobId + (step == null || step.isEmpty() ? "" : " (step '" + step + "')")
                + ": " + peer + " did not send " + awaiting + " within " + timeoutMs + " ms. Check that " + peer
                + " has started the job with the same spec and reaches the same channel, or raise peerTimeoutMs "
                + "in the spec.");
      }
      synchronized (this) {
        pollOnce(Math.min(left, POLL_MS));
      }
    }
  }

  /**
   * Whether {@code m} is an abort this party must stop for: from a bound (or newer live) attempt of
   * its sender, or acknowledging this party's attempt.
   */
  public synchronized boolean isCurrentAbort(ControlMessage m) {
    if (!(m.body() instanceof Abort a) || m.from().equals(me) || !m.jobId().equals(jobId)) {
      return false;
    }
    return attempt.equals(a.acks().get(me)) || (bound.containsKey(m.from()) && readable(m.from(), m.attempt()))
        || isLive(m.from(), m.attempt());
  }

  /** The error an abort from {@code peer} becomes here. */
  public PeerAbortedException aborted(String peer, ControlMessage m, Abort a) {
    return new PeerAbortedException(peer, m.step(), "Cannot continue job " + jobId + ": " + peer + " aborted it"
        + (m.step().isEmpty() ? "" : " in step '" + m.step() + "'") + ": " + a.text(peer) + ".");
  }

  /** Waits up to {@code waitMs} for anything new on the log, returning as soon as something arrives. */
  public synchronized void awaitNew(long waitMs) {
    pollOnce(waitMs);
  }

  /** Every verified message seen so far (all jobs and attempts on this log), in log order. */
  public synchronized List<ControlMessage> seen() {
    pollOnce(0);
    return List.copyOf(seen);
  }

  /** Whether this party reads {@code peer}'s messages of {@code peerAttempt}; rebinds to a newer live attempt. */
  private boolean readable(String peer, String peerAttempt) {
    String b;
    synchronized (this) {
      b = bound.get(peer);
      if (b == null || b.equals(peerAttempt)) {
        return b != null;
      }
      Map<String, Integer> order = attemptOrder.getOrDefault(peer, Map.of());
      Integer boundAt = order.get(b);
      Integer at = order.get(peerAttempt);
      if (boundAt != null && at != null && at > boundAt && isLive(peer, peerAttempt)) {
        bound.put(peer, peerAttempt); // the peer was started again and runs now
        return true;
      }
      return false;
    }
  }

  private boolean isLive(String peer, String peerAttempt) {
    return ackedMe.contains(peer + "|" + peerAttempt);
  }

  /** Reads what is new on the log. Both threads poll (the heartbeat thread too), one at a time. */
  private synchronized void pollOnce(long waitMs) {
    if (failure != null) {
      throw failure;
    }
    for (byte[] raw : transport.poll(waitMs)) {
      ControlMessage m;
      try {
        m = verify(raw);
      } catch (ProtocolException e) {
        failure = e; // seen by the main thread even if the heartbeat thread read it
        throw e;
      }
      if (m != null) {
        track(m, seen.size());
        seen.add(m);
      }
    }
  }

  /** Follows every party's attempts and their acknowledgements of this party's attempt. */
  private void track(ControlMessage m, int index) {
    if (m.body() instanceof Hello) {
      if (m.from().equals(me)) {
        if (m.attempt().equals(attempt)) {
          myHelloAt = index;
        }
        return;
      }
      helloAt.put(m.from(), index);
      latestAttempt.put(m.from(), m.attempt());
      attemptOrder.computeIfAbsent(m.from(), k -> new HashMap<>()).putIfAbsent(m.attempt(), index);
      return;
    }
    Map<String, String> acks = m.body() instanceof Heartbeat h ? h.acks()
        : m.body() instanceof Abort a ? a.acks() : Map.of();
    if (!m.from().equals(me) && attempt.equals(acks.get(me))) {
      ackedMe.add(m.from() + "|" + m.attempt());
    }
  }

  private static String newAttemptId() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private ControlMessage verify(byte[] raw) {
    byte[][] parts = ControlCodec.open(raw);
    if (parts == null) {
      return null; // not a Veil control message: ignore
    }
    String from = ControlCodec.claimedSender(parts[0]);
    IdentityPublicKey key = from == null ? null : parties.get(from);
    if (key == null) {
      return null; // not a party of this spec: ignore
    }
    if (!key.verify(SignatureDomain.CONTROL, ControlCodec.signedBytes(parts[0]), parts[1])) {
      int n = forgeries.merge(from, 1, Integer::sum);
      if (n == 1 || Integer.bitCount(n) == 1) { // the 1st, 2nd, 4th, 8th, ...: logs stay short under a flood
        LOG.warn("Job {}: ignored {} control message(s) claiming to come from {} that are not signed by its key "
            + "pinned in the spec; someone else can write to the control topic. Check its ACLs.", jobId, n, from);
      }
      return null;
    }
    try {
      return ControlCodec.decode(parts[0]);
    } catch (ControlCodec.MalformedException e) {
      if (!jobId.equals(ControlCodec.claimedJob(parts[0]))) {
        LOG.warn("Job {}: ignored a malformed control message from {} about another job: {}", jobId, from,
            e.getMessage());
        return null;
      }
      throw new ProtocolException(from, "", "Cannot accept a control message from " + from + ": " + e.getMessage()
          + ". The job was aborted; check that every party runs the same Veil version.");
    }
  }

  /** How many control messages claiming each party failed signature verification (ignored). */
  public synchronized Map<String, Integer> ignoredForgeries() {
    pollOnce(0);
    return Map.copyOf(forgeries);
  }

  /**
   * Publishes a heartbeat every {@code intervalMs} from a daemon thread until {@link #close()}, so
   * that a peer waiting through a long step (hours on large inputs) sees this party is alive and
   * only times out when it is not. Each heartbeat acknowledges the peers' latest attempts (the
   * thread reads the log for that), so a peer that restarts mid-job is acknowledged within one
   * interval. A heartbeat that cannot be sent is logged and tried again at the next interval; only
   * closing the log, or a message that stopped it ({@link #pollOnce}), ends the thread.
   */
  public void startHeartbeat(long intervalMs) {
    Thread t = new Thread(() -> {
      int failed = 0;
      while (!Thread.currentThread().isInterrupted()) {
        try {
          Thread.sleep(intervalMs);
          publishAcks();
          if (failed > 0) {
            LOG.info("Job {}: {} publishes its heartbeats again, after {} that failed", jobId, me, failed);
            failed = 0;
          }
        } catch (InterruptedException e) {
          return; // closed
        } catch (RuntimeException e) {
          if (failure != null || Thread.currentThread().isInterrupted()) {
            return; // a forged or broken message stopped the log, or it is closing: the main thread reports it
          }
          // A transient failure (a broker restarting, a slow acknowledgement) must not end the heartbeats:
          // the main thread may not touch the log for hours, and the peers would take this party for dead.
          failed++;
          LOG.warn("Job {}: {} could not publish its heartbeat ({}); trying again in {} ms", jobId, me,
              e.getMessage(), intervalMs);
        }
      }
    }, "veil-heartbeat-" + me);
    t.setDaemon(true);
    heartbeat = t;
    t.start();
  }

  @Override
  public void close() {
    if (heartbeat != null) {
      heartbeat.interrupt();
      try {
        heartbeat.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    transport.close();
  }
}
