package io.veil.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.crypto.Sha256;
import io.veil.testing.SparkTestSession;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TimeZone;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

/** The row-set commitment: its definition, order and partitioning independence, binding. */
class DatasetCommitmentTest {
  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, true)
      .add("n", DataTypes.LongType, true)
      .add("x", DataTypes.createDecimalType(10, 2), true);
  private static final byte[] SALT = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("dataset-commitment-test");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static List<Row> rows(int n) {
    Random r = new Random(3);
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(RowFactory.create(i % 17 == 0 ? null : "k" + i, (long) r.nextInt(1000),
          BigDecimal.valueOf(r.nextInt(100_000), 2)));
    }
    return out;
  }

  /** The definition in the class comment, computed on the driver without Spark. */
  private static String reference(List<Row> rows, String algorithm) {
    List<List<byte[]>> buckets = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      buckets.add(new ArrayList<>());
    }
    for (Row row : rows) {
      byte[] h = DatasetCommitment.rowHash(SALT, row, algorithm);
      buckets.get(h[0] & 0xff).add(h);
    }
    MessageDigest root = Sha256.newDigest();
    root.update(algorithm.getBytes(StandardCharsets.UTF_8));
    for (List<byte[]> bucket : buckets) {
      bucket.sort(Arrays::compareUnsigned);
      MessageDigest md = Sha256.newDigest();
      bucket.forEach(md::update);
      root.update(md.digest());
    }
    return HexFormat.of().formatHex(root.digest());
  }

  private static DatasetCommitment.Commitment commit(List<Row> rows, int partitions) {
    Dataset<Row> d = spark.createDataFrame(rows, SCHEMA).repartition(partitions);
    return DatasetCommitment.compute(d, SALT);
  }

  @Test
  void rootFollowsTheDefinitionWhateverTheOrderAndPartitioning() {
    List<Row> rows = rows(3000);
    String expected = reference(rows, DatasetCommitment.ALGORITHM);
    DatasetCommitment.Commitment one = commit(rows, 1);
    assertThat(one.rootHex()).isEqualTo(expected);
    assertThat(one.rowCount()).isEqualTo(3000);
    assertThat(one.saltHex()).isEqualTo(HexFormat.of().formatHex(SALT));
    List<Row> shuffled = new ArrayList<>(rows);
    Collections.shuffle(shuffled, new Random(9));
    assertThat(commit(shuffled, 7).rootHex()).isEqualTo(expected);
    Dataset<Row> v1 = spark.createDataFrame(shuffled, SCHEMA).repartition(5);
    assertThat(DatasetCommitment.compute(v1, SALT, DatasetCommitment.ALGORITHM_V1).rootHex())
        .as("a receipt naming v1 is recomputed under v1").isEqualTo(reference(rows, DatasetCommitment.ALGORITHM_V1))
        .as("the algorithm's name is hashed into the root").isNotEqualTo(expected);
  }

  @Test
  void anAlgorithmThisBuildDoesNotKnowIsNamed() {
    assertThat(DatasetCommitment.known("veil-rowset-sha256/v9")).isFalse();
    assertThatThrownBy(() -> DatasetCommitment.compute(spark.createDataFrame(rows(3), SCHEMA), SALT,
        "veil-rowset-sha256/v9"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'veil-rowset-sha256/v9' is not one this build of Veil recomputes")
        .hasMessageContaining(DatasetCommitment.ALGORITHM_V1);
  }

  @Test
  void anyAddedRemovedOrChangedRowChangesTheRoot() {
    List<Row> rows = rows(200);
    String root = commit(rows, 3).rootHex();
    List<Row> removed = new ArrayList<>(rows.subList(1, rows.size()));
    List<Row> added = new ArrayList<>(rows);
    added.add(rows.get(5));
    List<Row> changed = new ArrayList<>(rows);
    changed.set(10, RowFactory.create(rows.get(10).getString(0), rows.get(10).getLong(1) + 1,
        rows.get(10).getDecimal(2)));
    List<Row> nulled = new ArrayList<>(rows);
    nulled.set(11, RowFactory.create(null, rows.get(11).getLong(1), rows.get(11).getDecimal(2)));
    for (List<Row> other : List.of(removed, added, changed, nulled)) {
      assertThat(commit(other, 3).rootHex()).isNotEqualTo(root);
    }
    assertThat(DatasetCommitment.compute(spark.createDataFrame(rows, SCHEMA), new byte[16]).rootHex())
        .as("another salt").isNotEqualTo(root);
  }

  /** The v1 row encoding as the class comment defines it, written the plain way. */
  private static byte[] plainRowHashV1(byte[] salt, Row row) {
    MessageDigest md = Sha256.newDigest();
    md.update(salt);
    for (int i = 0; i < row.length(); i++) {
      Object v = row.get(i);
      if (v == null) {
        md.update((byte) 0);
        continue;
      }
      byte[] b = v instanceof byte[] raw ? raw
          : (v instanceof BigDecimal d ? d.toPlainString() : String.valueOf(v)).getBytes(StandardCharsets.UTF_8);
      md.update((byte) 1);
      md.update(ByteBuffer.allocate(4).putInt(b.length).array());
      md.update(b);
    }
    return md.digest();
  }

  /** The current row encoding as the class comment defines it, written the plain way. */
  private static byte[] plainRowHash(byte[] salt, Row row) {
    MessageDigest md = Sha256.newDigest();
    md.update(salt);
    for (int i = 0; i < row.length(); i++) {
      md.update(plainCell(row.get(i)));
    }
    return md.digest();
  }

  private static byte[] plainCell(Object v) {
    if (v == null) {
      return new byte[] {0};
    }
    byte[] b;
    if (v instanceof byte[] raw) {
      b = raw;
    } else if (v instanceof BigDecimal d) {
      b = d.toPlainString().getBytes(StandardCharsets.UTF_8);
    } else if (v instanceof Double d) {
      b = ByteBuffer.allocate(8).putDouble(Double.isNaN(d) ? Double.NaN : d).array();
    } else if (v instanceof Float f) {
      b = ByteBuffer.allocate(4).putFloat(Float.isNaN(f) ? Float.NaN : f).array();
    } else if (v instanceof Timestamp t) { // after 1582: no calendar rebase, the instant is Spark's
      b = ByteBuffer.allocate(8).putLong(micros(t.toInstant())).array();
    } else if (v instanceof Instant t) {
      b = ByteBuffer.allocate(8).putLong(micros(t)).array();
    } else if (v instanceof java.sql.Date d) {
      b = ByteBuffer.allocate(8).putLong(d.toLocalDate().toEpochDay()).array();
    } else if (v instanceof LocalDate d) {
      b = ByteBuffer.allocate(8).putLong(d.toEpochDay()).array();
    } else if (v instanceof Row r) {
      b = concat(IntStream.range(0, r.length()).mapToObj(i -> plainCell(r.get(i))).toList());
    } else if (v instanceof scala.collection.Seq<?> seq) {
      b = concat(JavaConverters.seqAsJavaList(seq).stream().map(DatasetCommitmentTest::plainCell).toList());
    } else if (v instanceof scala.collection.Map<?, ?> map) {
      List<byte[]> entries = new ArrayList<>();
      JavaConverters.mapAsJavaMap(map).forEach((k, x) -> entries.add(concat(List.of(plainCell(k), plainCell(x)))));
      entries.sort(Arrays::compareUnsigned);
      b = concat(entries);
    } else {
      b = String.valueOf(v).getBytes(StandardCharsets.UTF_8);
    }
    return ByteBuffer.allocate(5 + b.length).put((byte) 1).putInt(b.length).put(b).array();
  }

  private static long micros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
  }

  private static byte[] concat(List<byte[]> parts) {
    ByteBuffer out = ByteBuffer.allocate(parts.stream().mapToInt(p -> p.length).sum());
    parts.forEach(out::put);
    return out.array();
  }

  private static final Object[] KINDS = {"CUST-1", null, Long.MIN_VALUE, -42, (short) 7, (byte) -3,
      new BigDecimal("1E+3"), 0.1d, true, new byte[] {1, 2}, "Zoë 東京", 1234567890123L, ""};

  @Test
  void v1RowHashIsUnchanged() {
    // Fixed: this encoding defines every commitment Veil made before v2; receipts that name it are
    // still recomputed with it.
    assertThat(HexFormat.of().formatHex(DatasetCommitment.rowHash(SALT, RowFactory.create(KINDS),
        DatasetCommitment.ALGORITHM_V1))).isEqualTo("74eb7172194c92b2d4c000c3bc9bbf7159f04af2549abcb0af76040bb4d58b7e");
    Random r = new Random(11);
    for (int i = 0; i < 5_000; i++) {
      Row row = randomRow(r, 11);
      assertThat(DatasetCommitment.rowHash(SALT, row, DatasetCommitment.ALGORITHM_V1)).as("row %s", row)
          .isEqualTo(plainRowHashV1(SALT, row));
    }
  }

  /** A value the JDK 17 and the JDK 19+ {@code Double.toString} write differently, and the other kinds. */
  private static Row everyKind() {
    Object[] more = {1.0E23, 2.0E-3, -0.0d, Double.NaN, 1.0E-3f, Float.NaN,
        Timestamp.from(Instant.parse("1969-12-31T23:59:59.123456789Z")), Instant.parse("2026-12-05T10:00:00Z"),
        java.sql.Date.valueOf(LocalDate.of(1970, 1, 2)), LocalDate.of(2026, 12, 5),
        RowFactory.create("a", 1L, null), seq(1, null, 3), seq(), map("b", 2, "a", 1), map(),
        java.time.LocalDateTime.of(2026, 12, 5, 10, 0)};
    Object[] all = Arrays.copyOf(KINDS, KINDS.length + more.length);
    System.arraycopy(more, 0, all, KINDS.length, more.length);
    return RowFactory.create(all);
  }

  private static scala.collection.Seq<Object> seq(Object... xs) {
    return JavaConverters.asScalaBuffer(Arrays.asList(xs)).toList();
  }

  private static scala.collection.Map<Object, Object> map(Object... kv) {
    Map<Object, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return JavaConverters.mapAsScalaMap(m);
  }

  @Test
  void rowHashIsTheCanonicalEncodingOfEveryValueType() {
    Row row = everyKind();
    // Fixed: this encoding defines every commitment Veil makes; it must never change.
    assertThat(HexFormat.of().formatHex(DatasetCommitment.rowHash(SALT, row, DatasetCommitment.ALGORITHM)))
        .isEqualTo("0c7030b607e79215f33b59e0cced5f5f6adb92a8c8156e58ef64b31a39a135b4");
    assertThat(DatasetCommitment.rowHash(SALT, row, DatasetCommitment.ALGORITHM)).isEqualTo(plainRowHash(SALT, row));
    for (Row big : List.of(RowFactory.create("y".repeat(3 << 20), 5L), RowFactory.create("z", 6L))) {
      assertThat(DatasetCommitment.rowHash(SALT, big, DatasetCommitment.ALGORITHM))
          .as("a 3 MiB value, then a small row").isEqualTo(plainRowHash(SALT, big));
    }
    Random r = new Random(11);
    for (int i = 0; i < 20_000; i++) {
      Row random = randomRow(r, 16);
      assertThat(DatasetCommitment.rowHash(SALT, random, DatasetCommitment.ALGORITHM)).as("row %s", random)
          .isEqualTo(plainRowHash(SALT, random));
    }
  }

  @Test
  void aMapsEntriesAreCommittedWhateverTheirOrderAndNestingIsUnambiguous() {
    String a = hex(RowFactory.create(map("x", 1, "y", 2, "z", 3)));
    assertThat(hex(RowFactory.create(map("z", 3, "x", 1, "y", 2)))).isEqualTo(a);
    assertThat(hex(RowFactory.create(map("z", 3, "x", 1, "y", 4)))).isNotEqualTo(a);
    assertThat(hex(RowFactory.create(seq(seq(1, 2), seq(3))))).as("[[1,2],[3]] vs [[1],[2,3]]")
        .isNotEqualTo(hex(RowFactory.create(seq(seq(1), seq(2, 3)))));
    assertThat(hex(RowFactory.create(seq()))).as("an empty array is not NULL").isNotEqualTo(hex(RowFactory.create(
        (Object) null)));
  }

  private static String hex(Row row) {
    return HexFormat.of().formatHex(DatasetCommitment.rowHash(SALT, row, DatasetCommitment.ALGORITHM));
  }

  @Test
  void theRowHashDoesNotDependOnTheJvmsTimeZone() {
    TimeZone before = TimeZone.getDefault();
    List<String> v2 = new ArrayList<>();
    List<String> v1 = new ArrayList<>();
    try {
      for (String zone : List.of("UTC", "Asia/Tokyo", "America/New_York")) {
        TimeZone.setDefault(TimeZone.getTimeZone(zone));
        // As Spark makes them in a JVM of that zone: the same instant, the same local date.
        Row row = RowFactory.create(Timestamp.from(Instant.parse("2026-12-05T23:30:00Z")),
            java.sql.Date.valueOf(LocalDate.of(2026, 12, 5)));
        v2.add(hex(row));
        v1.add(HexFormat.of().formatHex(DatasetCommitment.rowHash(SALT, row, DatasetCommitment.ALGORITHM_V1)));
      }
    } finally {
      TimeZone.setDefault(before);
    }
    assertThat(v2).as("v2").containsOnly(v2.get(0));
    assertThat(Set.copyOf(v1)).as("v1 wrote the timestamp in the JVM's zone").hasSize(3);
  }

  @Test
  void aTimestampBefore1582HashesAsSparkHoldsItInEveryTimeZone() {
    // 1000-01-01T00:00:00Z in Spark's proleptic Gregorian microseconds. Spark rebases it into the
    // hybrid calendar of java.sql.Timestamp in the JVM's zone: its instant moves with the zone.
    long micros = -30_610_224_000_000_000L;
    TimeZone before = TimeZone.getDefault();
    List<String> v2 = new ArrayList<>();
    Set<Instant> instants = new java.util.HashSet<>();
    try {
      for (String zone : List.of("UTC", "Asia/Tokyo", "America/New_York")) {
        TimeZone.setDefault(TimeZone.getTimeZone(zone));
        Timestamp t = org.apache.spark.sql.catalyst.util.DateTimeUtils.toJavaTimestamp(micros);
        instants.add(t.toInstant());
        v2.add(hex(RowFactory.create(t)));
      }
    } finally {
      TimeZone.setDefault(before);
    }
    assertThat(instants).as("the trap: java.sql.Timestamp's instant follows the zone").hasSize(3);
    assertThat(v2).containsOnly(hex(RowFactory.create(Instant.ofEpochSecond(micros / 1_000_000L))));
  }

  @Test
  void sparkRowsOfEveryColumnTypeCommitAsTheirValues() {
    StructType schema = new StructType()
        .add("d", DataTypes.DoubleType).add("f", DataTypes.FloatType).add("t", DataTypes.TimestampType)
        .add("day", DataTypes.DateType).add("a", DataTypes.createArrayType(DataTypes.LongType))
        .add("m", DataTypes.createMapType(DataTypes.StringType, DataTypes.IntegerType))
        .add("s", new StructType().add("x", DataTypes.StringType).add("y", DataTypes.DoubleType));
    List<Row> rows = new ArrayList<>();
    Random r = new Random(5);
    for (int i = 0; i < 300; i++) {
      rows.add(RowFactory.create(i % 13 == 0 ? null : r.nextDouble() * 1e23, r.nextFloat(),
          Timestamp.from(Instant.ofEpochSecond(r.nextInt(), r.nextInt(1_000_000) * 1000)),
          java.sql.Date.valueOf(LocalDate.ofEpochDay(r.nextInt(40_000))),
          i % 7 == 0 ? null : JavaConverters.asScalaBuffer(List.<Object>of((long) i, -1L)).toList(),
          map("k" + i, i, "j", -i), RowFactory.create("s" + i, 0.1 * i)));
    }
    Dataset<Row> table = spark.createDataFrame(rows, schema).repartition(3);
    assertThat(DatasetCommitment.compute(table, SALT).rootHex())
        .isEqualTo(reference(table.collectAsList(), DatasetCommitment.ALGORITHM))
        .isEqualTo(reference(rows, DatasetCommitment.ALGORITHM));
  }

  /**
   * Every column type, with values where Spark's conversion to a Row is not the identity: malformed
   * UTF-8, dates and timestamps before 1582 and before 1900, the Gregorian gap, NaN and -0.0,
   * decimals below 1 and beyond 18 digits, and nested values holding such dates.
   */
  private static Dataset<Row> everyTypeInternally() {
    return spark.range(0, 1500, 1, 3).selectExpr(
        "CASE WHEN id % 11 = 0 THEN NULL ELSE concat('k', id) END AS s",
        "CAST(unhex(sha2(CAST(id AS STRING), 256)) AS STRING) AS malformed",
        "concat('Zoë 東京 ', id) AS unicode",
        "id * 7919 - 5000000 AS l", "CAST(id AS INT) * -3 AS i", "CAST(id % 30000 AS SMALLINT) AS sh",
        "CAST(id % 200 - 100 AS TINYINT) AS b", "unhex(sha2(CAST(id AS STRING), 224)) AS bin",
        "CASE id WHEN 1 THEN CAST(-0.05 AS DECIMAL(12, 4)) WHEN 2 THEN CAST(0 AS DECIMAL(12, 4)) "
            + "ELSE CAST((rand(1) - 0.5) * 2e6 AS DECIMAL(12, 4)) END AS d4",
        "CAST(rand(2) - 0.5 AS DECIMAL(5, 5)) AS d55",
        "CAST((rand(3) - 0.5) * 1e30 AS DECIMAL(38, 6)) AS dbig", "CAST(id - 500 AS DECIMAL(18, 0)) AS d18",
        "CASE id WHEN 1 THEN double('NaN') WHEN 2 THEN CAST('-0.0' AS DOUBLE) WHEN 3 THEN double('-Infinity') "
            + "ELSE (rand(4) - 0.5) * pow(10, CAST(rand(5) * 40 - 20 AS INT)) END AS x",
        "CASE id WHEN 1 THEN float('NaN') ELSE CAST(rand(6) AS FLOAT) END AS f", "id % 3 = 0 AS flag",
        "CASE id WHEN 1 THEN TIMESTAMP '1582-10-10 12:00:00' WHEN 2 THEN TIMESTAMP '1000-01-01 00:00:00' "
            + "WHEN 3 THEN TIMESTAMP '1883-11-18 12:00:00' WHEN 4 THEN TIMESTAMP '1900-01-01 00:00:00' "
            + "ELSE timestamp_micros(CAST(rand(7) * 3.1e17 - 6.2e16 AS BIGINT)) END AS ts",
        "CASE id WHEN 1 THEN DATE '1582-10-10' WHEN 2 THEN DATE '1582-10-04' WHEN 3 THEN DATE '0001-01-01' "
            + "WHEN 4 THEN DATE '1899-12-31' WHEN 5 THEN DATE '9999-12-31' "
            + "ELSE date_from_unix_date(CAST(rand(8) * 3652000 - 719000 AS INT)) END AS day",
        "CAST(timestamp_micros(CAST(rand(9) * 3.1e17 - 6.2e16 AS BIGINT)) AS TIMESTAMP_NTZ) AS ntz",
        "make_ym_interval(CAST(id % 50 AS INT), 3) AS ym",
        "named_struct('d', DATE '1582-10-10', 't', TIMESTAMP '1000-01-01 00:00:00', 'x', id / 7) AS st",
        "array(date_from_unix_date(CAST(rand(10) * 3652000 - 719000 AS INT)), NULL) AS days",
        "map(concat('k', id), CAST(id AS DECIMAL(12, 4)), 'z', NULL) AS m");
  }

  @Test
  void internalRowsHashAsTheRowsSparkMakesOfThem() {
    Dataset<Row> table = everyTypeInternally().cache();
    for (String c : table.columns()) {
      Dataset<Row> one = table.select(c);
      assertThat(DatasetCommitment.compute(one, SALT).rootHex()).as("column %s", c)
          .isEqualTo(reference(one.collectAsList(), DatasetCommitment.ALGORITHM));
    }
    TimeZone zone = TimeZone.getDefault();
    String java8 = spark.conf().get("spark.sql.datetime.java8API.enabled");
    try {
      for (String z : List.of("America/Los_Angeles", "Asia/Kolkata")) {
        for (String on : List.of("false", "true")) {
          TimeZone.setDefault(TimeZone.getTimeZone(z));
          spark.conf().set("spark.sql.datetime.java8API.enabled", on);
          Dataset<Row> again = everyTypeInternally();
          assertThat(DatasetCommitment.compute(again, SALT).rootHex()).as("JVM zone %s, Java 8 time %s", z, on)
              .isEqualTo(reference(again.collectAsList(), DatasetCommitment.ALGORITHM));
        }
      }
    } finally {
      TimeZone.setDefault(zone);
      spark.conf().set("spark.sql.datetime.java8API.enabled", java8);
      table.unpersist();
    }
  }

  private static Row randomRow(Random r, int kinds) {
    Object[] row = new Object[1 + r.nextInt(12)];
    for (int c = 0; c < row.length; c++) {
      row[c] = switch (r.nextInt(kinds)) {
        case 0 -> null;
        case 1 -> r.nextLong() >> r.nextInt(64);
        case 2 -> r.nextInt() >> r.nextInt(32);
        case 3 -> (short) r.nextInt();
        case 4 -> (byte) r.nextInt();
        case 5 -> new BigDecimal(java.math.BigInteger.valueOf(r.nextLong()), r.nextInt(20) - 10);
        case 6 -> r.nextDouble() * Math.pow(10, r.nextInt(40) - 20);
        case 7 -> "x".repeat(r.nextInt(600)) + (char) (r.nextInt(0x3000) + 1);
        case 8 -> { byte[] b = new byte[r.nextInt(40)]; r.nextBytes(b); yield b; }
        case 9 -> java.sql.Date.valueOf(LocalDate.ofEpochDay(r.nextInt(40_000)));
        case 11 -> r.nextFloat() * (float) Math.pow(10, r.nextInt(20) - 10);
        case 12 -> Timestamp.from(Instant.ofEpochSecond(r.nextInt(), r.nextInt(1_000_000_000)));
        case 13 -> RowFactory.create("n" + r.nextInt(9), r.nextBoolean() ? null : r.nextGaussian());
        case 14 -> seq(r.nextInt(3), "e", r.nextBoolean() ? null : seq(r.nextLong()));
        case 15 -> map("k" + r.nextInt(5), r.nextInt(), "q", r.nextBoolean() ? null : r.nextDouble());
        default -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 9, 10, -10, 99, 100}[r.nextInt(9)];
      };
    }
    return RowFactory.create(row);
  }

  @Test
  void emptyTableHasTheRootOfEmptyBuckets() {
    DatasetCommitment.Commitment c = commit(List.of(), 2);
    assertThat(c.rowCount()).isZero();
    assertThat(c.rootHex()).isEqualTo(reference(List.of(), DatasetCommitment.ALGORITHM));
  }
}
