package io.veil.multilender.internal;

import io.veil.ProtocolException;
import io.veil.channel.PeerStream;
import io.veil.crypto.ot.BaseOt;
import io.veil.crypto.ot.CuckooHash;
import io.veil.crypto.ot.CuckooInsertionException;
import io.veil.crypto.ot.InvalidOtMessageException;
import io.veil.crypto.ot.KkrtOprf;
import io.veil.crypto.ot.KkrtSetup;
import io.veil.crypto.ot.MembershipShares;
import io.veil.crypto.sharing.PairwiseMasking;
import io.veil.psi.internal.OprfTasks;
import io.veil.spark.RunKey;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.Tuple2;

/**
 * The executor side of the multi-lender check: one {@link MembershipShares} run per bucket and peer.
 * Nothing secret is cached between steps: each step rebuilds its bucket's state from the run key and
 * replays the earlier steps from the messages on the channel, which are read again.
 */
final class CheckTasks {
  static final int POINT_BYTES = BaseOt.POINT_BYTES;
  /** Bytes of a base-OT reply: one point per OT. */
  static final int BASE_REPLY_BYTES = KkrtOprf.BASE_OT_COUNT * BaseOt.POINT_BYTES;
  static final int U_BYTES = MembershipShares.uBytes(1);
  static final int EQ_U_BYTES = MembershipShares.eqRowsBytes(1);
  static final int EQ_BYTES = MembershipShares.eqBytes(1);
  static final int OPEN_BYTES = MembershipShares.openBytes(1);
  /** A peer's SHARES element: the protocol's message for the bin, then its own shares, masked. */
  static final int SHARES_BYTES = MembershipShares.sharesBytes(1) + 16;
  static final int MIN_BETA = MembershipShares.MIN_BETA;
  /** The largest bin load bound accepted from a peer (about 60 for 2^24 ids in one bucket). */
  static final int MAX_BETA = 256;
  /** Rows of the lender's extension E1 per bin: the OPRF row, 16 chunk rows, the final OT's row. */
  static final int E1_ROWS_PER_BIN = 18;
  /**
   * The most bins one OT extension carries: E1 carries at most {@link KkrtOprf#MAX_ROWS} rows. A job
   * with more bins runs several extensions, each over a contiguous range of buckets with base OTs of
   * its own ({@link #extensionsFor}).
   */
  static final long MAX_BINS = KkrtOprf.MAX_ROWS / E1_ROWS_PER_BIN;
  /** The bins one extension may carry: {@link #MAX_BINS}, lowered only by tests to run several at small sizes. */
  static volatile long extensionBins = MAX_BINS;
  /** The field of the shares: p = 2^61 - 1. */
  static final long P = (1L << 61) - 1;

  private CheckTasks() {}

  /** The extension (from 0) whose rows bucket {@code bucket} uses, of {@code extensions} over {@code buckets}. */
  static int extension(int bucket, int buckets, int extensions) {
    return (int) ((long) bucket * extensions / buckets);
  }

  /**
   * The fewest extensions such that each, over its contiguous range of buckets ({@link #extension}),
   * carries at most {@code limit} bins; -1 if one bucket alone has more.
   */
  static int extensionsFor(long[] binsPerBucket, long limit) {
    for (int e = 1; e <= binsPerBucket.length; e++) {
      if (maxLoad(binsPerBucket, e) <= limit) {
        return e;
      }
    }
    return -1;
  }

  /** The most bins any of {@code extensions} extensions carries. */
  static long maxLoad(long[] binsPerBucket, int extensions) {
    long[] load = new long[extensions];
    for (int b = 0; b < binsPerBucket.length; b++) {
      load[extension(b, binsPerBucket.length, extensions)] += binsPerBucket[b];
    }
    return java.util.Arrays.stream(load).max().orElse(0);
  }

  /** Each bucket's entry of {@code perExtension} (one per extension, in order): the same objects, per bucket. */
  static <T> T[] byBucket(T[] perExtension, int buckets) {
    T[] out = java.util.Arrays.copyOf(perExtension, buckets);
    for (int b = 0; b < buckets; b++) {
      out[b] = perExtension[extension(b, buckets, perExtension.length)];
    }
    return out;
  }

  /** Label of a secret of extension {@code e}. */
  static String secretLabel(String name, int e) {
    return "mlc/" + name + "/" + e;
  }

  static int hintBytes(int beta) {
    return MembershipShares.hintBytes(1, beta);
  }

  static int beta(int items, int bins) {
    return MembershipShares.beta(items, bins);
  }

  /** The lender's keys of its extensions with one peer: it receives on E1 and sends on E2 (secret). */
  record LenderKeys(KkrtSetup.ReceiverSeeds e1, KkrtSetup.SenderKey e2) implements Serializable {}

  /** A peer's keys: it sends on E1 and receives on E2 (secret). */
  record PeerKeys(KkrtSetup.SenderKey e1, KkrtSetup.ReceiverSeeds e2) implements Serializable {}

  /** What the lender reads from one peer in the last step; {@code keys} per bucket. */
  record PeerInputs(String peer, LenderKeys[] keys, int beta, PeerStream hint, PeerStream eq, PeerStream shares)
      implements Serializable {}

  /** A peer's ids of one bucket with its amount for each (fixed point, 0 or more). */
  record Loans(byte[][] keys, long[] amounts) implements Serializable {
    static Loans of(Iterator<Tuple2<Integer, Tuple2<byte[], Long>>> it) {
      List<byte[]> k = new ArrayList<>();
      List<Long> a = new ArrayList<>();
      it.forEachRemaining(t -> {
        k.add(t._2()._1());
        a.add(t._2()._2());
      });
      return new Loans(k.toArray(new byte[0][]), a.stream().mapToLong(Long::longValue).toArray());
    }

    int size() {
      return keys.length;
    }
  }

  private static byte[] seed(RunKey runKey, String peer, int bucket) {
    return runKey.secret("mlc/shares/" + peer + "/" + bucket, MembershipShares.SEED_BYTES);
  }

  /** The lender's cuckoo table of one bucket: the same for every peer and step. */
  static CuckooHash table(String jobId, int bucket, byte[][] items) {
    try {
      return CuckooHash.build(OprfTasks.tableSeed(jobId, bucket), items);
    } catch (CuckooInsertionException e) {
      throw new IllegalStateException("Cannot place the " + items.length + " ids of partition " + bucket
          + " in a cuckoo table of " + e.bins() + " bins (a failure of probability below 2^-40). Re-run the job "
          + "with another multiLender.partitions.", e);
    }
  }

  /** The lender's side with {@code peer} in one bucket, after step U. */
  static LenderSide lenderAt(LenderKeys k, RunKey runKey, String jobId, String peer, int bucket, byte[][] items) {
    return new LenderSide(peer, new MembershipShares.Lender(k.e1().receiver(), k.e2().sender(),
        seed(runKey, peer, bucket), bucket, table(jobId, bucket, items).oprfInputs()));
  }

  /** The lender's side with one peer in one bucket. */
  static final class LenderSide {
    private final String peer;
    private final MembershipShares.Lender lender;
    private final byte[] u;
    private byte[] eqRows;
    private byte[] open;
    private long[] shares;

    LenderSide(String peer, MembershipShares.Lender lender) {
      this.peer = peer;
      this.lender = lender;
      this.u = lender.u();
    }

    /** Replays the steps whose peer messages are given (null: not yet). */
    LenderSide replay(int beta, byte[] hint, byte[] eq, byte[] sharesMsg) {
      try {
        if (hint != null) {
          eqRows = lender.eqRows(hint, beta);
        }
        if (eq != null) {
          open = lender.open(eq);
        }
        if (sharesMsg != null) {
          shares = lender.shares(sharesMsg);
        }
      } catch (InvalidOtMessageException e) {
        throw new ProtocolException(peer, "multi-lender", "Cannot use " + peer + "'s messages: " + e.getMessage()
            + ". The job was aborted.");
      }
      return this;
    }

    byte[] u() {
      return u;
    }

    byte[] eqRows() {
      return eqRows;
    }

    byte[] open() {
      return open;
    }

    long[] shares() {
      return shares;
    }
  }

  /** A peer's side in one bucket. */
  static PeerSide peerAt(PeerKeys k, RunKey runKey, String jobId, String lender, int bucket, int bins, int beta, Loans loans) {
    return new PeerSide(lender, bucket, new MembershipShares.Peer(k.e1().sender(), k.e2().receiver(),
        seed(runKey, "self", bucket), bucket, bins, CuckooHash.hashFunctions(OprfTasks.tableSeed(jobId, bucket), bins),
        loans.keys(), loans.amounts(), beta));
  }

  /** A peer's side in one bucket. */
  static final class PeerSide {
    private final String lender;
    private final int bucket;
    private final MembershipShares.Peer peer;
    private byte[] hint;
    private byte[] eq;
    private byte[] shares;

    PeerSide(String lender, int bucket, MembershipShares.Peer peer) {
      this.lender = lender;
      this.bucket = bucket;
      this.peer = peer;
    }

    /** Replays the steps whose lender messages are given (null: not yet). */
    PeerSide replay(byte[] u, byte[] eqRows, byte[] open) {
      try {
        hint = peer.hint(u);
        if (eqRows != null) {
          eq = peer.eq(eqRows);
        }
        if (open != null) {
          shares = peer.shares(open);
        }
      } catch (InvalidOtMessageException e) {
        throw new ProtocolException(lender, "multi-lender", "Cannot use " + lender + "'s messages: " + e.getMessage()
            + ". The job was aborted.");
      }
      return this;
    }

    byte[] hint() {
      return hint;
    }

    byte[] eq() {
      return eq;
    }

    /**
     * Per bin: the SHARES message, then this peer's count and amount shares plus its masks with the
     * other peers (little-endian, mod 2^64): the masks cancel in the sum over the peers.
     */
    byte[] maskedShares(RunKey runKey, String me, Map<String, byte[]> otherPeers) {
      long[] mine = peer.myShares();
      PairwiseMasking masking = runKey.pairwiseMasking(me, otherPeers);
      long[] masks = masking.mask("mlc-shares/" + bucket, mine.length, 0);
      int bins = mine.length / 2;
      int msg = SHARES_BYTES - 16;
      ByteBuffer out = ByteBuffer.allocate(bins * SHARES_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      for (int b = 0; b < bins; b++) {
        out.put(shares, b * msg, msg);
        out.putLong(mine[2 * b] + masks[2 * b]);
        out.putLong(mine[2 * b + 1] + masks[2 * b + 1]);
      }
      return out.array();
    }
  }

  /**
   * The lender's result of one bucket: for each of its ids, (id, peers with a loan, total amount),
   * from its shares with every peer and the peers' masked shares.
   */
  static List<Row> results(RunKey runKey, String jobId, int bucket, byte[][] items, List<PeerInputs> peers) {
    CuckooHash table = table(jobId, bucket, items);
    int bins = table.binCount();
    long[] mine = new long[2 * bins];
    long[] theirs = new long[2 * bins]; // the peers' shares as one sum mod 2^64 (each below 2^61, at most 8)
    int msg = SHARES_BYTES - 16;
    for (PeerInputs p : peers) {
      byte[] sharesMsg = p.shares().readAll(bucket);
      byte[] protocolPart = new byte[bins * msg];
      ByteBuffer in = ByteBuffer.wrap(sharesMsg).order(ByteOrder.LITTLE_ENDIAN);
      for (int b = 0; b < bins; b++) {
        in.get(protocolPart, b * msg, msg);
        theirs[2 * b] += in.getLong();
        theirs[2 * b + 1] += in.getLong();
      }
      long[] s = lenderAt(p.keys()[bucket], runKey, jobId, p.peer(), bucket, items)
          .replay(p.beta(), p.hint().readAll(bucket), p.eq().readAll(bucket), protocolPart).shares();
      for (int i = 0; i < s.length; i++) {
        mine[i] = addMod(mine[i], s[i]);
      }
    }
    List<Row> out = new ArrayList<>(items.length);
    for (int b = 0; b < bins; b++) {
      int item = table.itemAt(b);
      if (item < 0) {
        continue;
      }
      long count = addMod(mine[2 * b], Long.remainderUnsigned(theirs[2 * b], P));
      long amount = addMod(mine[2 * b + 1], Long.remainderUnsigned(theirs[2 * b + 1], P));
      if (count > peers.size()) {
        throw new IllegalStateException("The shares of partition " + bucket + " add up to " + count + " peers for one "
            + "id, more than the " + peers.size() + " asked: a peer sent inconsistent shares. The job was aborted.");
      }
      out.add(RowFactory.create(items[item], (int) count, amount));
    }
    return out;
  }

  private static long addMod(long a, long b) {
    long s = a + b; // both below 2^61: no overflow
    return s >= P ? s - P : s;
  }
}
