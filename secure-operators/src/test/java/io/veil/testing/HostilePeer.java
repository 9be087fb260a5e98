package io.veil.testing;

import io.veil.channel.ControlLog;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Abort;
import io.veil.channel.ControlMessage.Hello;
import io.veil.channel.ControlMessage.InputCommitted;
import io.veil.channel.ControlMessage.RoundComplete;
import io.veil.channel.RoundStats;
import io.veil.crypto.PartySecret;
import io.veil.crypto.sharing.AggregationKeys;
import io.veil.spec.Approval;
import io.veil.spec.JobSpec;
import java.util.Optional;

/**
 * A party that speaks the control protocol by hand, with its real key, to send what an honest
 * runtime never would: it approves the job and keeps acknowledging its peers (so they take it for
 * live), then the test has it commit and announce whatever it likes.
 */
public final class HostilePeer implements AutoCloseable {
  private final ControlLog log;
  private final JobSpec spec;

  private HostilePeer(ControlLog log, JobSpec spec) {
    this.log = log;
    this.spec = spec;
  }

  /** {@code id} of {@code h} approves {@code spec} on the harness's channel and heartbeats every 100 ms. */
  public static HostilePeer approve(JobHarness h, JobSpec spec, String id) {
    return approveWith(h, spec, id, Approval.sign(h.secret(id).identity(), spec.contractHash()), true);
  }

  /**
   * {@code id} publishes a HELLO carrying {@code approvalHex} (valid or not); with {@code heartbeat}
   * it then acknowledges its peers every 100 ms, without it never (an attempt that is not running).
   */
  public static HostilePeer approveWith(JobHarness h, JobSpec spec, String id, String approvalHex, boolean heartbeat) {
    PartySecret s = h.secret(id);
    ControlLog log = new ControlLog(h.channel.openControl(spec.controlLogName()), id, s.identity(),
        spec.partyKeys(), spec.jobId(), spec.contractHash());
    log.publish(new Hello(approvalHex, AggregationKeys.derive(s, spec.jobId()).publicKey()));
    if (heartbeat) {
      log.startHeartbeat(100);
    }
    return new HostilePeer(log, spec);
  }

  /** Every message {@code party} published for this job, in log order. */
  public java.util.List<ControlMessage> messagesOf(String party) {
    return log.seen().stream().filter(m -> m.from().equals(party) && m.jobId().equals(spec.jobId())).toList();
  }

  /** Announces an input commitment (null: none). */
  public void commitInput(String root) {
    log.publish(new InputCommitted(root));
  }

  /** Announces a round. */
  public void announce(String step, RoundStats stats) {
    log.publish(new RoundComplete(step, stats));
  }

  /** Publishes an operator notice with any payload. */
  public void notice(String step, byte[] payload) {
    log.publish(new ControlMessage.Notice(step, payload));
  }

  /** Announces that it finished, with these commitment roots (null: none). */
  public void done(String inputRoot, String outputRoot) {
    log.publish(new ControlMessage.Done(inputRoot, outputRoot));
  }

  /** The latest abort {@code party} published for this job, if any. */
  public Optional<Abort> abortOf(String party) {
    Abort last = null;
    for (ControlMessage m : log.seen()) {
      if (m.from().equals(party) && m.jobId().equals(spec.jobId()) && m.body() instanceof Abort a) {
        last = a;
      }
    }
    return Optional.ofNullable(last);
  }

  @Override
  public void close() {
    log.close();
  }
}
