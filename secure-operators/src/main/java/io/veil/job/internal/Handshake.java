package io.veil.job.internal;

import io.veil.InvalidInputException;
import io.veil.PeerTimeoutException;
import io.veil.ProtocolException;
import io.veil.channel.ControlLog;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Abort;
import io.veil.channel.ControlMessage.AbortKind;
import io.veil.channel.ControlMessage.Hello;
import io.veil.spec.Approval;
import io.veil.spec.JobSpec;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The approval step every job starts with: wait until every other party has approved this job's
 * contract, in an attempt that is running now.
 *
 * <p>A peer's HELLO counts once that attempt has acknowledged this party's attempt (so it is live,
 * not an earlier attempt whose messages are still on the log); its approval must be a valid
 * signature of the contract by the peer's pinned key; the peer's attempt is then bound. A live
 * HELLO of another job (a different spec on the same control log) stops both sides with "the specs
 * differ". A peer that shows no sign of life for the peer timeout times out. Nothing is decided by
 * comparing clocks: freshness is log order (after this attempt's own HELLO) and acknowledgement.
 */
final class Handshake {
  private static final long POLL_MS = 200;

  private Handshake() {}

  /** A spec mismatch with a peer; the abort naming it was already published. */
  static final class SpecMismatch extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    SpecMismatch(String message) {
      super(message);
    }
  }

  /** Waits for every peer's approval; returns their HELLO messages in {@code peers} order. */
  static Map<String, ControlMessage> awaitApprovals(ControlLog log, JobSpec spec, List<String> peers) {
    Map<String, ControlMessage> approved = new LinkedHashMap<>();
    Map<String, Long> deadlines = new HashMap<>();
    peers.forEach(p -> deadlines.put(p, System.currentTimeMillis() + spec.peerTimeoutMs()));
    Map<String, String> acknowledged = Map.of();
    int scanned = 0;
    while (true) {
      List<ControlMessage> seen = log.seen();
      int mine = log.myHelloIndex();
      for (; scanned < seen.size(); scanned++) {
        ControlMessage m = seen.get(scanned);
        String peer = m.from();
        if (!deadlines.containsKey(peer) || approved.containsKey(peer)) {
          continue;
        }
        if (mine >= 0 && scanned > mine) {
          deadlines.put(peer, System.currentTimeMillis() + spec.peerTimeoutMs()); // alive now
        }
        if (log.isCurrentAbort(m)) {
          throw log.aborted(peer, m, (Abort) m.body());
        }
      }
      for (String peer : peers) {
        if (approved.containsKey(peer)) {
          continue;
        }
        Optional<ControlMessage> live = log.liveHello(peer);
        if (live.isPresent()) {
          ControlMessage hello = live.get();
          if (!hello.jobId().equals(spec.jobId())) {
            String reason = "the specs differ: " + peer + " approved contract " + hello.contractHash().substring(0, 16)
                + "... but " + log.me() + " has " + spec.contractHash().substring(0, 16) + "...; compare both specs "
                + "with 'veil spec-hash --spec <file>' (and the --period), agree on one, and re-run both parties";
            log.publish(new Abort("approval", AbortKind.SPEC_MISMATCH, peer, log.acknowledged()));
            throw new SpecMismatch("Cannot start job '" + spec.name() + "': " + reason + ".");
          }
          Hello h = (Hello) hello.body();
          if (!Approval.verify(spec.party(peer).publicKey(), spec.contractHash(), h.approval())) {
            throw new ProtocolException(peer, "approval", "Cannot start job " + spec.jobId() + ": " + peer
                + "'s approval is not a valid signature of the contract by its pinned key. Nothing was read "
                + "or sent; check " + peer + "'s key.");
          }
          log.bind(peer, hello.attempt());
          approved.put(peer, hello);
        } else if (System.currentTimeMillis() > deadlines.get(peer)) {
          boolean earlier = log.seen().stream().anyMatch(m -> m.from().equals(peer) && m.body() instanceof Hello);
          throw new PeerTimeoutException(peer, "Cannot start job '" + spec.name() + "' (" + spec.jobId() + "): "
              + peer + " did not approve it within " + spec.peerTimeoutMs() + " ms" + (earlier
              ? " (its approval on the log is from an earlier attempt that is no longer running)" : "")
              + ". Nothing was read or sent. Check that " + peer + " runs the job with the same spec and channel "
              + "(veil spec-hash prints the contract hash to compare), or raise peerTimeoutMs in the spec.");
        }
      }
      // After the approvals above, whose reads may have brought the peers' HELLOs: a peer waits for
      // this party's acknowledgement of its attempt, which must go out before this party moves on
      // (its next heartbeat may be minutes away).
      Map<String, String> now = log.acknowledged();
      if (!now.equals(acknowledged)) {
        acknowledged = now;
        log.publishAcks(); // promptly, so that peers waiting for this party need not wait for a heartbeat
      }
      if (approved.size() == peers.size()) {
        return approved;
      }
      if (Thread.currentThread().isInterrupted()) {
        throw new PeerTimeoutException(peers.get(0), "Cannot start job " + spec.jobId() + ": interrupted while "
            + "waiting for the approvals of " + String.join(", ", peers) + ".");
      }
      log.awaitNew(POLL_MS); // back as soon as anything is appended: a peer's HELLO or acknowledgement
    }
  }
}
