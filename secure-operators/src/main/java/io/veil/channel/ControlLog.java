package io.veil.channel;

import io.veil.PeerTimeoutException;
import io.veil.ProtocolException;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.IdentityPublicKey;
import io.veil.channel.ControlMessage.Type;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A job's control log seen by one party: publishes signed {@link ControlMessage}s and waits for the
 * peers' messages. Messages whose sender is not a party of the spec are ignored; messages that
 * claim to come from a party but are not signed by its pinned key abort the job. Used from one
 * thread, apart from the heartbeat thread, which only publishes (transports accept concurrent
 * sends).
 */
public final class ControlLog implements AutoCloseable {
  private static final long POLL_MS = 200;

  private final ControlTransport transport;
  private final String me;
  private final IdentityKeys keys;
  private final Map<String, IdentityPublicKey> parties;
  private final String jobId;
  private final String contractHash;
  private final List<ControlMessage> seen = new ArrayList<>();
  private final long openedAtMs = System.currentTimeMillis();
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
    int alreadySeen = seen.size();
    while (true) {
      for (; scanned < seen.size(); scanned++) {
        ControlMessage m = seen.get(scanned);
        if (!m.from().equals(peer)) {
          continue;
        }
        if (scanned >= alreadySeen) {
          // Anything new from the peer (a heartbeat during a long step) proves it is alive.
          deadline = System.currentTimeMillis() + timeoutMs;
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
  public List<ControlMessage> seen() {
    pollOnce(0);
    return List.copyOf(seen);
  }


  private void pollOnce(long waitMs) {
    for (byte[] raw : transport.poll(waitMs)) {
      ControlMessage m = verify(raw);
      if (m != null) {
        seen.add(m);
      }
    }
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
   * only times out when it is not.
   */
  public void startHeartbeat(long intervalMs) {
    Thread t = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          Thread.sleep(intervalMs);
          publish(Type.HEARTBEAT, "", Map.of());
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
