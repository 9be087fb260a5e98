package io.veil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.ledger.Fixtures;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.Receipt;
import io.veil.spark.DatasetCommitment;
import io.veil.spec.JobSpec;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HexFormat;
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

/**
 * {@code veil verify --spec --party}'s artefact check recomputes each commitment under the
 * algorithm its receipt names: receipts of an earlier release ({@code veil-rowset-sha256/v1}) and
 * of this one both pass over unchanged artefacts, a changed artefact fails under either, and an
 * algorithm this release does not know is named, not taken for a changed artefact.
 */
class ArtefactCheckTest {
  private static final String SALT = "00112233445566778899aabbccddeeff";
  private static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType)
      .add("score", DataTypes.DoubleType).add("seen", DataTypes.TimestampType);
  @TempDir static Path dir;
  private static SparkSession spark;
  private static JobSpec spec;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[1]").appName("ArtefactCheckTest")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();
    // Values whose v1 text depends on the JVM (1.0E23 before JDK 19, a timestamp in the JVM's zone).
    write(List.of(RowFactory.create("a", 1.0E23, Timestamp.from(Instant.parse("2026-12-05T23:30:00Z"))),
        RowFactory.create("b", 2.0E-3, null)), "input");
    spec = JobSpec.parse(String.join("\n",
        "name: weekly-overlap",
        "operator: psi",
        "parties:",
        "  - id: bank_a",
        "    publicKey: " + Fixtures.BANK_A.publicKey().encoded(),
        "    input: {format: parquet, path: " + dir.resolve("input") + ", keyColumns: [id]}",
        "    output: {path: " + dir.resolve("out-a") + "}",
        "  - id: bank_b",
        "    publicKey: " + Fixtures.BANK_B.publicKey().encoded(),
        "    input: {format: parquet, path: /b, keyColumns: [id]}",
        "    output: {path: /out/b}",
        ""), "spec.yaml", null);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static void write(List<Row> rows, String name) {
    spark.createDataFrame(rows, SCHEMA).coalesce(1).write().mode("overwrite").parquet(dir.resolve(name).toString());
  }

  private static Dataset<Row> input() {
    return spark.read().parquet(dir.resolve("input").toString());
  }

  private static List<String> check(Receipt.Commitment input) {
    Receipt r = Fixtures.receiptBuilder(spec.jobId(), "bank_a", Fixtures.BANK_A).jobId(spec.jobId())
        .contractHash(HexFormat.of().parseHex(spec.contractHash())).inputCommitment(input).outputCommitment(null)
        .build();
    LedgerEntry entry = new LedgerEntry(0, LedgerEntry.GENESIS_PREV_HASH, r.hashHex(), r, "ab".repeat(32),
        "cd".repeat(64), Fixtures.BANK_A.publicKey().encoded());
    return new ArtefactCheck(spark, spec, "bank_a", null).check(entry);
  }

  private static Receipt.Commitment committed(String algorithm) {
    DatasetCommitment.Commitment c = DatasetCommitment.compute(input(), HexFormat.of().parseHex(SALT), algorithm);
    return new Receipt.Commitment(algorithm, c.rootHex(), c.rowCount(), SALT);
  }

  @Test
  void eachReceiptIsRecomputedUnderTheAlgorithmItNames() {
    Receipt.Commitment v1 = committed(DatasetCommitment.ALGORITHM_V1);
    Receipt.Commitment v2 = committed(DatasetCommitment.ALGORITHM);
    assertThat(v1.root()).isNotEqualTo(v2.root());
    assertThat(check(v1)).as("an earlier release's receipt").isEmpty();
    assertThat(check(v2)).as("this release's receipt").isEmpty();

    Receipt.Commitment unknown = new Receipt.Commitment("veil-rowset-sha256/v0", v2.root(), 2, SALT);
    assertThat(check(unknown)).singleElement().asString()
        .contains("is committed under 'veil-rowset-sha256/v0', which this release of Veil does not recompute")
        .doesNotContain("changed after the job ran");
  }

  @Test
  void aChangedInputFailsUnderEitherAlgorithm() {
    Receipt.Commitment v1 = committed(DatasetCommitment.ALGORITHM_V1);
    Receipt.Commitment v2 = committed(DatasetCommitment.ALGORITHM);
    List<Row> before = input().collectAsList();
    try {
      write(List.of(before.get(0), RowFactory.create("b", 2.0E-3 + 1e-18, null)), "input");
      for (Receipt.Commitment c : List.of(v1, v2)) {
        assertThat(check(c)).as(c.algorithm()).singleElement().asString()
            .contains("does not match its commitment (2 rows now, 2 committed): it changed after the job ran");
      }
    } finally {
      write(before, "input");
    }
  }

  /**
   * A file edited in place after Spark wrote it fails Hadoop's checksum: named, not an internal
   * error, whether opening the file (its footer) or scanning it (a data page) finds it.
   */
  @Test
  void aFileEditedInPlaceIsNamedAsUnreadable() throws Exception {
    List<Row> before = input().collectAsList();
    List<Row> many = new java.util.ArrayList<>();
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < 20_000; i++) {
      many.add(RowFactory.create("k" + i, r.nextDouble(), null));
    }
    try {
      for (double at : new double[] {0.2, 0.999}) { // a data page (the scan), the footer (opening)
        write(many, "input");
        Receipt.Commitment v2 = committed(DatasetCommitment.ALGORITHM);
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir.resolve("input"))) {
          Path part = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
          byte[] bytes = java.nio.file.Files.readAllBytes(part);
          bytes[(int) (bytes.length * at)] ^= 1; // one bit, the length unchanged; the .crc beside it is not
          java.nio.file.Files.write(part, bytes);
        }
        assertThat(check(v2)).as("a bit flipped at %s of the file", at).singleElement().asString()
            .contains("artefact input " + dir.resolve("input") + " cannot be read: Cannot read file:")
            .contains("fails the checksum Hadoop wrote beside it (its .crc file)");
      }
    } finally {
      write(before, "input");
    }
  }
}
