package io.veil.aggregate;

import static org.apache.spark.sql.functions.col;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.aggregate.internal.AggregationContext;
import io.veil.aggregate.internal.CommittedScan;
import io.veil.aggregate.internal.GroupEncoder;
import io.veil.aggregate.internal.ReleaseNotice;
import io.veil.aggregate.internal.Runs;
import io.veil.aggregate.internal.SecureSum;
import io.veil.aggregate.internal.VectorBlock;
import io.veil.channel.RoundSummary;
import io.veil.crypto.dp.SkellamNoise;
import io.veil.crypto.sharing.MaskPrg;
import io.veil.crypto.sharing.PairwiseSealing;
import io.veil.job.Leakage;
import io.veil.job.OperatorContext;
import io.veil.job.OperatorResult;
import io.veil.job.SecureOperator;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.AggregateSection;
import io.veil.spec.AggregateSpec;
import io.veil.spec.AggregateSpec.GroupColumn;
import io.veil.spec.AggregateSpec.ValueColumn;
import io.veil.spec.JobSpec;
import io.veil.spec.OperatorSettings;
import io.veil.spec.PartySpec;
import io.veil.spec.SpecSection;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Secure grouped SUM/COUNT across N parties: {@code SELECT g..., COUNT(*), SUM(v)... FROM (union of
 * the data parties' tables) GROUP BY g...}, with only the result party learning the totals.
 *
 * <p><b>Protocol.</b> Groups come from the domain declared in the spec, so every party's vectors
 * have the same layout whatever groups it actually holds. Each data party pre-aggregates its rows
 * locally with Spark (executors) into a dense per-group vector, then:
 * <ol>
 *   <li><b>Counts</b> ({@code agg-counts}): each data party adds its DP noise share (if any) and
 *       its pairwise masks to its count vector; the others send theirs to the result party, which
 *       adds them up (see {@link SecureSum}) and learns the count of every group.
 *   <li><b>Release</b> ({@code agg-release}): the result party announces which groups reach
 *       {@code minGroupSize}, as a bitmap over the domain sealed for the data parties
 *       ({@link ReleaseNotice}): nobody else reading the control topic can read it.
 *   <li><b>Release check</b> ({@code agg-check.<party>}, when {@code minGroupSize > 0}): each data
 *       party other than the result party learns the count of every released group, added up with
 *       the other data parties in a secure sum of its own, and refuses to go on (a protocol error
 *       naming the result party) if one is below {@code minGroupSize}. The threshold protects small
 *       groups against the result party, so it is not left to the result party to enforce.
 *   <li><b>Sums</b> ({@code agg-sums}): the same for the sums of the released groups only; sums of
 *       suppressed groups are never sent, even masked.
 * </ol>
 *
 * <p>Masks and noise are secrets of the run: they depend on every party's input commitment (see
 * {@link OperatorContext#bindInput}), so a re-run over a changed input never reuses them.
 *
 * <p><b>Leakage</b> (semi-honest parties): the result party learns the (noisy, with DP) count of
 * every group in the domain, including suppressed ones, and the (noisy) sums of released groups;
 * every data party learns which groups were released and their (noisy) counts; nothing else. The
 * broker learns the domain size, the number of released groups and of data parties (from the sizes
 * of the rounds), not which groups. With two data parties and the result party one of them, the
 * result party can subtract its own contribution: the output then is the other party's data
 * (inherent to a sum of two); likewise the other party learns the result party's counts of released
 * groups. The release check does not stop a result party that is also a data party from padding a
 * group with rows of its own: no check can tell them from real ones. Dropouts are not tolerated: a
 * party that stops mid-round makes the others abort, and nothing is revealed.
 */
public final class AggregateOperator implements SecureOperator {
  public static final String NAME = "aggregate";
  public static final String STEP_COUNTS = "agg-counts";
  public static final String STEP_RELEASE = "agg-release";
  public static final String STEP_SUMS = "agg-sums";
  /** Prefix of the release check's steps, one per checking data party: {@code agg-check.<party>}. */
  public static final String STEP_CHECK = "agg-check";
  private static final Logger LOG = LoggerFactory.getLogger(AggregateOperator.class);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String section() {
    return "aggregate";
  }

  @Override
  public OperatorSettings readSettings(SpecSection section, List<PartySpec> parties) {
    return AggregateSection.read(section, parties);
  }

  @Override
  public Optional<StructType> outputSchema(JobSpec spec, PartySpec party, StructType inputSchema) {
    AggregateSpec agg = (AggregateSpec) spec.settings();
    return party.id().equals(agg.resultParty()) ? Optional.of(resultSchema(agg)) : Optional.empty();
  }

  /** The result party's table: one row per group of the domain. */
  private static StructType resultSchema(AggregateSpec spec) {
    StructType schema = new StructType();
    for (GroupColumn g : spec.groupBy()) {
      schema = schema.add(g.column(), DataTypes.StringType, false);
    }
    schema = schema.add("count", DataTypes.LongType, true);
    for (ValueColumn v : spec.sums()) {
      schema = schema.add(v.as(), DataTypes.createDecimalType(38, v.scale()), true);
    }
    return schema.add("suppressed", DataTypes.BooleanType, false);
  }

  @Override
  public void validateInput(JobSpec spec, PartySpec party, StructType schema) {
    validateSchema(schema, spec.settings(AggregateSpec.class), party.id());
  }

  @Override
  public Map<String, String> display(JobSpec spec, String party, Map<String, String> figures) {
    String resultParty = spec.settings(AggregateSpec.class).resultParty();
    Map<String, String> d = new LinkedHashMap<>();
    d.put("groups", figures.get("groups"));
    d.put("released groups", figures.get("releasedGroups"));
    d.put("suppressed groups", figures.get("suppressedGroups"));
    d.put("result party", resultParty + (resultParty.equals(party) ? " (this party)" : ""));
    return d;
  }

  @Override
  public OperatorResult run(OperatorContext op) {
    AggregateSpec spec = op.settings(AggregateSpec.class);
    AggregationContext c = new AggregationContext(op, op.spec().dataParties(), spec.resultParty());
    AggregateResult r = new Run(op.spark(), op.input().orElse(null), spec, c, op.inputCommitmentSalt()).execute();
    OperatorResult.Builder b = OperatorResult.builder()
        .inputRows(r.inputRows())
        .figure("inputRows", r.inputRows())
        .figure("groups", r.groups())
        .figure("releasedGroups", r.released())
        .figure("suppressedGroups", r.groups() - r.released())
        .figure("dataParties", String.join(",", c.dataParties()))
        .rounds(r.rounds(), steps(c.dataParties(), c.resultParty()))
        .details(r);
    if (spec.dp() != null) {
      b.figure("dpEpsilon", spec.dp().epsilon()).figure("dpDelta", spec.dp().delta());
    }
    r.table().ifPresent(b::output);
    return b.build();
  }

  @Override
  public List<Leakage> leakage(JobSpec spec) {
    AggregateSpec agg = spec.settings(AggregateSpec.class);
    List<String> data = spec.dataParties();
    String noisy = agg.dp() == null ? "" : " (noisy: DP epsilon " + agg.dp().epsilon() + ", delta " + agg.dp().delta()
        + ")";
    String released = agg.minGroupSize() > 0
        ? "released groups only (groups of at least " + agg.minGroupSize() + " rows); suppressed groups get no sum"
        : "every group (minGroupSize 0: no group is suppressed)";
    List<Leakage> out = new ArrayList<>();
    out.add(new Leakage(agg.resultParty() + " (result party)", "the count" + noisy + " of every group of the "
        + "domain (" + agg.groups() + " groups), suppressed groups included; the sums" + noisy + " of " + released));
    out.add(new Leakage("every party (" + String.join(", ", spec.parties().stream().map(PartySpec::id).toList())
        + ")", "which groups were released; the list of data parties"));
    List<String> checkers = checkers(data, agg.resultParty());
    if (!checkers.isEmpty()) {
      out.add(new Leakage(String.join(", ", checkers) + " (data part" + (checkers.size() == 1 ? "y" : "ies")
          + ", not the result party)", agg.minGroupSize() > 0
              ? "from the release check: the count" + noisy + " of every released group; nothing about suppressed "
                  + "groups and no sum. Each refuses a release below " + agg.minGroupSize() + " rows before any sum "
                  + "is sent"
              : "nothing beyond which groups were released"));
    }
    if (data.size() == 2 && data.contains(agg.resultParty())) {
      String other = data.get(0).equals(agg.resultParty()) ? data.get(1) : data.get(0);
      out.add(new Leakage(agg.resultParty() + " (result party and data party)", "with two data parties it can "
          + "subtract its own contribution: the output reveals " + other + "'s per-group data"));
    }
    out.add(new Leakage("Kafka operator / network", "the domain size, the number of data parties and of released "
        + "groups, timing, whether the job was aborted; not which groups were released, no count or sum"));
    return List.copyOf(out);
  }

  /** The steps of a job with data rounds, in protocol order (the same at every party). */
  static List<String> steps(List<String> dataParties, String resultParty) {
    List<String> steps = new ArrayList<>();
    steps.add(STEP_COUNTS);
    checkers(dataParties, resultParty).forEach(v -> steps.add(checkStep(v)));
    steps.add(STEP_SUMS);
    return steps;
  }

  /** The parties that check the release: every data party but the result party, in spec order. */
  static List<String> checkers(List<String> dataParties, String resultParty) {
    return dataParties.stream().filter(d -> !d.equals(resultParty)).toList();
  }

  /** The release check's step whose sum {@code checker} learns. */
  static String checkStep(String checker) {
    return STEP_CHECK + "." + checker;
  }

  /**
   * Checks, from the schema alone, that a data party's input has every group and summed column, and
   * that summed and bucketed columns are numeric.
   */
  public static void validateSchema(StructType schema, AggregateSpec spec, String party) {
    List<String> problems = new ArrayList<>();
    for (GroupColumn g : spec.groupBy()) {
      DataType t = Runs.type(schema, g.column());
      if (t == null) {
        problems.add("group column '" + g.column() + "' is missing");
      } else if (g.buckets() != null && !(t instanceof NumericType)) {
        problems.add("group column '" + g.column() + "' is " + t.simpleString() + " but buckets need a number");
      }
    }
    for (ValueColumn v : spec.sums()) {
      DataType t = Runs.type(schema, v.column());
      if (t == null) {
        problems.add("summed column '" + v.column() + "' is missing");
      } else if (!(t instanceof NumericType)) {
        problems.add("summed column '" + v.column() + "' is " + t.simpleString() + ", not a number (declare it in "
            + "the input's schema, e.g. " + v.column() + ": double)");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidInputException("Cannot aggregate " + party + "'s input: " + String.join("; ", problems)
          + ". Its columns are: " + String.join(", ", schema.fieldNames()) + ". Fix the input or the spec.");
    }
  }

  private static final class Run {
    private final SparkSession spark;
    private final Dataset<Row> input;
    private final AggregateSpec spec;
    private final AggregationContext c;
    private final SecureSum sum;
    private final NoisePlan noise;
    private final int groups;
    private final int k;
    private final byte[] commitmentSalt;
    private DatasetCommitment.Commitment inputCommitment;
    private final List<RoundSummary> checkRounds = new ArrayList<>();

    Run(SparkSession spark, Dataset<Row> input, AggregateSpec spec, AggregationContext c, byte[] commitmentSalt) {
      this.commitmentSalt = commitmentSalt.clone();
      this.spark = spark;
      this.input = input;
      this.spec = spec;
      this.c = c;
      this.sum = new SecureSum(spark, c, spec.partitions(), spec.batchRows());
      this.noise = NoisePlan.of(spec, c.dataParties());
      this.groups = spec.groups();
      this.k = spec.sums().size();
    }

    AggregateResult execute() {
      long inputRows = 0;
      long[] counts = null;
      long[][] sums = null;
      if (c.isDataParty()) {
        long[][] local = preAggregate();
        counts = local[0];
        sums = new long[k][];
        System.arraycopy(local, 1, sums, 0, k);
        for (long n : counts) {
          inputRows += n;
        }
        c.op().progress(inputRows + " rows pre-aggregated into " + groups + " groups of the domain");
      }
      // Nothing leaves the party before every party's input is committed and bound.
      c.op().bindInput(inputCommitment);
      RandomGenerator countNoise = noise(STEP_COUNTS);

      // Round 1: counts of every group of the domain.
      long[] totalCounts = null;
      if (counts != null && noise.enabled()) {
        for (int g = 0; g < groups; g++) {
          counts[g] += SkellamNoise.sample(noise.countMuPerParty(), countNoise);
        }
      }
      if (c.isResultParty()) {
        JavaRDD<VectorBlock> own = counts == null ? null : sum.blocks(counts);
        totalCounts = SecureSum.collect(sum.receive(STEP_COUNTS, own, groups), groups, spec.batchRows());
      } else {
        sum.send(STEP_COUNTS, sum.blocks(counts), groups);
      }

      // Release: which groups reach the minimum size, sealed for the data parties.
      BitSet released;
      PairwiseSealing sealing = c.sealing();
      if (c.isResultParty()) {
        released = new BitSet(groups);
        for (int g = 0; g < groups; g++) {
          if (spec.minGroupSize() <= 0 || totalCounts[g] >= spec.minGroupSize()) {
            released.set(g);
          }
        }
        c.op().publishNotice(STEP_RELEASE, ReleaseNotice.seal(sealing, c.op().peers(), STEP_RELEASE, groups,
            released));
      } else {
        released = releasedGroups(sealing, c.op().awaitNotice(c.resultParty(), STEP_RELEASE,
            "the list of released groups (step " + STEP_RELEASE + ")"));
      }
      int n = released.cardinality();
      c.op().progress(n + " of " + groups + " groups reach minGroupSize " + spec.minGroupSize());
      checkRelease(counts, released);

      // Round 2: sums of released groups only.
      long[] totalSums = null;
      if (k > 0 && n > 0) {
        long length = (long) n * k;
        long[] vector = null;
        if (c.isDataParty()) {
          vector = new long[Math.toIntExact(length)];
          RandomGenerator sumNoise = noise(STEP_SUMS);
          int at = 0;
          for (int g = released.nextSetBit(0); g >= 0; g = released.nextSetBit(g + 1)) {
            for (int col = 0; col < k; col++) {
              vector[at++] = sums[col][g]
                  + (noise.enabled() ? SkellamNoise.sample(noise.sumMuPerParty(col), sumNoise) : 0);
            }
          }
        }
        if (c.isResultParty()) {
          totalSums = SecureSum.collect(sum.receive(STEP_SUMS, vector == null ? null : sum.blocks(vector), length),
              length, spec.batchRows());
        } else {
          sum.send(STEP_SUMS, sum.blocks(vector), length);
        }
      }
      Optional<Dataset<Row>> table = c.isResultParty()
          ? Optional.of(table(totalCounts, released, totalSums)) : Optional.empty();
      List<RoundSummary> rounds = new ArrayList<>(sum.rounds());
      rounds.addAll(checkRounds);
      return new AggregateResult(table, inputRows, groups, n, rounds);
    }

    /** [counts, sums of column 1, ..., sums of column k], each over the whole domain. */
    private long[][] preAggregate() {
      c.op().beginStep(OperatorContext.STEP_INPUT, "committing to the input and pre-aggregating it into " + groups
          + " groups");
      // One scan: every input column (committed), then the encoder's columns.
      List<Column> cols = new ArrayList<>();
      cols.add(col("*"));
      spec.groupBy().forEach(g -> cols.add(g.values() != null ? col(Runs.quote(g.column())).cast("string")
          : col(Runs.quote(g.column()))));
      spec.sums().forEach(v -> cols.add(col(Runs.quote(v.column()))));
      int committed = input.schema().fields().length;
      Dataset<Row> scan = input.select(cols.toArray(Column[]::new));
      CommittedScan.Collected scanned = CommittedScan.collect(scan.queryExecution().toRdd().toJavaRDD()
          .mapPartitionsToPair(new CommittedScan(new GroupEncoder(spec, scan.schema(), committed),
              new DatasetCommitment.Hasher(commitmentSalt, committed).internal(scan.schema()))),
          CommittedScan::merge, commitmentSalt);
      long[][] out = new long[k + 1][groups];
      long[] problems = new long[GroupEncoder.problemCounters(spec)];
      for (Tuple2<Integer, Object> t : scanned.entries()) {
        if (t._1() == GroupEncoder.PROBLEMS) {
          problems = (long[]) t._2();
        } else {
          for (int i = 0; i <= k; i++) {
            out[i][t._1()] = ((long[]) t._2())[i];
          }
        }
      }
      inputCommitment = scanned.commitment();
      reportProblems(problems);
      long rows = 0;
      for (long x : out[0]) {
        rows += x;
      }
      if (rows > spec.maxRowsPerParty()) {
        throw new InvalidInputException("Cannot aggregate " + c.me() + "'s input: it has " + rows + " rows but the "
            + "spec's aggregate.maxRowsPerParty is " + spec.maxRowsPerParty() + ", the bound that proves no total "
            + "can overflow. Raise maxRowsPerParty in the spec (all parties must agree), or split the period.");
      }
      return out;
    }

    private void reportProblems(long[] p) {
      List<String> found = new ArrayList<>();
      int g = spec.groupBy().size();
      for (int j = 0; j < g; j++) {
        GroupColumn col = spec.groupBy().get(j);
        add(found, p[2 * j], "a NULL in group column '" + col.column() + "'");
        add(found, p[2 * j + 1], "a value of group column '" + col.column() + "' outside its declared domain ("
            + (col.values() != null ? col.values().size() + " listed values" : "buckets " + col.buckets().label(0)
            + " to " + col.buckets().label(col.size() - 1)) + ")");
      }
      for (int i = 0; i < k; i++) {
        ValueColumn v = spec.sums().get(i);
        int at = 2 * g + 3 * i;
        add(found, p[at], "a NULL in summed column '" + v.column() + "'");
        add(found, p[at + 1], "a value of '" + v.column() + "' outside its declared range (|v| <= "
            + v.maxAbs().toPlainString() + ", finite)");
        add(found, p[at + 2], "a value of '" + v.column() + "' with more than " + v.scale() + " decimal places "
            + "(its scale)");
      }
      if (!found.isEmpty()) {
        boolean nulls = found.stream().anyMatch(f -> f.contains(" a NULL "));
        throw new InvalidInputException("Cannot aggregate " + c.me() + "'s input: " + String.join("; ", found)
            + (nulls ? Runs.NULL_HINT : "") + ". Nothing was sent. Fix or filter these rows, or widen the domain, "
            + "range or scale in the spec.");
      }
    }

    private static void add(List<String> found, long rows, String what) {
      if (rows > 0) {
        found.add(rows + (rows == 1 ? " row has " : " rows have ") + what);
      }
    }

    /**
     * This party's noise for one step: drawn from a stream keyed by a secret of this run (its own
     * party key, the job and every party's input commitment), so unpredictable to every other party,
     * identical when this party resumes the job over the same inputs (a resumed run sends the very
     * same masked values), and fresh whenever an input changed.
     */
    private RandomGenerator noise(String step) {
      if (!noise.enabled() || !c.isDataParty()) {
        return null;
      }
      byte[] seed = c.runKey().secret("dp-noise", MaskPrg.SEED_BYTES);
      return MaskPrg.create(seed, step).asRandom();
    }

    /**
     * The release check: every data party other than the result party learns the count of each
     * released group, added up with the other data parties in a secure sum of its own (step {@code
     * agg-check.<party>}: each other data party sends it its counts of the released groups, masked
     * among the data parties), and refuses to go on if a released group is below {@code minGroupSize}.
     * So the result party cannot have the sums of a small group sent by announcing it released. The
     * counts are those of round 1, noise included, so every party checks exactly what the result party
     * decided on.
     */
    private void checkRelease(long[] noisyCounts, BitSet released) {
      int n = released.cardinality();
      if (!c.isDataParty() || spec.minGroupSize() <= 0 || n == 0) {
        return; // a party without input sends nothing; without minGroupSize every group is released
      }
      long[] mine = new long[n];
      int at = 0;
      for (int g = released.nextSetBit(0); g >= 0; g = released.nextSetBit(g + 1)) {
        mine[at++] = noisyCounts[g];
      }
      for (String v : checkers(c.dataParties(), c.resultParty())) {
        if (!v.equals(c.me())) {
          SecureSum s = checkSum(v);
          s.send(checkStep(v), s.blocks(mine), n);
          checkRounds.addAll(s.rounds());
        }
      }
      if (c.isResultParty()) {
        return;
      }
      SecureSum s = checkSum(c.me());
      long[] totals = SecureSum.collect(s.receive(checkStep(c.me()), s.blocks(mine), n), n, spec.batchRows());
      checkRounds.addAll(s.rounds());
      long below = java.util.Arrays.stream(totals).filter(t -> t < spec.minGroupSize()).count();
      if (below > 0) {
        throw new ProtocolException(c.resultParty(), STEP_RELEASE, "Cannot send sums to " + c.resultParty() + ": it "
            + "released " + below + (below == 1 ? " group" : " groups") + " whose count, added up by the data parties "
            + "(step " + STEP_CHECK + "), is below the spec's minGroupSize " + spec.minGroupSize() + ". The job was "
            + "aborted before any sum was sent; " + c.resultParty() + " does not follow the protocol.");
      }
      c.op().progress("release checked with the other data parties: all " + n + " released groups reach minGroupSize "
          + spec.minGroupSize());
    }

    /** The secure sum of the release check whose result {@code checker} learns. */
    private SecureSum checkSum(String checker) {
      return new SecureSum(spark, new AggregationContext(c.op(), c.dataParties(), checker), spec.partitions(),
          spec.batchRows());
    }

    private BitSet releasedGroups(PairwiseSealing sealing, byte[] notice) {
      try {
        return ReleaseNotice.open(sealing, c.resultParty(), STEP_RELEASE, groups, notice);
      } catch (RuntimeException e) {
        throw new ProtocolException(c.resultParty(), STEP_RELEASE, "Cannot accept " + c.resultParty()
            + "'s list of released groups: it is malformed (" + e.getMessage() + "). The job was aborted; check that "
            + "every party runs the same spec and Veil version.");
      }
    }

    private Dataset<Row> table(long[] counts, BitSet released, long[] sums) {
      StructType schema = resultSchema(spec);
      int[] strides = GroupEncoder.strides(spec);
      List<Row> rows = new ArrayList<>(groups);
      int at = 0;
      for (int g = 0; g < groups; g++) {
        Object[] r = new Object[spec.groupBy().size() + k + 2];
        for (int j = 0; j < spec.groupBy().size(); j++) {
          r[j] = spec.groupBy().get(j).label((g / strides[j]) % spec.groupBy().get(j).size());
        }
        boolean ok = released.get(g);
        int base = spec.groupBy().size();
        r[base] = ok ? counts[g] : null;
        for (int col = 0; col < k; col++) {
          r[base + 1 + col] = ok ? BigDecimal.valueOf(sums[at * k + col], spec.sums().get(col).scale()) : null;
        }
        if (ok) {
          at++;
        }
        r[r.length - 1] = !ok;
        rows.add(RowFactory.create(r));
      }
      return spark.createDataFrame(rows, schema);
    }
  }

}
