package io.veil.blacklist.internal;

import io.veil.ProtocolException;
import io.veil.blacklist.BlacklistStore;
import io.veil.crypto.PsiCipher;
import io.veil.channel.RoundStats;
import io.veil.channel.SentBatch;
import io.veil.crypto.Sha256;
import io.veil.job.JobRecord;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.JobSpec;
import io.veil.spec.PartySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The records of the low-latency lookup service ({@link io.veil.blacklist.BlacklistService} and
 * {@link io.veil.blacklist.BlacklistClient}). Every record is a signed {@link io.veil.channel.BatchCodec}
 * batch bound to its stream, sender and sequence number:
 * <ul>
 *   <li>{@code <holder>.blsvc.<contract>} (one partition, every session's opening): the querier's
 *       <b>hello</b>, bound to the service id; text {@code v1 <session> <millis> <approval> <copy version>
 *       <copy digest>}.
 *   <li>{@code <holder>.<session>.bla}, record 0: the holder's <b>accept</b> ({@code ok <list version>
 *       <records> <digest> <max ids> <approval>}) or refusal ({@code refused <kind>}), bound to the
 *       session's job id.
 *   <li>{@code <querier>.<session>.blq}, record n &ge; 1: a <b>request</b> of blinded points (32 bytes
 *       each); an empty request closes the session.
 *   <li>{@code <holder>.<session>.bla}, record n &ge; 1: the <b>answer</b>: a 32-byte header (status,
 *       list version) and the points multiplied by the list key, in the request's order.
 * </ul>
 */
public final class ServiceWire {
  public static final String STEP_HELLO = "session";
  public static final int STATUS_OK = 0;
  /** The holder's list moved on (or no longer matches the spec): the querier's copy is stale. */
  public static final int STATUS_STALE = 1;
  /** The request was malformed or too large; the holder closed the session. */
  public static final int STATUS_REFUSED = 2;
  public static final int HEADER_BYTES = PsiCipher.POINT_BYTES;

  private ServiceWire() {}

  /** The stream every session of this spec's service opens on. */
  public static String helloStream(JobSpec spec, String holder) {
    return holder + ".blsvc." + spec.contractHash().substring(0, 16);
  }

  /** What hellos are bound to (the BatchCodec job id): the service of this contract. */
  public static String serviceId(JobSpec spec) {
    return "blsvc-" + spec.contractHash();
  }

  /** The job id of one session: what its records and receipts are bound to. */
  public static String sessionJobId(JobSpec spec, String session) {
    return HexFormat.of().formatHex(Sha256.hash(("veil-blacklist-session/v1|" + spec.contractHash() + "|" + session)
        .getBytes(StandardCharsets.UTF_8))).substring(0, 32);
  }

  public static String requestStream(String querier, String session) {
    return querier + "." + session + ".blq";
  }

  public static String answerStream(String holder, String session) {
    return holder + "." + session + ".bla";
  }

  /** The querier's opening of a session. */
  public record Hello(String session, long millis, String approval, long copyVersion, String copyDigest) {
    public byte[] encode() {
      return ("v1 " + session + " " + millis + " " + approval + " " + copyVersion + " " + copyDigest)
          .getBytes(StandardCharsets.UTF_8);
    }

    public static Hello parse(String peer, byte[] payload) {
      String[] f = new String(payload, StandardCharsets.UTF_8).split(" ");
      try {
        if (f.length == 6 && f[0].equals("v1") && f[1].matches("[0-9a-f]{32}") && f[3].matches("[0-9a-f]{128}")
            && f[5].matches("-|[0-9a-f]{64}")) {
          return new Hello(f[1], Long.parseLong(f[2]), f[3], Long.parseLong(f[4]), f[5]);
        }
      } catch (NumberFormatException e) {
        // refused below
      }
      throw new ProtocolException(peer, STEP_HELLO, "Cannot open a lookup session for " + peer + ": its hello is "
          + "malformed. It was ignored.");
    }
  }

  /**
   * The holder's answer to a hello: accepted with the list's state, or refused with a kind ({@value
   * #STALE_COPY} with the list's state: the querier's copy is behind it).
   */
  public record Accept(boolean ok, String refusal, BlacklistStore.Version list, int maxIds, String approval) {
    public static final String STALE_COPY = "stale-copy";

    public static Accept refused(String kind) {
      return new Accept(false, kind, null, 0, null);
    }

    public static Accept staleCopy(BlacklistStore.Version list) {
      return new Accept(false, STALE_COPY, list, 0, null);
    }

    public byte[] encode() {
      String state = list == null ? "" : " " + list.version() + " " + list.records() + " " + list.digest();
      return (ok ? "ok" + state + " " + maxIds + " " + approval : "refused " + refusal + state)
          .getBytes(StandardCharsets.UTF_8);
    }

    public static Accept parse(String peer, byte[] payload) {
      String[] f = new String(payload, StandardCharsets.UTF_8).split(" ");
      try {
        if (f.length == 6 && f[0].equals("ok") && f[3].matches("[0-9a-f]{64}") && f[5].matches("[0-9a-f]{128}")) {
          return new Accept(true, null, new BlacklistStore.Version(Long.parseLong(f[1]), Long.parseLong(f[2]), f[3]),
              Integer.parseInt(f[4]), f[5]);
        }
        if (f.length == 2 && f[0].equals("refused") && f[1].matches("[a-z-]{1,32}")) {
          return refused(f[1]);
        }
        if (f.length == 5 && f[0].equals("refused") && f[1].equals(STALE_COPY) && f[4].matches("[0-9a-f]{64}")) {
          return staleCopy(new BlacklistStore.Version(Long.parseLong(f[2]), Long.parseLong(f[3]), f[4]));
        }
      } catch (NumberFormatException e) {
        // refused below
      }
      throw new ProtocolException(peer, STEP_HELLO, "Cannot open a lookup session with " + peer + ": its answer to "
          + "the hello is malformed.");
    }
  }

  /**
   * One party's receipt of a session: both approvals in spec order, and its two rounds (the
   * querier's requests, round 1; the holder's answers, round 2), the same at both parties.
   *
   * @param me the recording party (the holder or the querier)
   * @param approvals each party's approval of the contract, by party id
   * @param requests the requests' batches, {@code answers} the answers' (partition 0, by sequence)
   * @param input the holder's list commitment, or null at the querier
   */
  public static JobRecord sessionRecord(JobSpec spec, String jobId, PartySpec me, Map<String, String> approvals,
      String querier, String holder, List<SentBatch> requests, List<SentBatch> answers, Map<String, String> figures,
      DatasetCommitment.Commitment input, Instant started) {
    List<JobRecord.ApprovalRecord> approved = new ArrayList<>();
    for (PartySpec p : spec.parties()) {
      approved.add(new JobRecord.ApprovalRecord(p.id(), p.publicKey(), approvals.get(p.id())));
    }
    RoundStats q = RoundStats.fromBatches(1, requests);
    RoundStats a = RoundStats.fromBatches(1, answers);
    List<JobRecord.RoundRecord> rounds = List.of(
        new JobRecord.RoundRecord(1, querier, holder, q.totalBatches(), q.totalElements(),
            HexFormat.of().formatHex(q.roundDigest())),
        new JobRecord.RoundRecord(2, holder, querier, a.totalBatches(), a.totalElements(),
            HexFormat.of().formatHex(a.roundDigest())));
    JobRecord.CommitmentRecord in = input == null ? null : new JobRecord.CommitmentRecord(DatasetCommitment.ALGORITHM,
        input.rootHex(), input.rowCount(), input.saltHex());
    return new JobRecord(jobId, spec.name(), spec.period().orElse(null), spec.settings().label(spec.operator()),
        me.id(), me.publicKey(), spec.contractHash(), approved, in, null, null, figures, rounds, List.of(), started,
        Instant.now(), input == null || me.input() == null ? null : me.input().asset());
  }

  /** An answer's header: status and the holder's list version. */
  public static byte[] header(int status, long listVersion) {
    return ByteBuffer.allocate(HEADER_BYTES).put((byte) status).putLong(listVersion).array();
  }

  public static int status(byte[] payload) {
    return payload[0] & 0xff;
  }

  public static long listVersion(byte[] payload) {
    return ByteBuffer.wrap(payload, 1, 8).getLong();
  }
}
