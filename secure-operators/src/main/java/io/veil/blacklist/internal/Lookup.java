package io.veil.blacklist.internal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.veil.ProtocolException;
import io.veil.blacklist.BlacklistSpec;
import io.veil.blacklist.BlacklistStore;
import io.veil.channel.BatchCodec;
import io.veil.channel.BatchCodec.Batch;
import io.veil.channel.PeerStream;
import io.veil.channel.RoundDigest;
import io.veil.channel.RoundStats;
import io.veil.channel.RoundSummary;
import io.veil.channel.SentBatch;
import io.veil.channel.StreamWriter;
import io.veil.crypto.IdentityKeys;
import io.veil.crypto.InvalidPointException;
import io.veil.crypto.Oprf;
import io.veil.crypto.PsiCipher;
import io.veil.crypto.Sha256;
import io.veil.job.OperatorContext;
import io.veil.spark.ByteArrays;
import io.veil.psi.internal.SendBatches;
import io.veil.spark.DatasetCommitment;
import io.veil.spark.KeyRef;
import io.veil.spark.RunKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/** Both sides of a blacklist lookup; see {@link io.veil.blacklist.BlacklistOperator} for the protocol. */
public final class Lookup {
  public static final String STEP_COPY = "copy";
  public static final String STEP_SYNC = "sync";
  public static final String STEP_QUERY = "query";
  public static final String STEP_ANSWER = "answer";
  /** Added while the job runs: the normalised key. */
  public static final String KEY_COLUMN = "__veil_key";

  private static final String CURRENT = "CURRENT";
  private static final byte ADD = 1;
  private static final byte REMOVE = 0;
  private static final StructType RESULT_SCHEMA = new StructType()
      .add(KEY_COLUMN, DataTypes.BinaryType, false)
      .add("listed", DataTypes.BooleanType, false)
      .add("reason", DataTypes.StringType, true);

  private Lookup() {}

  /**
   * What one side did.
   *
   * @param output the querier's rows with their status (querier only)
   * @param figures the receipt's figures
   */
  public record Result(Optional<Dataset<Row>> output, Map<String, Object> figures, List<RoundSummary> rounds,
      long inputRows) {}

  static String stream(String jobId, String from, String step) {
    return from + "." + jobId + ".bl-" + step;
  }

  // ----------------------------------------------------------------------------------------- holder

  /** The holder's side: bring the querier's copy up to date, then answer its blinded ids. */
  public static Result holder(OperatorContext c, BlacklistSpec spec) {
    String me = c.me();
    String querier = spec.querier();
    Configuration conf = c.spark().sparkContext().hadoopConfiguration();
    BlacklistStore.Manifest store = BlacklistStore.read(conf, spec.store());
    long encoded = 0;
    if (!storeMatches(store, spec)) {
      c.beginStep("encode", "encoding list '" + spec.list() + "' into " + spec.store() + " (once; later runs reuse it)");
      BlacklistStore.Refresh r = BlacklistStore.refresh(c.spark(), c.input().orElseThrow(),
          c.party().input().keyColumns(), spec.reasonColumn(), spec.normalization(), spec.store(), spec.list(),
          spec.keyVersion(), c.key());
      store = r.manifest();
      encoded = r.added();
    }
    BlacklistStore.Manifest m = store;
    c.progress("list '" + spec.list() + "' version " + m.current().version() + ": " + m.current().records()
        + " ids (encoded " + m.updated() + ")");
    c.bindInput(listCommitment(m, c.inputCommitmentSalt()));
    int partitions = spec.partitions();
    c.channel().createStreams(List.of(stream(c.jobId(), me, STEP_SYNC), stream(c.jobId(), querier, STEP_QUERY),
        stream(c.jobId(), me, STEP_ANSWER)), partitions);
    List<RoundSummary> rounds = new ArrayList<>();

    // The querier's copy: none, at a version of this key's history, or at something else.
    CopyState copy = CopyState.parse(querier, c.awaitNotice(querier, STEP_COPY, "the state of its copy of the list"));
    BlacklistStore.Version from = copy.matching(m);
    String mode = from == null ? "full" : from.version() == m.current().version() ? "none" : "delta";
    c.publishNotice(STEP_SYNC, new SyncNotice(mode, m.current()).encode());
    c.beginStep(STEP_SYNC, "sending " + mode + " list update to " + querier);
    int elementBytes = 1 + ListIndex.TAG_BYTES + m.payloadBytes();
    Dataset<Row> entries = BlacklistStore.entries(c.spark(), spec.store(), m);
    Dataset<Row> live = entries.where(col("removed").isNull());
    Dataset<Row> changes;
    if (mode.equals("none")) {
      changes = live.limit(0).select(lit(ADD).as("kind"), col("tag"), col("payload"));
    } else if (mode.equals("full")) {
      changes = live.select(lit(ADD).as("kind"), col("tag"), col("payload"));
    } else {
      long v = from.version();
      Dataset<Row> adds = live.where(col("added").gt(v)).select(lit(ADD).as("kind"), col("tag"), col("payload"));
      Dataset<Row> liveTags = live.select(col("tag").as("live_tag"));
      Dataset<Row> gone = entries.where(col("removed").gt(v).and(col("added").leq(v)));
      Dataset<Row> removes = gone.join(liveTags, gone.col("tag").equalTo(liveTags.col("live_tag")), "left_anti")
          .select(lit(REMOVE).as("kind"), col("tag"), lit(new byte[m.payloadBytes()]).as("payload")).distinct();
      changes = adds.unionByName(removes);
    }
    List<SentBatch> sent = changes.javaRDD()
        .mapToPair(r -> {
          byte[] tag = r.getAs(1);
          byte[] payload = r.getAs(2);
          byte[] e = new byte[1 + tag.length + payload.length];
          e[0] = r.getByte(0);
          System.arraycopy(tag, 0, e, 1, tag.length);
          System.arraycopy(payload, 0, e, 1 + tag.length, payload.length);
          return new Tuple2<>(tag[0] & 0xff, e);
        })
        .partitionBy(new StoreTasks.BucketPartitioner(partitions))
        .mapToPair(t -> new Tuple2<byte[], byte[]>(t._2(), null))
        .mapPartitionsWithIndex(new SendBatches(c.channel(), c.jobId(), stream(c.jobId(), me, STEP_SYNC), me,
            c.key(), elementBytes, spec.batchRows(), false), true)
        .collect();
    RoundStats syncStats = RoundStats.fromBatches(partitions, sent);
    c.announceRound(STEP_SYNC, syncStats);
    rounds.add(RoundSummary.of(STEP_SYNC, me, querier, syncStats));

    // Answer the querier's blinded ids with the list key, in place.
    RoundStats query = c.awaitRound(querier, STEP_QUERY, partitions, "its blinded ids (step " + STEP_QUERY + ")");
    rounds.add(RoundSummary.of(STEP_QUERY, querier, me, query));
    c.beginStep(STEP_ANSWER, "answering " + query.totalElements() + " blinded ids of " + querier);
    PeerStream in = new PeerStream(c.channel(), c.jobId(), stream(c.jobId(), querier, STEP_QUERY), querier,
        c.identities().get(querier), STEP_QUERY, query, PsiCipher.POINT_BYTES, spec.batchRows());
    JavaRDD<Integer> slots = JavaSparkContext.fromSparkContext(c.spark().sparkContext())
        .parallelize(IntStream.range(0, partitions).boxed().toList(), partitions);
    List<SentBatch> answered = slots.mapPartitionsWithIndex(new Answer(in, me, c.key(), spec.list(),
        spec.keyVersion(), stream(c.jobId(), me, STEP_ANSWER)), true).collect();
    RoundStats answers = RoundStats.fromBatches(partitions, answered);
    c.announceRound(STEP_ANSWER, answers);
    rounds.add(RoundSummary.of(STEP_ANSWER, me, querier, answers));
    c.progress("answered " + query.totalElements() + " blinded ids of " + querier);
    Map<String, Object> figures = new java.util.LinkedHashMap<>();
    figures.put("listRecords", m.current().records());
    figures.put("listVersion", m.current().version());
    figures.put("encodedNow", encoded);
    figures.put("syncMode", mode);
    figures.put("syncRecords", syncStats.totalElements());
    figures.put("queriesAnswered", query.totalElements());
    return new Result(Optional.empty(), figures, rounds, m.current().records());
  }

  /** The holder's input commitment: its list as encoded (version and digest), salted, without reading it again. */
  public static DatasetCommitment.Commitment listCommitment(BlacklistStore.Manifest m, byte[] salt) {
    MessageDigest sha = Sha256.newDigest();
    sha.update(salt);
    sha.update(("veil-blacklist-version/v1:" + m.list() + "/" + m.keyVersion() + "/" + m.current().version() + "/"
        + m.current().digest()).getBytes(StandardCharsets.UTF_8));
    return new DatasetCommitment.Commitment(m.current().records(), HexFormat.of().formatHex(sha.digest()),
        HexFormat.of().formatHex(salt));
  }

  /** Whether the holder's store is the encoding of this spec's list (else the holder encodes it first). */
  public static boolean storeMatches(BlacklistStore.Manifest store, BlacklistSpec spec) {
    return store != null && store.list().equals(spec.list()) && store.keyVersion() == spec.keyVersion()
        && store.payloadBytes() == payloadBytes(spec);
  }

  /** The querier's copy in use, or null when it has none of this spec's list (a batch job makes it). */
  public static ListIndex openCopy(Configuration conf, BlacklistSpec spec) throws IOException {
    Copy copy = Copy.open(conf, spec);
    return copy.dir() == null ? null : ListIndex.open(copy.dir().getFileSystem(conf), copy.dir());
  }

  /** Answers one partition of blinded ids in place: same partition, sequence and order. */
  static final class Answer implements org.apache.spark.api.java.function.Function2<Integer, Iterator<Integer>,
      Iterator<SentBatch>> {
    private static final long serialVersionUID = 1L;
    private final PeerStream in;
    private final String me;
    private final KeyRef key;
    private final String list;
    private final int keyVersion;
    private final String out;

    Answer(PeerStream in, String me, KeyRef key, String list, int keyVersion, String out) {
      this.in = in;
      this.me = me;
      this.key = key;
      this.list = list;
      this.keyVersion = keyVersion;
      this.out = out;
    }

    @Override
    public Iterator<SentBatch> call(Integer partition, Iterator<Integer> ignored) {
      PsiCipher cipher = PsiCipher.create(StoreTasks.listKey(key, list, keyVersion));
      IdentityKeys signer = key.resolve().identity();
      List<SentBatch> sent = new ArrayList<>();
      try (StreamWriter writer = in.channel().openWriter(out, partition)) {
        for (Batch b : in.read(partition)) {
          byte[] answer = new byte[b.count() * PsiCipher.POINT_BYTES];
          try {
            cipher.blindPeerPoints(b.payload(), b.count(), answer);
          } catch (InvalidPointException e) {
            throw new ProtocolException(in.sender(), in.step(), "Cannot answer " + in.sender() + "'s blinded ids: "
                + "element " + e.index() + " of batch " + b.seq() + " in partition " + partition + " is not a valid "
                + "curve point. The job was aborted and nothing was answered; " + in.sender()
                + " is misbehaving or corrupted.");
          }
          byte[] record = BatchCodec.encode(in.jobId(), out, me, partition, b.seq(), PsiCipher.POINT_BYTES, answer,
              b.count(), signer);
          writer.write(record);
          sent.add(new SentBatch(partition, b.seq(), b.count(), RoundDigest.batchDigest(record), null));
        }
        writer.flush();
      }
      return sent.iterator();
    }
  }

  // ---------------------------------------------------------------------------------------- querier

  /** The querier's side: update its copy, blind its ids, look up the unblinded answers. */
  public static Result querier(OperatorContext c, BlacklistSpec spec) {
    String me = c.me();
    String holder = spec.holder();
    int partitions = spec.partitions();
    io.veil.psi.PsiInputs.Keyed keyed = io.veil.psi.PsiInputs.commitWithKey(c, c.party().input().keyColumns(),
        spec.normalization(), KEY_COLUMN);
    Dataset<Row> withKey = keyed.withKey();
    long inputRows = keyed.inputRows();
    long nullKeys = keyed.nullKeyRows();
    if (nullKeys > 0) {
      c.progress(nullKeys + " of " + inputRows + " rows have a NULL id: they are not checked (listed is NULL)");
    }
    RunKey runKey = c.bindInput(keyed.commitment());
    c.channel().createStreams(List.of(stream(c.jobId(), holder, STEP_SYNC), stream(c.jobId(), me, STEP_QUERY),
        stream(c.jobId(), holder, STEP_ANSWER)), partitions);
    List<RoundSummary> rounds = new ArrayList<>();
    Configuration conf = c.spark().sparkContext().hadoopConfiguration();

    // 1. Bring the copy up to date.
    Copy copy = Copy.open(conf, spec);
    c.publishNotice(STEP_COPY, copy.state().encode());
    SyncNotice sync = SyncNotice.parse(holder, c.awaitNotice(holder, STEP_SYNC, "how it updates the copy"));
    RoundStats syncStats = c.awaitRound(holder, STEP_SYNC, partitions, "the list update (step " + STEP_SYNC + ")");
    rounds.add(RoundSummary.of(STEP_SYNC, holder, me, syncStats));
    if (sync.mode().equals("none") ? syncStats.totalElements() != 0 : sync.mode().equals("delta")
        && copy.state().version() < 0) {
      throw new ProtocolException(holder, STEP_SYNC, "Cannot update the copy of list '" + spec.list() + "': "
          + holder + " sent a " + sync.mode() + " update that does not fit the copy's state. The job was aborted.");
    }
    c.beginStep(STEP_SYNC, "updating the copy of list '" + spec.list() + "' (" + sync.mode() + ", "
        + syncStats.totalElements() + " records)");
    Path dir = sync.mode().equals("none") ? copy.dir()
        : copy.update(c, spec, sync, new PeerStream(c.channel(), c.jobId(), stream(c.jobId(), holder, STEP_SYNC),
            holder, c.identities().get(holder), STEP_SYNC, syncStats, 1 + ListIndex.TAG_BYTES + payloadBytes(spec),
            spec.batchRows()));

    // 2. Blind the distinct ids, in an order unrelated to the input, and send them.
    c.beginStep(STEP_QUERY, "blinding and sending " + me + "'s ids to " + holder);
    JavaRDD<SentBatch> sent = withKey.select(KEY_COLUMN).where(col(KEY_COLUMN).isNotNull()).distinct().javaRDD()
        .mapPartitionsToPair(rows -> {
          Oprf.Blinding blinding = Oprf.Blinding.derive(runKey.secret("blacklist-blinding", 32));
          List<Tuple2<byte[], byte[]>> out = new ArrayList<>();
          while (rows.hasNext()) {
            byte[] id = rows.next().getAs(0);
            byte[] point = new byte[PsiCipher.POINT_BYTES];
            blinding.blind(id, point, 0);
            out.add(new Tuple2<>(point, id));
          }
          return out.iterator();
        })
        .repartitionAndSortWithinPartitions(new ByteArrays.PrefixPartitioner(partitions),
            new ByteArrays.UnsignedOrder())
        .mapPartitionsWithIndex(new SendBatches(c.channel(), c.jobId(), stream(c.jobId(), me, STEP_QUERY), me,
            c.key(), PsiCipher.POINT_BYTES, spec.batchRows(), true), true)
        .persist(StorageLevel.MEMORY_AND_DISK());
    RoundStats query = RoundStats.fromBatches(partitions, sent.map(b -> new SentBatch(b.partition(), b.seq(),
        b.count(), b.digest(), null)).collect());
    c.announceRound(STEP_QUERY, query);
    rounds.add(RoundSummary.of(STEP_QUERY, me, holder, query));

    // 3. Unblind the answers and look them up in the copy.
    RoundStats answers = c.awaitRound(holder, STEP_ANSWER, partitions, "its answers (step " + STEP_ANSWER + ")");
    for (int p = 0; p < partitions; p++) {
      if (answers.batches(p) != query.batches(p) || answers.elements(p) != query.elements(p)) {
        throw new ProtocolException(holder, STEP_ANSWER, "Cannot accept " + holder + "'s answers: it announced "
            + answers.elements(p) + " answers in partition " + p + " but " + query.elements(p) + " ids were sent "
            + "there. The job was aborted.");
      }
    }
    rounds.add(RoundSummary.of(STEP_ANSWER, holder, me, answers));
    c.beginStep("match", "looking up " + query.totalElements() + " answers in the copy of list '" + spec.list() + "'");
    PeerStream in = new PeerStream(c.channel(), c.jobId(), stream(c.jobId(), holder, STEP_ANSWER), holder,
        c.identities().get(holder), STEP_ANSWER, answers, PsiCipher.POINT_BYTES, spec.batchRows());
    JavaRDD<Integer> slots = JavaSparkContext.fromSparkContext(c.spark().sparkContext())
        .parallelize(IntStream.range(0, partitions).boxed().toList(), partitions);
    String index = FileSystemPaths.qualified(conf, dir);
    JavaRDD<Row> status = sent.zipPartitions(slots.mapPartitionsWithIndex((p, ignored) ->
        in.read(p).iterator(), true), (mine, theirs) -> match(mine, theirs, runKey, index, holder));
    Dataset<Row> found = c.spark().createDataFrame(status, RESULT_SCHEMA).persist(StorageLevel.MEMORY_AND_DISK());
    long listed = found.where(col("listed")).count();
    c.progress(listed + " of " + query.totalElements() + " distinct ids are on list '" + spec.list() + "'");
    Dataset<Row> joined = withKey.join(found, withKey.col(KEY_COLUMN).equalTo(found.col(KEY_COLUMN)), "left_outer")
        .drop(found.col(KEY_COLUMN));
    List<String> keep = c.party().input().columns() == null ? List.of(c.input().orElseThrow().columns())
        : c.party().input().columns();
    List<Column> cols = new ArrayList<>();
    keep.forEach(k -> cols.add(col(k)));
    cols.add(when(col(KEY_COLUMN).isNull(), lit(null).cast("boolean")).otherwise(col("listed")).as("listed"));
    if (spec.reasonColumn() != null) {
      cols.add(col("reason"));
    }
    Dataset<Row> output = joined.select(cols.toArray(Column[]::new));
    Map<String, Object> figures = new java.util.LinkedHashMap<>();
    figures.put("inputRows", inputRows);
    figures.put("nullKeyRows", nullKeys);
    figures.put("queries", query.totalElements());
    figures.put("listed", listed);
    figures.put("listRecords", sync.current().records());
    figures.put("listVersion", sync.current().version());
    figures.put("syncMode", sync.mode());
    figures.put("syncRecords", syncStats.totalElements());
    return new Result(Optional.of(output), figures, rounds, inputRows);
  }

  private static Iterator<Row> match(Iterator<SentBatch> mine, Iterator<Batch> theirs, RunKey runKey, String index,
      String holder) throws IOException {
    Oprf.Blinding blinding = Oprf.Blinding.derive(runKey.secret("blacklist-blinding", 32));
    Path dir = new Path(index);
    List<Row> out = new ArrayList<>();
    try (ListIndex copy = ListIndex.open(dir.getFileSystem(new Configuration()), dir)) {
      while (mine.hasNext()) {
        SentBatch s = mine.next();
        Batch a = theirs.hasNext() ? theirs.next() : null;
        if (a == null || a.seq() != s.seq() || a.count() != s.count()) {
          throw new ProtocolException(holder, STEP_ANSWER, "Cannot match " + holder + "'s answers: they do not have "
              + "the shape of what was sent. The job was aborted.");
        }
        for (int i = 0; i < s.count(); i++) {
          byte[] id = s.locals().get(i);
          byte[] point;
          try {
            point = blinding.unblind(a.payload(), i * PsiCipher.POINT_BYTES);
          } catch (InvalidPointException e) {
            throw new ProtocolException(holder, STEP_ANSWER, "Cannot use " + holder + "'s answer " + i + " of batch "
                + a.seq() + ": not a valid curve point. The job was aborted; " + holder + " is misbehaving or "
                + "corrupted.");
          }
          byte[] output = Oprf.output(id, point);
          Optional<byte[]> hit = copy.lookup(ListCodec.tag(output));
          String reason = hit.isPresent() && hit.get().length > 0 ? ListCodec.open(output, hit.get()) : null;
          out.add(RowFactory.create(id, hit.isPresent(), reason));
        }
      }
      if (theirs.hasNext()) {
        throw new ProtocolException(holder, STEP_ANSWER, "Cannot match " + holder + "'s answers: it answered more "
            + "batches than were sent. The job was aborted.");
      }
    }
    return out.iterator();
  }

  static int payloadBytes(BlacklistSpec spec) {
    return spec.reasonColumn() == null ? 0 : ListCodec.PAYLOAD_BYTES;
  }

  // ------------------------------------------------------------------------------- notices and copy

  /** The querier's copy's state: none (version -1), or at a version with a digest under a key. */
  record CopyState(String list, int keyVersion, long version, String digest) {
    static final CopyState NONE = new CopyState("-", 0, -1, "-");

    byte[] encode() {
      return (list + " " + keyVersion + " " + version + " " + digest).getBytes(StandardCharsets.UTF_8);
    }

    static CopyState parse(String peer, byte[] payload) {
      String[] f = new String(payload, StandardCharsets.UTF_8).split(" ");
      try {
        if (f.length == 4 && f[0].matches("[A-Za-z0-9._-]{1,64}") && f[3].matches("-|[0-9a-f]{64}")) {
          return new CopyState(f[0], Integer.parseInt(f[1]), Long.parseLong(f[2]), f[3]);
        }
      } catch (NumberFormatException e) {
        // refused below
      }
      throw new ProtocolException(peer, STEP_COPY, "Cannot read " + peer + "'s copy state: it is malformed. The job "
          + "was aborted.");
    }

    /** The version of {@code m}'s history this copy is at, or null when it must be replaced. */
    BlacklistStore.Version matching(BlacklistStore.Manifest m) {
      if (!list.equals(m.list()) || keyVersion != m.keyVersion()) {
        return null;
      }
      return m.history().stream().filter(v -> v.version() == version && v.digest().equals(digest)).findFirst()
          .orElse(null);
    }
  }

  /** The holder's update: {@code full}, {@code delta} or {@code none}, to version {@code current}. */
  record SyncNotice(String mode, BlacklistStore.Version current) {
    byte[] encode() {
      return (mode + " " + current.version() + " " + current.records() + " " + current.digest())
          .getBytes(StandardCharsets.UTF_8);
    }

    static SyncNotice parse(String peer, byte[] payload) {
      String[] f = new String(payload, StandardCharsets.UTF_8).split(" ");
      try {
        if (f.length == 4 && f[0].matches("full|delta|none") && f[3].matches("[0-9a-f]{64}")) {
          return new SyncNotice(f[0], new BlacklistStore.Version(Long.parseLong(f[1]), Long.parseLong(f[2]), f[3]));
        }
      } catch (NumberFormatException e) {
        // refused below
      }
      throw new ProtocolException(peer, STEP_SYNC, "Cannot read " + peer + "'s list update notice: it is malformed. "
          + "The job was aborted.");
    }
  }

  /** The querier's copy: {@code <copy>/CURRENT} names the directory of the {@link ListIndex} in use. */
  record Copy(Path root, Path dir, CopyState state) {
    static Copy open(Configuration conf, BlacklistSpec spec) {
      Path root = new Path(spec.copy());
      try {
        FileSystem fs = root.getFileSystem(conf);
        Path current = new Path(root, CURRENT);
        if (!fs.exists(current)) {
          return new Copy(root, null, CopyState.NONE);
        }
        String name;
        try (InputStream in = fs.open(current)) {
          name = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        Path dir = new Path(root, name);
        try (ListIndex index = ListIndex.open(fs, dir)) {
          Map<String, String> a = index.attributes();
          if (!spec.list().equals(a.get("list")) || index.payloadBytes() != payloadBytes(spec)) {
            return new Copy(root, null, CopyState.NONE);
          }
          return new Copy(root, dir, new CopyState(spec.list(), Integer.parseInt(a.getOrDefault("keyVersion", "0")),
              index.version(), index.digest()));
        } catch (CorruptListIndexException e) {
          // A damaged copy is replaced by a full one.
          return new Copy(root, null, CopyState.NONE);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the copy of list '" + spec.list() + "' at " + root + ": "
            + e.getMessage(), e);
      }
    }

    /** Applies the holder's update in Spark tasks, checks it against the holder's digest, switches to it. */
    Path update(OperatorContext c, BlacklistSpec spec, SyncNotice sync, PeerStream in) {
      Configuration conf = c.spark().sparkContext().hadoopConfiguration();
      int pb = payloadBytes(spec);
      boolean full = sync.mode().equals("full");
      String from = full || dir == null ? null : FileSystemPaths.qualified(conf, dir);
      Path next = new Path(root, "v" + sync.current().version() + "-" + c.jobId().replaceAll("[^A-Za-z0-9._-]", "_"));
      String to = FileSystemPaths.qualified(conf, next);
      int partitions = spec.partitions();
      List<BucketSummary> buckets = new ArrayList<>(JavaSparkContext.fromSparkContext(c.spark().sparkContext())
          .parallelize(IntStream.range(0, partitions).boxed().toList(), partitions)
          .mapPartitionsWithIndex((p, ignored) -> merge(in, p, partitions, pb, from, to), true)
          .collect());
      buckets.sort(java.util.Comparator.comparingInt(BucketSummary::bucket));
      try {
        FileSystem fs = root.getFileSystem(conf);
        ListIndex.writeManifest(fs, next, sync.current().version(), pb, buckets,
            Map.of("list", spec.list(), "keyVersion", Integer.toString(spec.keyVersion())));
        try (ListIndex index = ListIndex.open(fs, next)) {
          if (index.records() != sync.current().records() || !index.digest().equals(sync.current().digest())) {
            fs.delete(next, true);
            throw new ProtocolException(spec.holder(), STEP_SYNC, "Cannot update the copy of list '" + spec.list()
                + "': after " + spec.holder() + "'s " + sync.mode() + " update it holds " + index.records()
                + " records with digest " + index.digest() + ", but " + spec.holder() + " announced "
                + sync.current().records() + " with digest " + sync.current().digest() + ". The copy was left as "
                + "it was and the job aborted; the next run asks for a full copy if this one is damaged.");
          }
        }
        Path tmp = new Path(root, CURRENT + ".tmp");
        try (OutputStream out = fs.create(tmp, true)) {
          out.write(next.getName().getBytes(StandardCharsets.UTF_8));
        }
        fs.delete(new Path(root, CURRENT), false);
        fs.rename(tmp, new Path(root, CURRENT));
        if (dir != null && !dir.equals(next)) {
          fs.delete(dir, true);
        }
        c.progress("the copy of list '" + spec.list() + "' is at version " + sync.current().version() + " ("
            + sync.current().records() + " ids)");
        return next;
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write the copy of list '" + spec.list() + "' at " + next + ": "
            + e.getMessage(), e);
      }
    }

    /** Merges partition {@code p} of the update (buckets b with b % partitions == p). */
    private static Iterator<BucketSummary> merge(PeerStream in, int p, int partitions, int pb, String from, String to)
        throws IOException {
      int stride = ListIndex.TAG_BYTES + pb;
      java.io.ByteArrayOutputStream[] adds = new java.io.ByteArrayOutputStream[ListIndex.BUCKETS];
      java.io.ByteArrayOutputStream[] removes = new java.io.ByteArrayOutputStream[ListIndex.BUCKETS];
      int[] addCount = new int[ListIndex.BUCKETS];
      int[] removeCount = new int[ListIndex.BUCKETS];
      for (int b = p; b < ListIndex.BUCKETS; b += partitions) {
        adds[b] = new java.io.ByteArrayOutputStream();
        removes[b] = new java.io.ByteArrayOutputStream();
      }
      for (Batch batch : in.read(p)) {
        byte[] e = batch.payload();
        for (int i = 0; i < batch.count(); i++) {
          int off = i * (1 + stride);
          int bucket = e[off + 1] & 0xff;
          if (adds[bucket] == null || (e[off] != ADD && e[off] != REMOVE)) {
            throw new ProtocolException(in.sender(), STEP_SYNC, "Cannot apply " + in.sender() + "'s list update: "
                + "record " + i + " of batch " + batch.seq() + " in partition " + p + " is malformed (wrong kind or "
                + "partition). The job was aborted; the copy was left as it was.");
          }
          if (e[off] == ADD) {
            adds[bucket].write(e, off + 1, stride);
            addCount[bucket]++;
          } else {
            removes[bucket].write(e, off + 1, ListIndex.TAG_BYTES);
            removeCount[bucket]++;
          }
        }
      }
      Path toDir = new Path(to);
      FileSystem fs = toDir.getFileSystem(new Configuration());
      Path fromDir = from == null ? null : new Path(from);
      List<BucketSummary> out = new ArrayList<>();
      for (int b = p; b < ListIndex.BUCKETS; b += partitions) {
        try {
          out.add(ListIndex.mergeBucket(fs, fromDir, toDir, b, pb, adds[b].toByteArray(), addCount[b],
              removes[b].toByteArray(), removeCount[b]));
        } catch (IllegalArgumentException e) {
          throw new ProtocolException(in.sender(), STEP_SYNC, "Cannot apply " + in.sender() + "'s list update to "
              + "bucket " + b + ": " + e.getMessage() + ". The job was aborted; the copy was left as it was.");
        }
      }
      return out.iterator();
    }
  }

  /** Fully qualified path strings, for tasks that open the same path with their own configuration. */
  static final class FileSystemPaths {
    static String qualified(Configuration conf, Path p) {
      try {
        return p.getFileSystem(conf).makeQualified(p).toString();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
