package io.veil.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.spark.DatasetCommitment;
import io.veil.spec.OutputSpec;
import io.veil.testing.SparkTestSession;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An output read back as just written is the output as any later reader ({@code veil verify}) reads it. */
class JobOutputsTest {
  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.LongType)
      .add("name", DataTypes.StringType)
      .add("amount", DataTypes.createDecimalType(12, 2))
      .add("flag", DataTypes.BooleanType);
  private static final byte[] SALT = new byte[16];
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("JobOutputsTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Dataset<Row> rows() {
    return spark.createDataFrame(List.of(
        RowFactory.create(1L, "plain", new BigDecimal("12.50"), true),
        RowFactory.create(2L, "comma, \"quoted\"\nand a new line", new BigDecimal("-0.01"), false),
        RowFactory.create(3L, "", null, null),
        RowFactory.create(null, null, new BigDecimal("9999999999.99"), true)), SCHEMA);
  }

  @Test
  void aCsvOutputReadWithItsWrittenColumnsIsTheOutputItsHeaderGives() {
    OutputSpec out = new OutputSpec(dir.resolve("csv").toString(), "csv");
    JobOutputs.write(rows(), out);
    Dataset<Row> inferred = JobOutputs.read(spark, out);
    Dataset<Row> written = JobOutputs.readWritten(spark, out, SCHEMA);
    assertThat(written.schema()).isEqualTo(inferred.schema());
    assertThat(written.schema().fieldNames()).containsExactly("id", "name", "amount", "flag");
    assertThat(written.collectAsList()).hasSize(4).containsExactlyInAnyOrderElementsOf(inferred.collectAsList());
    assertThat(written.where("id = '2'").first().getString(1)).as("a quoted line break stays in its value")
        .isEqualTo("comma, \"quoted\"\nand a new line");
    assertThat(DatasetCommitment.compute(written, SALT).rootHex())
        .isEqualTo(DatasetCommitment.compute(inferred, SALT).rootHex());
  }

  @Test
  void aParquetOutputIsReadAsWritten() {
    OutputSpec out = new OutputSpec(dir.resolve("parquet").toString(), "parquet");
    JobOutputs.write(rows(), out);
    Dataset<Row> written = JobOutputs.readWritten(spark, out, SCHEMA);
    assertThat(written.schema().fieldNames()).containsExactly("id", "name", "amount", "flag");
    assertThat(written.schema().apply("amount").dataType()).isEqualTo(DataTypes.createDecimalType(12, 2));
    assertThat(DatasetCommitment.compute(written, SALT).rootHex())
        .isEqualTo(DatasetCommitment.compute(rows(), SALT).rootHex());
  }
}
