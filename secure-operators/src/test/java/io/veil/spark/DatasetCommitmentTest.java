package io.veil.spark;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.crypto.Sha256;
import io.veil.testing.SparkTestSession;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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
  private static String reference(List<Row> rows) {
    List<List<byte[]>> buckets = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      buckets.add(new ArrayList<>());
    }
    for (Row row : rows) {
      byte[] h = DatasetCommitment.rowHash(SALT, row);
      buckets.get(h[0] & 0xff).add(h);
    }
    MessageDigest root = Sha256.newDigest();
    root.update(DatasetCommitment.ALGORITHM.getBytes(StandardCharsets.UTF_8));
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
    String expected = reference(rows);
    DatasetCommitment.Commitment one = commit(rows, 1);
    assertThat(one.rootHex()).isEqualTo(expected);
    assertThat(one.rowCount()).isEqualTo(3000);
    assertThat(one.saltHex()).isEqualTo(HexFormat.of().formatHex(SALT));
    List<Row> shuffled = new ArrayList<>(rows);
    Collections.shuffle(shuffled, new Random(9));
    assertThat(commit(shuffled, 7).rootHex()).isEqualTo(expected);
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

  /** The row encoding as the class comment defines it, written the plain way. */
  private static byte[] plainRowHash(byte[] salt, Row row) {
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
      md.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
      md.update(b);
    }
    return md.digest();
  }

  @Test
  void rowHashIsTheCanonicalEncodingOfEveryValueType() {
    Object[] kinds = {"CUST-1", null, Long.MIN_VALUE, -42, (short) 7, (byte) -3, new BigDecimal("1E+3"), 0.1d, true,
        new byte[] {1, 2}, "Zoë 東京", 1234567890123L, ""};
    // Fixed: this encoding defines every commitment Veil has made; it must never change.
    assertThat(HexFormat.of().formatHex(DatasetCommitment.rowHash(SALT, RowFactory.create(kinds))))
        .isEqualTo("74eb7172194c92b2d4c000c3bc9bbf7159f04af2549abcb0af76040bb4d58b7e");
    for (Row row : List.of(RowFactory.create("y".repeat(3 << 20), 5L), RowFactory.create("z", 6L))) {
      assertThat(DatasetCommitment.rowHash(SALT, row)).as("a 3 MiB value, then a small row")
          .isEqualTo(plainRowHash(SALT, row));
    }
    Random r = new Random(11);
    for (int i = 0; i < 20_000; i++) {
      Object[] row = new Object[1 + r.nextInt(12)];
      for (int c = 0; c < row.length; c++) {
        row[c] = switch (r.nextInt(11)) {
          case 0 -> null;
          case 1 -> r.nextLong() >> r.nextInt(64);
          case 2 -> r.nextInt() >> r.nextInt(32);
          case 3 -> (short) r.nextInt();
          case 4 -> (byte) r.nextInt();
          case 5 -> new BigDecimal(java.math.BigInteger.valueOf(r.nextLong()), r.nextInt(20) - 10);
          case 6 -> r.nextDouble() * Math.pow(10, r.nextInt(40) - 20);
          case 7 -> "x".repeat(r.nextInt(600)) + (char) (r.nextInt(0x3000) + 1);
          case 8 -> { byte[] b = new byte[r.nextInt(40)]; r.nextBytes(b); yield b; }
          case 9 -> java.sql.Date.valueOf(java.time.LocalDate.ofEpochDay(r.nextInt(40_000)));
          default -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 9, 10, -10, 99, 100}[r.nextInt(9)];
        };
      }
      Row row0 = RowFactory.create(row);
      assertThat(DatasetCommitment.rowHash(SALT, row0)).as("row %s", row0).isEqualTo(plainRowHash(SALT, row0));
    }
  }

  @Test
  void emptyTableHasTheRootOfEmptyBuckets() {
    DatasetCommitment.Commitment c = commit(List.of(), 2);
    assertThat(c.rowCount()).isZero();
    assertThat(c.rootHex()).isEqualTo(reference(List.of()));
  }
}
