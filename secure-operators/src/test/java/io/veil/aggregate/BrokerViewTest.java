package io.veil.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.aggregate.internal.SecureSum;
import io.veil.spec.JobSpec;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * What the Kafka/broker operator learns from the aggregation operators: it reads every record of
 * every topic (here: every record of the in-memory channel) and knows the spec's public parts (party
 * ids, domain, job id), but holds no party's key. It must not learn which groups were released, any
 * total, or anything that lets it test guesses of a feature-aggregation key set.
 */
class BrokerViewTest {
  private static final StructType AGG_SCHEMA = new StructType()
      .add("region", DataTypes.StringType, true)
      .add("amount", DataTypes.DoubleType, true);
  private static final int REGIONS = 60;
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.create("broker-view-test");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** The payload of a data-plane batch, read without any key (the framing is public). */
  static byte[] batchPayload(byte[] record) {
    ByteBuffer b = ByteBuffer.wrap(record);
    b.position(4);
    for (int i = 0; i < 3; i++) {
      b.position(b.position() + 1 + (b.get(b.position()) & 0xff));
    }
    b.getInt(); // partition
    b.getInt(); // seq
    int elementBytes = b.getShort() & 0xffff;
    int count = b.getInt();
    byte[] payload = new byte[elementBytes * count];
    b.get(payload);
    return payload;
  }

  /** A finished aggregate job: 3 banks report to a regulator without input; the broker reads its topics. */
  private record AggregateRun(JobHarness h, JobSpec spec, long[] counts, BitSet released, AggregateResult result) {}

  private static AggregateRun aggregate;

  /** The aggregate job, run once for the tests that read its topics. */
  private static synchronized AggregateRun aggregateRun() {
    if (aggregate != null) {
      return aggregate;
    }
    List<String> banks = List.of("bank_a", "bank_b", "bank_c");
    List<String> ids = new ArrayList<>(banks);
    ids.add("regulator");
    JobHarness h = new JobHarness(dir, ids, 11);
    List<String> regions = new ArrayList<>();
    for (int i = 0; i < REGIONS; i++) {
      regions.add("r" + i);
    }
    // Group i has about 3 * i / 2 rows: the first ones stay below minGroupSize 10, the rest are released.
    Random rnd = new Random(5);
    Map<String, List<Row>> inputs = new LinkedHashMap<>();
    long[] counts = new long[REGIONS];
    for (String b : banks) {
      List<Row> rows = new ArrayList<>();
      for (int g = 0; g < REGIONS; g++) {
        int n = rnd.nextInt(g + 1);
        for (int r = 0; r < n; r++) {
          rows.add(RowFactory.create("r" + g, 1.0));
        }
        counts[g] += n;
      }
      inputs.put(b, rows);
    }
    List<Map<String, Object>> parties = new ArrayList<>();
    for (String id : ids) {
      parties.add(h.party(id, banks.contains(id) ? JobHarness.input(null, null) : null,
          id.equals("regulator") ? JobHarness.output() : null));
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("resultParty", "regulator");
    section.put("groupBy", List.of(Map.of("column", "region", "values", regions)));
    section.put("sums", List.of(Map.of("column", "amount", "maxAbs", 10, "as", "total")));
    section.put("minGroupSize", 10);
    section.put("partitions", 2);
    JobSpec spec = h.spec("broker-view-aggregate", "aggregate", parties, section);
    Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
    inputs.forEach((id, rows) -> tables.put(id, spark.createDataFrame(rows, AGG_SCHEMA)));
    AggregateResult result = h.run(spark, spec, tables).get("regulator").details(AggregateResult.class);
    BitSet released = new BitSet(REGIONS);
    for (int g = 0; g < REGIONS; g++) {
      if (counts[g] >= 10) {
        released.set(g);
      }
    }
    aggregate = new AggregateRun(h, spec, counts, released, result);
    return aggregate;
  }

  @Test
  void theTotalsCannotBeAddedUpFromTheDataTopics() {
    AggregateRun run = aggregateRun();
    // The broker adds up every masked count vector it holds; that must not give the counts.
    long[] sum = new long[REGIONS];
    for (String b : List.of("bank_a", "bank_b", "bank_c")) {
      List<byte[]> records = run.h().channel.records(SecureSum.stream(run.spec().jobId(), b,
          AggregateOperator.STEP_COUNTS));
      assertThat(records).as(b + "'s masked counts on the topic").isNotEmpty();
      int at = 0;
      for (byte[] rec : sortedBySeq(records)) {
        ByteBuffer p = ByteBuffer.wrap(batchPayload(rec)).order(ByteOrder.LITTLE_ENDIAN);
        while (p.hasRemaining()) {
          sum[at++] += p.getLong();
        }
      }
      assertThat(at).isEqualTo(REGIONS);
    }
    int equal = 0;
    for (int g = 0; g < REGIONS; g++) {
      equal += sum[g] == run.counts()[g] ? 1 : 0;
    }
    assertThat(equal).as("groups whose count the broker can add up").isZero();
  }

  /** Batches in vector order: block b is batch b / P of partition b mod P (see SecureSum). */
  private static List<byte[]> sortedBySeq(List<byte[]> records) {
    List<byte[]> out = new ArrayList<>(records);
    out.sort((x, y) -> {
      ByteBuffer a = header(x);
      ByteBuffer b = header(y);
      int seq = Integer.compare(a.getInt(4), b.getInt(4));
      return seq != 0 ? seq : Integer.compare(a.getInt(0), b.getInt(0));
    });
    return out;
  }

  /** (partition, seq) of a batch. */
  private static ByteBuffer header(byte[] record) {
    ByteBuffer b = ByteBuffer.wrap(record);
    b.position(4);
    for (int i = 0; i < 3; i++) {
      b.position(b.position() + 1 + (b.get(b.position()) & 0xff));
    }
    return ByteBuffer.allocate(8).putInt(b.getInt()).putInt(b.getInt()).flip();
  }
}
