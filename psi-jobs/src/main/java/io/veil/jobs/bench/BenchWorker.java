package io.veil.jobs.bench;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark side of {@link AggregateBench}, run as its own JVM (like a party): generates the
 * benchmark inputs, runs the plaintext baselines (timed) and checks the secure outputs against them
 * (not timed). Prints its figures at the end as one JSON object on standard output ({@code
 * {"session_ms": ..., "plain_ms": ..., ...}}), which {@link io.veil.jobs.PartyProcess#outcome()} reads.
 *
 * <pre>
 * BenchWorker gen-agg    master=.. out=DIR rows=N groups=G parties=P
 * BenchWorker gen-fa     master=.. out=DIR rows=N dims=D parties=P
 * BenchWorker plain-agg  master=.. inputs=A,B,C out=DIR [secure=DIR buckets=true|false]
 * BenchWorker plain-fa   master=.. inputs=A,B out=DIR dims=D [secure=DIR]
 * BenchWorker plain-vfl  master=.. guest=FILE host=FILE seed=S testFraction=F   (see VflBaseline)
 * BenchWorker bl-encode  master=.. out=DIR ids=N partitions=P store=DIR list=NAME key=FILE
 * BenchWorker gen-isum   master=.. out=DIR rows=N groups=G partitions=P    (see IntersectionSumBench)
 * BenchWorker plain-isum master=.. ids=DIR values=DIR groups=G out=DIR [secure=DIR]
 * BenchWorker gen-mlc    master=.. out=DIR applicants=N loans=L peers=K partitions=P   (see MultiLenderBench)
 * BenchWorker plain-mlc  master=.. applicants=DIR loans=DIR,DIR,.. out=DIR [secure=DIR]
 * </pre>
 */
public final class BenchWorker {
  /** Range of the generated {@code amount} column (integers, scale 0). */
  static final long AMOUNT_MAX = 1_000_000L;
  /** Range of the generated {@code balance} column (2 decimal places). */
  static final long BALANCE_MAX = 10_000_000L;
  /** Range of the generated feature values (6 decimal places). */
  static final long FEATURE_MAX = 1_000L;

  private static final Map<String, Object> FIGURES = new LinkedHashMap<>();

  private BenchWorker() {}

  public static void main(String[] argv) {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "classpath:io/veil/jobs/veil-cli-log4j2.properties");
    }
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 1; i < argv.length; i++) {
      int eq = argv[i].indexOf('=');
      o.put(argv[i].substring(0, eq), argv[i].substring(eq + 1));
    }
    io.veil.jobs.internal.HeapPeak.start();
    long s0 = System.nanoTime();
    SparkSession spark = session(o.get("master"));
    print("session_ms", (System.nanoTime() - s0) / 1_000_000);
    int code = 0;
    try {
      switch (argv[0]) {
        case "gen-agg" -> genAggregate(spark, o);
        case "gen-fa" -> genFeatures(spark, o);
        case "plain-agg" -> plainAggregate(spark, o);
        case "plain-fa" -> plainFeatures(spark, o);
        case "plain-vfl" -> VflBaseline.run(spark, o, BenchWorker::print);
        case "bl-encode" -> encodeList(spark, o);
        case "gen-isum" -> genIntersectionSum(spark, o);
        case "plain-isum" -> plainIntersectionSum(spark, o);
        case "gen-mlc" -> genMultiLender(spark, o);
        case "plain-mlc" -> plainMultiLender(spark, o);
        default -> throw new IllegalArgumentException("unknown mode " + argv[0]);
      }
    } catch (RuntimeException e) {
      e.printStackTrace();
      code = 1;
    } finally {
      print("peak_heap_mib", io.veil.jobs.internal.HeapPeak.mib());
      spark.stop();
    }
    try {
      System.out.println(new ObjectMapper().writeValueAsString(FIGURES));
    } catch (JsonProcessingException e) {
      e.printStackTrace();
      code = 1;
    }
    System.out.flush();
    System.exit(code);
  }

  /** The same local session settings as a party ({@code VeilCli.session}). */
  private static SparkSession session(String master) {
    return SparkSession.builder().appName("veil-bench-worker").master(master)
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .getOrCreate();
  }

  /** Records a figure for the JSON object printed at the end. */
  private static void print(String name, Object value) {
    FIGURES.put(name, value);
  }

  /** {@code [0, bound)} from a hash of the row id, party and column: deterministic, uniform enough. */
  private static Column hashMod(Column id, int party, int column, long bound) {
    return pmod(xxhash64(id, lit(party), lit(column)), lit(bound));
  }

  /**
   * Party p's rows: {@code grp} in {@code 0..G-1}, {@code amount} an integer in {@code [0, 10^6]} and
   * {@code balance} a 2-decimal number in {@code [0, 10^7)}.
   */
  private static void genAggregate(SparkSession spark, Map<String, String> o) {
    long rows = Long.parseLong(o.get("rows"));
    long groups = Long.parseLong(o.get("groups"));
    int parties = Integer.parseInt(o.get("parties"));
    for (int p = 1; p <= parties; p++) {
      Column id = col("id");
      spark.range(0, rows, 1, 1).select(
              hashMod(id, p, 1, groups).cast("int").as("grp"),
              hashMod(id, p, 2, AMOUNT_MAX + 1).as("amount"),
              hashMod(id, p, 3, BALANCE_MAX * 100).divide(100.0).as("balance"))
          .write().mode(SaveMode.Overwrite).parquet(o.get("out") + "/party_" + p);
    }
  }

  /**
   * Party p's rows: ids {@code 0..N-1} in a party-specific order ({@code (i * a_p + b_p) mod N},
   * a permutation), and {@code z0..z(D-1)}, 6-decimal numbers in {@code [-1000, 1000]}.
   */
  private static void genFeatures(SparkSession spark, Map<String, String> o) {
    long rows = Long.parseLong(o.get("rows"));
    int dims = Integer.parseInt(o.get("dims"));
    int parties = Integer.parseInt(o.get("parties"));
    long multiplier = 1_000_003L;
    for (int p = 1; p <= parties; p++) {
      while (gcd(multiplier, rows) != 1) {
        multiplier += 2;
      }
      Column id = pmod(col("id").multiply(lit(multiplier)).plus(lit(7_919L * p)), lit(rows));
      List<Column> cols = new ArrayList<>();
      cols.add(col("id"));
      for (int j = 0; j < dims; j++) {
        cols.add(hashMod(col("id"), p, j, 2 * FEATURE_MAX * 1_000_000 + 1).minus(lit(FEATURE_MAX * 1_000_000))
            .divide(1e6).as("z" + j));
      }
      spark.range(0, rows, 1, 1).select(id.as("id")).select(cols.toArray(Column[]::new))
          .write().mode(SaveMode.Overwrite).parquet(o.get("out") + "/party_" + p);
      multiplier += 2;
    }
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /**
   * The intersection-sum inputs: the id party's ids {@code U0..U(N-1)} (with {@code region} in {@code
   * 0..G-1} when G > 0) and the value party's ids {@code U(N/2)..U(N/2+N-1)}, so that {@code N - N/2}
   * are shared, each with {@code amount}, a decimal(12,2) in {@code [0, 1,000,000)}.
   */
  private static void genIntersectionSum(SparkSession spark, Map<String, String> o) {
    long rows = Long.parseLong(o.get("rows"));
    long groups = Long.parseLong(o.get("groups"));
    int partitions = Integer.parseInt(o.get("partitions"));
    long t0 = System.nanoTime();
    Column id = concat(lit(IntersectionSumBench.ID_PREFIX), col("id").cast("string"));
    List<Column> a = new ArrayList<>(List.of(id.as("id")));
    if (groups > 0) {
      a.add(hashMod(col("id"), 1, 1, groups).cast("int").as(IntersectionSumBench.GROUP_COLUMN));
    }
    spark.range(0, rows, 1, partitions).select(a.toArray(Column[]::new))
        .write().mode(SaveMode.Overwrite).parquet(o.get("out") + "/ids");
    spark.range(rows / 2, rows / 2 + rows, 1, partitions).select(id.as("id"),
            hashMod(col("id"), 2, 2, 100_000_000L).divide(100).cast("decimal(12,2)")
                .as(IntersectionSumBench.VALUE_COLUMN))
        .write().mode(SaveMode.Overwrite).parquet(o.get("out") + "/values");
    print("generate_ms", (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * Timed: read both inputs, join on the id, count and sum the amount (per region when grouped), write.
   * Then (untimed) compare with the secure output's groups that have an intersection: figure {@code
   * matches} is true when both have the same rows.
   */
  private static void plainIntersectionSum(SparkSession spark, Map<String, String> o) {
    boolean grouped = Long.parseLong(o.get("groups")) > 0;
    String value = IntersectionSumBench.VALUE_COLUMN;
    long t0 = System.nanoTime();
    long c0 = cpuNs();
    Dataset<Row> joined = spark.read().parquet(o.get("ids")).join(spark.read().parquet(o.get("values")), "id");
    Column[] aggs = {count(lit(1)).as("intersection_size"), sum(value).as("sum_" + value)};
    Dataset<Row> plain = grouped
        ? joined.groupBy(IntersectionSumBench.GROUP_COLUMN).agg(aggs[0], aggs[1])
        : joined.agg(aggs[0], aggs[1]);
    plain.write().mode(SaveMode.Overwrite).parquet(o.get("out"));
    print("plain_ms", (System.nanoTime() - t0) / 1_000_000);
    print("plain_cpu_ms", (cpuNs() - c0) / 1_000_000);
    print("jvm_cpu_ms", cpuNs() / 1_000_000);
    List<Column> cols = new ArrayList<>();
    if (grouped) {
      cols.add(col(IntersectionSumBench.GROUP_COLUMN).cast("int"));
    }
    cols.add(col("intersection_size").cast("long"));
    cols.add(col("sum_" + value).cast("decimal(38,2)"));
    Column[] c = cols.toArray(Column[]::new);
    Dataset<Row> p = spark.read().parquet(o.get("out")).filter(col("intersection_size").gt(0)).select(c);
    Row total = p.agg(sum("intersection_size"), sum("sum_" + value), count(lit(1))).first();
    print("plain_intersection", total.isNullAt(0) ? 0 : total.getLong(0));
    print("plain_sum", total.isNullAt(1) ? "0" : total.getDecimal(1).toPlainString());
    print("plain_groups", total.getLong(2));
    if (o.containsKey("secure")) {
      Dataset<Row> s = spark.read().parquet(o.get("secure")).filter(col("intersection_size").gt(0)).select(c);
      long secureRows = s.count();
      long onlySecure = s.exceptAll(p).count();
      long onlyPlain = p.exceptAll(s).count();
      print("secure_groups", secureRows);
      print("rows_only_secure", onlySecure);
      print("rows_only_plain", onlyPlain);
      print("matches", onlySecure == 0 && onlyPlain == 0 && secureRows == total.getLong(2));
    }
  }

  /**
   * The multi-lender inputs: the lender's applicants {@code A0..A(N-1)} ({@code id}, {@code branch} in
   * 0..19), and peer i's loans ({@code id}, {@code outstanding} a decimal(14,2) in {@code [0, 1,000,000)})
   * to ids {@code A(o_i)..A(o_i+L-1)}, {@code o_i = MultiLenderBench.offset(i)}, with a second loan for one
   * id in {@link MultiLenderBench#SECOND_LOAN_EVERY}; in {@code out/lender} and {@code out/peer<i+1>}.
   */
  private static void genMultiLender(SparkSession spark, Map<String, String> o) {
    long applicants = Long.parseLong(o.get("applicants"));
    long loans = Long.parseLong(o.get("loans"));
    int peers = Integer.parseInt(o.get("peers"));
    int partitions = Integer.parseInt(o.get("partitions"));
    long t0 = System.nanoTime();
    spark.range(0, applicants, 1, partitions).select(
            concat(lit(MultiLenderBench.ID_PREFIX), col("id").cast("string")).as("id"),
            hashMod(col("id"), 0, 1, 20).cast("int").as(MultiLenderBench.BRANCH_COLUMN))
        .write().mode(SaveMode.Overwrite).parquet(o.get("out") + "/lender");
    for (int i = 0; i < peers; i++) {
      long off = MultiLenderBench.offset(i, applicants, peers);
      Column id = concat(lit(MultiLenderBench.ID_PREFIX), col("id").plus(off).cast("string")).as("id");
      Dataset<Row> first = spark.range(0, loans, 1, partitions).select(id,
          hashMod(col("id"), i + 1, 1, 100_000_000L).divide(100).cast("decimal(14,2)")
              .as(MultiLenderBench.AMOUNT_COLUMN));
      Dataset<Row> second = spark.range(0, loans, 1, partitions)
          .where(pmod(col("id"), lit(MultiLenderBench.SECOND_LOAN_EVERY)).equalTo(7)).select(id,
              hashMod(col("id"), i + 1, 2, 100_000_000L).divide(100).cast("decimal(14,2)")
                  .as(MultiLenderBench.AMOUNT_COLUMN));
      first.union(second).repartition(partitions).write().mode(SaveMode.Overwrite)
          .parquet(o.get("out") + "/" + MultiLenderBench.peer(i));
    }
    print("generate_ms", (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * Timed: per peer sum the loans per id, union the peers with a count of 1 each, count and sum per id,
   * left join onto the applicants (0 and 0.00 where no peer has a loan), write. Then (untimed) compare
   * with the lender's secure output row by row ({@code id}, {@code branch}, count, total): figure {@code
   * matches} is true when both have the same rows.
   */
  private static void plainMultiLender(SparkSession spark, Map<String, String> o) {
    String amount = MultiLenderBench.AMOUNT_COLUMN;
    String count = MultiLenderBench.COUNT_COLUMN;
    String total = MultiLenderBench.TOTAL_COLUMN;
    long t0 = System.nanoTime();
    long c0 = cpuNs();
    Dataset<Row> perId = null;
    for (String in : o.get("loans").split(",")) {
      Dataset<Row> d = spark.read().parquet(in).groupBy("id").agg(sum(amount).as("peer_total"))
          .withColumn("one", lit(1));
      perId = perId == null ? d : perId.union(d);
    }
    Dataset<Row> sums = perId.groupBy("id").agg(sum("one").cast("int").as(count),
        sum("peer_total").cast("decimal(38,2)").as(total));
    spark.read().parquet(o.get("applicants")).join(sums, "id", "left_outer")
        .withColumn(count, coalesce(col(count), lit(0)))
        .withColumn(total, coalesce(col(total), lit(java.math.BigDecimal.ZERO).cast("decimal(38,2)")))
        .write().mode(SaveMode.Overwrite).parquet(o.get("out"));
    print("plain_ms", (System.nanoTime() - t0) / 1_000_000);
    print("plain_cpu_ms", (cpuNs() - c0) / 1_000_000);
    print("jvm_cpu_ms", cpuNs() / 1_000_000);
    Column[] c = {col("id").cast("string"), col(MultiLenderBench.BRANCH_COLUMN).cast("int"), col(count).cast("int"),
        col(total).cast("decimal(38,2)")};
    Dataset<Row> p = spark.read().parquet(o.get("out")).select(c);
    Row t = p.agg(count(lit(1)), sum(when(col(count).gt(0), 1).otherwise(0)), sum(total)).first();
    print("plain_rows", t.getLong(0));
    print("plain_with_loans", t.isNullAt(1) ? 0 : t.getLong(1));
    print("plain_total", t.isNullAt(2) ? "0" : t.getDecimal(2).toPlainString());
    List<String> byCount = new ArrayList<>();
    for (Row r : p.groupBy(count).agg(count(lit(1))).orderBy(count).collectAsList()) {
      byCount.add(r.getInt(0) + ": " + r.getLong(1));
    }
    print("plain_by_count", String.join(", ", byCount));
    if (o.containsKey("secure")) {
      Dataset<Row> s = spark.read().parquet(o.get("secure")).select(c);
      long secureRows = s.count();
      long onlySecure = s.exceptAll(p).count();
      long onlyPlain = p.exceptAll(s).count();
      print("secure_rows", secureRows);
      print("rows_only_secure", onlySecure);
      print("rows_only_plain", onlyPlain);
      print("matches", onlySecure == 0 && onlyPlain == 0 && secureRows == t.getLong(0));
    }
  }

  /** Timed: read every input, union, group, count and sum, write. Then (untimed) check the secure output. */
  private static void plainAggregate(SparkSession spark, Map<String, String> o) {
    long t0 = System.nanoTime();
    long c0 = cpuNs();
    Dataset<Row> union = null;
    for (String in : o.get("inputs").split(",")) {
      Dataset<Row> d = spark.read().parquet(in).select("grp", "amount", "balance");
      union = union == null ? d : union.union(d);
    }
    union.groupBy("grp").agg(count(lit(1)).as("count"), sum("amount").as("sum_amount"),
            sum("balance").as("sum_balance"))
        .write().mode(SaveMode.Overwrite).parquet(o.get("out"));
    print("plain_ms", (System.nanoTime() - t0) / 1_000_000);
    print("plain_cpu_ms", (cpuNs() - c0) / 1_000_000);
    print("jvm_cpu_ms", cpuNs() / 1_000_000);
    if (o.containsKey("secure")) {
      Dataset<Row> plain = spark.read().parquet(o.get("out"));
      Column label = Boolean.parseBoolean(o.getOrDefault("buckets", "true"))
          ? concat(lit("["), col("grp"), lit(","), col("grp").plus(1), lit(")")) : col("grp").cast("string");
      plain = plain.withColumn("label", label);
      Dataset<Row> secure = spark.read().parquet(o.get("secure"));
      long secureRows = secure.count();
      long suppressed = secure.filter(col("suppressed")).count();
      Dataset<Row> j = secure.join(plain, secure.col("grp").equalTo(plain.col("label")), "full_outer");
      long bad = j.filter(plain.col("label").isNull().or(secure.col("grp").isNull())
          .or(secure.col("count").notEqual(plain.col("count")))
          .or(secure.col("sum_amount").cast("long").notEqual(plain.col("sum_amount")))
          .or(abs(secure.col("sum_balance").cast("double").minus(plain.col("sum_balance"))).gt(0.005)))
          .filter(secure.col("suppressed").isNull().or(secure.col("suppressed").equalTo(false))).count();
      print("secure_groups", secureRows);
      print("secure_suppressed", suppressed);
      print("plain_groups", plain.count());
      print("mismatches", bad);
    }
  }

  /** Timed: read every input, join on id, add the vectors, write. Then (untimed) check the secure output. */
  private static void plainFeatures(SparkSession spark, Map<String, String> o) {
    int dims = Integer.parseInt(o.get("dims"));
    String[] inputs = o.get("inputs").split(",");
    long t0 = System.nanoTime();
    long c0 = cpuNs();
    Dataset<Row> joined = null;
    for (int p = 0; p < inputs.length; p++) {
      List<Column> cols = new ArrayList<>();
      cols.add(col("id"));
      for (int j = 0; j < dims; j++) {
        cols.add(col("z" + j).as("p" + p + "_z" + j));
      }
      Dataset<Row> d = spark.read().parquet(inputs[p]).select(cols.toArray(Column[]::new));
      joined = joined == null ? d : joined.join(d, "id");
    }
    List<Column> out = new ArrayList<>();
    out.add(col("id"));
    for (int j = 0; j < dims; j++) {
      Column z = col("p0_z" + j);
      for (int p = 1; p < inputs.length; p++) {
        z = z.plus(col("p" + p + "_z" + j));
      }
      out.add(z.as("z" + j));
    }
    joined.select(out.toArray(Column[]::new)).write().mode(SaveMode.Overwrite).parquet(o.get("out"));
    print("plain_ms", (System.nanoTime() - t0) / 1_000_000);
    print("plain_cpu_ms", (cpuNs() - c0) / 1_000_000);
    print("jvm_cpu_ms", cpuNs() / 1_000_000);
    if (o.containsKey("secure")) {
      Dataset<Row> plain = spark.read().parquet(o.get("out")).withColumn("id", col("id").cast("string"));
      Dataset<Row> secure = spark.read().parquet(o.get("secure"));
      long secureRows = secure.count();
      Dataset<Row> j = secure.join(plain, secure.col("id").equalTo(plain.col("id")), "full_outer");
      Column bad = plain.col("id").isNull().or(secure.col("id").isNull());
      for (int d = 0; d < dims; d++) {
        bad = bad.or(abs(secure.col("z" + d).cast("double").minus(plain.col("z" + d))).gt(5e-7));
      }
      print("secure_rows", secureRows);
      print("plain_rows", plain.count());
      print("mismatches", j.filter(bad).count());
    }
  }

  /**
   * The blacklist holder's list ({@code ids} rows: {@code id} = {@link BlacklistBench#listedId}, {@code
   * reason} = one of 50 codes), written as Parquet (not timed); then the one-off encoding of it into
   * {@code store} ({@code BlacklistStore.refresh}, timed).
   */
  private static void encodeList(SparkSession spark, Map<String, String> o) {
    long ids = Long.parseLong(o.get("ids"));
    int partitions = Integer.parseInt(o.get("partitions"));
    long t0 = System.nanoTime();
    spark.range(0, ids, 1, partitions)
        .select(concat(lit(BlacklistBench.LISTED_PREFIX), col("id").plus(BlacklistBench.ID_BASE)).as("id"),
            concat(lit("R"), pmod(col("id"), lit(50))).as("reason"))
        .write().mode(SaveMode.Overwrite).parquet(o.get("out"));
    print("generate_ms", (System.nanoTime() - t0) / 1_000_000);
    long c0 = cpuNs();
    t0 = System.nanoTime();
    io.veil.blacklist.BlacklistStore.Refresh r = io.veil.blacklist.BlacklistStore.refresh(spark,
        spark.read().parquet(o.get("out")), List.of("id"), "reason", io.veil.psi.KeyNormalization.DEFAULT,
        o.get("store"), o.get("list"), 1, new io.veil.spark.KeyRef(o.get("key")));
    print("encode_ms", (System.nanoTime() - t0) / 1_000_000);
    print("encode_cpu_ms", (cpuNs() - c0) / 1_000_000);
    print("encoded", r.added());
    print("records", r.manifest().current().records());
    print("full_encode", r.fullEncode());
  }

  /** CPU time of this JVM (all threads: tasks, GC, JIT). */
  private static long cpuNs() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }
}
