package io.veil.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.repeat;

import io.veil.testing.SparkTestSession;
import java.math.BigInteger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Veil's cached keyed inputs are built uncompressed, unless the session asks for compression. */
class CachedTablesTest {
  private static final int ROWS = 50_000;
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("cached-tables-test");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** Bytes the cache of {@code source} holds once {@link CachedTables#cached} and filled. */
  private static BigInteger cachedBytes(Dataset<Row> source) {
    Dataset<Row> table = CachedTables.cached(source);
    try {
      long rows = table.count();
      assertThat(rows).isEqualTo(ROWS);
      long bytes = 0;
      for (org.apache.spark.storage.RDDInfo info : spark.sparkContext().getRDDStorageInfo()) {
        bytes += info.memSize() + info.diskSize();
      }
      return BigInteger.valueOf(bytes);
    } finally {
      table.unpersist(true);
    }
  }

  @Test
  void buildsUncompressedAndLeavesTheSessionSettingAsItWas() {
    // 200 identical characters per row: dictionary or run-length encoding makes them nearly nothing.
    Dataset<Row> source = spark.range(ROWS).withColumn("s", repeat(lit("a"), 200)).repartition(2);
    BigInteger plain = cachedBytes(source);
    assertThat(plain).as("uncompressed: 200 bytes and more per row")
        .isGreaterThan(BigInteger.valueOf(200L * ROWS));
    assertThat(spark.sessionState().conf().contains(CachedTables.COMPRESSED)).isFalse();

    spark.conf().set(CachedTables.COMPRESSED, "true");
    try {
      BigInteger compressed = cachedBytes(source.withColumn("again", lit(1)));
      assertThat(compressed).as("the session asked for compression").isLessThan(BigInteger.valueOf(20L * ROWS));
      assertThat(spark.conf().get(CachedTables.COMPRESSED)).isEqualTo("true");
    } finally {
      spark.conf().unset(CachedTables.COMPRESSED);
    }
  }
}
