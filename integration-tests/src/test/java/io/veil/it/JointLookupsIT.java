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
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The joint lookups of issue 14, blacklist lookup, intersection-sum and the multi-lender check, each
 * party its own JVM over one real Kafka broker, every operator's jobs on the same broker and in one
 * fixture (every party's keys; each group's policies allow only its operator with the other parties of
 * the group).
 * Each operator's scenario is a nested class. The clear-text checks read every record on the
 * broker, whichever operator's job wrote it.
 */
class JointLookupsIT {
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static AggregateFixture fx;

  @BeforeAll
  static void start() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    fx = new AggregateFixture(dir.resolve("work"), broker.bootstrapServers(),
        Stream.of(BlacklistLookup.PARTIES, IntersectionSum.PARTIES, MultiLenderCheck.PARTIES).flatMap(List::stream)
            .toList(), 20261203L);
    fx.writePairPolicies("bureau", "lender", "blacklist-lookup", "lender");
    fx.writePairPolicies("adnet", "shop", "intersection-sum", "adnet");
    fx.writeGroupPolicies(MultiLenderCheck.PARTIES, "multi-lender", MultiLenderCheck.LENDER);
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  /** The values of every record on the broker, and how many bytes of them are in topics of {@code jobIds}. */
  record BrokerRecords(List<byte[]> values, long jobBytes) {}

  static BrokerRecords brokerRecords(Set<String> jobIds) throws Exception {
    List<byte[]> values = new ArrayList<>();
    long[] jobBytes = {0};
    BrokerView.readRecords(broker.bootstrapServers(), t -> true, (topic, offset, value) -> {
      if (value != null) {
        values.add(value);
        if (jobIds.stream().anyMatch(topic::contains)) {
          jobBytes[0] += value.length;
        }
      }
    });
    return new BrokerRecords(values, jobBytes[0]);
  }

  /** No record holds any of {@code fragments} (as Latin-1 text) or any of {@code needles} (as UTF-8). */
  static void assertNotInClear(List<byte[]> records, Set<String> needles, String... fragments) {
    for (byte[] r : records) {
      String text = new String(r, StandardCharsets.ISO_8859_1);
      for (String f : fragments) {
        assertThat(text).doesNotContain(f);
      }
    }
    for (String n : needles) {
      assertThat(PsiEndToEndIT.contains(records, n.getBytes(StandardCharsets.UTF_8))).as(n).isFalse();
    }
  }

  /**
   * The blacklist lookup ({@code operator: blacklist-lookup}): a bureau (holder) with a list of 2,000
   * ids and reason codes, a lender (querier) with ~50 ids including a NULL, a duplicate, padded ids
   * and ids not listed. The first job copies the encoded list whole and answers like the plaintext
   * oracle; after the list file changes, a second job sends only the changes and answers like the
   * oracle on the new list; no id and no reason is on the broker in clear; and a lender whose bureau
   * never comes fails naming it.
   */
  @Nested
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  class BlacklistLookup {
    private static final long RUN_MS = 300_000;
    static final List<String> PARTIES = List.of("bureau", "lender");
    /** The list before and after the change: id to reason code. */
    static Map<String, String> list1;
    static Map<String, String> list2;
    static int changes;
    static List<String> queries;
    /** The two lookup jobs' ids. */
    static Set<String> jobIds = new HashSet<>();
    static Map<String, PartyProcess> first;
    static Map<String, PartyProcess> second;
    static Map<String, Integer> exits = new LinkedHashMap<>();
    static final int LONELY_TIMEOUT_MS = 5000;
    static PartyProcess lonely;
    static PartyProcess encode;
    static int encodeExit;
    static int lonelyExit;
    static PartyProcess serve;
    static PartyProcess checkOne;
    static PartyProcess checkAll;
    static int serveExit;
    static int checkOneExit;
    static int checkAllExit;

    @BeforeAll
    static void runJobs() throws Exception {
      Random rnd = new Random(7);
      list1 = new TreeMap<>();
      for (int i = 0; i < 2000; i++) {
        list1.put(id(i), "FRAUD-CODE-" + (char) ('A' + rnd.nextInt(8)) + rnd.nextInt(100));
      }
      queries = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        queries.add(id(rnd.nextInt(2600))); // about 3 in 4 listed
      }
      queries.add(id(3)); // listed, and removed from the list later
      queries.add(id(4)); // its reason changes later
      queries.add(id(2001)); // added to the list later
      queries.add(id(17));
      queries.add(id(17)); // a duplicate
      queries.add(null);
      queries.add("  " + id(42) + " "); // padded: the same id once trimmed
      queries.add(id(2999) + "  ");
      queries.add(id(5000)); // never listed
      queries.add("applicant-no-such-person");

      list2 = new TreeMap<>(list1);
      for (int i = 2000; i < 2010; i++) {
        list2.put(id(i), "ADDED-CODE-" + i);
      }
      for (int i = 3; i < 3 + 6 * 50; i += 50) {
        list2.remove(id(i));
      }
      list2.put(id(4), "CHANGED-CODE-4");
      changes = 10 + 6 + 1;

      Path spec1 = writeSpec("first.yaml", "it-blacklist-1");
      jobIds.add(PsiFixture.jobId(spec1));
      writeList(list1);
      writeQueries();
      first = runBoth(spec1);
      writeList(list2);
      // The bureau refreshes its encoded list after the change, as a scheduled job would.
      Path spec2 = writeSpec("second.yaml", "it-blacklist-2");
      jobIds.add(PsiFixture.jobId(spec2));
      encode = PartyProcess.start("bureau-encode", List.of("blacklist", "encode", "--spec", spec2.toString(),
          "--party", "bureau", "--key", fx.work.resolve("bureau.key").toString(), "--master", "local[1]"), "512m",
          List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), fx.work, System.out);
      encodeExit = encode.await(RUN_MS);
      // The lender of a job whose bureau never comes runs alongside the second job (it mostly waits),
      // with its own ledger and copy.
      Path lonelySpec = fx.writeSpec("lonely.yaml", Files.readString(writeSpec("lonely-base.yaml",
          "it-blacklist-lonely")).replace("peerTimeoutMs: 120000", "peerTimeoutMs: " + LONELY_TIMEOUT_MS)
          .replace("lender-copy", "lonely-lender-copy"));
      lonely = PartyProcess.start("lonely-lender", List.of("run", "--spec", lonelySpec.toString(), "--party", "lender",
          "--key", fx.work.resolve("lender.key").toString(),
          "--policy", fx.work.resolve("policy-lender.yaml").toString(),
          "--ledger", fx.work.resolve("ledger-lonely-lender.jsonl").toString(),
          "--bootstrap-servers", fx.bootstrap, "--master", "local[1]", "--output", "json"), "512m",
          List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), fx.work, System.out);
      second = runBoth(spec2);
      lonelyExit = lonely.await(RUN_MS);

      // The low-latency form: the bureau serves the same spec; the lender checks one id, then every query.
      serve = PartyProcess.start("bureau-serve", sessionArgs("serve", spec2, "bureau"), "512m",
          List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), fx.work, System.out);
      assertThat(serve.awaitLine(l -> l.contains("serving list 'fraud-ids' version 2"), RUN_MS)).isTrue();
      List<String> one = new ArrayList<>(sessionArgs("check", spec2, "lender"));
      one.addAll(List.of("--id", id(2001)));
      checkOne = PartyProcess.start("lender-check-one", one, "512m", List.of("-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC"), fx.work, System.out);
      checkOneExit = checkOne.await(RUN_MS);
      Path ids = fx.work.resolve("data/check-ids.txt");
      Files.write(ids, queries.stream().filter(Objects::nonNull).toList(), StandardCharsets.UTF_8);
      List<String> all = new ArrayList<>(sessionArgs("check", spec2, "lender"));
      all.addAll(List.of("--ids-file", ids.toString()));
      checkAll = PartyProcess.start("lender-check-all", all, "512m", List.of("-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC"), fx.work, System.out);
      checkAllExit = checkAll.await(RUN_MS);
      serveExit = serve.terminate(60_000);
    }

    static List<String> sessionArgs(String command, Path spec, String party) {
      return List.of("blacklist", command, "--spec", spec.toString(), "--party", party,
          "--key", fx.work.resolve(party + ".key").toString(),
          "--policy", fx.work.resolve("policy-" + party + ".yaml").toString(),
          "--ledger", fx.work.resolve("ledger-" + party + ".jsonl").toString(),
          "--bootstrap-servers", fx.bootstrap);
    }

    @AfterAll
    static void stopParties() {
      for (Map<String, PartyProcess> ps : Arrays.asList(first, second)) {
        if (ps != null) {
          ps.values().forEach(PartyProcess::close);
        }
      }
      if (lonely != null) {
        lonely.close();
      }
      for (PartyProcess p : Arrays.asList(encode, serve, checkOne, checkAll)) {
        if (p != null) {
          p.close();
        }
      }
    }

    static String id(int i) {
      return String.format("applicant-%05d-veil-it", i);
    }

    static Map<String, PartyProcess> runBoth(Path spec) throws Exception {
      Map<String, PartyProcess> ps = fx.startAll(spec, PARTIES);
      for (PartyProcess p : ps.values()) {
        exits.put(spec.getFileName() + "/" + p.name(), p.await(RUN_MS));
      }
      return ps;
    }

    static void writeList(Map<String, String> entries) throws IOException {
      List<String> lines = new ArrayList<>(List.of("national_id,reason_code"));
      entries.forEach((k, v) -> lines.add(k + "," + v));
      Files.write(fx.work.resolve("data/list.csv"), lines, StandardCharsets.UTF_8);
    }

    /** The lender's ids, one row each with its row number {@code n} (a NULL id is an empty field). */
    static void writeQueries() throws IOException {
      List<String> lines = new ArrayList<>(List.of("n,nid"));
      for (int i = 0; i < queries.size(); i++) {
        lines.add(i + "," + (queries.get(i) == null ? "" : queries.get(i)));
      }
      Files.write(fx.work.resolve("data/applicants.csv"), lines, StandardCharsets.UTF_8);
    }

    static Path writeSpec(String file, String name) throws IOException {
      return fx.writeSpec(file, String.join("\n",
          "version: 1",
          "name: " + name,
          "operator: blacklist-lookup",
          "peerTimeoutMs: 120000",
          "parties:",
          fx.party("bureau", List.of("format: csv", "path: " + fx.work.resolve("data/list.csv"),
              "keyColumns: [national_id]", "columns: [reason_code]"), null),
          fx.party("lender", List.of("format: csv", "path: " + fx.work.resolve("data/applicants.csv"),
              "keyColumns: [nid]", "columns: [n, nid]"),
              List.of("path: " + output(name), "format: csv")),
          "blacklist:",
          "  holder: bureau",
          "  querier: lender",
          "  list: fraud-ids",
          "  reasonColumn: reason_code",
          "  store: " + fx.work.resolve("bureau-store"),
          "  copy: " + fx.work.resolve("lender-copy"),
          "  partitions: 2",
          "  batchRows: 512"));
    }

    static Path output(String name) {
      return fx.work.resolve("out/" + name);
    }

    /**
     * The oracle, one "n|listed|reason" per query row: whether the trimmed id is on the list (NULL id:
     * NULL, written as an empty field) and its reason.
     */
    static List<String> oracle(Map<String, String> list) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < queries.size(); i++) {
        String q = queries.get(i);
        String key = q == null ? null : KeyNormalization.DEFAULT.apply(q);
        String listed = key == null ? "" : Boolean.toString(list.containsKey(key));
        out.add(i + "|" + listed + "|" + Objects.requireNonNullElse(key == null ? null : list.get(key), ""));
      }
      out.sort(null);
      return out;
    }

    /** The lender's output as "n|listed|reason", checking each row's id is the one the lender sent (trimmed: CSV). */
    static List<String> rows(String name) throws IOException {
      List<String> out = new ArrayList<>();
      for (String line : PsiFixture.outputLines(output(name))) {
        String[] c = line.split(",", -1);
        assertThat(c).as(line).hasSize(4);
        int n = Integer.parseInt(c[0]);
        String sent = queries.get(n);
        assertThat(c[1]).as("row %d's id", n).isEqualTo(sent == null ? "" : sent.strip());
        out.add(n + "|" + c[2] + "|" + c[3]);
      }
      out.sort(null);
      return out;
    }

    static long distinctQueries() {
      return queries.stream().filter(Objects::nonNull).map(KeyNormalization.DEFAULT::apply).distinct().count();
    }

    @Test
    @Order(1)
    void bothPartiesSucceedTwice() {
      assertThat(exits).hasSize(4).allSatisfy((k, v) -> assertThat(v).as(k).isZero());
    }

    @Test
    @Order(2)
    void aFirstLookupCopiesTheListWholeAndAnswersLikeTheOracle() throws IOException {
      List<String> expected = oracle(list1);
      assertThat(expected).anyMatch(r -> r.contains("|true|")).anyMatch(r -> r.contains("|false|"));
      assertThat(rows("it-blacklist-1")).isEqualTo(expected);
      PartyProcess bureau = first.get("bureau");
      assertThat(PsiFixture.figure(bureau, "syncMode")).isEqualTo("full");
      assertThat(PsiFixture.figure(bureau, "listRecords")).isEqualTo("2000");
      assertThat(PsiFixture.figure(bureau, "encodedNow")).isEqualTo("2000");
      assertThat(PsiFixture.figure(bureau, "syncRecords")).isEqualTo("2000");
      assertThat(PsiFixture.figure(bureau, "queriesAnswered")).isEqualTo(Long.toString(distinctQueries()));
      PartyProcess lender = first.get("lender");
      assertThat(PsiFixture.figure(lender, "queries")).isEqualTo(Long.toString(distinctQueries()));
      assertThat(PsiFixture.figure(lender, "syncMode")).isEqualTo("full");
    }

    @Test
    @Order(3)
    void aChangedListSendsOnlyTheChangesAndTheAnswersFollow() throws IOException {
      List<String> expected = oracle(list2);
      assertThat(expected).isNotEqualTo(oracle(list1));
      assertThat(rows("it-blacklist-2")).isEqualTo(expected);
      PartyProcess bureau = second.get("bureau");
      assertThat(PsiFixture.figure(bureau, "syncMode")).isEqualTo("delta");
      assertThat(PsiFixture.figure(bureau, "syncRecords")).isEqualTo(Integer.toString(changes));
      assertThat(PsiFixture.figure(bureau, "listRecords")).isEqualTo(Integer.toString(list2.size()));
      // `veil blacklist encode` encoded only the 10 added ids and the one whose reason changed.
      assertThat(encodeExit).isZero();
      assertThat(encode.output()).anySatisfy(l -> assertThat(l).contains("11 encoded now, 7 removed"));
      assertThat(PsiFixture.figure(bureau, "encodedNow")).isEqualTo("0");
      assertThat(PsiFixture.figure(bureau, "queriesAnswered")).isEqualTo(Long.toString(distinctQueries()));
      assertThat(PsiFixture.figure(second.get("lender"), "syncMode")).isEqualTo("delta");
    }

    @Test
    @Order(4)
    void noIdAndNoReasonIsOnTheBrokerInClear() throws Exception {
      Set<String> needles = new HashSet<>();
      for (Map<String, String> l : List.of(list1, list2)) {
        needles.addAll(l.keySet());
        needles.addAll(l.values());
      }
      for (String q : queries) {
        if (q != null) {
          needles.add(q);
          needles.add(q.strip());
        }
      }
      BrokerRecords records = brokerRecords(jobIds);
      // The copy alone is 2,000 records of tag and sealed reason.
      assertThat(records.jobBytes()).isGreaterThan(2000L * 16);
      // Every id and every reason shares one of these; when none is anywhere, no id or reason is.
      assertNotInClear(records.values(), needles, "applicant-", "-veil-it", "-CODE-");
    }

    @Test
    @Order(5)
    void aLenderWhoseBureauNeverComesFailsNamingIt() {
      assertThat(lonelyExit).isEqualTo(1);
      assertThat(String.join("\n", lonely.output())).contains("veil: peer timeout")
          .contains("bureau did not approve it within " + LONELY_TIMEOUT_MS + " ms");
    }

    @Test
    @Order(6)
    void theLowLatencyCheckAnswersLikeTheOracleAndBothPartiesRecordEachSession() {
      assertThat(checkOneExit).as(String.join("\n", checkOne.output())).isZero();
      assertThat(checkOne.stdout()).containsExactly(id(2001) + "\tlisted\tADDED-CODE-2001");
      assertThat(checkAllExit).as(String.join("\n", checkAll.output())).isZero();
      List<String> asked = queries.stream().filter(Objects::nonNull).toList();
      List<String> expected = new ArrayList<>();
      for (String q : asked) {
        String reason = list2.get(KeyNormalization.DEFAULT.apply(q));
        expected.add(q + "\t" + (reason == null ? "not-listed" : "listed\t" + reason));
      }
      assertThat(checkAll.stdout()).isEqualTo(expected);
      assertThat(String.join("\n", checkAll.output())).contains(asked.size() + " ids checked against list version 2");
      // The service stopped cleanly on SIGTERM; each session's receipt is in the bureau's ledger.
      assertThat(serveExit).as(String.join("\n", serve.output())).isIn(0, 143); // 143: stopped by SIGTERM
      assertThat(serve.output()).filteredOn(l -> l.contains("closed (closed by lender)")).hasSize(2)
          .anySatisfy(l -> assertThat(l).contains("1 requests, 1 ids answered; receipt"))
          .anySatisfy(l -> assertThat(l).contains("1 requests, " + distinctQueries() + " ids answered; receipt")
              .contains("ledger-bureau.jsonl"));
    }
  }

  /**
   * The intersection-sum ({@code operator: intersection-sum}): an ad network (id party) with 600 ids
   * in four regions, one of them too small to release, plus a NULL id, a padded id and a duplicate; a
   * shop (value party) with 800 ids, each with a decimal spend (some negative) and an int order
   * count, about half of them shared. One grouped job (minGroupSize 5): the ad network's rows equal
   * the plaintext oracle, the figures at both parties agree with the inputs, and no id, region or
   * value is on the broker in clear.
   */
  @Nested
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  class IntersectionSum {
    private static final long RUN_MS = 240_000;
    private static final String NAME = "it-intersection-sum";
    private static final int MIN_GROUP_SIZE = 5;
    static final List<String> PARTIES = List.of("adnet", "shop");
    private static final List<String> REGIONS = List.of("rg-alpha-zone", "rg-bravo-zone", "rg-charlie-zone");
    private static final String TINY = "rg-tiny-zone";
    /** The ad network's rows: id (possibly NULL or padded) and region. */
    static List<String[]> exposures;
    /** The shop's rows: id to {spend in cents, orders}. */
    static Map<String, long[]> purchases;
    static String jobId;
    static Map<String, PartyProcess> run;
    static Map<String, Integer> exits = new LinkedHashMap<>();

    @BeforeAll
    static void runJob() throws Exception {
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
      jobId = PsiFixture.jobId(spec);
      long t0 = System.nanoTime();
      run = fx.startAll(spec, PARTIES);
      for (PartyProcess p : run.values()) {
        exits.put(p.name(), p.await(RUN_MS));
      }
      long millis = (System.nanoTime() - t0) / 1_000_000;
      System.out.println("IntersectionSum: both parties done in " + millis + " ms");
    }

    @AfterAll
    static void stopParties() {
      if (run != null) {
        run.values().forEach(PartyProcess::close);
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
      BrokerRecords records = brokerRecords(Set.of(jobId));
      // The shop's 800 Paillier ciphertexts alone are 512 bytes each.
      assertThat(records.jobBytes()).isGreaterThan(800L * 512);
      // Every id and every region shares one of these; when none is anywhere, no id or region is.
      assertNotInClear(records.values(), needles, "customer-", "-isum-it", "-zone");
      assertThat(needles.stream().filter(Objects::nonNull).count()).isGreaterThan(1500);
    }
  }

  /**
   * A multi-lender check, the lender and two peers each its own JVM: the lender's output equals the
   * plaintext oracle, the figures agree with the inputs, and no id or amount is on the broker in clear.
   */
  @Nested
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  class MultiLenderCheck {
    private static final long RUN_MS = 300_000;
    private static final String NAME = "it-multi-lender";
    static final String LENDER = "mlc_lender";
    static final List<String> PARTIES = List.of(LENDER, "mlc_east", "mlc_west");
    /** The lender's applicant ids (one NULL, one duplicate). */
    static List<String> applicants;
    /** Per peer, its loan rows: id and outstanding in cents (several rows for some ids, a padded id). */
    static Map<String, List<Object[]>> loans = new LinkedHashMap<>();
    static String jobId;
    static Map<String, PartyProcess> run;
    static Map<String, Integer> exits = new LinkedHashMap<>();

    @BeforeAll
    static void runJob() throws Exception {
      Random rnd = new Random(14);
      applicants = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        applicants.add(id(i));
      }
      applicants.add(null);
      applicants.add(id(7));
      List<Object[]> east = new ArrayList<>();
      for (int i = 100; i < 400; i++) {
        east.add(new Object[] {id(i), 100_000L + rnd.nextInt(90_000_000)});
      }
      east.add(new Object[] {id(120), 5_000L}); // a second loan to one person: summed
      List<Object[]> west = new ArrayList<>();
      for (int i = 250; i < 550; i++) {
        west.add(new Object[] {i == 300 ? "  " + id(i) + " " : id(i), 100_000L + rnd.nextInt(90_000_000)});
      }
      loans.put("mlc_east", east);
      loans.put("mlc_west", west);
      writeInputs();
      List<String> lines = new ArrayList<>(List.of("version: 1", "name: " + NAME, "operator: multi-lender",
          "peerTimeoutMs: 120000", "parties:",
          fx.party(LENDER, List.of("format: csv", "path: " + fx.work.resolve("data/applicants.csv"),
              "keyColumns: [national_id]"), List.of("path: " + output(), "format: csv"))));
      for (String p : loans.keySet()) {
        lines.add(fx.party(p, List.of("format: csv", "path: " + fx.work.resolve("data/" + p + ".csv"),
            "keyColumns: [person]", "columns: [outstanding]",
            "schema: {person: string, outstanding: \"decimal(14,2)\"}"), null));
      }
      lines.addAll(List.of("multiLender:", "  lender: " + LENDER, "  amount: {column: outstanding, scale: 2}",
          "  partitions: 2", "  batchRows: 256"));
      Path spec = fx.writeSpec("mlc.yaml", String.join("\n", lines));
      jobId = PsiFixture.jobId(spec);
      long t0 = System.nanoTime();
      run = fx.runAll(spec, PARTIES, RUN_MS);
      for (PartyProcess p : run.values()) {
        exits.put(p.name(), AggregateFixture.exit(p));
      }
      System.out.println("MultiLenderCheck: all parties done in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    @AfterAll
    static void stopParties() {
      if (run != null) {
        run.values().forEach(PartyProcess::close);
      }
    }

    static String id(int i) {
      return String.format("person-%05d-mlc-it", i);
    }

    static Path output() {
      return fx.work.resolve("out/" + NAME);
    }

    static void writeInputs() throws IOException {
      List<String> a = new ArrayList<>(List.of("national_id,branch"));
      for (int i = 0; i < applicants.size(); i++) {
        a.add((applicants.get(i) == null ? "" : applicants.get(i)) + ",br" + (i % 4));
      }
      Files.write(fx.work.resolve("data/applicants.csv"), a, StandardCharsets.UTF_8);
      for (Map.Entry<String, List<Object[]>> e : loans.entrySet()) {
        List<String> b = new ArrayList<>(List.of("person,outstanding"));
        e.getValue().forEach(r -> b.add("\"" + r[0] + "\"," + BigDecimal.valueOf((Long) r[1], 2).toPlainString()));
        Files.write(fx.work.resolve("data/" + e.getKey() + ".csv"), b, StandardCharsets.UTF_8);
      }
    }

    /** Per normalised id: {peers with a loan, total cents}. */
    static Map<String, long[]> perPerson() {
      Map<String, long[]> out = new TreeMap<>();
      for (List<Object[]> rows : loans.values()) {
        Map<String, Long> mine = new TreeMap<>();
        rows.forEach(r -> mine.merge(KeyNormalization.DEFAULT.apply((String) r[0]), (Long) r[1], Long::sum));
        mine.forEach((k, v) -> {
          long[] s = out.computeIfAbsent(k, x -> new long[2]);
          s[0]++;
          s[1] += v;
        });
      }
      return out;
    }

    /** The oracle, one "id|branch|count|total" per applicant row (empty fields for the NULL id). */
    static List<String> oracle() {
      Map<String, long[]> p = perPerson();
      List<String> out = new ArrayList<>();
      for (int i = 0; i < applicants.size(); i++) {
        String id = applicants.get(i);
        if (id == null) {
          out.add("|br" + (i % 4) + "||");
          continue;
        }
        long[] s = p.getOrDefault(KeyNormalization.DEFAULT.apply(id), new long[2]);
        out.add(id + "|br" + (i % 4) + "|" + s[0] + "|" + BigDecimal.valueOf(s[1], 2).toPlainString());
      }
      out.sort(null);
      return out;
    }

    @Test
    @Order(1)
    void everyPartySucceeds() {
      assertThat(exits).hasSize(3).allSatisfy((k, v) -> assertThat(v).as(k).isZero());
    }

    @Test
    @Order(2)
    void theLendersRowsEqualThePlaintextOracle() throws IOException {
      List<String> expected = oracle();
      // ids 250..399 at both peers, 100..249 at the east only, 0..99 at neither (id 7 twice, one NULL)
      assertThat(expected.stream().filter(r -> r.split("\\|", -1)[2].equals("2")).count()).isEqualTo(150);
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
      PartyProcess lender = run.get(LENDER);
      assertThat(PsiFixture.figure(lender, "distinctKeys")).isEqualTo("400");
      assertThat(PsiFixture.figure(lender, "peers")).isEqualTo("2");
      assertThat(PsiFixture.figure(lender, "applicantsWithLoans")).isEqualTo("300");
      for (String p : loans.keySet()) {
        assertThat(PsiFixture.figure(run.get(p), "distinctKeys")).as(p).isEqualTo("300");
        assertThat(PsiFixture.figure(run.get(p), "lenderDistinctKeys")).as(p).isEqualTo("400");
        assertThat(PsiFixture.figure(run.get(p), "applicantsWithLoans")).as(p).isNull();
      }
    }

    @Test
    @Order(4)
    void noIdOrAmountIsOnTheBrokerInClear() throws Exception {
      Set<String> needles = new HashSet<>();
      applicants.stream().filter(Objects::nonNull).forEach(needles::add);
      loans.values().forEach(rows -> rows.forEach(r -> {
        needles.add(((String) r[0]).strip());
        needles.add(BigDecimal.valueOf((Long) r[1], 2).toPlainString());
      }));
      perPerson().values().forEach(s -> needles.add(BigDecimal.valueOf(s[1], 2).toPlainString()));
      BrokerRecords records = brokerRecords(Set.of(jobId));
      // 17 correction rows of 64 bytes per bin, 1.27 bins and more per applicant, to each of two peers
      assertThat(records.jobBytes()).isGreaterThan(2L * 400 * 17 * 64);
      assertNotInClear(records.values(), needles, "person-", "-mlc-it");
      assertThat(needles.size()).isGreaterThan(1000);
    }
  }
}
