package io.veil.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.veil.InvalidInputException;
import io.veil.ledger.internal.CanonicalJson;
import io.veil.ledger.internal.Hashes;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReceiptTest {
  private static final ObjectMapper PLAIN = new ObjectMapper();

  @Test
  void canonicalJsonRoundTripsAndIsTheHashedForm() {
    Receipt r = Fixtures.receipt("job-1");
    byte[] json = r.canonicalJson();
    Receipt back = Receipt.fromJson(json);
    assertThat(back).isEqualTo(r);
    assertThat(back.canonicalJson()).isEqualTo(json);
    assertThat(r.hash()).isEqualTo(Hashes.sha256(json));
    assertThat(r.hashHex()).isEqualTo(Hashes.hex(Hashes.sha256(json)));
  }

  @Test
  void canonicalJsonHasSortedKeysAndNoWhitespace() throws Exception {
    String json = new String(Fixtures.receipt("job-1").canonicalJson(), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain(" ", "\n", "\t");
    assertThat(json).startsWith("{\"anchors\":[],\"approvals\":[{\"party\":\"bank_a\",\"publicKey\":\"ed25519:");
    assertSorted(PLAIN.readTree(json));
    // nullable fields are written as null, not left out
    Receipt noPeriod = Fixtures.receiptBuilder("job-1", "bank_a", Fixtures.BANK_A).period(null).build();
    assertThat(new String(noPeriod.canonicalJson(), StandardCharsets.UTF_8)).contains("\"period\":null");
  }

  @Test
  void usageRoundTripsAndIsCoveredByTheHash() {
    Receipt.Usage usage = Receipt.Usage.ofJob("a1".repeat(32), 1000, Map.of("queriesAnswered", "7", "x", "y"),
        List.of(Fixtures.MALLORY.publicKey(), Fixtures.BANK_B.publicKey()));
    assertThat(usage.queriesAnswered()).isEqualTo(7);
    assertThat(usage.jobs()).isEqualTo(1);
    assertThat(usage.consumers()).isSorted().containsExactlyInAnyOrder(
        Hashes.hex(Fixtures.MALLORY.publicKey().bytes()), Hashes.hex(Fixtures.BANK_B.publicKey().bytes()));
    Receipt r = Fixtures.receiptBuilder("job-1", "bank_a", Fixtures.BANK_A).usage(usage).build();
    byte[] json = r.canonicalJson();
    assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"usage\":{\"asset\":\"" + "a1".repeat(32)
        + "\",\"consumers\":[");
    Receipt back = Receipt.fromJson(json);
    assertThat(back).isEqualTo(r);
    assertThat(back.usage()).isEqualTo(usage);
    assertThat(back.canonicalJson()).isEqualTo(json);
    assertThat(r.hashHex()).isNotEqualTo(Fixtures.receipt("job-1").hashHex());
    // Without the figure, no queries; a figure that is not a count is refused.
    assertThat(Receipt.Usage.ofJob("a1".repeat(32), 3, Map.of(), List.of()).queriesAnswered()).isZero();
    assertThatThrownBy(() -> Receipt.Usage.ofJob("a1".repeat(32), 3, Map.of("queriesAnswered", "-1"), List.of()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("queriesAnswered");
    // The writer is never its own consumer.
    assertThatThrownBy(() -> Fixtures.receiptBuilder("job-1", "bank_a", Fixtures.BANK_A)
        .usage(Receipt.Usage.ofJob("a1".repeat(32), 3, Map.of(), List.of(Fixtures.BANK_A.publicKey()))).build())
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("own party");
  }

  @Test
  void aReceiptWithoutUsageKeepsTheFormAndHashItHadBeforeMetering() throws Exception {
    Receipt r = Fixtures.receipt("job-1");
    assertThat(r.usage()).isNull();
    String json = new String(r.canonicalJson(), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("usage");
    // Exactly the pre-metering members, so the bytes (and hash) of receipts written before are unchanged.
    List<String> names = new java.util.ArrayList<>();
    PLAIN.readTree(json).fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactly("anchors", "approvals", "contractHash", "finishedAt", "inputCommitment",
        "jobId", "jobName", "operator", "outputCommitment", "outputLocation", "party", "partyKey", "peerCommitments",
        "period", "result", "roundDigests", "startedAt", "status", "version");
    assertThat(Receipt.fromJson(json).hashHex()).isEqualTo(r.hashHex());
    // A ledger of such receipts verifies (it is what earlier releases wrote).
    java.nio.file.Path file = java.nio.file.Files.createTempDirectory("receipt").resolve("old.jsonl");
    Fixtures.ledgerWith(file, 2);
    assertThat(LedgerVerifier.create().verify(file, Fixtures.BANK_A.publicKey()).ok()).isTrue();
  }

  private static void assertSorted(JsonNode node) {
    if (node.isObject()) {
      String prev = null;
      var it = node.fieldNames();
      while (it.hasNext()) {
        String name = it.next();
        if (prev != null) {
          assertThat(name).isGreaterThan(prev);
        }
        prev = name;
        assertSorted(node.get(name));
      }
    } else if (node.isArray()) {
      node.forEach(ReceiptTest::assertSorted);
    }
  }

  /**
   * The encoding is a storage and hashing format: it must not change within a format version
   * (format 2 added {@code peerCommitments}; format 3 signs approvals and entries with
   * Ed25519ctx signature domains).
   */
  @Test
  void hashOfAFixedReceiptNeverChanges() {
    assertThat(Fixtures.receipt("job-1").hashHex()).isEqualTo(GOLDEN_HASH);
  }

  static final String GOLDEN_HASH = "b9a2f024fa72efb06d3dc2302fd27219f84865dd1e4ab924577fb342afa6e3a2";

  @Test
  void plainJacksonSerialisationUsesTheSameFields() throws Exception {
    Receipt r = Fixtures.receipt("job-1");
    JsonNode viaJackson = PLAIN.valueToTree(r);
    assertThat(CanonicalJson.encode(viaJackson)).isEqualTo(r.canonicalJson());
    assertThat(PLAIN.readValue(PLAIN.writeValueAsString(r), Receipt.class)).isEqualTo(r);
  }

  @Test
  void listsAreKeptInCanonicalOrder() {
    Receipt r = Fixtures.receipt("job-1");
    assertThat(r.approvals()).extracting(Receipt.Approval::party).containsExactly("bank_a", "bank_b");
    assertThat(r.roundDigests()).extracting(Receipt.RoundDigest::round).containsExactly(0, 1);
    assertThat(r.result()).containsExactly(Map.entry("intersectionSize", "420"));
  }

  @Test
  void approvalsVerifyOverTheContractHash() {
    Receipt r = Fixtures.receipt("job-1");
    for (Receipt.Approval a : r.approvals()) {
      assertThat(a.verifies(r.contractHashBytes())).isTrue();
      assertThat(a.verifies(Fixtures.contractHash("job-2"))).isFalse();
    }
  }

  @Test
  void anchorLeafIgnoresAnchorsButHashDoesNot() {
    Receipt r = Fixtures.receipt("job-1");
    assertThat(r.anchorLeaf()).isEqualTo(r.hash());
    Receipt anchored = r.withAnchors(List.of(
        new Receipt.Anchor("evm:1337:0xabc", Receipt.AnchorStatus.CONFIRMED, "0xtx:3")));
    assertThat(anchored.anchorLeaf()).isEqualTo(r.hash());
    assertThat(anchored.hash()).isNotEqualTo(r.hash());
    assertThat(new String(anchored.canonicalJson(), StandardCharsets.UTF_8))
        .contains("\"anchors\":[{\"reference\":\"0xtx:3\",\"sink\":\"evm:1337:0xabc\",\"status\":\"confirmed\"}]");
  }

  @Test
  void unicodeAndControlCharactersRoundTrip() {
    Receipt r = Fixtures.receiptBuilder("job-\u00e9\u4e2d\ud83d\ude00", "bank_a", Fixtures.BANK_A)
        .outputLocation("s3://b/\"quoted\"\\path\n\u0001")
        .build();
    String json = new String(r.canonicalJson(), StandardCharsets.UTF_8);
    assertThat(json).contains("\"jobId\":\"job-\u00e9\u4e2d\ud83d\ude00\"");
    assertThat(json).contains("\"outputLocation\":\"s3://b/\\\"quoted\\\"\\\\path\\n\\u0001\"");
    assertThat(Receipt.fromJson(json)).isEqualTo(r);
  }

  @Test
  void readingAcceptsAnyFormattingButRejectsUnknownMissingAndDuplicateFields() throws Exception {
    Receipt r = Fixtures.receipt("job-1");
    String pretty = PLAIN.writerWithDefaultPrettyPrinter().writeValueAsString(PLAIN.readTree(r.canonicalJson()));
    assertThat(Receipt.fromJson(pretty)).isEqualTo(r);

    ObjectNode extra = (ObjectNode) PLAIN.readTree(r.canonicalJson());
    extra.put("note", "x");
    assertThatThrownBy(() -> Receipt.fromJson(extra.toString()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("note");

    ObjectNode missing = (ObjectNode) PLAIN.readTree(r.canonicalJson());
    missing.remove("status");
    assertThatThrownBy(() -> Receipt.fromJson(missing.toString()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("status");

    String dup = new String(r.canonicalJson(), StandardCharsets.UTF_8).replaceFirst("\\{", "{\"jobId\":\"other\",");
    assertThatThrownBy(() -> Receipt.fromJson(dup))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("jobId");
  }

  @Test
  void readingRejectsCoercionsAndBadValues() throws Exception {
    Receipt r = Fixtures.receipt("job-1");
    assertRejected(r, n -> ((ObjectNode) n.get("inputCommitment")).put("rows", 1.5), "rows");
    assertRejected(r, n -> ((ObjectNode) n.get("inputCommitment")).put("rows", "1000"), "rows");
    assertRejected(r, n -> n.put("version", 4), "Upgrade Veil");
    assertRejected(r, n -> n.put("version", 2), "earlier Veil release");
    assertRejected(r, n -> n.put("status", "ok"), "succeeded or failed");
    assertRejected(r, n -> n.put("contractHash", r.contractHash().toUpperCase()), "lowercase hex");
    assertRejected(r, n -> n.put("startedAt", "2024-05-01 10:00"), "ISO-8601");
    assertRejected(r, n -> n.put("finishedAt", "2024-05-01T09:00:00Z"), "before startedAt");
    assertRejected(r, n -> n.put("partyKey", "ed25519:AAAA"), "partyKey");
    assertRejected(r, n -> n.put("jobId", 7), "jobId");
  }

  private static void assertRejected(Receipt r, java.util.function.Consumer<ObjectNode> edit, String expected)
      throws Exception {
    ObjectNode n = (ObjectNode) PLAIN.readTree(r.canonicalJson());
    edit.accept(n);
    assertThatThrownBy(() -> Receipt.fromJson(n.toString()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(expected);
  }

  @Test
  void builderValidatesWithActionableMessages() {
    assertThatThrownBy(() -> Fixtures.receiptBuilder("job-1", "bank_a", Fixtures.BANK_A).jobId(" ").build())
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("Cannot use receipt.jobId: it is missing or blank. Set it to a non-empty value.");
    assertThatThrownBy(() -> Fixtures.receiptBuilder("job-1", "bank_a", Fixtures.BANK_A)
            .addApproval(Receipt.Approval.sign("bank_a", Fixtures.BANK_A, Fixtures.contractHash("job-1")))
            .build())
        .hasMessageContaining("lists party 'bank_a' twice");
    assertThatThrownBy(() -> new Receipt.Commitment("merkle", "abc", 1, ""))
        .hasMessageContaining("commitment.root");
    assertThatThrownBy(() -> new Receipt.Commitment("merkle", "ab", -1, ""))
        .hasMessageContaining("commitment.rows");
    assertThatThrownBy(() -> Fixtures.receiptBuilder("job-1", "bank_a", Fixtures.BANK_A)
            .startedAt(Instant.parse("2024-05-02T00:00:00Z")).build())
        .hasMessageContaining("finishedAt");
  }

  @Test
  void failedJobReceiptWithoutOutputs() {
    Receipt r = Fixtures.receiptBuilder("job-f", "bank_a", Fixtures.BANK_A)
        .outputCommitment(null).outputLocation(null).result(Map.of()).roundDigests(List.of())
        .status(Receipt.Status.FAILED).build();
    assertThat(Receipt.fromJson(r.canonicalJson())).isEqualTo(r);
    assertThat(new String(r.canonicalJson(), StandardCharsets.UTF_8))
        .contains("\"outputCommitment\":null", "\"status\":\"failed\"", "\"result\":{}");
  }
}
