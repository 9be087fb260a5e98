package io.veil.multilender.internal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.channel.PeerStream;
import io.veil.channel.RoundStats;
import io.veil.channel.RoundSummary;
import io.veil.channel.SentBatch;
import io.veil.crypto.ot.InvalidOtMessageException;
import io.veil.crypto.ot.KkrtSetup;
import io.veil.job.OperatorContext;
import io.veil.multilender.MultiLenderSpec;
import io.veil.psi.PsiInputs;
import io.veil.psi.internal.OprfPsiProtocol;
import io.veil.psi.internal.OprfTasks;
import io.veil.psi.internal.SendBatches;
import io.veil.spark.RunKey;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Driver side of the multi-lender check: the lender L runs the two-party {@link CheckTasks membership
 * shares} protocol with every peer over its one cuckoo table per bucket; each peer masks its shares
 * with the other peers' pairwise masks, so that L, adding everything, learns per applicant only the
 * number of peers with a loan and the total outstanding amount.
 *
 * <p>Steps, per peer P (L's streams are per peer, P's go to L): notices {@code mlc-ot} (L: its number
 * of applicants and its base-OT message for the extension it receives on), {@code mlc-ot-reply} (P:
 * its reply and its own base-OT message), {@code mlc-ot2} (L's reply) and {@code mlc-beta} (P's bin
 * load bound); data rounds {@code mlc-u} (L), {@code mlc-hint} (P), {@code mlc-eq-u} (L), {@code
 * mlc-eq} (P), {@code mlc-open} (L) and {@code mlc-shares} (P).
 *
 * <p>A job with more bins than one OT extension carries ({@link CheckTasks#MAX_BINS}) runs several
 * pairs of extensions with each peer, each over a contiguous range of buckets with base OTs of its
 * own: the three base-OT notices then carry one message per extension, in order, and the length of
 * L's first notice tells P how many.
 */
public final class LenderCheck {
  public static final String STEP_U = "mlc-u";
  public static final String STEP_HINT = "mlc-hint";
  public static final String STEP_EQ_U = "mlc-eq-u";
  public static final String STEP_EQ = "mlc-eq";
  public static final String STEP_OPEN = "mlc-open";
  public static final String STEP_SHARES = "mlc-shares";
  /** The order of the data-plane steps in a receipt. */
  public static final List<String> STEPS = List.of(STEP_U, STEP_HINT, STEP_EQ_U, STEP_EQ, STEP_OPEN, STEP_SHARES);
  static final String NOTICE_OT = "mlc-ot";
  static final String NOTICE_OT_REPLY = "mlc-ot-reply";
  static final String NOTICE_OT2 = "mlc-ot2";
  static final String NOTICE_BETA = "mlc-beta";
  static final String KEY = "__veil_key";
  private static final String AMOUNT = "__veil_amount";

  private LenderCheck() {}

  /** What one party's run gives the operator. */
  public record Result(Optional<Dataset<Row>> output, Map<String, Object> figures, List<RoundSummary> rounds,
      long inputRows) {}

  /** A stream from {@code from}; the lender's carry the peer they go to. */
  static String stream(String jobId, String from, String step, String to) {
    return from + "." + jobId + "." + step + (to == null ? "" : "." + to);
  }

  private static void createStreams(OperatorContext c, MultiLenderSpec s) {
    List<String> names = new ArrayList<>();
    for (String p : s.peers()) {
      for (String step : List.of(STEP_U, STEP_EQ_U, STEP_OPEN)) {
        names.add(stream(c.jobId(), s.lender(), step, p));
      }
      for (String step : List.of(STEP_HINT, STEP_EQ, STEP_SHARES)) {
        names.add(stream(c.jobId(), p, step, null));
      }
    }
    c.channel().createStreams(names, s.partitions());
  }

  /**
   * The input with its normalised key ({@link #KEY}, NULL where a key column is NULL), cached and
   * committed to in one scan (bound later).
   */
  private static PsiInputs.Keyed keyed(OperatorContext c, MultiLenderSpec s) {
    return PsiInputs.commitWithKey(c, c.party().input().keyColumns(), s.normalization(), KEY);
  }

  private static int batchRows(OperatorContext c, MultiLenderSpec s, int elementBytes) {
    return SendBatches.batchRows(c.channel(), s.batchRows(), elementBytes);
  }

  private static PeerStream in(OperatorContext c, MultiLenderSpec s, String from, String step, String to,
      RoundStats stats, int elementBytes) {
    return new PeerStream(c.channel(), c.jobId(), stream(c.jobId(), from, step, to), from, c.identities().get(from),
        step, stats, elementBytes, batchRows(c, s, elementBytes));
  }

  /** Sends one message per bucket (its elements in bin order) and announces the round. */
  private static RoundStats send(OperatorContext c, MultiLenderSpec s, JavaRDD<byte[]> perBucket, String step,
      String to, int elementBytes, boolean lender) {
    String me = c.me();
    List<SentBatch> sent = perBucket.mapPartitions(it -> {
          List<Tuple2<byte[], byte[]>> out = new ArrayList<>();
          while (it.hasNext()) {
            byte[] m = it.next();
            for (int off = 0; off < m.length; off += elementBytes) {
              out.add(new Tuple2<>(java.util.Arrays.copyOfRange(m, off, off + elementBytes), null));
            }
          }
          return out.iterator();
        }, true)
        .mapPartitionsWithIndex(new SendBatches(c.channel(), c.jobId(), stream(c.jobId(), me, step, lender ? to
            : null), me, c.key(), elementBytes, batchRows(c, s, elementBytes), false), true)
        .collect();
    RoundStats stats = RoundStats.fromBatches(s.partitions(), sent);
    c.announceRound(lender ? step + "." + to : step, stats);
    return stats;
  }

  // ------------------------------------------------------------------------------------------ lender

  /** The lender: asks every peer, adds the shares, joins the result back to its rows. */
  public static Result lender(OperatorContext c, MultiLenderSpec s) {
    String me = c.me();
    String jobId = c.jobId();
    int partitions = s.partitions();
    PsiInputs.Keyed keyed = keyed(c, s);
    Dataset<Row> rows = keyed.withKey();
    long inputRows = keyed.inputRows();
    long nullKeys = keyed.nullKeyRows();
    int buckets = partitions;
    // Partition b holds bucket b's distinct ids, as one array: the items of its cuckoo table.
    JavaRDD<byte[][]> tables = rows.select(KEY).where(col(KEY).isNotNull()).javaRDD()
        .mapPartitionsToPair(it -> OprfTasks.keyChunks(it, buckets))
        .partitionBy(new HashPartitioner(partitions))
        .mapPartitions(OprfTasks::distinctKeys, true)
        .mapPartitions(it -> {
          List<byte[]> items = new ArrayList<>();
          it.forEachRemaining(items::add);
          return List.<byte[][]>of(items.toArray(new byte[0][])).iterator();
        }, true)
        .persist(StorageLevel.MEMORY_AND_DISK());
    List<Integer> perBucket = tables.map(t -> t.length).collect();
    long distinct = perBucket.stream().mapToLong(Integer::longValue).sum();
    long[] plannedBins = perBucket.stream().mapToLong(n -> io.veil.crypto.ot.CuckooHash.binCount(Math.min(n,
        io.veil.crypto.ot.CuckooHash.MAX_ITEMS))).toArray();
    long limit = CheckTasks.extensionBins;
    int extensions = CheckTasks.extensionsFor(plannedBins, limit);
    if (extensions < 0) {
      throw new InvalidInputException("Cannot run the multi-lender check for " + me + ": one of its " + partitions
          + " partitions needs " + java.util.Arrays.stream(plannedBins).max().orElse(0) + " cuckoo bins, and one OT "
          + "extension with a peer carries at most " + limit + " (" + CheckTasks.E1_ROWS_PER_BIN + " rows per bin, "
          + "2^24 rows). Raise multiLender.partitions to at least " + (long) Math.ceil(
              java.util.Arrays.stream(plannedBins).sum() / (0.9 * limit)) + ". Nothing was sent.");
    }
    RunKey runKey = c.bindInput(keyed.commitment());
    createStreams(c, s);
    List<RoundSummary> rounds = new ArrayList<>();
    c.progress(inputRows + " applicant rows, " + nullKeys + " with a NULL id (no result), " + distinct
        + " distinct ids, asking " + s.peers().size() + " peers");

    // Base OTs with every peer, for each extension: L receives on E1 (it is E1's base-OT sender) and
    // sends on E2. Notices carry one message per extension, in order.
    c.beginStep(NOTICE_OT, "running the base OTs with " + String.join(", ", s.peers())
        + (extensions == 1 ? "" : " (" + extensions + " OT extensions each, of at most " + limit + " bins)"));
    Map<String, KkrtSetup.BaseSender[]> e1Base = new TreeMap<>();
    for (String p : s.peers()) {
      KkrtSetup.BaseSender[] b = new KkrtSetup.BaseSender[extensions];
      ByteBuffer notice = ByteBuffer.allocate(8 + extensions * CheckTasks.POINT_BYTES).putLong(distinct);
      for (int e = 0; e < extensions; e++) {
        b[e] = new KkrtSetup.BaseSender(runKey.secret(CheckTasks.secretLabel("e1-base/" + p, e), 32));
        notice.put(b[e].firstMessage());
      }
      e1Base.put(p, b);
      c.publishNotice(NOTICE_OT + "." + p, notice.array());
    }
    Map<String, CheckTasks.LenderKeys[]> lenderKeys = new LinkedHashMap<>();
    int replyBytes = CheckTasks.BASE_REPLY_BYTES + CheckTasks.POINT_BYTES;
    for (String p : s.peers()) {
      byte[] reply = c.awaitNotice(p, NOTICE_OT_REPLY, "its base-OT reply");
      if (reply.length != extensions * replyBytes) {
        throw new ProtocolException(p, NOTICE_OT_REPLY, "Cannot read " + p + "'s base-OT reply: it has "
            + reply.length + " bytes, not " + extensions * replyBytes + " (" + extensions + " OT extensions). The job "
            + "was aborted.");
      }
      CheckTasks.LenderKeys[] perExtension = new CheckTasks.LenderKeys[extensions];
      ByteBuffer second = ByteBuffer.allocate(extensions * CheckTasks.BASE_REPLY_BYTES);
      try {
        for (int e = 0; e < extensions; e++) {
          int at = e * replyBytes;
          KkrtSetup.ReceiverSeeds e1 = e1Base.get(p)[e].finish(java.util.Arrays.copyOfRange(reply, at,
              at + CheckTasks.BASE_REPLY_BYTES));
          KkrtSetup.SenderKey e2 = KkrtSetup.baseReceive(runKey.secret(CheckTasks.secretLabel("e2-base/" + p, e), 32),
              runKey.secret(CheckTasks.secretLabel("e2-choices/" + p, e), 64), java.util.Arrays.copyOfRange(reply,
                  at + CheckTasks.BASE_REPLY_BYTES, at + replyBytes), second::put);
          perExtension[e] = new CheckTasks.LenderKeys(e1, e2);
        }
      } catch (InvalidOtMessageException | IllegalArgumentException e) {
        throw new ProtocolException(p, NOTICE_OT_REPLY, "Cannot use " + p + "'s base-OT reply: " + e.getMessage()
            + ". The job was aborted.");
      }
      c.publishNotice(NOTICE_OT2 + "." + p, second.array());
      lenderKeys.put(p, CheckTasks.byBucket(perExtension, partitions));
    }

    // mlc-u: one OPRF row per bin of this party's cuckoo table, for each peer.
    c.beginStep(STEP_U, "placing " + distinct + " ids in cuckoo tables and extending the OTs for every peer");
    Map<String, RoundStats> uStats = new LinkedHashMap<>();
    for (String p : s.peers()) {
      CheckTasks.LenderKeys[] k = lenderKeys.get(p);
      JavaRDD<byte[]> u = tables.mapPartitionsWithIndex((b, it) -> List.of(CheckTasks.lenderAt(k[b], runKey, jobId, p,
          b, it.next()).u()).iterator(), true);
      RoundStats st = send(c, s, u, STEP_U, p, CheckTasks.U_BYTES, true);
      uStats.put(p, st);
      rounds.add(RoundSummary.of(STEP_U, me, p, st));
    }
    long bins = uStats.values().iterator().next().totalElements();
    c.progress("step " + STEP_U + " sent " + bins + " rows to each peer");

    // mlc-eq-u: after each peer's hints, the equality test's rows.
    Map<String, Integer> betas = new LinkedHashMap<>();
    for (String p : s.peers()) {
      byte[] b = c.awaitNotice(p, NOTICE_BETA, "its bin load bound");
      int beta = b.length == 4 ? ByteBuffer.wrap(b).getInt() : -1;
      if (beta < CheckTasks.MIN_BETA || beta > CheckTasks.MAX_BETA) {
        throw new ProtocolException(p, NOTICE_BETA, "Cannot accept " + p + "'s bin load bound: it is not an integer "
            + "in " + CheckTasks.MIN_BETA + ".." + CheckTasks.MAX_BETA + ". The job was aborted.");
      }
      betas.put(p, beta);
    }
    Map<String, RoundStats> hints = awaitPeers(c, s, STEP_HINT, "its hints", uStats, rounds);
    c.beginStep(STEP_EQ_U, "decoding the peers' hints and starting the equality tests");
    for (String p : s.peers()) {
      CheckTasks.LenderKeys[] k = lenderKeys.get(p);
      int beta = betas.get(p);
      PeerStream hintIn = in(c, s, p, STEP_HINT, null, hints.get(p), CheckTasks.hintBytes(beta));
      JavaRDD<byte[]> m = tables.mapPartitionsWithIndex((b, it) -> List.of(CheckTasks.lenderAt(k[b], runKey, jobId, p,
          b, it.next()).replay(beta, hintIn.readAll(b), null, null).eqRows()).iterator(), true);
      RoundStats st = send(c, s, m, STEP_EQ_U, p, CheckTasks.EQ_U_BYTES, true);
      rounds.add(RoundSummary.of(STEP_EQ_U, me, p, st));
    }

    // mlc-open: after each peer's equality messages.
    Map<String, RoundStats> eqs = awaitPeers(c, s, STEP_EQ, "its equality-test messages", uStats, rounds);
    c.beginStep(STEP_OPEN, "finishing the equality tests with every peer");
    for (String p : s.peers()) {
      CheckTasks.LenderKeys[] k = lenderKeys.get(p);
      int beta = betas.get(p);
      PeerStream hintIn = in(c, s, p, STEP_HINT, null, hints.get(p), CheckTasks.hintBytes(beta));
      PeerStream eqIn = in(c, s, p, STEP_EQ, null, eqs.get(p), CheckTasks.EQ_BYTES);
      JavaRDD<byte[]> m = tables.mapPartitionsWithIndex((b, it) -> List.of(CheckTasks.lenderAt(k[b], runKey, jobId, p,
          b, it.next()).replay(beta, hintIn.readAll(b), eqIn.readAll(b), null).open()).iterator(), true);
      RoundStats st = send(c, s, m, STEP_OPEN, p, CheckTasks.OPEN_BYTES, true);
      rounds.add(RoundSummary.of(STEP_OPEN, me, p, st));
    }

    // Result: L's shares with every peer plus the peers' masked shares, per bin, back to the ids.
    Map<String, RoundStats> shares = awaitPeers(c, s, STEP_SHARES, "its shares", uStats, rounds);
    c.beginStep(STEP_SHARES, "adding the shares of " + s.peers().size() + " peers");
    List<CheckTasks.PeerInputs> peerIns = new ArrayList<>();
    for (String p : s.peers()) {
      int beta = betas.get(p);
      peerIns.add(new CheckTasks.PeerInputs(p, lenderKeys.get(p), beta,
          in(c, s, p, STEP_HINT, null, hints.get(p), CheckTasks.hintBytes(beta)),
          in(c, s, p, STEP_EQ, null, eqs.get(p), CheckTasks.EQ_BYTES),
          in(c, s, p, STEP_SHARES, null, shares.get(p), CheckTasks.SHARES_BYTES)));
    }
    JavaRDD<Row> perId = tables.mapPartitionsWithIndex((b, it) -> CheckTasks.results(runKey, jobId, b, it.next(),
        peerIns).iterator(), true);
    StructType resultSchema = new StructType().add(KEY, DataTypes.BinaryType, false)
        .add(s.countAs(), DataTypes.IntegerType, false)
        .add(s.totalAs(), DataTypes.createDecimalType(38, s.scale()), false);
    int scale = s.scale();
    Dataset<Row> result = c.spark().createDataFrame(perId.map(r -> RowFactory.create(r.get(0), r.get(1),
        new BigDecimal(java.math.BigInteger.valueOf(r.getLong(2)), scale))), resultSchema)
        .persist(StorageLevel.MEMORY_AND_DISK());
    Row totals = result.agg(count(lit(1)), count(when(col(s.countAs()).gt(0), 1))).first();
    c.progress(totals.getLong(1) + " of " + totals.getLong(0) + " applicants have a loan at one or more peers");
    Dataset<Row> out = rows.join(result, rows.col(KEY).equalTo(result.col(KEY)), "left_outer").drop(rows.col(KEY))
        .drop(result.col(KEY));
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("inputRows", inputRows);
    figures.put("nullKeyRows", nullKeys);
    figures.put("distinctKeys", distinct);
    figures.put("peers", s.peers().size());
    figures.put("bins", bins);
    figures.put("otExtensions", extensions);
    figures.put("applicantsWithLoans", totals.getLong(1));
    tables.unpersist(false);
    return new Result(Optional.of(out), figures, rounds, inputRows);
  }

  /** Every peer's round of {@code step}, each checked to have one element per bin of the lender's. */
  private static Map<String, RoundStats> awaitPeers(OperatorContext c, MultiLenderSpec s, String step, String what,
      Map<String, RoundStats> uStats, List<RoundSummary> rounds) {
    Map<String, RoundStats> out = new LinkedHashMap<>();
    for (String p : s.peers()) {
      RoundStats r = c.awaitRound(p, step, s.partitions(), what + " (step " + step + ")");
      checkPerBin(p, step, r, uStats.get(p));
      out.put(p, r);
      rounds.add(RoundSummary.of(step, p, c.me(), r));
    }
    return out;
  }

  private static void checkPerBin(String peer, String step, RoundStats got, RoundStats u) {
    for (int b = 0; b < u.partitions(); b++) {
      if (got.elements(b) != u.elements(b)) {
        throw new ProtocolException(peer, step, "Cannot accept " + peer + "'s step " + step + ": partition " + b
            + " has " + got.elements(b) + " elements, not one per bin (" + u.elements(b) + "). The job was aborted.");
      }
    }
  }

  // -------------------------------------------------------------------------------------------- peer

  /** A peer: checks and sums its loans per id, answers the lender's rounds, masks its shares. */
  public static Result peer(OperatorContext c, MultiLenderSpec s) {
    String me = c.me();
    String jobId = c.jobId();
    String lender = s.lender();
    int partitions = s.partitions();
    Column amount = col(s.amount()).cast(DataTypes.createDecimalType(38, 18));
    PsiInputs.Keyed keyed = keyed(c, s);
    Dataset<Row> rows = keyed.withKey().select(col(KEY), amount.as(AMOUNT)).persist(StorageLevel.MEMORY_AND_DISK());
    Column units = col(AMOUNT).multiply(lit(BigDecimal.ONE.scaleByPowerOfTen(s.scale())));
    Row counts = rows.agg(count(lit(1)), count(when(col(KEY).isNull(), 1)),
        count(when(col(KEY).isNotNull().and(col(AMOUNT).isNull()), 1)),
        count(when(col(AMOUNT).lt(0), 1)),
        count(when(units.notEqual(org.apache.spark.sql.functions.floor(units)), 1))).first();
    long inputRows = counts.getLong(0);
    long nullKeys = counts.getLong(1);
    String fix = " Nothing was sent.";
    if (counts.getLong(2) > 0) {
      throw new InvalidInputException("Cannot run the multi-lender check for " + me + ": " + counts.getLong(2)
          + " loan rows have a NULL in amount column '" + s.amount() + "'. Filter or impute NULLs." + fix);
    }
    if (counts.getLong(3) > 0) {
      throw new InvalidInputException("Cannot run the multi-lender check for " + me + ": " + counts.getLong(3)
          + " loan rows have a negative outstanding amount in column '" + s.amount() + "'. Outstanding amounts are 0 "
          + "or more; fix or filter those rows." + fix);
    }
    if (counts.getLong(4) > 0) {
      throw new InvalidInputException("Cannot run the multi-lender check for " + me + ": " + counts.getLong(4)
          + " amounts in column '" + s.amount() + "' have more than " + s.scale() + " decimal places. Round them, or "
          + "raise multiLender.amount.scale." + fix);
    }
    Dataset<Row> perId = rows.where(col(KEY).isNotNull()).groupBy(KEY)
        .agg(org.apache.spark.sql.functions.sum(AMOUNT).as(AMOUNT)).persist(StorageLevel.MEMORY_AND_DISK());
    long over = perId.where(col(AMOUNT).gt(lit(s.maxAbs()))).count();
    if (over > 0) {
      throw new InvalidInputException("Cannot run the multi-lender check for " + me + ": " + over + " ids have a "
          + "total outstanding amount above multiLender.amount.maxAbs " + s.maxAbs().toPlainString() + ". Raise "
          + "maxAbs (at most " + s.format().maxAbs().toPlainString() + " at this scale) or lower the scale." + fix);
    }
    RunKey runKey = c.bindInput(keyed.commitment());
    createStreams(c, s);
    List<RoundSummary> rounds = new ArrayList<>();
    int buckets = partitions;
    io.veil.crypto.sharing.FixedPoint format = s.format();
    String what = "column " + s.amount();
    JavaRDD<CheckTasks.Loans> loans = perId.javaRDD()
        .mapToPair(r -> new Tuple2<Integer, Tuple2<byte[], Long>>(OprfPsiProtocol.bucket(r.getAs(0), buckets),
            new Tuple2<>(r.getAs(0), format.encode(r.getDecimal(1), what))))
        .partitionBy(new HashPartitioner(partitions))
        .mapPartitions(it -> List.of(CheckTasks.Loans.of(it)).iterator(), true)
        .persist(StorageLevel.MEMORY_AND_DISK());
    long distinct = loans.map(CheckTasks.Loans::size).fold(0, Integer::sum);
    c.progress(inputRows + " loan rows, " + nullKeys + " with a NULL id dropped, " + distinct + " distinct ids");

    byte[] first = c.awaitNotice(lender, NOTICE_OT + "." + me, "its base-OT message");
    int extensions = (first.length - 8) / CheckTasks.POINT_BYTES;
    if (first.length < 8 + CheckTasks.POINT_BYTES || (first.length - 8) % CheckTasks.POINT_BYTES != 0
        || extensions > partitions) {
      throw new ProtocolException(lender, NOTICE_OT, "Cannot read " + lender + "'s base-OT message: it has "
          + first.length + " bytes, not 8 and one " + CheckTasks.POINT_BYTES + "-byte point per OT extension (1 to "
          + partitions + " extensions, one per partition at most). The job was aborted.");
    }
    long lenderDistinct = ByteBuffer.wrap(first).getLong();
    CheckTasks.PeerKeys[] perExtension = new CheckTasks.PeerKeys[extensions];
    try {
      KkrtSetup.BaseSender[] e2Base = new KkrtSetup.BaseSender[extensions];
      ByteBuffer reply = ByteBuffer.allocate(extensions * (CheckTasks.BASE_REPLY_BYTES + CheckTasks.POINT_BYTES));
      KkrtSetup.SenderKey[] e1 = new KkrtSetup.SenderKey[extensions];
      for (int e = 0; e < extensions; e++) {
        int at = 8 + e * CheckTasks.POINT_BYTES;
        e1[e] = KkrtSetup.baseReceive(runKey.secret(CheckTasks.secretLabel("e1-base", e), 32),
            runKey.secret(CheckTasks.secretLabel("e1-choices", e), 64), java.util.Arrays.copyOfRange(first, at,
                at + CheckTasks.POINT_BYTES), reply::put);
        e2Base[e] = new KkrtSetup.BaseSender(runKey.secret(CheckTasks.secretLabel("e2-base", e), 32));
        reply.put(e2Base[e].firstMessage());
      }
      c.publishNotice(NOTICE_OT_REPLY, reply.array());
      byte[] reply2 = c.awaitNotice(lender, NOTICE_OT2 + "." + me, "its second base-OT reply");
      if (reply2.length != extensions * CheckTasks.BASE_REPLY_BYTES) {
        throw new ProtocolException(lender, NOTICE_OT2, "Cannot read " + lender + "'s second base-OT reply: it has "
            + reply2.length + " bytes, not " + extensions * CheckTasks.BASE_REPLY_BYTES + " (" + extensions
            + " OT extensions). The job was aborted.");
      }
      for (int e = 0; e < extensions; e++) {
        perExtension[e] = new CheckTasks.PeerKeys(e1[e], e2Base[e].finish(java.util.Arrays.copyOfRange(reply2,
            e * CheckTasks.BASE_REPLY_BYTES, (e + 1) * CheckTasks.BASE_REPLY_BYTES)));
      }
    } catch (InvalidOtMessageException | IllegalArgumentException e) {
      throw new ProtocolException(lender, NOTICE_OT, "Cannot use " + lender + "'s base-OT messages: " + e.getMessage()
          + ". The job was aborted.");
    }
    CheckTasks.PeerKeys[] keys = CheckTasks.byBucket(perExtension, partitions);

    RoundStats u = c.awaitRound(lender, STEP_U + "." + me, partitions, "its OPRF rows (step " + STEP_U + ")");
    rounds.add(RoundSummary.of(STEP_U, lender, me, u));
    for (int b = 0; b < partitions; b++) {
      if (u.elements(b) < 2 || u.elements(b) > io.veil.crypto.ot.CuckooHash.binCount(
          io.veil.crypto.ot.CuckooHash.MAX_ITEMS)) {
        throw new ProtocolException(lender, STEP_U, "Cannot accept " + lender + "'s rows: partition " + b + " has "
            + u.elements(b) + ", but every cuckoo table has 2 bins or more, and at most the table of "
            + io.veil.crypto.ot.CuckooHash.MAX_ITEMS + " ids. The job was aborted.");
      }
    }
    long[] bins = new long[partitions];
    for (int b = 0; b < partitions; b++) {
      bins[b] = u.elements(b);
    }
    long load = CheckTasks.maxLoad(bins, extensions);
    if (load > CheckTasks.extensionBins) {
      throw new ProtocolException(lender, STEP_U, "Cannot accept " + lender + "'s rows: one of its " + extensions
          + " OT extensions would carry " + load + " bins, more than the "
          + CheckTasks.extensionBins + " one extension carries. The job was aborted.");
    }
    int beta = loans.mapPartitionsWithIndex((b, it) -> List.of(CheckTasks.beta(it.next().size(), (int) bins[b]))
        .iterator(), true).reduce(Math::max);
    c.publishNotice(NOTICE_BETA, ByteBuffer.allocate(4).putInt(beta).array());

    c.beginStep(STEP_HINT, "programming hints for " + distinct + " ids in " + u.totalElements() + " bins of "
        + lender);
    PeerStream uIn = in(c, s, lender, STEP_U, me, u, CheckTasks.U_BYTES);
    JavaRDD<byte[]> hint = loans.mapPartitionsWithIndex((b, it) -> List.of(CheckTasks.peerAt(keys[b], runKey, jobId, lender,
        b, (int) bins[b], beta, it.next()).replay(uIn.readAll(b), null, null).hint()).iterator(), true);
    RoundStats h = send(c, s, hint, STEP_HINT, lender, CheckTasks.hintBytes(beta), false);
    rounds.add(RoundSummary.of(STEP_HINT, me, lender, h));

    RoundStats eqU = c.awaitRound(lender, STEP_EQ_U + "." + me, partitions, "its equality-test rows (step "
        + STEP_EQ_U + ")");
    checkPerBin(lender, STEP_EQ_U, eqU, u);
    rounds.add(RoundSummary.of(STEP_EQ_U, lender, me, eqU));
    c.beginStep(STEP_EQ, "answering " + lender + "'s equality tests");
    PeerStream eqUIn = in(c, s, lender, STEP_EQ_U, me, eqU, CheckTasks.EQ_U_BYTES);
    JavaRDD<byte[]> eq = loans.mapPartitionsWithIndex((b, it) -> List.of(CheckTasks.peerAt(keys[b], runKey, jobId, lender,
        b, (int) bins[b], beta, it.next()).replay(uIn.readAll(b), eqUIn.readAll(b), null).eq()).iterator(), true);
    RoundStats e = send(c, s, eq, STEP_EQ, lender, CheckTasks.EQ_BYTES, false);
    rounds.add(RoundSummary.of(STEP_EQ, me, lender, e));

    RoundStats open = c.awaitRound(lender, STEP_OPEN + "." + me, partitions, "its openings (step " + STEP_OPEN
        + ")");
    checkPerBin(lender, STEP_OPEN, open, u);
    rounds.add(RoundSummary.of(STEP_OPEN, lender, me, open));
    c.beginStep(STEP_SHARES, "sending masked shares to " + lender);
    PeerStream openIn = in(c, s, lender, STEP_OPEN, me, open, CheckTasks.OPEN_BYTES);
    Map<String, byte[]> otherPeers = new TreeMap<>();
    s.peers().stream().filter(p -> !p.equals(me)).forEach(p -> otherPeers.put(p, c.agreementKey(p)));
    JavaRDD<byte[]> sh = loans.mapPartitionsWithIndex((b, it) -> List.of(CheckTasks.peerAt(keys[b], runKey, jobId, lender,
        b, (int) bins[b], beta, it.next()).replay(uIn.readAll(b), eqUIn.readAll(b), openIn.readAll(b))
        .maskedShares(runKey, me, otherPeers)).iterator(), true);
    RoundStats st = send(c, s, sh, STEP_SHARES, lender, CheckTasks.SHARES_BYTES, false);
    rounds.add(RoundSummary.of(STEP_SHARES, me, lender, st));
    loans.unpersist(false);
    perId.unpersist(false);
    rows.unpersist(false);
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("inputRows", inputRows);
    figures.put("nullKeyRows", nullKeys);
    figures.put("distinctKeys", distinct);
    figures.put("lenderDistinctKeys", lenderDistinct);
    figures.put("bins", u.totalElements());
    figures.put("otExtensions", extensions);
    figures.put("beta", beta);
    return new Result(Optional.empty(), figures, rounds, inputRows);
  }
}
