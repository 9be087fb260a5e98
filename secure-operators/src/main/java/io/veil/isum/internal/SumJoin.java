package io.veil.isum.internal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.channel.BatchCodec.Batch;
import io.veil.channel.PeerStream;
import io.veil.channel.RoundStats;
import io.veil.channel.RoundSummary;
import io.veil.channel.SentBatch;
import io.veil.crypto.InvalidPointException;
import io.veil.crypto.PsiCipher;
import io.veil.crypto.Sha256;
import io.veil.crypto.paillier.PaillierKeyPair;
import io.veil.crypto.paillier.PaillierPublicKey;
import io.veil.crypto.sharing.FixedPoint;
import io.veil.isum.IntersectionSumSpec;
import io.veil.job.OperatorContext;
import io.veil.psi.PsiInputs;
import io.veil.spark.ByteArrays;
import io.veil.psi.internal.PsiProtocol;
import io.veil.psi.internal.SendBatches;
import io.veil.spark.RunKey;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/** Both sides of a private intersection-sum; see {@link io.veil.isum.IntersectionSumOperator}. */
public final class SumJoin {
  public static final String STEP_BLIND_1 = "blind-1";
  public static final String STEP_BLIND_2 = "blind-2";
  public static final String STEP_VALUES = "values";
  public static final String STEP_SUMS = "sums";
  public static final String STEP_OPEN = "open";
  static final String NOTICE_KEY = "paillier-key";
  static final String KEY = "__veil_key";
  static final int SEAL_BYTES = 12;
  private static final int POINT = PsiCipher.POINT_BYTES;
  private static final int SLOT_BITS = 128;
  private static final BigInteger OFFSET = BigInteger.ONE.shiftLeft(62);
  private static final byte[] CMP = "veil-isum-cmp/v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final Map<String, PaillierKeyPair> KEYS = new ConcurrentHashMap<>();

  private SumJoin() {}

  /**
   * What one side did.
   *
   * @param output the id party's result table
   * @param figures the receipt's figures
   */
  public record Result(Optional<Dataset<Row>> output, Map<String, Object> figures, List<RoundSummary> rounds,
      long inputRows) {}

  static String stream(String jobId, String from, String step) {
    return from + "." + jobId + ".isum-" + step;
  }

  /** The value party's Paillier key of this run: the same in every task and every attempt of the run. */
  static PaillierKeyPair paillier(RunKey runKey) {
    byte[] seed = runKey.secret("isum-paillier", 32);
    return KEYS.computeIfAbsent(java.util.HexFormat.of().formatHex(Sha256.hash(seed)),
        k -> PaillierKeyPair.generate(PaillierPublicKey.DEFAULT_MODULUS_BITS, seed));
  }

  private static void createStreams(OperatorContext c, IntersectionSumSpec s) {
    String job = c.jobId();
    c.channel().createStreams(List.of(stream(job, s.idParty(), STEP_BLIND_1), stream(job, s.valueParty(), STEP_BLIND_2),
        stream(job, s.valueParty(), STEP_VALUES), stream(job, s.idParty(), STEP_SUMS),
        stream(job, s.valueParty(), STEP_OPEN)), s.partitions());
  }

  /** The input with its normalised key column, cached and committed to in one scan (bound later). */
  private static PsiInputs.Keyed keyed(OperatorContext c, IntersectionSumSpec s) {
    return PsiInputs.commitWithKey(c, c.party().input().keyColumns(), s.normalization(), KEY);
  }

  private static int batchRows(OperatorContext c, IntersectionSumSpec s, int elementBytes) {
    return SendBatches.batchRows(c.channel(), s.batchRows(), elementBytes);
  }

  private static byte[] cmp(MessageDigest sha, byte[] point, int off, int ell) {
    sha.reset();
    sha.update(CMP);
    sha.update(point, off, POINT);
    return Arrays.copyOf(sha.digest(), ell);
  }

  // ---------------------------------------------------------------------------------------- id party

  /** The id party: sends its blinded ids, matches the value party's, sums the matched ciphertexts per group. */
  public static Result idParty(OperatorContext c, IntersectionSumSpec s) {
    String me = c.me();
    String peer = s.valueParty();
    int partitions = s.partitions();
    boolean grouped = s.groupBy() != null;
    PsiInputs.Keyed keyed = keyed(c, s);
    Dataset<Row> rows = keyed.withKey().select(col(KEY), grouped ? col(s.groupBy()).cast("string").as("g")
        : lit("").as("g")).persist(StorageLevel.MEMORY_AND_DISK());
    long inputRows = keyed.inputRows();
    long nullKeys = keyed.nullKeyRows();
    Dataset<Row> ids = rows.where(col(KEY).isNotNull()).distinct().persist(StorageLevel.MEMORY_AND_DISK());
    if (grouped) {
      long nullGroups = ids.where(col("g").isNull()).count();
      long split = ids.groupBy(KEY).agg(countDistinct("g").as("n")).where(col("n").gt(1)).count();
      if (nullGroups > 0 || split > 0) {
        throw new InvalidInputException("Cannot run the intersection-sum for " + me + ": " + (nullGroups > 0
            ? nullGroups + " ids have a NULL in group column '" + s.groupBy() + "'" : "")
            + (nullGroups > 0 && split > 0 ? " and " : "") + (split > 0 ? split + " ids appear in more than one "
            + "group of '" + s.groupBy() + "'" : "") + ". Give each id exactly one group. Nothing was sent.");
      }
    }
    List<String> groups = ids.select("g").distinct().orderBy("g").collectAsList().stream().map(r -> r.getString(0))
        .toList();
    RunKey runKey = c.bindInput(keyed.commitment());
    createStreams(c, s);
    List<RoundSummary> rounds = new ArrayList<>();
    Map<String, Integer> groupIndex = new LinkedHashMap<>();
    groups.forEach(g -> groupIndex.put(g, groupIndex.size()));

    // blind-1: H(a)^ka with the sealed group index, in an order given by the points.
    c.beginStep(STEP_BLIND_1, "blinding and sending " + me + "'s ids to " + peer);
    int e1 = POINT + (grouped ? SEAL_BYTES : 0);
    List<SentBatch> sent1 = ids.javaRDD().mapPartitionsToPair(it -> {
          PsiCipher cipher = PsiCipher.create(runKey.blindingKey());
          byte[] sealKey = runKey.secret("isum-group-seal", 32);
          List<Tuple2<byte[], byte[]>> out = new ArrayList<>();
          while (it.hasNext()) {
            Row r = it.next();
            byte[] e = new byte[e1];
            cipher.hashAndBlind(r.getAs(0), e, 0);
            if (grouped) {
              GroupSeal.seal(sealKey, e, groupIndex.get(r.getString(1)));
            }
            out.add(new Tuple2<>(e, null));
          }
          return out.iterator();
        })
        .repartitionAndSortWithinPartitions(new ByteArrays.PrefixPartitioner(partitions), new ByteArrays.UnsignedOrder())
        .mapPartitionsWithIndex(new SendBatches(c.channel(), c.jobId(), stream(c.jobId(), me, STEP_BLIND_1), me,
            c.key(), e1, batchRows(c, s, e1), false), true)
        .collect();
    RoundStats mine = RoundStats.fromBatches(partitions, sent1);
    c.announceRound(STEP_BLIND_1, mine);
    rounds.add(RoundSummary.of(STEP_BLIND_1, me, peer, mine));

    // The value party's key, its blinded ids with encrypted values, and our ids blinded twice, shuffled.
    PaillierPublicKey pk;
    try {
      pk = PaillierPublicKey.decode(c.awaitNotice(peer, NOTICE_KEY, "its encryption key"));
    } catch (IllegalArgumentException e) {
      throw new ProtocolException(peer, NOTICE_KEY, "Cannot use " + peer + "'s encryption key: " + e.getMessage()
          + ". The job was aborted.");
    }
    RoundStats values = c.awaitRound(peer, STEP_VALUES, partitions, "its blinded ids and encrypted values");
    RoundStats twice = c.awaitRound(peer, STEP_BLIND_2, partitions, "our ids blinded again");
    rounds.add(RoundSummary.of(STEP_BLIND_2, peer, me, twice));
    rounds.add(RoundSummary.of(STEP_VALUES, peer, me, values));
    if (twice.totalElements() != mine.totalElements()) {
      throw new ProtocolException(peer, STEP_BLIND_2, "Cannot accept " + peer + "'s answer: it returned "
          + twice.totalElements() + " ids but " + mine.totalElements() + " were sent. The job was aborted.");
    }
    int ell = PsiProtocol.comparisonBytes(mine.totalElements(), values.totalElements());
    int cb = pk.ciphertextBytes();
    c.beginStep("match", "matching " + values.totalElements() + " ids of " + peer + " and summing per group");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(c.spark().sparkContext());
    JavaRDD<Integer> slots = jsc.parallelize(IntStream.range(0, partitions).boxed().toList(), partitions);
    PeerStream in2 = new PeerStream(c.channel(), c.jobId(), stream(c.jobId(), peer, STEP_BLIND_2), peer,
        c.identities().get(peer), STEP_BLIND_2, twice, ell + (grouped ? SEAL_BYTES : 0),
        batchRows(c, s, ell + SEAL_BYTES));
    JavaPairRDD<ByteKey, Integer> ours = slots.mapPartitionsWithIndex((p, x) -> {
      byte[] sealKey = runKey.secret("isum-group-seal", 32);
      List<Tuple2<ByteKey, Integer>> out = new ArrayList<>();
      for (Batch b : in2.read(p)) {
        int size = in2.elementBytes();
        for (int i = 0; i < b.count(); i++) {
          byte[] h = Arrays.copyOfRange(b.payload(), i * size, i * size + ell);
          int g = grouped ? GroupSeal.open(sealKey, b.payload(), i * size + ell, groupIndex.size()) : 0;
          if (g < 0) {
            throw new ProtocolException(peer, STEP_BLIND_2, "Cannot read " + peer + "'s answer: element " + i
                + " of batch " + b.seq() + " carries a group that " + me + " did not send. The job was aborted.");
          }
          out.add(new Tuple2<>(new ByteKey(h), g));
        }
      }
      return out.iterator();
    }, true).mapToPair(t -> t);
    PeerStream inV = new PeerStream(c.channel(), c.jobId(), stream(c.jobId(), peer, STEP_VALUES), peer,
        c.identities().get(peer), STEP_VALUES, values, POINT + cb, batchRows(c, s, POINT + cb));
    JavaPairRDD<ByteKey, byte[]> theirs = slots.mapPartitionsWithIndex((p, x) -> {
      PsiCipher cipher = PsiCipher.create(runKey.blindingKey());
      MessageDigest sha = Sha256.newDigest();
      List<Tuple2<ByteKey, byte[]>> out = new ArrayList<>();
      byte[] point = new byte[POINT];
      for (Batch b : inV.read(p)) {
        for (int i = 0; i < b.count(); i++) {
          int off = i * (POINT + cb);
          try {
            cipher.blindPeerPoint(b.payload(), off, point, 0);
          } catch (InvalidPointException e) {
            throw new ProtocolException(peer, STEP_VALUES, "Cannot blind " + peer + "'s ids: element " + i
                + " of batch " + b.seq() + " is not a valid curve point. The job was aborted.");
          }
          out.add(new Tuple2<>(new ByteKey(cmp(sha, point, 0, ell)),
              Arrays.copyOfRange(b.payload(), off + POINT, off + POINT + cb)));
        }
      }
      return out.iterator();
    }, true).mapToPair(t -> t);
    BigInteger n2 = pk.n().multiply(pk.n());
    // Per group: (matched ids, product of their ciphertexts).
    Map<Integer, Tuple2<Long, byte[]>> perGroup = ours.join(theirs)
        .mapToPair(t -> new Tuple2<>(t._2()._1(), new Tuple2<>(1L, t._2()._2())))
        .reduceByKey((x, y) -> new Tuple2<>(x._1() + y._1(),
            pk.encode(pk.parse(x._2()).multiply(pk.parse(y._2())).mod(n2))))
        .collectAsMap();
    long intersection = perGroup.values().stream().mapToLong(Tuple2::_1).sum();
    c.progress("the intersection has " + intersection + " ids");

    // sums: every group's sum (or nothing, for a suppressed or empty group) under a fresh mask.
    c.beginStep(STEP_SUMS, "masking " + groups.size() + " group sums for " + peer + " to open");
    PaillierPublicKey.Encryptor enc = pk.encryptor(runKey.secret("isum-mask-encryptor", 32));
    List<BigInteger> masks = new ArrayList<>();
    List<byte[]> masked = new ArrayList<>();
    long released = 0;
    for (int g = 0; g < groups.size(); g++) {
      BigInteger mask = new BigInteger(1, runKey.secret("isum-mask/" + g, pk.n().bitLength() / 8 + 16)).mod(pk.n());
      masks.add(mask);
      Tuple2<Long, byte[]> t = perGroup.get(g);
      boolean release = t != null && t._1() >= Math.max(1, s.minGroupSize());
      released += release ? 1 : 0;
      byte[] m = enc.encrypt(mask);
      masked.add(release ? enc.rerandomise(pk.add(t._2(), m)) : m);
    }
    List<SentBatch> sentSums = sendOnDriver(c, s, stream(c.jobId(), me, STEP_SUMS), masked, cb);
    RoundStats sums = RoundStats.fromBatches(partitions, sentSums);
    c.announceRound(STEP_SUMS, sums);
    rounds.add(RoundSummary.of(STEP_SUMS, me, peer, sums));
    RoundStats opened = c.awaitRound(peer, STEP_OPEN, partitions, "the opened sums");
    rounds.add(RoundSummary.of(STEP_OPEN, peer, me, opened));
    int nb = (pk.n().bitLength() + 7) / 8;
    if (opened.totalElements() != groups.size()) {
      throw new ProtocolException(peer, STEP_OPEN, "Cannot accept " + peer + "'s opened sums: " + opened.totalElements()
          + " for " + groups.size() + " groups. The job was aborted.");
    }
    List<Batch> plain = new PeerStream(c.channel(), c.jobId(), stream(c.jobId(), peer, STEP_OPEN), peer,
        c.identities().get(peer), STEP_OPEN, opened, nb, batchRows(c, s, nb)).read(0);
    List<Row> out = new ArrayList<>();
    int g = 0;
    for (Batch b : plain) {
      for (int i = 0; i < b.count(); i++, g++) {
        BigInteger d = new BigInteger(1, Arrays.copyOfRange(b.payload(), i * nb, (i + 1) * nb));
        Tuple2<Long, byte[]> t = perGroup.get(g);
        long n = t == null ? 0 : t._1();
        boolean release = n >= Math.max(1, s.minGroupSize());
        List<Object> row = new ArrayList<>();
        if (grouped) {
          row.add(groups.get(g));
        }
        row.add(n);
        BigInteger sum = d.subtract(masks.get(g)).mod(pk.n());
        for (int j = 0; j < s.values().size(); j++) {
          if (!release) {
            row.add(null);
            continue;
          }
          BigInteger slot = sum.shiftRight(SLOT_BITS * j).and(BigInteger.ONE.shiftLeft(SLOT_BITS).subtract(
              BigInteger.ONE)).subtract(OFFSET.multiply(BigInteger.valueOf(n)));
          row.add(new BigDecimal(slot, s.values().get(j).scale()));
        }
        out.add(RowFactory.create(row.toArray()));
      }
    }
    if (!grouped && out.isEmpty()) {
      List<Object> row = new ArrayList<>();
      row.add(0L);
      s.values().forEach(v -> row.add(null));
      out.add(RowFactory.create(row.toArray()));
    }
    Dataset<Row> result = c.spark().createDataFrame(out, outputSchema(s));
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("inputRows", inputRows);
    figures.put("nullKeyRows", nullKeys);
    figures.put("distinctKeys", mine.totalElements());
    figures.put("peerDistinctKeys", values.totalElements());
    figures.put("intersectionSize", intersection);
    figures.put("groups", groups.size());
    figures.put("releasedGroups", released);
    rows.unpersist(false);
    return new Result(Optional.of(result), figures, rounds, inputRows);
  }

  /** The id party's output: the group (when grouped), the intersection size, one sum per value column. */
  public static StructType outputSchema(IntersectionSumSpec s) {
    StructType t = new StructType();
    if (s.groupBy() != null) {
      t = t.add(s.groupBy(), DataTypes.StringType, true);
    }
    t = t.add("intersection_size", DataTypes.LongType, false);
    for (IntersectionSumSpec.Value v : s.values()) {
      DataType d = DataTypes.createDecimalType(38, v.scale());
      t = t.add(v.as(), d, true);
    }
    return t;
  }

  /** Writes {@code elements} in partition 0 of {@code stream} from one task. */
  private static List<SentBatch> sendOnDriver(OperatorContext c, IntersectionSumSpec s, String stream,
      List<byte[]> elements, int size) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(c.spark().sparkContext());
    List<Tuple2<byte[], byte[]>> pairs = elements.stream().map(e -> new Tuple2<byte[], byte[]>(e, null)).toList();
    return jsc.parallelize(pairs.isEmpty() ? List.of() : pairs, 1)
        .mapPartitionsWithIndex(new SendBatches(c.channel(), c.jobId(), stream, c.me(), c.key(), size,
            batchRows(c, s, size), false), true)
        .collect();
  }

  // ------------------------------------------------------------------------------------- value party

  /** The value party: blinds the id party's ids again, sends its own with encrypted values, opens the sums. */
  public static Result valueParty(OperatorContext c, IntersectionSumSpec s) {
    String me = c.me();
    String peer = s.idParty();
    int partitions = s.partitions();
    List<Column> cols = new ArrayList<>();
    cols.add(col(KEY));
    s.values().forEach(v -> cols.add(col(v.column()).cast(DataTypes.createDecimalType(38, 18)).as(v.column())));
    PsiInputs.Keyed input = keyed(c, s);
    Dataset<Row> rows = input.withKey().select(cols.toArray(Column[]::new)).persist(StorageLevel.MEMORY_AND_DISK());
    List<Column> checks = new ArrayList<>(List.of(count(lit(1)), count(when(col(KEY).isNull(), 1))));
    for (IntersectionSumSpec.Value v : s.values()) {
      Column value = col(v.column());
      Column units = value.multiply(lit(BigDecimal.ONE.scaleByPowerOfTen(v.scale())));
      checks.add(count(when(col(KEY).isNotNull().and(value.isNull()), 1)));
      checks.add(count(when(org.apache.spark.sql.functions.abs(value).gt(lit(v.maxAbs()))
          .or(units.notEqual(org.apache.spark.sql.functions.floor(units))), 1)));
    }
    Row counts = rows.agg(checks.get(0), checks.subList(1, checks.size()).toArray(Column[]::new)).first();
    long inputRows = counts.getLong(0);
    long nullKeys = counts.getLong(1);
    for (int j = 0; j < s.values().size(); j++) {
      IntersectionSumSpec.Value v = s.values().get(j);
      if (counts.getLong(2 + 2 * j) > 0) {
        throw new InvalidInputException("Cannot run the intersection-sum for " + me + ": " + counts.getLong(2 + 2 * j)
            + " rows have a NULL in value column '" + v.column() + "'. Filter or impute NULLs; nothing was sent.");
      }
      if (counts.getLong(3 + 2 * j) > 0) {
        throw new InvalidInputException("Cannot run the intersection-sum for " + me + ": " + counts.getLong(3 + 2 * j)
            + " values in column '" + v.column() + "' are larger than maxAbs " + v.maxAbs().toPlainString()
            + " or have more than " + v.scale() + " decimal places. Round them, or raise the column's scale or "
            + "maxAbs in intersectionSum.values; nothing was sent.");
      }
    }
    Dataset<Row> keyed = rows.where(col(KEY).isNotNull());
    long distinct = keyed.select(KEY).distinct().count();
    long repeated = keyed.count() - distinct;
    if (repeated > 0) {
      throw new InvalidInputException("Cannot run the intersection-sum for " + me + ": " + repeated + " rows repeat "
          + "an id already in the input, so which values to sum is ambiguous. Aggregate the values per id first "
          + "(e.g. GROUP BY id). Nothing was sent.");
    }
    RunKey runKey = c.bindInput(input.commitment());
    createStreams(c, s);
    List<RoundSummary> rounds = new ArrayList<>();
    PaillierKeyPair keys = paillier(runKey);
    PaillierPublicKey pk = keys.publicKey();
    c.publishNotice(NOTICE_KEY, pk.encoded());
    int cb = pk.ciphertextBytes();
    List<FixedPoint> formats = s.values().stream().map(IntersectionSumSpec.Value::format).toList();
    List<String> names = s.values().stream().map(v -> "column " + v.column()).toList();

    // values: H(b)^kb with Enc(packed values), in an order given by the points.
    c.beginStep(STEP_VALUES, "blinding and encrypting " + distinct + " ids and values for " + peer);
    int ev = POINT + cb;
    List<SentBatch> sentV = keyed.javaRDD().mapPartitionsToPair(it -> {
          PsiCipher cipher = PsiCipher.create(runKey.blindingKey());
          List<Tuple2<byte[], Row>> out = new ArrayList<>();
          while (it.hasNext()) {
            Row r = it.next();
            out.add(new Tuple2<>(cipher.hashAndBlind(r.getAs(0)), r));
          }
          return out.iterator();
        })
        .repartitionAndSortWithinPartitions(new ByteArrays.PrefixPartitioner(partitions), new ByteArrays.UnsignedOrder())
        .mapPartitionsWithIndex((p, it) -> {
          PaillierPublicKey.Encryptor enc = paillier(runKey).encryptor(runKey.secret("isum-values/" + p, 32));
          List<Tuple2<byte[], byte[]>> out = new ArrayList<>();
          while (it.hasNext()) {
            Tuple2<byte[], Row> t = it.next();
            BigInteger m = BigInteger.ZERO;
            for (int j = 0; j < formats.size(); j++) {
              long v = formats.get(j).encode(t._2().getDecimal(1 + j), names.get(j));
              m = m.or(BigInteger.valueOf(v).add(OFFSET).shiftLeft(SLOT_BITS * j));
            }
            byte[] e = Arrays.copyOf(t._1(), ev);
            System.arraycopy(enc.encrypt(m), 0, e, POINT, cb);
            out.add(new Tuple2<>(e, null));
          }
          return out.iterator();
        }, true)
        .mapPartitionsWithIndex(new SendBatches(c.channel(), c.jobId(), stream(c.jobId(), me, STEP_VALUES), me,
            c.key(), ev, batchRows(c, s, ev), false), true)
        .collect();
    RoundStats values = RoundStats.fromBatches(partitions, sentV);
    c.announceRound(STEP_VALUES, values);
    rounds.add(RoundSummary.of(STEP_VALUES, me, peer, values));

    // blind-2: the id party's ids blinded again, truncated, with their sealed groups, shuffled.
    RoundStats first = c.awaitRound(peer, STEP_BLIND_1, partitions, "its blinded ids (step " + STEP_BLIND_1 + ")");
    rounds.add(RoundSummary.of(STEP_BLIND_1, peer, me, first));
    int ell = PsiProtocol.comparisonBytes(first.totalElements(), values.totalElements());
    boolean grouped = s.groupBy() != null;
    int e1 = POINT + (grouped ? SEAL_BYTES : 0);
    int e2 = ell + (grouped ? SEAL_BYTES : 0);
    c.beginStep(STEP_BLIND_2, "blinding " + first.totalElements() + " ids of " + peer + " again");
    PeerStream in1 = new PeerStream(c.channel(), c.jobId(), stream(c.jobId(), peer, STEP_BLIND_1), peer,
        c.identities().get(peer), STEP_BLIND_1, first, e1, batchRows(c, s, e1));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(c.spark().sparkContext());
    List<SentBatch> sent2 = jsc.parallelize(IntStream.range(0, partitions).boxed().toList(), partitions)
        .mapPartitionsWithIndex((p, x) -> {
          PsiCipher cipher = PsiCipher.create(runKey.blindingKey());
          MessageDigest sha = Sha256.newDigest();
          byte[] point = new byte[POINT];
          List<Tuple2<byte[], byte[]>> out = new ArrayList<>();
          for (Batch b : in1.read(p)) {
            for (int i = 0; i < b.count(); i++) {
              try {
                cipher.blindPeerPoint(b.payload(), i * e1, point, 0);
              } catch (InvalidPointException e) {
                throw new ProtocolException(peer, STEP_BLIND_1, "Cannot blind " + peer + "'s ids: element " + i
                    + " of batch " + b.seq() + " is not a valid curve point. The job was aborted.");
              }
              byte[] e = Arrays.copyOf(cmp(sha, point, 0, ell), e2);
              System.arraycopy(b.payload(), i * e1 + POINT, e, ell, e2 - ell);
              out.add(new Tuple2<>(e, null));
            }
          }
          return out.iterator();
        }, true)
        .mapToPair(t -> t)
        .repartitionAndSortWithinPartitions(new ByteArrays.PrefixPartitioner(partitions), new ByteArrays.UnsignedOrder())
        .mapPartitionsWithIndex(new SendBatches(c.channel(), c.jobId(), stream(c.jobId(), me, STEP_BLIND_2), me,
            c.key(), e2, batchRows(c, s, e2 < ell + SEAL_BYTES ? ell + SEAL_BYTES : e2), false), true)
        .collect();
    RoundStats twice = RoundStats.fromBatches(partitions, sent2);
    c.announceRound(STEP_BLIND_2, twice);
    rounds.add(RoundSummary.of(STEP_BLIND_2, me, peer, twice));

    // open: decrypt the masked sums (uniformly random to us) and return them.
    RoundStats sums = c.awaitRound(peer, STEP_SUMS, partitions, "its masked sums");
    rounds.add(RoundSummary.of(STEP_SUMS, peer, me, sums));
    c.beginStep(STEP_OPEN, "opening " + sums.totalElements() + " masked sums for " + peer);
    List<Batch> masked = new PeerStream(c.channel(), c.jobId(), stream(c.jobId(), peer, STEP_SUMS), peer,
        c.identities().get(peer), STEP_SUMS, sums, cb, batchRows(c, s, cb)).read(0);
    int nb = (pk.n().bitLength() + 7) / 8;
    List<byte[]> plain = new ArrayList<>();
    for (Batch b : masked) {
      for (int i = 0; i < b.count(); i++) {
        BigInteger m;
        try {
          m = keys.decrypt(Arrays.copyOfRange(b.payload(), i * cb, (i + 1) * cb));
        } catch (IllegalArgumentException e) {
          throw new ProtocolException(peer, STEP_SUMS, "Cannot open " + peer + "'s masked sum " + i + " of batch "
              + b.seq() + ": " + e.getMessage() + ". The job was aborted.");
        }
        byte[] be = m.toByteArray();
        byte[] fixed = new byte[nb];
        int len = Math.min(nb, be.length);
        System.arraycopy(be, be.length - len, fixed, nb - len, len);
        plain.add(fixed);
      }
    }
    RoundStats opened = RoundStats.fromBatches(partitions, sendOnDriver(c, s, stream(c.jobId(), me, STEP_OPEN), plain,
        nb));
    c.announceRound(STEP_OPEN, opened);
    rounds.add(RoundSummary.of(STEP_OPEN, me, peer, opened));
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("inputRows", inputRows);
    figures.put("nullKeyRows", nullKeys);
    figures.put("distinctKeys", values.totalElements());
    figures.put("peerDistinctKeys", first.totalElements());
    figures.put("sumsOpened", sums.totalElements());
    rows.unpersist(false);
    return new Result(Optional.empty(), figures, rounds, inputRows);
  }

  /** A byte array as a join key (value equality); a class, not a record, for Kryo. */
  static final class ByteKey implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private byte[] b;

    ByteKey() {}

    ByteKey(byte[] b) {
      this.b = b;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ByteKey k && Arrays.equals(k.b, b);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(b);
    }
  }

  /** The id party's group index, sealed so that only it can read it back. */
  static final class GroupSeal {
    private GroupSeal() {}

    /** Writes nonce (8 bytes, from the point) and the sealed index after the point in {@code e}. */
    static void seal(byte[] key, byte[] e, int index) {
      MessageDigest sha = Sha256.newDigest();
      sha.update(key);
      sha.update(e, 0, POINT);
      byte[] nonce = Arrays.copyOf(sha.digest(), 8);
      System.arraycopy(nonce, 0, e, POINT, 8);
      byte[] pad = pad(key, nonce, 0);
      for (int i = 0; i < 4; i++) {
        e[POINT + 8 + i] = (byte) ((index >>> (24 - 8 * i)) ^ pad[i]);
      }
    }

    /** The index sealed at {@code off} (nonce, sealed index), or -1 if it is not below {@code groups}. */
    static int open(byte[] key, byte[] b, int off, int groups) {
      byte[] pad = pad(key, b, off);
      int index = 0;
      for (int i = 0; i < 4; i++) {
        index = (index << 8) | ((b[off + 8 + i] ^ pad[i]) & 0xff);
      }
      return index >= 0 && index < groups ? index : -1;
    }

    private static byte[] pad(byte[] key, byte[] nonce, int off) {
      MessageDigest sha = Sha256.newDigest();
      sha.update(key);
      sha.update("pad".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      sha.update(nonce, off, 8);
      return sha.digest();
    }
  }
}
