package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.jobs.PartyProcess;
import io.veil.psi.KeyNormalization;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The intersection-sum ({@code operator: intersection-sum}), each party its own JVM over one real
 * Kafka broker: an ad network (id party) with 600 ids in four regions, one of them too small to
 * release, plus a NULL id, a padded id and a duplicate; a shop (value party) with 800 ids, each with
 * a decimal spend (some negative) and an int order count, about half of them shared. One grouped job
 * (minGroupSize 5): the ad network's rows equal the plaintext oracle, the figures at both parties
 * agree with the inputs, and no id, region or value is on the broker in clear.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IntersectionSumIT {
  private static final long RUN_MS = 240_000;
  private static final String NAME = "it-intersection-sum";
  private static final int MIN_GROUP_SIZE = 5;
  private static final List<String> PARTIES = List.of("adnet", "shop");
  private static final List<String> REGIONS = List.of("rg-alpha-zone", "rg-bravo-zone", "rg-charlie-zone");
  private static final String TINY = "rg-tiny-zone";
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static AggregateFixture fx;
  /** The ad network's rows: id (possibly NULL or padded) and region. */
  static List<String[]> exposures;
  /** The shop's rows: id to {spend in cents, orders}. */
  static Map<String, long[]> purchases;
  static Map<String, PartyProcess> run;
  static Map<String, Integer> exits = new LinkedHashMap<>();
  static long millis;

  @BeforeAll
  static void runJob() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    fx = new AggregateFixture(dir.resolve("work"), broker.bootstrapServers(), PARTIES, 20261203L);
    for (String p : PARTIES) {
      String peer = p.equals("adnet") ? "shop" : "adnet";
      Files.writeString(fx.work.resolve("policy-" + p + ".yaml"), String.join("\n",
          "party: " + p,
          "peers:",
          "  - id: " + peer,
          "    publicKey: " + fx.publicKeys.get(peer),
          "operators: [intersection-sum]",
          "outputRecipients: [adnet]",
          ""), StandardCharsets.UTF_8);
    }
    Random rnd = new Random(11);
    exposures = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      // The tiny region: three ids the shop has (300..302) and three it has not.
      boolean tiny = i < 3 || (i >= 300 && i < 303);
      exposures.add(new String[] {id(i), tiny ? TINY : REGIONS.get(i % 3)});
    }
    exposures.add(new String[] {null, REGIONS.get(0)});
    exposures.add(new String[] {"  " + id(1001) + " ", REGIONS.get(1)}); // padded: the shop has it unpadded
    exposures.add(new String[] {id(400), REGIONS.get(400 % 3)}); // a duplicate, same region
    purchases = new LinkedHashMap<>();
    for (int i = 300; i < 1100; i++) {
      // |spend| >= 1000.00, so every value has at least seven characters as text.
      long cents = 100_000 + rnd.nextInt(9_000_000);
      purchases.put(id(i), new long[] {rnd.nextInt(4) == 0 ? -cents : cents, rnd.nextInt(40)});
    }
    writeInputs();
    Path spec = fx.writeSpec("isum.yaml", String.join("\n",
        "version: 1",
        "name: " + NAME,
        "operator: intersection-sum",
        "peerTimeoutMs: 120000",
        "parties:",
        fx.party("adnet", List.of("format: csv", "path: " + fx.work.resolve("data/exposures.csv"),
            "keyColumns: [uid]", "columns: [region]"),
            List.of("path: " + output(), "format: csv")),
        fx.party("shop", List.of("format: csv", "path: " + fx.work.resolve("data/purchases.csv"),
            "keyColumns: [customer]", "columns: [spend, orders]",
            "schema: {customer: string, spend: \"decimal(12,2)\", orders: int}"), null),
        "intersectionSum:",
        "  idParty: adnet",
        "  valueParty: shop",
        "  values:",
        "    - {column: spend, scale: 2, maxAbs: 100000000}",
        "    - {column: orders}",
        "  groupBy: region",
        "  minGroupSize: " + MIN_GROUP_SIZE,
        "  partitions: 2",
        "  batchRows: 256"));
    long t0 = System.nanoTime();
    run = fx.startAll(spec, PARTIES);
    for (PartyProcess p : run.values()) {
      exits.put(p.name(), p.await(RUN_MS));
    }
    millis = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("IntersectionSumIT: both parties done in " + millis + " ms");
  }

  @AfterAll
  static void stop() {
    if (run != null) {
      run.values().forEach(PartyProcess::close);
    }
    if (broker != null) {
      broker.close();
    }
  }

  static String id(int i) {
    return String.format("customer-%05d-isum-it", i);
  }

  static Path output() {
    return fx.work.resolve("out/" + NAME);
  }

  static void writeInputs() throws IOException {
    List<String> a = new ArrayList<>(List.of("uid,region"));
    exposures.forEach(r -> a.add((r[0] == null ? "" : r[0]) + "," + r[1]));
    Files.write(fx.work.resolve("data/exposures.csv"), a, StandardCharsets.UTF_8);
    List<String> b = new ArrayList<>(List.of("customer,spend,orders"));
    purchases.forEach((k, v) -> b.add(k + "," + BigDecimal.valueOf(v[0], 2).toPlainString() + "," + v[1]));
    Files.write(fx.work.resolve("data/purchases.csv"), b, StandardCharsets.UTF_8);
  }

  /** Normalised non-NULL id to region, over the ad network's rows. */
  static Map<String, String> groupOf() {
    Map<String, String> g = new TreeMap<>();
    for (String[] r : exposures) {
      if (r[0] != null) {
        String prev = g.put(KeyNormalization.DEFAULT.apply(r[0]), r[1]);
        assertThat(prev == null || prev.equals(r[1])).as("one region per id").isTrue();
      }
    }
    return g;
  }

  /** Per region, {count, spend cents, orders} over the ids both parties have. */
  static Map<String, long[]> sums() {
    Map<String, long[]> acc = new TreeMap<>();
    groupOf().forEach((id, g) -> {
      long[] s = acc.computeIfAbsent(g, x -> new long[3]);
      long[] v = purchases.get(id);
      if (v != null) {
        s[0]++;
        s[1] += v[0];
        s[2] += v[1];
      }
    });
    return acc;
  }

  /** The oracle, one "region|count|spend|orders" per group; NULL sums (empty CSV fields) below the minimum. */
  static List<String> oracle() {
    List<String> out = new ArrayList<>();
    sums().forEach((g, s) -> out.add(g + "|" + s[0] + "|" + (s[0] >= MIN_GROUP_SIZE
        ? BigDecimal.valueOf(s[1], 2).toPlainString() + "|" + s[2] : "|")));
    out.sort(null);
    return out;
  }

  static long intersection() {
    return sums().values().stream().mapToLong(s -> s[0]).sum();
  }

  @Test
  @Order(1)
  void bothPartiesSucceed() {
    assertThat(exits).hasSize(2).allSatisfy((k, v) -> assertThat(v).as(k).isZero());
  }

  @Test
  @Order(2)
  void theIdPartysRowsEqualThePlaintextOracle() throws IOException {
    List<String> expected = oracle();
    assertThat(expected).hasSize(4).contains(TINY + "|3||");
    List<String> rows = new ArrayList<>();
    for (String line : PsiFixture.outputLines(output())) {
      String[] c = line.split(",", -1);
      assertThat(c).as(line).hasSize(4);
      rows.add(String.join("|", c));
    }
    rows.sort(null);
    assertThat(rows).isEqualTo(expected);
  }

  @Test
  @Order(3)
  void theFiguresAgreeWithTheInputs() {
    long idsA = groupOf().size();
    long idsB = purchases.keySet().stream().map(KeyNormalization.DEFAULT::apply).distinct().count();
    assertThat(idsA).isEqualTo(601);
    assertThat(idsB).isEqualTo(800);
    PartyProcess adnet = run.get("adnet");
    assertThat(PsiFixture.figure(adnet, "distinctKeys")).isEqualTo(Long.toString(idsA));
    assertThat(PsiFixture.figure(adnet, "peerDistinctKeys")).isEqualTo(Long.toString(idsB));
    assertThat(PsiFixture.figure(adnet, "intersectionSize")).isEqualTo(Long.toString(intersection()));
    assertThat(intersection()).isEqualTo(301);
    assertThat(PsiFixture.figure(adnet, "groups")).isEqualTo("4");
    assertThat(PsiFixture.figure(adnet, "releasedGroups")).isEqualTo("3");
    PartyProcess shop = run.get("shop");
    assertThat(PsiFixture.figure(shop, "distinctKeys")).isEqualTo(Long.toString(idsB));
    assertThat(PsiFixture.figure(shop, "peerDistinctKeys")).isEqualTo(Long.toString(idsA));
    assertThat(PsiFixture.figure(shop, "sumsOpened")).isEqualTo("4");
    assertThat(PsiFixture.figure(shop, "intersectionSize")).isNull();
  }

  @Test
  @Order(4)
  void noIdRegionOrValueIsOnTheBrokerInClear() throws Exception {
    Set<String> needles = new HashSet<>();
    for (String[] r : exposures) {
      if (r[0] != null) {
        needles.add(r[0]);
        needles.add(r[0].strip());
      }
      needles.add(r[1]);
    }
    purchases.forEach((k, v) -> {
      needles.add(k);
      needles.add(BigDecimal.valueOf(v[0], 2).toPlainString());
    });
    sums().values().forEach(s -> needles.add(BigDecimal.valueOf(s[1], 2).toPlainString()));
    List<byte[]> records = new ArrayList<>();
    long[] bytes = {0};
    BrokerView.readRecords(broker.bootstrapServers(), t -> true, (topic, offset, value) -> {
      if (value != null) {
        records.add(value);
        bytes[0] += value.length;
      }
    });
    // The shop's 800 Paillier ciphertexts alone are 512 bytes each.
    assertThat(bytes[0]).isGreaterThan(800L * 512);
    // Every id and every region shares one of these; when none is anywhere, no id or region is.
    for (byte[] r : records) {
      String text = new String(r, StandardCharsets.ISO_8859_1);
      assertThat(text).doesNotContain("customer-").doesNotContain("-isum-it").doesNotContain("-zone");
    }
    for (String n : needles) {
      assertThat(PsiEndToEndIT.contains(records, n.getBytes(StandardCharsets.UTF_8))).as(n).isFalse();
    }
    assertThat(needles.stream().filter(Objects::nonNull).count()).isGreaterThan(1500);
  }
}
