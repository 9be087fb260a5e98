package io.veil.psi.internal;

import static org.apache.spark.sql.functions.col;

import io.veil.ProtocolException;
import io.veil.channel.Channel;
import io.veil.channel.PeerStream;
import io.veil.channel.RoundStats;
import io.veil.channel.SentBatch;
import io.veil.crypto.IdentityPublicKey;
import io.veil.job.OperatorContext;
import io.veil.psi.PsiInputs;
import io.veil.psi.PsiMode;
import io.veil.psi.PsiOptions;
import io.veil.psi.PsiResult;
import io.veil.channel.RoundSummary;
import io.veil.spark.ByteArrays;
import io.veil.spark.RunKey;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.StreamSupport;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Driver side of two-party ECDH-PSI (Meadows 1986; Huberman, Franklin, Hogg 1999) with
 * per-party recipients. See {@link io.veil.psi.PsiOperator} for the protocol and its leakage.
 */
public final class PsiProtocol {
  public static final String STEP_BLIND_1 = "blind-1";
  public static final String STEP_BLIND_2 = "blind-2";
  /** Local only: the recipient matches the answers to its keys (nothing is sent). */
  static final String STEP_MATCH = "match";
  /** Name of the normalised-key column added while the operator runs. */
  public static final String KEY_COLUMN = "__veil_key";
  private static final StructType HASH_SCHEMA =
      new StructType().add("h", DataTypes.BinaryType, false);
  private static final StructType HASH_KEY_SCHEMA =
      new StructType().add("h", DataTypes.BinaryType, false).add(KEY_COLUMN, DataTypes.BinaryType, false);

  private PsiProtocol() {}

  /**
   * Stream carrying {@code from}'s blinded set. Every stream name starts with its writer's party
   * id (see {@link io.veil.channel.Channel}), so a transport's prefix ACLs can limit each party to
   * writing its own streams.
   */
  public static String firstStream(String jobId, String from) {
    return from + "." + jobId + "." + STEP_BLIND_1;
  }

  /** Stream carrying {@code from}'s answers to {@code to}. */
  public static String secondStream(String jobId, String from, String to) {
    return from + "." + jobId + "." + STEP_BLIND_2 + "." + to;
  }

  /**
   * Comparison hash length: 40 bits of margin over log2(nA) + log2(nB), so the chance that any
   * pair of different elements collides is at most nA * nB / 2^(bits) <= 2^-40; at least 8 bytes.
   */
  public static int comparisonBytes(long nMine, long nPeer) {
    int bits = 40 + ceilLog2(Math.max(1, nMine)) + ceilLog2(Math.max(1, nPeer));
    return Math.min(32, Math.max(8, (bits + 7) / 8));
  }

  private static int ceilLog2(long n) {
    return n <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(n - 1);
  }

  /**
   * Most rows of the smaller side of a match or of the matched keys that {@link #semiJoin}
   * broadcasts: a million 32-byte keys make a hash table of about 64 MiB on each executor. Lowered
   * by tests to take the sort-merge join.
   */
  static volatile long broadcastMaxRows = 1_000_000;

  /**
   * Inputs with at most this many rows run their steps on the driver ({@link Buckets}): about 25 MiB
   * of driver heap at the most. Lowered by tests to run small inputs through Spark.
   */
  static volatile long driverMaxKeyRows = 200_000;

  /**
   * Inputs of at most {@link #driverMaxKeyRows} rows that Spark estimates at no more than this are
   * read to the driver as they are keyed and committed to ({@link PsiInputs#commitWithKey(OperatorContext,
   * List, io.veil.psi.KeyNormalization, String, long, long)}); larger ones are read in Spark. Lowered
   * by tests.
   */
  static volatile long driverMaxInputBytes = 8L << 20;

  /**
   * ECDH-PSI runs on the driver for inputs of at most this many rows per thread the driver may use
   * ({@link Buckets#driverThreads}), up to {@link #driverMaxKeyRows}: its two scalar multiplications
   * per key cost about 90 microseconds, so 50,000 keys take about 4.5 s of one core, under the fixed
   * cost of the steps' Spark jobs (about 6 s at 21,000 keys): a one-core driver is no slower than a
   * cluster's executors.
   */
  static final long ECDH_DRIVER_ROWS_PER_THREAD = 50_000;

  /**
   * Reads, keys ({@link #KEY_COLUMN}, NULL where a key column is NULL) and commits the party's input
   * in one scan: cached in Spark, or, when it has at most {@code driverRows} rows (and {@link
   * #driverMaxInputBytes}), held by the driver ({@link PsiInputs.Keyed#isLocal()}).
   */
  static PsiInputs.Keyed keyed(OperatorContext c, PsiOptions o, long driverRows) {
    return PsiInputs.commitWithKey(c, o.keyColumns(), o.normalization(), KEY_COLUMN,
        Math.min(driverRows, driverMaxKeyRows), driverMaxInputBytes);
  }

  /** Creates {@code streams} on a background thread; {@link #await} it before the first write or read. */
  static CompletableFuture<Void> createStreamsAsync(Channel channel, List<String> streams, int partitions) {
    return CompletableFuture.runAsync(() -> channel.createStreams(streams, partitions));
  }

  /**
   * {@code work}'s result once done (a Spark job, topics being created, keys already on the driver);
   * its failure thrown as it was thrown (a Spark job's as collect() would throw it).
   */
  static <T> T await(Future<T> work, String what) {
    try {
      return work.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while " + what, e);
    } catch (ExecutionException e) {
      throw PsiProtocol.<RuntimeException>rethrow(e.getCause());
    }
  }

  /** Throws {@code t} as it is (a Spark job's failure, checked in Scala's sense only). */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E rethrow(Throwable t) throws E {
    throw (E) t;
  }

  /** Runs this party's side of PSI with the runtime's context (approvals are in). */
  public static PsiResult run(OperatorContext c, PsiOptions o) {
    return new Run(c, o).execute();
  }

  private static final class Run {
    private final SparkSession spark;
    private final JavaSparkContext jsc;
    private final PsiOptions o;
    private final OperatorContext c;
    private final String peer;
    private final int partitions;
    private final boolean iReceive;
    private final boolean peerReceives;
    private final List<RoundSummary> rounds = new ArrayList<>();

    Run(OperatorContext c, PsiOptions o) {
      this.spark = c.spark();
      this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      this.o = o;
      this.c = c;
      this.peer = c.peers().get(0);
      this.partitions = o.partitions();
      this.iReceive = o.recipients().contains(c.me());
      this.peerReceives = o.recipients().contains(peer);
    }

    PsiResult execute() {
      String jobId = c.jobId();
      String me = c.me();
      IdentityPublicKey peerKey = c.identities().get(peer);
      // Normalises and encodes keys (NULL keys are counted, then dropped) in the scan that commits to
      // the input, and binds every party's commitment: the blinding key of this run depends on all.
      int threads = Buckets.driverThreads(spark.sparkContext());
      PsiInputs.Keyed keyed = keyed(c, o, ECDH_DRIVER_ROWS_PER_THREAD * threads);
      RunKey runKey = c.bindInput(keyed.commitment());
      // The topics are created while this party blinds its keys (on the driver for a small input).
      CompletableFuture<Void> streams = createStreamsAsync(c.channel(), List.of(
          firstStream(jobId, me), firstStream(jobId, peer),
          secondStream(jobId, me, peer), secondStream(jobId, peer, me)), partitions);

      c.beginStep(STEP_BLIND_1, "blinding and sending " + me + "'s keys to " + peer);
      long inputRows = keyed.inputRows();
      long nullKeyRows = keyed.nullKeyRows();
      // A small input's steps run on this driver, a larger one's as Spark jobs: the same per-bucket
      // functions, so the peer receives the same batches either way.
      boolean local = keyed.isLocal();
      c.progress(inputRows + " input rows, " + nullKeyRows + " with a NULL key dropped"
          + (local ? " (a small input: the steps run on the driver)" : ""));

      // Step 1: blind own distinct keys, send them in an order given by the blinded values.
      long t0 = System.nanoTime();
      Buckets<byte[]> keys = local
          ? Buckets.local(split(ByteArrays.distinct(keyed.localKeys().iterator()), partitions), threads)
          : Buckets.spark(keyed.withKey().select(KEY_COLUMN).where(col(KEY_COLUMN).isNotNull()).distinct()
              .javaRDD().map(r -> (byte[]) r.get(0)));
      Buckets<Tuple2<byte[], byte[]>> blinded = Buckets.sortedByPrefix(keys.map(new PsiTasks.BlindOwn(runKey)),
          partitions);
      await(streams, "creating the data-plane topics");
      Buckets<SentBatch> sent = blinded
          .map(new SendBatches(c.channel(), jobId, firstStream(jobId, me), me, c.key(), PsiTasks.POINT_BYTES,
              o.batchRows(), iReceive && o.mode() == PsiMode.ROWS))
          .kept();
      RoundStats mine1 = RoundStats.fromBatches(partitions, sent.collect(PsiProtocol::withoutLocals));
      c.announceRound(STEP_BLIND_1, mine1);
      record(STEP_BLIND_1, me, peer, mine1);
      c.progress("step " + STEP_BLIND_1 + " sent " + mine1.totalElements() + " blinded keys to " + peer + " in "
          + (System.nanoTime() - t0) / 1_000_000 + " ms");

      RoundStats peer1 = c.awaitRound(peer, STEP_BLIND_1, partitions, "its blinded set (step " + STEP_BLIND_1 + ")");
      record(STEP_BLIND_1, peer, me, peer1);
      int ell = comparisonBytes(mine1.totalElements(), peer1.totalElements());
      AnswerCipher answerCipher = new AnswerCipher(runKey, me, peer, c.agreementKey(peer));

      // Step 2: blind the peer's set; answer in place (rows) or shuffled (cardinality).
      c.beginStep(STEP_BLIND_2, "blinding " + peer1.totalElements() + " keys of " + peer
          + (peerReceives ? " and answering them" : ""));
      t0 = System.nanoTime();
      boolean answerInPlace = peerReceives && o.mode() == PsiMode.ROWS;
      Buckets<Integer> slots = Buckets.indices(jsc, local, partitions);
      PeerStream peerSet1 = new PeerStream(c.channel(), jobId, firstStream(jobId, peer), peer,
          peerKey, STEP_BLIND_1, peer1, PsiTasks.POINT_BYTES, o.batchRows());
      Buckets<SentBatch> peerBlinded = slots.map(new PsiTasks.BlindPeer(peerSet1, me, runKey,
              ell, answerInPlace ? secondStream(jobId, me, peer) : null, answerCipher))
          .kept();
      List<SentBatch> blindedStats = peerBlinded.collect(PsiProtocol::withoutLocals);
      if (peerReceives) {
        RoundStats mine2;
        if (answerInPlace) {
          mine2 = RoundStats.fromBatches(partitions, blindedStats);
        } else {
          List<SentBatch> shuffled = Buckets.sortedByPrefix(
                  locals(peerBlinded).mapEach(h -> new Tuple2<byte[], byte[]>(h, null)), partitions)
              .map(new SendBatches(c.channel(), jobId, secondStream(jobId, me, peer), me, c.key(), ell,
                  o.batchRows(), false, answerCipher))
              .collect(x -> x);
          mine2 = RoundStats.fromBatches(partitions, shuffled);
        }
        c.announceRound(STEP_BLIND_2, mine2);
        record(STEP_BLIND_2, me, peer, mine2);
        c.progress("step " + STEP_BLIND_2 + " answered " + mine2.totalElements() + " of " + peer + "'s keys in "
            + (System.nanoTime() - t0) / 1_000_000 + " ms");
      }

      long intersection = -1;
      Optional<Dataset<Row>> rows = Optional.empty();
      if (iReceive) {
        RoundStats peer2 = c.awaitRound(peer, STEP_BLIND_2, partitions, "its answers (step " + STEP_BLIND_2 + ")");
        if (peer2.totalElements() != mine1.totalElements()) {
          throw new ProtocolException(peer, STEP_BLIND_2,
              "Cannot accept " + peer + "'s answers in step '" + STEP_BLIND_2 + "': it answered "
                  + peer2.totalElements() + " elements but " + mine1.totalElements()
                  + " were sent. The job was aborted.");
        }
        if (o.mode() == PsiMode.ROWS) {
          checkAnsweredInPlace(peer2, mine1);
        }
        record(STEP_BLIND_2, peer, me, peer2);
        c.beginStep(STEP_MATCH, "matching " + peer + "'s " + peer2.totalElements() + " answers");
        Buckets<SentBatch> answers = slots.map(new PsiTasks.ReadAnswers(new PeerStream(
            c.channel(), jobId, secondStream(jobId, peer, me), peer, peerKey, STEP_BLIND_2, peer2, ell,
            o.batchRows()), answerCipher));
        Buckets<byte[]> peerHashes = locals(peerBlinded);
        // On the driver: the peer's comparison hashes in a set, looked up by both modes below.
        Set<ByteBuffer> theirs = local ? hashSet(peerHashes.collect(h -> h)) : null;
        if (o.mode() == PsiMode.ROWS) {
          // (comparison hash, own key) of every key this party sent.
          Buckets<Tuple2<byte[], byte[]>> mine = sent.zip(answers, new PsiTasks.MatchAnswers(peer, STEP_BLIND_2));
          if (local) {
            Set<ByteBuffer> matched = new HashSet<>();
            for (Tuple2<byte[], byte[]> t : mine.collect(t -> t)) {
              if (theirs.contains(ByteBuffer.wrap(t._1()))) {
                matched.add(ByteBuffer.wrap(t._2()));
              }
            }
            intersection = matched.size();
            rows = Optional.of(keyed.localRowsWithKeyIn(matched));
          } else {
            Dataset<Row> withKey = keyed.withKey();
            Dataset<Row> mineDf = mine.toFrame(spark, HASH_KEY_SCHEMA, t -> RowFactory.create(t._1(), t._2()));
            Dataset<Row> peerSet = peerHashes.toFrame(spark, HASH_SCHEMA, h -> RowFactory.create((Object) h));
            Dataset<Row> matched = semiJoin(mineDf, peerSet, "h", peer1.totalElements())
                .select(KEY_COLUMN)
                .persist(StorageLevel.MEMORY_AND_DISK());
            intersection = matched.count();
            rows = Optional.of(semiJoin(withKey, matched, KEY_COLUMN, intersection).drop(KEY_COLUMN));
          }
        } else {
          Buckets<byte[]> answered = locals(answers);
          if (local) {
            intersection = answered.collect(h -> theirs.contains(ByteBuffer.wrap(h))).stream().filter(x -> x).count();
          } else {
            Dataset<Row> answeredDf = answered.toFrame(spark, HASH_SCHEMA, h -> RowFactory.create((Object) h));
            Dataset<Row> peerSet = peerHashes.toFrame(spark, HASH_SCHEMA, h -> RowFactory.create((Object) h));
            intersection = semiJoin(answeredDf, peerSet, "h", peer1.totalElements()).count();
          }
        }
        c.progress("the intersection has " + intersection + " keys");
      }
      // The intersection is materialised (or not needed): the per-round caches can go.
      sent.release();
      peerBlinded.release();
      return new PsiResult(rows, intersection, inputRows, nullKeyRows, mine1.totalElements(),
          peer1.totalElements(), ell, List.copyOf(rounds));
    }

    /**
     * In rows mode the peer answers each batch in place: per partition, the same batches and
     * elements as were sent, so a reader keeps no more than this party sent.
     */
    private void checkAnsweredInPlace(RoundStats answered, RoundStats sent) {
      for (int p = 0; p < partitions; p++) {
        if (answered.batches(p) != sent.batches(p) || answered.elements(p) != sent.elements(p)) {
          throw new ProtocolException(peer, STEP_BLIND_2,
              "Cannot accept " + peer + "'s answers in step '" + STEP_BLIND_2 + "': it announced "
                  + answered.batches(p) + " batches / " + answered.elements(p) + " elements in partition " + p
                  + " but " + sent.batches(p) + " / " + sent.elements(p) + " were sent there. The job was "
                  + "aborted; check that every party runs the same spec and Veil version.");
        }
      }
    }

    private void record(String step, String from, String to, RoundStats s) {
      rounds.add(RoundSummary.of(step, from, to, s));
    }
  }

  /**
   * The rows of {@code left} whose {@code column} equals that of some row of {@code right}, which
   * has {@code rightRows} rows. Up to {@link #broadcastMaxRows} rows, {@code right} is broadcast
   * and the join is a hash lookup per row of {@code left}; a larger {@code right} is joined by
   * sorting both sides (Spark's sort-merge join), as Spark plans a join of two tables without size
   * estimates.
   */
  static Dataset<Row> semiJoin(Dataset<Row> left, Dataset<Row> right, String column, long rightRows) {
    Dataset<Row> r = rightRows <= broadcastMaxRows ? functions.broadcast(right) : right;
    return left.join(r, left.col(column).equalTo(r.col(column)), "left_semi");
  }

  /** {@code keys} dealt into {@code n} parts (any split will do: the blinded keys are regrouped by value). */
  private static List<List<byte[]>> split(List<byte[]> keys, int n) {
    List<List<byte[]>> parts = new ArrayList<>(n);
    for (int p = 0; p < n; p++) {
      parts.add(new ArrayList<>(keys.size() / n + 1));
    }
    for (int i = 0; i < keys.size(); i++) {
      parts.get(i % n).add(keys.get(i));
    }
    return parts;
  }

  private static Set<ByteBuffer> hashSet(List<byte[]> values) {
    Set<ByteBuffer> out = new HashSet<>(values.size() * 2);
    values.forEach(v -> out.add(ByteBuffer.wrap(v)));
    return out;
  }

  /** The local values of every batch, bucket by bucket (lazily in Spark). */
  private static Buckets<byte[]> locals(Buckets<SentBatch> batches) {
    return batches.map((b, it) -> StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, 0), false)
        .flatMap(x -> java.util.stream.IntStream.range(0, x.count()).mapToObj(x.locals()::get)).iterator());
  }

  private static SentBatch withoutLocals(SentBatch b) {
    return new SentBatch(b.partition(), b.seq(), b.count(), b.digest(), null);
  }
}
