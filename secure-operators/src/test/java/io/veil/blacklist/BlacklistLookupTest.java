package io.veil.blacklist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.job.JobOutcome;
import io.veil.psi.KeyNormalization;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
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

/** Both sides of a blacklist lookup in one JVM, through the job runtime, against a plaintext oracle. */
class BlacklistLookupTest {
  private static final StructType LIST = new StructType().add("id", DataTypes.StringType, true)
      .add("reason", DataTypes.StringType, true);
  private static final StructType QUERY = new StructType().add("id", DataTypes.StringType, true)
      .add("v", DataTypes.IntegerType, true);
  private static final AtomicInteger JOBS = new AtomicInteger();
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("BlacklistLookupTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Dataset<Row> list(Map<String, String> entries) {
    List<Row> rows = new ArrayList<>();
    entries.forEach((id, reason) -> rows.add(RowFactory.create(id, reason)));
    return spark.createDataFrame(rows, LIST);
  }

  private static Dataset<Row> query(List<String> ids) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      rows.add(RowFactory.create(ids.get(i), i));
    }
    return spark.createDataFrame(rows, QUERY);
  }

  private static Map<String, Object> section(String store, String copy, boolean reasons) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("holder", "bureau");
    s.put("querier", "lender");
    s.put("list", "fraud-ids");
    if (reasons) {
      s.put("reasonColumn", "reason");
    }
    s.put("store", store);
    s.put("copy", copy);
    s.put("partitions", 3);
    s.put("batchRows", 7);
    return s;
  }

  /** Runs one lookup job (a new job each time); returns (holder, querier) outcomes. */
  private static JobOutcome[] lookup(JobHarness h, Map<String, Object> section, Dataset<Row> list,
      Dataset<Row> query) {
    var spec = h.spec("blacklist-" + JOBS.incrementAndGet(), BlacklistOperator.NAME, List.of(
        h.party("bureau", JobHarness.input(List.of("id"), null), null),
        h.party("lender", JobHarness.input(List.of("id"), null), JobHarness.output())), section);
    Map<String, JobOutcome> out = h.run(spark, spec, Map.of("bureau", list, "lender", query));
    return new JobOutcome[] {out.get("bureau"), out.get("lender")};
  }

  /** "id|v|listed|reason" per query row, sorted. */
  private static List<String> rows(JobOutcome querier) {
    return querier.output().orElseThrow().collectAsList().stream()
        .map(r -> r.get(0) + "|" + r.get(1) + "|" + r.get(2) + (r.length() > 3 ? "|" + r.get(3) : ""))
        .sorted().toList();
  }

  /** The oracle: each query row with whether its trimmed id is listed (NULL id: not checked) and its reason. */
  private static List<String> oracle(Map<String, String> list, List<String> ids, boolean reasons) {
    Map<String, String> norm = new HashMap<>();
    list.forEach((k, v) -> {
      if (k != null) {
        norm.put(KeyNormalization.DEFAULT.apply(k), v);
      }
    });
    List<String> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      Boolean listed = id == null ? null : norm.containsKey(KeyNormalization.DEFAULT.apply(id));
      String reason = listed != null && listed ? norm.get(KeyNormalization.DEFAULT.apply(id)) : null;
      out.add(id + "|" + i + "|" + listed + (reasons ? "|" + reason : ""));
    }
    out.sort(null);
    return out;
  }

  @Test
  void answersEveryQuerySizeLikeThePlaintextOracle() throws Exception {
    JobHarness h = new JobHarness(dir.resolve("sizes"), List.of("bureau", "lender"));
    Map<String, String> entries = new TreeMap<>();
    Random rnd = new Random(5);
    for (int i = 0; i < 600; i++) {
      entries.put("id-" + i, i % 3 == 0 ? null : "R" + (i % 7));
    }
    entries.put(" spaced ", "S");
    Map<String, Object> section = section(dir.resolve("sizes/store").toString(), dir.resolve("sizes/copy").toString(),
        true);
    List<List<String>> queries = new ArrayList<>();
    queries.add(List.of());
    queries.add(List.of("id-4"));
    queries.add(Arrays.asList("id-5", "nobody"));
    queries.add(Arrays.asList("id-1", "id-1", null, "spaced", "  id-2", "ghost", "id-599", null, "id-600"));
    List<String> large = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      large.add(rnd.nextBoolean() ? "id-" + rnd.nextInt(900) : "other-" + i);
    }
    queries.add(large);
    boolean first = true;
    for (List<String> q : queries) {
      JobOutcome[] out = lookup(h, section, list(entries), query(q));
      assertThat(rows(out[1])).as("query of %d ids", q.size()).isEqualTo(oracle(entries, q, true));
      long distinct = q.stream().filter(x -> x != null).map(KeyNormalization.DEFAULT::apply).distinct().count();
      assertThat(out[0].result()).containsEntry("queriesAnswered", Long.toString(distinct));
      assertThat(out[1].result()).containsEntry("queries", Long.toString(distinct));
      // The first job encoded the list and copied it whole; every later one reuses both.
      if (first) {
        assertThat(out[0].result()).containsEntry("encodedNow", "601").containsEntry("syncMode", "full")
            .containsEntry("syncRecords", "601");
      } else {
        assertThat(out[0].result()).as("query of %d ids", q.size()).containsEntry("encodedNow", "0")
            .containsEntry("syncMode", "none").containsEntry("syncRecords", "0");
      }
      first = false;
    }
  }

  @Test
  void aRefreshSendsOnlyTheChangesAndTheCopyFollows() throws Exception {
    JobHarness h = new JobHarness(dir.resolve("delta"), List.of("bureau", "lender"));
    String store = dir.resolve("delta/store").toString();
    Map<String, Object> section = section(store, dir.resolve("delta/copy").toString(), true);
    Map<String, String> entries = new TreeMap<>();
    for (int i = 0; i < 300; i++) {
      entries.put("c" + i, "R" + (i % 4));
    }
    List<String> q = new ArrayList<>();
    for (int i = 0; i < 320; i += 3) {
      q.add("c" + i);
    }
    assertThat(rows(lookup(h, section, list(entries), query(q))[1])).isEqualTo(oracle(entries, q, true));

    // 5 added, 4 removed, 3 reasons changed.
    for (int i = 300; i < 305; i++) {
      entries.put("c" + i, "NEW");
    }
    for (int i = 0; i < 4; i++) {
      entries.remove("c" + (i * 3));
    }
    for (int i = 0; i < 3; i++) {
      entries.put("c" + (100 + i * 3), "CHANGED");
    }
    BlacklistStore.Refresh r = BlacklistStore.refresh(spark, list(entries), List.of("id"), "reason",
        KeyNormalization.DEFAULT, store, "fraud-ids", 1, h.key("bureau"));
    assertThat(r.added()).isEqualTo(8);
    assertThat(r.removed()).isEqualTo(7);
    assertThat(r.fullEncode()).isFalse();
    assertThat(r.manifest().current().version()).isEqualTo(2);
    JobOutcome[] out = lookup(h, section, list(entries), query(q));
    assertThat(out[0].result()).containsEntry("syncMode", "delta").containsEntry("syncRecords", "12");
    assertThat(rows(out[1])).isEqualTo(oracle(entries, q, true));

    // An unchanged list writes nothing; a new key version re-encodes everything and replaces the copy.
    assertThat(BlacklistStore.refresh(spark, list(entries), List.of("id"), "reason", KeyNormalization.DEFAULT,
        store, "fraud-ids", 1, h.key("bureau")).added()).isZero();
    Map<String, Object> rotated = new LinkedHashMap<>(section);
    rotated.put("keyVersion", 2);
    out = lookup(h, rotated, list(entries), query(q));
    assertThat(out[0].result()).containsEntry("syncMode", "full").containsEntry("encodedNow",
        Integer.toString(entries.size()));
    assertThat(rows(out[1])).isEqualTo(oracle(entries, q, true));
  }

  @Test
  void aDamagedCopyIsReplacedByAFullOne() throws Exception {
    JobHarness h = new JobHarness(dir.resolve("damaged"), List.of("bureau", "lender"));
    Path copy = dir.resolve("damaged/copy");
    Map<String, Object> section = section(dir.resolve("damaged/store").toString(), copy.toString(), false);
    Map<String, String> entries = new TreeMap<>();
    for (int i = 0; i < 50; i++) {
      entries.put("d" + i, null);
    }
    List<String> q = List.of("d1", "d2", "x");
    lookup(h, section, list(entries), query(q));
    try (var files = Files.walk(copy)) {
      Path bucket = files.filter(p -> p.getFileName().toString().startsWith("bucket-")).findFirst().orElseThrow();
      Files.write(bucket, new byte[] {1, 2, 3});
    }
    JobOutcome[] out = lookup(h, section, list(entries), query(q));
    assertThat(out[0].result()).containsEntry("syncMode", "full");
    assertThat(rows(out[1])).isEqualTo(oracle(entries, q, false));
  }

  @Test
  void anEmptyListAnswersNotListed() {
    JobHarness h = new JobHarness(dir.resolve("empty"), List.of("bureau", "lender"));
    Map<String, Object> section = section(dir.resolve("empty/store").toString(), dir.resolve("empty/copy").toString(),
        true);
    List<String> q = List.of("a", "b");
    JobOutcome[] out = lookup(h, section, list(Map.of()), query(q));
    assertThat(rows(out[1])).isEqualTo(oracle(Map.of(), q, true));
    assertThat(out[1].result()).containsEntry("listRecords", "0").containsEntry("listed", "0");
  }

  @Test
  void aListWithConflictingOrOverlongReasonsIsRefusedBeforeAnythingIsWritten() {
    JobHarness h = new JobHarness(dir.resolve("bad"), List.of("bureau"));
    String store = dir.resolve("bad/store").toString();
    Dataset<Row> conflicting = spark.createDataFrame(List.of(RowFactory.create("a", "R1"),
        RowFactory.create(" a", "R2"), RowFactory.create("b", "R1")), LIST);
    assertThatThrownBy(() -> BlacklistStore.refresh(spark, conflicting, List.of("id"), "reason",
        KeyNormalization.DEFAULT, store, "l", 1, h.key("bureau")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("1 ids are listed more than once with different reasons");
    Dataset<Row> tooLong = spark.createDataFrame(List.of(RowFactory.create("a", "x".repeat(24))), LIST);
    assertThatThrownBy(() -> BlacklistStore.refresh(spark, tooLong, List.of("id"), "reason",
        KeyNormalization.DEFAULT, store, "l", 1, h.key("bureau")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("longer than 23 UTF-8 bytes");
    assertThat(Files.exists(Path.of(store))).isFalse();
  }
}
