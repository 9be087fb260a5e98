package io.veil.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.aggregate.internal.FeatureRows;
import io.veil.aggregate.internal.SecureSum;
import io.veil.channel.ControlCodec;
import io.veil.channel.ControlMessage;
import io.veil.channel.ControlMessage.Notice;
import io.veil.psi.KeyNormalization;
import io.veil.spec.FeatureAggregateSpec;
import io.veil.spec.JobSpec;
import io.veil.testing.JobHarness;
import io.veil.testing.SparkTestSession;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
  private static final StructType FA_SCHEMA = new StructType()
      .add("id", DataTypes.LongType, true)
      .add("a", DataTypes.DoubleType, true);
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

  /** Every notice on the control log, as anyone reading the control topic decodes it (no key needed). */
  static List<ControlMessage> notices(JobHarness h) {
    List<ControlMessage> out = new ArrayList<>();
    for (byte[] raw : h.channel.allRecords()) {
      byte[][] parts = ControlCodec.open(raw);
      if (parts == null) {
        continue; // a data-plane batch
      }
      try {
        ControlMessage m = ControlCodec.decode(parts[0]);
        if (m.body() instanceof Notice) {
          out.add(m);
        }
      } catch (ControlCodec.MalformedException e) {
        throw new AssertionError(e);
      }
    }
    return out;
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

  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
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
  void theReleasedGroupsAreNotReadableFromTheControlTopic() {
    AggregateRun run = aggregateRun();
    BitSet released = run.released();
    assertThat(run.result().released()).isEqualTo(released.cardinality()).isBetween(10, REGIONS - 5);

    // Neither the bitmap (either bit order) nor the indices appear in any notice.
    byte[] bitmap = Arrays.copyOf(released.toByteArray(), (REGIONS + 7) / 8);
    byte[] msbFirst = bitmap.clone();
    for (int i = 0; i < msbFirst.length; i++) {
      msbFirst[i] = (byte) (Integer.reverse(msbFirst[i] & 0xff) >>> 24);
    }
    List<ControlMessage> notices = notices(run.h());
    assertThat(notices).extracting(ControlMessage::step).contains(AggregateOperator.STEP_RELEASE);
    for (ControlMessage m : notices) {
      byte[] p = ((Notice) m.body()).payload();
      assertThat(contains(p, Arrays.copyOf(bitmap, bitmap.length - 1))).as("bitmap in " + m.step()).isFalse();
      assertThat(contains(p, Arrays.copyOf(msbFirst, msbFirst.length - 1))).as("bitmap in " + m.step()).isFalse();
      String text = new String(p, StandardCharsets.ISO_8859_1);
      assertThat(text).as("group indices in " + m.step()).doesNotContain(released.toString());
    }
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

  @Test
  void theFeatureAlignmentCheckGivesNothingToTestKeyGuessesAgainst() {
    List<String> ids = List.of("guest", "host_1", "host_2");
    JobHarness h = new JobHarness(dir, ids, 12);
    List<Long> keys = List.of(3L, 14L, 15L, 92L, 65L, 35L, 89L);
    List<Map<String, Object>> parties = new ArrayList<>();
    Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
    Random rnd = new Random(7);
    for (String id : ids) {
      parties.add(h.party(id, JobHarness.input(List.of("id"), List.of("a")),
          id.equals("guest") ? JobHarness.output() : null));
      List<Row> rows = new ArrayList<>();
      for (long k : keys) {
        rows.add(RowFactory.create(k, rnd.nextInt(100) / 10.0));
      }
      tables.put(id, spark.createDataFrame(rows, FA_SCHEMA));
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("resultParty", "guest");
    section.put("dims", 1);
    section.put("scale", 1);
    section.put("maxAbs", 100);
    section.put("partitions", 2);
    JobSpec spec = h.spec("broker-view-features", "feature-aggregate", parties, section);
    h.run(spark, spec, tables);

    // The old alignment digest of the true key set: what anyone could recompute for a guessed key set.
    KeyNormalization norm = spec.settings(FeatureAggregateSpec.class).normalization();
    BigInteger digest = BigInteger.ZERO;
    for (long k : keys) {
      String sortKey = new String(norm.encode(RowFactory.create(Long.toString(k))), StandardCharsets.ISO_8859_1);
      digest = FeatureRows.addDigests(digest, FeatureRows.keyDigest(spec.jobId(), sortKey));
    }
    byte[] hex = String.format("%064x", digest).getBytes(StandardCharsets.US_ASCII);
    byte[] raw = Arrays.copyOfRange(digest.toByteArray(), digest.toByteArray().length - 32,
        digest.toByteArray().length);
    byte[] rows = ByteBuffer.allocate(8).putLong(keys.size()).array();
    List<ControlMessage> notices = notices(h);
    assertThat(notices).extracting(ControlMessage::step).contains(FeatureAggregation.STEP_ALIGN);
    for (ControlMessage m : notices) {
      byte[] p = ((Notice) m.body()).payload();
      assertThat(contains(p, hex)).as(m.from() + "'s " + m.step() + " holds the digest in hex").isFalse();
      assertThat(contains(p, raw)).as(m.from() + "'s " + m.step() + " holds the digest").isFalse();
      assertThat(contains(p, rows)).as(m.from() + "'s " + m.step() + " holds the row count").isFalse();
    }
    for (byte[] rec : h.channel.allRecords()) {
      assertThat(contains(rec, hex)).isFalse();
    }
  }
}
