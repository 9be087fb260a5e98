package io.veil.psi.internal;

import static org.apache.spark.sql.functions.col;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.channel.PeerStream;
import io.veil.channel.RoundStats;
import io.veil.channel.RoundSummary;
import io.veil.channel.SentBatch;
import io.veil.crypto.Sha256;
import io.veil.crypto.ot.CuckooHash;
import io.veil.crypto.ot.KkrtOprf;
import io.veil.crypto.ot.KkrtSetup;
import io.veil.job.OperatorContext;
import io.veil.psi.PsiInputs;
import io.veil.psi.PsiOptions;
import io.veil.psi.PsiResult;
import io.veil.spark.ByteArrays;
import io.veil.spark.RunKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Driver side of OPRF-based PSI (Kolesnikov, Kumaresan, Rosulek, Trieu, CCS 2016): the receiving
 * party R places its keys in a cuckoo table per bucket and obtains, through OT extension, an
 * oblivious PRF of each bin's key under a key of the other party S, who learns nothing; S sends the
 * PRF of each of its keys at its three candidate bins, sorted; R compares. See {@link
 * io.veil.psi.PsiOperator} for the leakage.
 *
 * <p>Steps: {@code ot-base} (notices: R's base-OT message, S's reply, then R's number of keys;
 * the executors bucket the keys while the drivers run the base OTs), {@code oprf-u} (R's correction rows, one per bin, per bucket), {@code oprf-values} (S's PRF
 * values, sorted), and, when S also receives the output, {@code oprf-matched} (the values of S that
 * matched, sorted, so that S finds its own shared keys).
 */
public final class OprfPsiProtocol {
  public static final String STEP_BASE_OT = "ot-base";
  public static final String STEP_U = "oprf-u";
  public static final String STEP_VALUES = "oprf-values";
  public static final String STEP_MATCHED = "oprf-matched";
  /** The order of the data-plane steps in a receipt (the base OTs travel as notices). */
  public static final List<String> STEPS = List.of(STEP_U, STEP_VALUES, STEP_MATCHED);
  static final String NOTICE_BASE_OT_REPLY = STEP_BASE_OT + "-reply";
  /** R's number of distinct keys, announced once counted (8 bytes). */
  public static final String NOTICE_KEYS = STEP_BASE_OT + "-keys";
  private static final byte[] BUCKET_DOMAIN = "veil-oprf-psi-bucket/v1".getBytes(StandardCharsets.US_ASCII);
  private static final StructType KEY_SCHEMA = new StructType().add(PsiProtocol.KEY_COLUMN, DataTypes.BinaryType,
      false);

  private OprfPsiProtocol() {}

  static String stream(String jobId, String from, String step) {
    return from + "." + jobId + "." + step;
  }

  /**
   * The party that evaluates the OPRF on its keys and learns the intersection first: the only
   * recipient, or, when both receive, the first party of the spec.
   */
  public static String receiver(List<String> parties, java.util.Set<String> recipients) {
    return recipients.size() == 1 ? recipients.iterator().next() : parties.get(0);
  }

  /** The bucket (data-plane partition) of a normalised key: public, the same at both parties. */
  public static int bucket(byte[] key, int buckets) {
    MessageDigest sha = Sha256.newDigest();
    sha.update(BUCKET_DOMAIN);
    byte[] h = sha.digest(key);
    return (int) (Integer.toUnsignedLong(ByteBuffer.wrap(h).getInt()) % buckets);
  }

  /**
   * Comparison length: {@link PsiProtocol#comparisonBytes} over the receiver's bins and the
   * sender's values (both known to both parties once the correction rows are announced), at most
   * the PRF's output.
   */
  static int comparisonBytes(long bins, long values) {
    return Math.min(OprfTasks.OUT_BYTES, PsiProtocol.comparisonBytes(bins, values));
  }

  /** Runs this party's side (approvals are in). */
  public static PsiResult run(OperatorContext c, PsiOptions o) {
    return new Run(c, o).execute();
  }

  /**
   * Refuses, on the receiver's driver before any data is sent, keys whose cuckoo tables need more
   * rows than one OT extension is sized for ({@link KkrtOprf#MAX_ROWS} over all buckets), or a bucket
   * with more keys than one table takes.
   */
  static void checkReceiverSize(String party, long[] keysPerBucket) {
    long bins = 0;
    for (long n : keysPerBucket) {
      if (n > CuckooHash.MAX_ITEMS) {
        throw new InvalidInputException("Cannot run PSI with psi.protocol oprf for " + party + ": one of its "
            + keysPerBucket.length + " partitions holds " + n + " distinct keys, more than one cuckoo table takes ("
            + CuckooHash.MAX_ITEMS + "). Raise psi.partitions. No data was sent.");
      }
      bins += CuckooHash.binCount((int) n);
    }
    if (bins > KkrtOprf.MAX_ROWS) {
      throw new InvalidInputException("Cannot run PSI with psi.protocol oprf for " + party + ": its "
          + Arrays.stream(keysPerBucket).sum() + " distinct keys need " + bins + " cuckoo bins, more than the "
          + KkrtOprf.MAX_ROWS + " (2^24) rows one OT extension is sized for (about 13 million distinct keys at the "
          + "receiver). Use psi.protocol: ecdh for sets this large, or split the keys over several jobs. No data "
          + "was sent.");
    }
  }

  private static final class Run {
    private final OperatorContext c;
    private final PsiOptions o;
    private final SparkSession spark;
    private final String me;
    private final String peer;
    private final boolean iAmReceiver;
    private final boolean senderReceives;
    private final int partitions;
    private final List<RoundSummary> rounds = new ArrayList<>();
    private CompletableFuture<Void> streamsReady;

    Run(OperatorContext c, PsiOptions o) {
      this.c = c;
      this.o = o;
      this.spark = c.spark();
      this.me = c.me();
      this.peer = c.peers().get(0);
      List<String> parties = c.spec().parties().stream().map(io.veil.spec.PartySpec::id).toList();
      String receiver = receiver(parties, o.recipients());
      this.iAmReceiver = receiver.equals(me);
      this.senderReceives = o.recipients().contains(iAmReceiver ? peer : me);
      this.partitions = o.partitions();
    }

    PsiResult execute() {
      String jobId = c.jobId();
      // A small input is read to the driver, where every later step runs too (Bucketing.OnDriver).
      PsiInputs.Keyed keyed = PsiProtocol.keyed(c, o, PsiProtocol.driverMaxKeyRows);
      RunKey runKey = c.bindInput(keyed.commitment());
      String receiver = iAmReceiver ? me : peer;
      String sender = iAmReceiver ? peer : me;
      List<String> streams = new ArrayList<>(List.of(stream(jobId, receiver, STEP_U),
          stream(jobId, sender, STEP_VALUES)));
      if (senderReceives) {
        streams.add(stream(jobId, receiver, STEP_MATCHED));
      }
      // The topics are created while the base OTs run (notices on the control log); awaitStreams() before use.
      streamsReady = PsiProtocol.createStreamsAsync(c.channel(), streams, partitions);

      c.beginStep(STEP_BASE_OT, "bucketing " + me + "'s keys and running the base OTs with " + peer);
      long inputRows = keyed.inputRows();
      long nullKeyRows = keyed.nullKeyRows();
      // Bucketed in the executors (or, for a small input, on this driver) while this driver runs the base OTs.
      int threads = Buckets.driverThreads(spark.sparkContext());
      Bucketing bucketing;
      if (keyed.isLocal()) {
        bucketing = new OnDriver(CompletableFuture.completedFuture(keyed.localKeys()), partitions, threads);
      } else {
        Dataset<Row> keyColumn = keyed.withKey().select(PsiProtocol.KEY_COLUMN)
            .where(col(PsiProtocol.KEY_COLUMN).isNotNull());
        bucketing = inputRows - nullKeyRows <= PsiProtocol.driverMaxKeyRows
            ? new OnDriver(keyColumn.javaRDD().map(r -> (byte[]) r.get(0)).collectAsync(), partitions, threads)
            : new InSpark(keyColumn, partitions);
      }
      try {
        PsiResult r = iAmReceiver
            ? receive(runKey, keyed, bucketing, inputRows, nullKeyRows)
            : send(runKey, keyed, bucketing, inputRows, nullKeyRows);
        bucketing.keys().release();
        return r;
      } finally {
        bucketing.cancel(); // done by now, unless the base OTs failed
      }
    }

    /** The number of distinct keys per bucket, once bucketed. */
    private long[] distinctKeys(Bucketing bucketing, long inputRows, long nullKeyRows) {
      long[] perBucket = bucketing.counts();
      long distinct = Arrays.stream(perBucket).sum();
      c.progress(inputRows + " input rows, " + nullKeyRows + " with a NULL key dropped, " + distinct + " distinct keys"
          + (bucketing instanceof OnDriver ? " (a small input: the steps run on the driver)" : ""));
      return perBucket;
    }

    /** The input rows whose key is one of the {@code matched} {@code matchedKeys} (on the driver for a small input). */
    private Optional<Dataset<Row>> rowsOf(PsiInputs.Keyed keyed, Buckets<byte[]> matchedKeys, long matched) {
      if (keyed.isLocal()) {
        return Optional.of(keyed.localRowsWithKeyIn(new java.util.HashSet<>(matchedKeys.collect(ByteBuffer::wrap))));
      }
      Dataset<Row> withKey = keyed.withKey();
      Dataset<Row> m = matchedKeys.toFrame(spark, KEY_SCHEMA, k -> RowFactory.create((Object) k));
      return Optional.of(PsiProtocol.semiJoin(withKey, m, PsiProtocol.KEY_COLUMN, matched).drop(PsiProtocol.KEY_COLUMN));
    }

    /** Waits for this run's data-plane topics; a failure to create them is thrown as createStreams threw it. */
    private void awaitStreams() {
      PsiProtocol.await(streamsReady, "creating the data-plane topics");
    }

    private int batchRows(int elementBytes) {
      return SendBatches.batchRows(c.channel(), o.batchRows(), elementBytes);
    }

    private void record(String step, String from, String to, RoundStats s) {
      rounds.add(RoundSummary.of(step, from, to, s));
    }

    // ------------------------------------------------------------------------------------ receiver R

    private PsiResult receive(RunKey runKey, PsiInputs.Keyed keyed, Bucketing bucketing, long inputRows,
        long nullKeyRows) {
      String jobId = c.jobId();
      KkrtSetup.BaseSender base = new KkrtSetup.BaseSender(runKey.secret("oprf-psi/base-ot", 32));
      c.publishNotice(STEP_BASE_OT, base.firstMessage());
      byte[] reply = c.awaitNotice(peer, NOTICE_BASE_OT_REPLY, "its base-OT reply");
      KkrtSetup.ReceiverSeeds seeds;
      try {
        seeds = base.finish(reply);
      } catch (io.veil.crypto.ot.InvalidOtMessageException | IllegalArgumentException e) {
        throw new ProtocolException(peer, STEP_BASE_OT, "Cannot use " + peer + "'s base-OT reply: " + e.getMessage()
            + ". The job was aborted.");
      }
      long[] perBucket = distinctKeys(bucketing, inputRows, nullKeyRows);
      checkReceiverSize(me, perBucket);
      long distinct = Arrays.stream(perBucket).sum();
      c.publishNotice(NOTICE_KEYS, ByteBuffer.allocate(8).putLong(distinct).array());

      // oprf-u: per bucket, the cuckoo table's correction rows (one per bin), in bin order; the
      // locals are this party's PRF value and key of each occupied bin.
      awaitStreams();
      c.beginStep(STEP_U, "placing " + distinct + " keys in cuckoo tables and extending the OTs for " + peer);
      int rowBytes = OprfTasks.ROW_BYTES;
      SendBatches sendU = new SendBatches(c.channel(), jobId, stream(jobId, me, STEP_U), me, c.key(), rowBytes,
          batchRows(rowBytes), true);
      Buckets<SentBatch> sentU = bucketing.keys().map((b, it) -> {
            List<byte[]> items = new ArrayList<>();
            it.forEachRemaining(items::add);
            return sendU.packed(b, OprfTasks.receiverRows(seeds, jobId, b, items));
          })
          .kept();
      RoundStats u = RoundStats.fromBatches(partitions, sentU.collect(OprfPsiProtocol::withoutLocals));
      c.announceRound(STEP_U, u);
      record(STEP_U, me, peer, u);
      c.progress("step " + STEP_U + " sent " + u.totalElements() + " correction rows to " + peer);

      RoundStats values = c.awaitRound(peer, STEP_VALUES, partitions, "its PRF values (step " + STEP_VALUES + ")");
      record(STEP_VALUES, peer, me, values);
      if (values.totalElements() % OprfTasks.HASHES != 0) {
        throw new ProtocolException(peer, STEP_VALUES, "Cannot accept " + peer + "'s PRF values: it sent "
            + values.totalElements() + ", not " + OprfTasks.HASHES + " per key. The job was aborted.");
      }
      long peerDistinct = values.totalElements() / OprfTasks.HASHES;
      int ell = comparisonBytes(u.totalElements(), values.totalElements());

      // match: per bucket, look this party's bin values up in the peer's sorted values of that bucket.
      c.beginStep(PsiProtocol.STEP_MATCH, "matching " + values.totalElements() + " PRF values of " + peer);
      PeerStream in = new PeerStream(c.channel(), jobId, stream(jobId, peer, STEP_VALUES), peer,
          c.identities().get(peer), STEP_VALUES, values, ell, batchRows(ell));
      // Each matched local: this party's PRF value, then the key.
      Buckets<byte[]> matched = sentU.map((b, batches) -> OprfTasks.matchingLocals(in, b, batches)).kept();
      long intersection = matched.count();
      sentU.release();
      c.progress("the intersection has " + intersection + " keys");
      if (senderReceives) {
        // oprf-matched: per bucket, the peer's values that matched, sorted, so it finds its own shared keys.
        c.beginStep(STEP_MATCHED, "returning " + intersection + " matched values to " + peer);
        List<SentBatch> sent = matched.map((b, it) -> OprfTasks.sortedPrefixes(it, ell).iterator())
            .map(new SendBatches(c.channel(), jobId, stream(jobId, me, STEP_MATCHED), me, c.key(), ell,
                batchRows(ell), false))
            .collect(x -> x);
        RoundStats back = RoundStats.fromBatches(partitions, sent);
        c.announceRound(STEP_MATCHED, back);
        record(STEP_MATCHED, me, peer, back);
      }
      boolean iReceive = o.recipients().contains(me);
      return new PsiResult(iReceive ? rowsOf(keyed, matched.mapEach(l -> Arrays.copyOfRange(l, OprfTasks.OUT_BYTES,
          l.length)), intersection) : Optional.empty(), iReceive ? intersection : -1, inputRows, nullKeyRows, distinct, peerDistinct,
          ell, List.copyOf(rounds));
    }

    // -------------------------------------------------------------------------------------- sender S

    private PsiResult send(RunKey runKey, PsiInputs.Keyed keyed, Bucketing bucketing, long inputRows,
        long nullKeyRows) {
      String jobId = c.jobId();
      byte[] first = c.awaitNotice(peer, STEP_BASE_OT, "its base-OT message");
      KkrtSetup.SenderKey key;
      try {
        key = KkrtSetup.baseReceive(runKey.secret("oprf-psi/base-ot", 32), runKey.secret("oprf-psi/choices",
            OprfTasks.ROW_BYTES), first, reply -> c.publishNotice(NOTICE_BASE_OT_REPLY, reply));
      } catch (io.veil.crypto.ot.InvalidOtMessageException | IllegalArgumentException e) {
        throw new ProtocolException(peer, STEP_BASE_OT, "Cannot use " + peer + "'s base-OT message: " + e.getMessage()
            + ". The job was aborted.");
      }
      long distinct = Arrays.stream(distinctKeys(bucketing, inputRows, nullKeyRows)).sum();
      byte[] count = c.awaitNotice(peer, NOTICE_KEYS, "its number of keys");
      if (count.length != 8 || ByteBuffer.wrap(count).getLong() < 0) {
        throw new ProtocolException(peer, STEP_BASE_OT, "Cannot read " + peer + "'s number of keys: not an 8-byte "
            + "count of 0 or more. The job was aborted.");
      }
      long peerDistinct = ByteBuffer.wrap(count).getLong();

      awaitStreams();
      RoundStats u = c.awaitRound(peer, STEP_U, partitions, "its correction rows (step " + STEP_U + ")");
      record(STEP_U, peer, me, u);
      if (u.totalElements() > KkrtOprf.MAX_ROWS) {
        throw new ProtocolException(peer, STEP_U, "Cannot accept " + peer + "'s correction rows: " + u.totalElements()
            + ", more than the " + KkrtOprf.MAX_ROWS + " (2^24) one OT extension is sized for. The job was aborted.");
      }
      int ell = comparisonBytes(u.totalElements(), distinct * OprfTasks.HASHES);
      PeerStream in = new PeerStream(c.channel(), jobId, stream(jobId, peer, STEP_U), peer, c.identities().get(peer),
          STEP_U, u, OprfTasks.ROW_BYTES, batchRows(OprfTasks.ROW_BYTES));
      boolean keep = senderReceives;
      String peerId = peer;
      // oprf-values: per bucket, the PRF of every key at its three candidate bins, sorted.
      c.beginStep(STEP_VALUES, "evaluating the PRF on " + distinct + " keys for " + peer);
      SendBatches sendValues = new SendBatches(c.channel(), jobId, stream(jobId, me, STEP_VALUES), me, c.key(), ell,
          batchRows(ell), keep);
      Buckets<SentBatch> sent = bucketing.keys().map((b, it) -> {
            List<byte[]> items = new ArrayList<>();
            it.forEachRemaining(items::add);
            return sendValues.packed(b, OprfTasks.senderValues(key, jobId, b, in.readAll(b),
                (int) in.announced().elements(b), items, ell, peerId, STEP_U));
          });
      if (keep) {
        sent = sent.kept(); // its locals map the matched values back to keys
      }
      RoundStats mine = RoundStats.fromBatches(partitions, sent.collect(OprfPsiProtocol::withoutLocals));
      c.announceRound(STEP_VALUES, mine);
      record(STEP_VALUES, me, peer, mine);
      c.progress("step " + STEP_VALUES + " sent " + mine.totalElements() + " PRF values to " + peer);
      if (!senderReceives) {
        return new PsiResult(Optional.empty(), -1, inputRows, nullKeyRows, distinct, peerDistinct, ell,
            List.copyOf(rounds));
      }

      RoundStats back = c.awaitRound(peer, STEP_MATCHED, partitions, "the matched values (step " + STEP_MATCHED + ")");
      record(STEP_MATCHED, peer, me, back);
      if (back.totalElements() > distinct) {
        throw new ProtocolException(peer, STEP_MATCHED, "Cannot accept " + peer + "'s matched values: "
            + back.totalElements() + " for " + distinct + " keys. The job was aborted.");
      }
      c.beginStep(PsiProtocol.STEP_MATCH, "finding the " + back.totalElements() + " keys " + peer + " matched");
      PeerStream matchedIn = new PeerStream(c.channel(), jobId, stream(jobId, peer, STEP_MATCHED), peer,
          c.identities().get(peer), STEP_MATCHED, back, ell, batchRows(ell));
      Buckets<byte[]> matchedKeys = sent.map((b, batches) -> OprfTasks.matchingLocals(matchedIn, b, batches))
          .mapEach(l -> Arrays.copyOfRange(l, ell, l.length)).kept();
      long intersection = matchedKeys.count();
      sent.release();
      if (intersection != back.totalElements()) {
        throw new ProtocolException(peer, STEP_MATCHED, "Cannot accept " + peer + "'s matched values: "
            + back.totalElements() + " were sent but " + intersection + " are values of keys this party sent. The "
            + "job was aborted.");
      }
      c.progress("the intersection has " + intersection + " keys");
      return new PsiResult(rowsOf(keyed, matchedKeys, intersection), intersection, inputRows, nullKeyRows, distinct,
          peerDistinct, ell, List.copyOf(rounds));
    }
  }

  /**
   * A party's distinct keys per bucket: in the executors, bucketed by a shuffle, or, when the input
   * has at most {@link PsiProtocol#driverMaxKeyRows} rows with a key, collected to the driver and bucketed
   * there, so that each later step is a loop instead of a Spark job. Started when made; {@link
   * #counts()} waits for it.
   */
  private sealed interface Bucketing permits InSpark, OnDriver {
    long[] counts();

    Buckets<byte[]> keys();

    void cancel();
  }

  private static final class InSpark implements Bucketing {
    private final JavaRDD<byte[]> keys;
    private final JavaFutureAction<List<Long>> counting;

    InSpark(Dataset<Row> keyColumn, int buckets) {
      // Partition p holds the distinct keys of bucket p: every later step is local to its partition.
      this.keys = keyColumn.javaRDD()
          .mapPartitionsToPair(rows -> OprfTasks.keyChunks(rows, buckets))
          .partitionBy(new HashPartitioner(buckets))
          .mapPartitions(OprfTasks::distinctKeys, true)
          .persist(StorageLevel.MEMORY_AND_DISK());
      this.counting = keys.mapPartitions(it -> {
            long n = 0;
            for (; it.hasNext(); it.next()) {
              n++;
            }
            return List.of(n).iterator();
          }, true).collectAsync();
    }

    @Override
    public long[] counts() {
      return PsiProtocol.await(counting, "counting the keys").stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public Buckets<byte[]> keys() {
      return Buckets.spark(keys);
    }

    @Override
    public void cancel() {
      counting.cancel(true);
    }
  }

  private static final class OnDriver implements Bucketing {
    private final int buckets;
    private final int threads;
    private final java.util.concurrent.Future<List<byte[]>> collecting;
    private List<List<byte[]>> parts;

    /** @param collecting the keys with duplicates (a Spark job collecting them, or already on the driver) */
    OnDriver(java.util.concurrent.Future<List<byte[]>> collecting, int buckets, int threads) {
      this.threads = threads;
      this.buckets = buckets;
      this.collecting = collecting;
    }

    @Override
    public long[] counts() {
      if (parts == null) {
        parts = new ArrayList<>();
        for (int b = 0; b < buckets; b++) {
          parts.add(new ArrayList<>());
        }
        for (byte[] k : ByteArrays.distinct(PsiProtocol.await(collecting, "collecting the keys").iterator())) {
          parts.get(bucket(k, buckets)).add(k);
        }
      }
      return parts.stream().mapToLong(List::size).toArray();
    }

    @Override
    public Buckets<byte[]> keys() {
      counts();
      return Buckets.local(parts, threads);
    }

    @Override
    public void cancel() {
      collecting.cancel(true);
    }
  }

  private static SentBatch withoutLocals(SentBatch b) {
    return new SentBatch(b.partition(), b.seq(), b.count(), b.digest(), null);
  }
}
