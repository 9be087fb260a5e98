package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.jobs.PartyProcess;
import io.veil.psi.KeyNormalization;
import java.io.IOException;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The blacklist lookup ({@code operator: blacklist-lookup}), each party its own JVM over one real
 * Kafka broker: a bureau (holder) with a list of 2,000 ids and reason codes, a lender (querier) with
 * ~50 ids including a NULL, a duplicate, padded ids and ids not listed. The first job copies the
 * encoded list whole and answers like the plaintext oracle; after the list file changes, a second job
 * sends only the changes and answers like the oracle on the new list; no id and no reason is on the
 * broker in clear; and a lender whose bureau never comes fails naming it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BlacklistIT {
  private static final long RUN_MS = 300_000;
  private static final List<String> PARTIES = List.of("bureau", "lender");
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static AggregateFixture fx;
  /** The list before and after the change: id to reason code. */
  static Map<String, String> list1;
  static Map<String, String> list2;
  static int changes;
  static List<String> queries;
  static Map<String, PartyProcess> first;
  static Map<String, PartyProcess> second;
  static Map<String, Integer> exits = new LinkedHashMap<>();
  static final int LONELY_TIMEOUT_MS = 5000;
  static PartyProcess lonely;
  static PartyProcess encode;
  static int encodeExit;
  static int lonelyExit;

  @BeforeAll
  static void runJobs() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    fx = new AggregateFixture(dir.resolve("work"), broker.bootstrapServers(), PARTIES, 20261203L);
    for (String p : PARTIES) {
      String peer = p.equals("bureau") ? "lender" : "bureau";
      Files.writeString(fx.work.resolve("policy-" + p + ".yaml"), String.join("\n",
          "party: " + p,
          "peers:",
          "  - id: " + peer,
          "    publicKey: " + fx.publicKeys.get(peer),
          "operators: [blacklist-lookup]",
          "outputRecipients: [lender]",
          ""), StandardCharsets.UTF_8);
    }
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
    writeList(list1);
    writeQueries();
    first = runBoth(spec1);
    writeList(list2);
    // The bureau refreshes its encoded list after the change, as a scheduled job would.
    Path spec2 = writeSpec("second.yaml", "it-blacklist-2");
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
  }

  @AfterAll
  static void stop() {
    for (Map<String, PartyProcess> ps : Arrays.asList(first, second)) {
      if (ps != null) {
        ps.values().forEach(PartyProcess::close);
      }
    }
    if (lonely != null) {
      lonely.close();
    }
    if (encode != null) {
      encode.close();
    }
    if (broker != null) {
      broker.close();
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
    List<byte[]> records = new ArrayList<>();
    long[] bytes = {0};
    BrokerView.readRecords(broker.bootstrapServers(), t -> true, (topic, offset, value) -> {
      if (value != null) {
        records.add(value);
        bytes[0] += value.length;
      }
    });
    // The copy alone is 2,000 records of tag and sealed reason.
    assertThat(bytes[0]).isGreaterThan(2000L * 16);
    // Every id and every reason shares one of these; when none is anywhere, no id or reason is.
    for (byte[] r : records) {
      String text = new String(r, StandardCharsets.ISO_8859_1);
      assertThat(text).doesNotContain("applicant-").doesNotContain("-veil-it").doesNotContain("-CODE-");
    }
    for (String n : needles) {
      assertThat(PsiEndToEndIT.contains(records, n.getBytes(StandardCharsets.UTF_8))).as(n).isFalse();
    }
  }

  @Test
  @Order(5)
  void aLenderWhoseBureauNeverComesFailsNamingIt() {
    assertThat(lonelyExit).isEqualTo(1);
    assertThat(String.join("\n", lonely.output())).contains("veil: peer timeout")
        .contains("bureau did not approve it within " + LONELY_TIMEOUT_MS + " ms");
  }
}
