package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.IdentityPublicKey;
import io.veil.jobs.PartyProcess;
import io.veil.ledger.JobRoot;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LedgerVerifier;
import io.veil.ledger.LocalLedger;
import io.veil.ledger.Receipt;
import io.veil.ledger.VerificationReport;
import io.veil.psi.internal.PsiProtocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo scenario, each party its own JVM, over a real Kafka broker: results equal the plaintext
 * join, receipts verify, and no input key (raw or normalised) is anywhere in the broker's logs.
 * Both jobs run once for the class.
 */
class PsiEndToEndIT {
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static PsiFixture fx;
  static Set<String> expected;
  static Map<String, Integer> exits = new java.util.HashMap<>();
  static Map<String, List<String>> stdouts = new java.util.HashMap<>();
  static List<String> rawEmails = new ArrayList<>();
  static Set<String> normalizedEmails = new HashSet<>();
  static Set<String> expectedEmails;
  static Path creditSpec;
  static Path emailSpec;

  @BeforeAll
  static void runJobs() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    fx = new PsiFixture(dir.resolve("work"), broker.bootstrapServers());
    expected = fx.sampleDefaultCredit();
    // The credit job runs the OPRF protocol (KKRT16 over OT extension); the e-mail job ECDH-PSI.
    creditSpec = fx.writeSpec("credit.yaml", "it-credit", "rows", Map.of(), "  protocol: oprf");

    // A second job keyed by e-mail addresses with case and white-space variants (normalised to lower case).
    expectedEmails = writeEmailInputs();
    Map<String, String> emailInputs = new java.util.HashMap<>();
    for (String p : PsiFixture.PARTIES) {
      emailInputs.put(p, String.join("\n",
          "      format: csv",
          "      path: " + fx.work.resolve("data/" + p + "-emails.csv"),
          "      keyColumns: [email]"));
    }
    emailSpec = fx.writeSpec("emails.yaml", "it-emails", "rows", emailInputs,
        "  normalize:", "    trim: true", "    case: lower");

    for (Path spec : List.of(creditSpec, emailSpec)) {
      // In the credit job bank_b runs as on a cluster: spark-submit's main class, Spark's classpath,
      // the shaded jobs jar, settings from Spark conf (spark.veil.*).
      List<PartyProcess> ps = new ArrayList<>();
      ps.add(fx.start("bank_a", spec));
      ps.add(spec == creditSpec ? fx.startWithSparkSubmit("bank_b", spec) : fx.start("bank_b", spec));
      for (PartyProcess p : ps) {
        exits.put(spec.getFileName() + "/" + p.name(), p.await(300_000));
        stdouts.put(spec.getFileName() + "/" + p.name(), p.stdout());
      }
    }
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  static Set<String> writeEmailInputs() throws IOException {
    Random rnd = new Random(11);
    Set<String> a = new HashSet<>();
    Set<String> b = new HashSet<>();
    for (String p : PsiFixture.PARTIES) {
      List<String> lines = new ArrayList<>(List.of("email,score"));
      int from = p.equals("bank_a") ? 0 : 2000;
      for (int i = from; i < from + 3000; i++) {
        String norm = "customer.number." + i + "@veil-example-bank.test";
        String raw = switch (rnd.nextInt(3)) {
          case 0 -> norm;
          case 1 -> "  " + norm.toUpperCase(Locale.ROOT) + " ";
          default -> "Customer.Number." + i + "@Veil-Example-Bank.TEST";
        };
        rawEmails.add(raw.strip());
        normalizedEmails.add(norm);
        (p.equals("bank_a") ? a : b).add(norm);
        lines.add(raw + "," + rnd.nextInt(1000));
      }
      Files.createDirectories(fx.work.resolve("data"));
      Files.write(fx.work.resolve("data/" + p + "-emails.csv"), lines, StandardCharsets.UTF_8);
    }
    a.retainAll(b);
    return a;
  }

  @Test
  void bothPartiesSucceed() {
    assertThat(exits).hasSize(4).allSatisfy((k, v) -> assertThat(v).as(k).isZero());
  }

  /** {@code --output json}: one JSON object is all a party prints on stdout, also under spark-submit. */
  @Test
  void eachPartyPrintsExactlyItsOutcomeAsJson() throws IOException {
    assertThat(stdouts).hasSize(4);
    for (Map.Entry<String, List<String>> e : stdouts.entrySet()) {
      assertThat(e.getValue()).as(e.getKey()).hasSize(1);
      JsonNode outcome = new ObjectMapper().readTree(e.getValue().get(0));
      assertThat(outcome.path("status").asText()).as(e.getKey()).isEqualTo("succeeded");
      assertThat(outcome.path("peakHeapMiB").asLong()).as(e.getKey()).isPositive();
      if (e.getKey().startsWith("credit.yaml/")) {
        assertThat(outcome.path("result").path("intersectionSize").asText()).as(e.getKey())
            .isEqualTo(Integer.toString(expected.size()));
      }
    }
  }

  @Test
  void intersectionRowsEqualThePlaintextJoin() throws IOException {
    for (String p : PsiFixture.PARTIES) {
      Path out = fx.output("it-credit", p);
      assertThat(PsiFixture.outputIds(out)).as(p).isEqualTo(expected);
      assertThat(PsiFixture.outputLines(out)).as(p).hasSize(expected.size());
      // Joined back to the party's own columns: guest rows have id, y, x0..x12; host rows id, x0..x9.
      int columns = p.equals("bank_a") ? 15 : 11;
      assertThat(PsiFixture.outputLines(out).get(0).split(",")).hasSize(columns);
    }
  }

  @Test
  void normalisedKeysMatchAcrossCaseAndWhitespaceVariants() throws IOException {
    Set<String> got = new HashSet<>();
    for (String id : PsiFixture.outputIds(fx.output("it-emails", "bank_a"))) {
      got.add(id.strip().toLowerCase(Locale.ROOT));
    }
    assertThat(got).isEqualTo(expectedEmails).hasSize(1000);
  }

  @Test
  void receiptsVerifyAndAgreeOnTheTranscript() {
    List<LedgerEntry> a = LocalLedger.openReadOnly(fx.work.resolve("ledger-bank_a.jsonl")).entries();
    List<LedgerEntry> b = LocalLedger.openReadOnly(fx.work.resolve("ledger-bank_b.jsonl")).entries();
    assertThat(a).hasSize(2);
    assertThat(b).hasSize(2);
    for (String p : PsiFixture.PARTIES) {
      VerificationReport report = LedgerVerifier.create().verify(fx.work.resolve("ledger-" + p + ".jsonl"),
          IdentityPublicKey.parse(fx.publicKeys.get(p)));
      assertThat(report.ok()).as(report.toString()).isTrue();
    }
    assertThat(a.get(0).receipt().contractHash()).isEqualTo(b.get(0).receipt().contractHash());
    assertThat(a.get(0).receipt().roundDigests()).isEqualTo(b.get(0).receipt().roundDigests());
    assertThat(a.get(0).receipt().result().get("intersectionSize")).isEqualTo(Integer.toString(expected.size()));
    assertThat(a.get(0).receipt().approvals()).hasSize(2);
    for (int i = 0; i < 2; i++) {
      Receipt ra = a.get(i).receipt();
      Receipt rb = b.get(i).receipt();
      assertThat(JobRoot.of(ra)).as("job %d: both receipts agree on the job root", i).isEqualTo(JobRoot.of(rb));
      assertThat(ra.peerCommitments()).containsExactly(new Receipt.PeerCommitment("bank_b",
          rb.inputCommitment().root(), rb.outputCommitment() == null ? null : rb.outputCommitment().root()));
    }
  }

  @Test
  void verifyRecomputesArtefactsAndNamesTheOneThatChanged() throws Exception {
    List<String> args = List.of("verify", "--ledger", fx.work.resolve("ledger-bank_b.jsonl").toString(),
        "--spec", creditSpec.toString(), "--party", "bank_b", "--master", "local[1]");
    PartyProcess ok = PartyProcess.start("verify", args, "768m", List.of(), fx.work, System.out);
    assertThat(ok.await(180_000)).isZero();
    assertThat(String.join("\n", ok.output())).contains("PASS");

    // Edit one output row of bank_b (in a copy of the directory, restored afterwards).
    Path out = fx.output("it-credit", "bank_b");
    Path part;
    try (Stream<Path> files = Files.list(out)) {
      part = files.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().findFirst().orElseThrow();
    }
    byte[] original = Files.readAllBytes(part);
    List<String> lines = new ArrayList<>(Files.readAllLines(part, StandardCharsets.UTF_8));
    lines.set(1, lines.get(1).replaceFirst(",", ",9"));
    Files.write(part, lines, StandardCharsets.UTF_8);
    Files.deleteIfExists(part.resolveSibling("." + part.getFileName() + ".crc"));
    try {
      PartyProcess bad = PartyProcess.start("verify", args, "768m", List.of(), fx.work, System.out);
      assertThat(bad.await(180_000)).isEqualTo(1);
      assertThat(String.join("\n", bad.output()))
          .contains("artefact output " + out).contains("does not match its commitment");
    } finally {
      Files.write(part, original);
    }
  }

  /**
   * The Kafka operator's view of the e-mail job (README, leakage table: "set sizes, batch counts and
   * timing; no key"), read as that operator would with an ordinary consumer: every record is a Veil
   * control message or a signed batch of 32-byte points; the control log carries only the runtime's
   * messages (no notice: PSI has nothing to tell beyond its rounds); and every number the operator
   * can read (elements per stream, announced totals) is one of the two set sizes.
   */
  @Test
  void theBrokerOperatorSeesTheDocumentedViewAndNothingMore() throws Exception {
    BrokerView view = BrokerView.read(broker.bootstrapServers());
    assertThat(view.unreadable).as("records that are neither control messages nor batches").isEmpty();
    String job = PsiFixture.jobId(emailSpec);
    assertThat(view.kinds(job)).isSubsetOf("Hello", "Heartbeat", "InputCommitted", "RoundComplete", "Done");
    Set<Long> setSizes = Set.of(3000L); // both parties hold 3000 distinct normalised keys
    int comparisonBytes = view.dataOf(job).stream().filter(d -> d.stream().contains(".blind-2"))
        .mapToInt(BrokerView.DataRecord::elementBytes).findFirst().orElseThrow();
    assertThat(comparisonBytes).isBetween(8, 32);
    assertThat(view.dataOf(job)).isNotEmpty().allSatisfy(d -> {
      assertThat(d.stream()).startsWith(d.sender() + "." + job + ".");
      // blind-1: a curve point; blind-2: a truncated comparison hash, its length a function of the set sizes
      assertThat(d.elementBytes()).isEqualTo(d.stream().contains(".blind-1") ? 32 : comparisonBytes);
    });
    assertThat(Set.copyOf(view.elementsPerStream(job).values())).isEqualTo(setSizes);
    assertThat(view.announcedTotals(job)).isEqualTo(new java.util.TreeSet<>(setSizes));
    // No element is a point the operator could recompute from a guessed key: every element differs
    // from every other (blinding is a permutation), so the log holds no repeated value to test guesses on.
    // In particular the answers of both directions (blind-2) must not repeat: a key in the
    // intersection blinded by both parties would otherwise show the same value on both streams, and
    // the operator would learn the intersection size and which blinded keys match.
    Set<String> elements = new HashSet<>();
    long total = 0;
    for (BrokerView.DataRecord d : view.dataOf(job)) {
      int size = d.elementBytes();
      for (int i = 0; i < d.count(); i++) {
        elements.add(java.util.HexFormat.of().formatHex(d.payload(), i * size, i * size + size));
        total++;
      }
    }
    assertThat(elements).as("no element repeats across streams").hasSize((int) total);
  }

  /**
   * The Kafka operator's view of the OPRF credit job: base OTs as notices; then only bank_a's
   * correction rows (64 bytes, one per cuckoo bin), bank_b's PRF values (three per key) and the
   * values bank_a returns as matched (the intersection size, which the leakage table names).
   */
  @Test
  void theBrokerOperatorSeesCorrectionRowsAndPrfValuesInTheOprfJob() throws Exception {
    BrokerView view = BrokerView.read(broker.bootstrapServers());
    String job = PsiFixture.jobId(creditSpec);
    assertThat(view.kinds(job)).contains("Notice").isSubsetOf("Hello", "Heartbeat", "InputCommitted",
        "RoundComplete", "Notice", "Done");
    long keysB;
    try (Stream<String> lines = Files.lines(fx.work.resolve("data/bank_b.csv"))) {
      keysB = lines.skip(1).map(l -> l.split(",")[0]).distinct().count();
    }
    Map<String, Long> perStream = view.elementsPerStream(job);
    assertThat(perStream).containsOnlyKeys("bank_a bank_a." + job + ".oprf-u", "bank_b bank_b." + job
        + ".oprf-values", "bank_a bank_a." + job + ".oprf-matched");
    assertThat(perStream.get("bank_b bank_b." + job + ".oprf-values")).isEqualTo(3 * keysB);
    assertThat(perStream.get("bank_a bank_a." + job + ".oprf-matched")).isEqualTo(expected.size());
    assertThat(perStream.get("bank_a bank_a." + job + ".oprf-u")).isGreaterThan((long) (1.27 * expected.size()));
    assertThat(view.dataOf(job)).allSatisfy(d -> assertThat(d.elementBytes())
        .isEqualTo(d.stream().endsWith(".oprf-u") ? 64 : PsiProtocol.comparisonBytes(
            perStream.get("bank_a bank_a." + job + ".oprf-u"), 3 * keysB)));
    Receipt ra = LocalLedger.openReadOnly(fx.work.resolve("ledger-bank_a.jsonl")).entries().get(0).receipt();
    // Rounds numbered by OprfPsiProtocol.STEPS after the input round: correction rows (1), PRF values (2),
    // matched values (3).
    assertThat(ra.roundDigests()).extracting(Receipt.RoundDigest::round, Receipt.RoundDigest::from,
        Receipt.RoundDigest::elements).containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(1, "bank_a", perStream.get("bank_a bank_a." + job + ".oprf-u")),
            org.assertj.core.groups.Tuple.tuple(2, "bank_b", 3 * keysB),
            org.assertj.core.groups.Tuple.tuple(3, "bank_a", (long) expected.size()));
  }

  @Test
  void noInputKeyRawOrNormalisedIsInAnyTopic() throws IOException {
    List<byte[]> segments = new ArrayList<>();
    long bytes = 0;
    for (Path d : broker.logDirs()) {
      try (Stream<Path> files = Files.walk(d)) {
        for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
          byte[] b = Files.readAllBytes(f);
          segments.add(b);
          bytes += b.length;
        }
      }
    }
    // The jobs wrote real traffic: tens of thousands of blinded points and PRF values.
    assertThat(bytes).isGreaterThan(1_000_000);
    // Every e-mail key, raw or normalised and in any case, contains these two strings: if neither
    // appears (case-insensitively) anywhere, no e-mail key does.
    for (byte[] seg : segments) {
      String text = new String(seg, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
      assertThat(text).doesNotContain("veil-example-bank").doesNotContain("customer.number");
    }
    for (String n : rawEmails.subList(0, 300)) {
      assertThat(contains(segments, n.getBytes(StandardCharsets.UTF_8))).as(n).isFalse();
    }
    // Numeric ids are too short to search for as bare text in random bytes; search for them in the
    // exact form the operator hashes (4-byte length prefix + UTF-8 digits), which any leak of the
    // hash pre-images would show. Ids under 3 digits are too short to tell from record framing.
    Set<String> framedDigits = new HashSet<>();
    for (byte[] seg : segments) {
      for (int i = 0; i + 4 < seg.length; i++) {
        int len = seg[i + 3];
        if (seg[i] == 0 && seg[i + 1] == 0 && seg[i + 2] == 0 && len >= 3 && len <= 10 && i + 4 + len <= seg.length) {
          boolean digits = true;
          for (int k = 0; k < len && digits; k++) {
            digits = seg[i + 4 + k] >= '0' && seg[i + 4 + k] <= '9';
          }
          if (digits) {
            framedDigits.add(new String(seg, i + 4, len, StandardCharsets.US_ASCII));
          }
        }
      }
    }
    framedDigits.retainAll(expected);
    assertThat(framedDigits).isEmpty();
  }

  static boolean contains(List<byte[]> haystacks, byte[] needle) {
    for (byte[] h : haystacks) {
      outer:
      for (int i = 0; i + needle.length <= h.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (h[i + j] != needle[j]) {
            continue outer;
          }
        }
        return true;
      }
    }
    return false;
  }
}
