package io.veil.channel;

import io.veil.PeerTimeoutException;
import io.veil.ProtocolException;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.channel.ControlMessage.Type;
import java.nio.ByteBuffer;
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

/**
 * A job's control log seen by one party: publishes signed {@link ControlMessage}s and waits for the
 * peers' messages. Messages whose sender is not a party of the spec are ignored; messages that
 * claim to come from a party but are not signed by its pinned key abort the job.
 *
 * <p><b>Attempts.</b> A job can be run again (after a failure) under the same job id, and the
 * earlier attempts' messages stay on the log. Each attempt has a random id, carried in its HELLO
 * and acknowledged by the peers' heartbeats: a peer's HELLO counts only once that peer has
 * acknowledged this attempt ({@link #liveHello}), and after {@link #bindAttempt} the peer's older
 * messages are ignored.
 *
 * <p>Used from one thread, apart from the heartbeat thread, which reads the log and publishes
 * (reads are serialised on this object; transports accept concurrent sends).
 */
public final class ControlLog implements AutoCloseable {
  private static final long POLL_MS = 200;
  /** Body key of the attempt id in a HELLO. */
  public static final String ATTEMPT = "attempt";
  /** Body key, in a HEARTBEAT, of the attempts acknowledged: peer id to the attempt of its latest HELLO. */
  public static final String ACKS = "acks";

  private final ControlTransport transport;
  private final String me;
  private final IdentityKeys keys;
  private final Map<String, IdentityPublicKey> parties;
  private final String jobId;
  private final String contractHash;
  private final List<ControlMessage> seen = new ArrayList<>();
  private final long openedAtMs = System.currentTimeMillis();
  private final String attempt = newAttemptId();
  /** Per peer: index in {@link #seen} of its latest HELLO of this job, and that HELLO's attempt id. */
  private final Map<String, Integer> helloAt = new HashMap<>();
  private final Map<String, String> peerAttempts = new TreeMap<>();
  /** Peers whose latest attempt acknowledged this party's attempt. */
  private final Set<String> ackedMe = new HashSet<>();
  /** Per peer: messages before this index in {@link #seen} belong to its earlier attempts. */
  private final Map<String, Integer> boundAt = new HashMap<>();
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

  /**
   * This attempt's random id. A party's HELLO carries it ({@value #ATTEMPT}); peers acknowledge it
   * in their heartbeats, which proves to this party that they are running now, not in an earlier
   * attempt of the same job whose messages are still on the log.
   */
  public String attempt() {
    return attempt;
  }

  /** Publishes a HEARTBEAT acknowledging the latest attempt of every peer seen so far. */
  public synchronized void publishAcks() {
    pollOnce(0);
    publish(Type.HEARTBEAT, "", Map.of(ACKS, new TreeMap<>(peerAttempts)));
  }

  /** The attempts this party has seen and acknowledges (peer id to attempt id). */
  public synchronized Map<String, String> peerAttempts() {
    pollOnce(0);
    return Map.copyOf(peerAttempts);
  }

  /**
   * {@code peer}'s latest HELLO of this job, if the peer has since acknowledged this party's
   * attempt: only then is that attempt known to be live now. Empty otherwise.
   */
  public synchronized Optional<ControlMessage> liveHello(String peer) {
    pollOnce(0);
    Integer at = helloAt.get(peer);
    return at != null && ackedMe.contains(peer) ? Optional.of(seen.get(at)) : Optional.empty();
  }

  /**
   * From now on {@link #await} ignores what {@code peer} sent before {@code hello} (its accepted,
   * live HELLO): such messages belong to its earlier attempts of the job.
   */
  public synchronized void bindAttempt(String peer, ControlMessage hello) {
    for (int i = seen.size() - 1; i >= 0; i--) {
      if (seen.get(i) == hello) {
        boundAt.put(peer, i);
        return;
      }
    }
    throw new IllegalArgumentException("not a message of this log");
  }

  /** Signs and appends a message from this party. */
  public void publish(Type type, String step, Map<String, Object> body) {
    ControlMessage msg =
        new ControlMessage(type, jobId, contractHash, me, step, body, System.currentTimeMillis());
    byte[] json = msg.canonicalBytes();
    transport.send(ControlMessage.envelope(json, keys.sign(json)));
  }

  /**
   * Waits for the first message from {@code peer} of this job matching {@code type} and
   * {@code step}. An ABORT from the peer for this job ends the wait with a {@link ProtocolException}.
   *
   * @param awaiting what is awaited, for the timeout message (e.g. "its approval")
   */
  public ControlMessage await(String peer, Type type, String step, long timeoutMs, String awaiting) {
    return awaitMatching(peer, m -> m.type() == type && m.step().equals(step) && m.jobId().equals(jobId),
        timeoutMs, awaiting, step);
  }

  /**
   * Waits for any message from {@code peer} accepted by {@code filter} (messages of other jobs
   * included), for example a HELLO with another contract hash.
   */
  public ControlMessage awaitMatching(
      String peer, Predicate<ControlMessage> filter, long timeoutMs, String awaiting, String step) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    int scanned = 0;
    int alreadySeen;
    synchronized (this) {
      alreadySeen = seen.size();
    }
    while (true) {
      List<ControlMessage> snapshot;
      int bound;
      synchronized (this) {
        snapshot = List.copyOf(seen.subList(scanned, seen.size()));
        bound = boundAt.getOrDefault(peer, 0);
      }
      for (ControlMessage m : snapshot) {
        int index = scanned++;
        if (!m.from().equals(peer)) {
          continue;
        }
        if (index >= alreadySeen) {
          // Anything new from the peer (a heartbeat during a long step) proves it is alive.
          deadline = System.currentTimeMillis() + timeoutMs;
        }
        if (index < bound) {
          continue; // an earlier attempt of the peer
        }
        if (isCurrentAbort(m)) {
          throw new ProtocolException(peer, m.step(),
              "Cannot continue job " + jobId + ": " + peer + " aborted"
                  + (m.step().isEmpty() ? "" : " in step '" + m.step() + "'") + ": "
                  + m.bodyString("reason"));
        }
        if (filter.test(m)) {
          return m;
        }
      }
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        throw new PeerTimeoutException(peer,
            "Cannot continue job " + jobId + (step.isEmpty() ? "" : " (step '" + step + "')") + ": "
                + peer + " did not send " + awaiting + " within " + timeoutMs + " ms. Check that "
                + peer + " has started the job with the same spec and reaches the same channel, "
                + "or raise peerTimeoutMs in the spec.");
      }
      pollOnce(Math.min(left, POLL_MS));
    }
  }

  /**
   * True for an ABORT of this job sent after this log was opened. Older aborts belong to earlier
   * attempts of the same job (a re-run must not fail because an earlier attempt did).
   */
  public boolean isCurrentAbort(ControlMessage m) {
    return m.type() == Type.ABORT && m.jobId().equals(jobId) && m.timestampMs() >= openedAtMs;
  }

  /** When this party opened the log (its attempt's start), in epoch milliseconds. */
  public long openedAtMs() {
    return openedAtMs;
  }

  /** Every verified message seen so far (all jobs on this log). */
  public synchronized List<ControlMessage> seen() {
    pollOnce(0);
    return List.copyOf(seen);
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

  /** Follows the peers' attempts of this job and their acknowledgements of this party's attempt. */
  private void track(ControlMessage m, int index) {
    if (m.from().equals(me) || !m.jobId().equals(jobId)) {
      return;
    }
    if (m.type() == Type.HELLO) {
      helloAt.put(m.from(), index);
      peerAttempts.put(m.from(), String.valueOf(m.body().get(ATTEMPT)));
      ackedMe.remove(m.from());
    } else if (m.body().get(ACKS) instanceof Map<?, ?> acks && attempt.equals(acks.get(me))) {
      ackedMe.add(m.from());
    }
  }

  private static String newAttemptId() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private ControlMessage verify(byte[] raw) {
    ControlMessage m;
    byte[] json;
    byte[] sig;
    try {
      ByteBuffer b = ByteBuffer.wrap(raw);
      int len = b.getInt();
      if (len < 0 || len > b.remaining()) {
        return null;
      }
      json = new byte[len];
      b.get(json);
      sig = new byte[b.remaining()];
      b.get(sig);
      m = ControlMessage.parse(json);
    } catch (Exception e) {
      return null; // not a Veil control message: ignore
    }
    IdentityPublicKey key = parties.get(m.from());
    if (key == null) {
      return null; // not a party of this spec: ignore
    }
    if (!key.verify(json, sig)) {
      throw new ProtocolException(m.from(), m.step(),
          "Cannot accept a control message claiming to come from " + m.from()
              + ": it is not signed by the key pinned in the spec. The job was aborted; check who "
              + "can write to the control topic.");
    }
    return m;
  }

  /**
   * Publishes a HEARTBEAT every {@code intervalMs} from a daemon thread until {@link #close()}, so
   * that a peer waiting through a long step (hours on large inputs) sees this party is alive and
   * only times out when it is not. Each heartbeat acknowledges the peers' latest attempts (the
   * thread reads the log for that), so a peer that restarts mid-job is acknowledged within one
   * interval.
   */
  public void startHeartbeat(long intervalMs) {
    Thread t = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          Thread.sleep(intervalMs);
          publishAcks();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        // The channel is gone; the main thread will notice on its next call.
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
