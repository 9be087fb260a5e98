package io.veil.ledger.chain;

import static io.veil.ledger.Fixtures.BANK_A;
import static io.veil.ledger.Fixtures.BANK_B;
import static io.veil.ledger.Fixtures.MALLORY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.veil.VeilException;
import io.veil.ledger.Fixtures;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LedgerVerifier;
import io.veil.ledger.LocalLedger;
import io.veil.ledger.Receipt;
import io.veil.ledger.internal.Hashes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ChainVerifier} against a dishonest party on a real Ganache node: after its receipts are
 * anchored, the party rewrites its own ledger (any field of a receipt, or an earlier entry) and
 * re-signs it with its own key, so that {@link LedgerVerifier} alone passes. The anchors still
 * name what changed: the receipt leaf ({@code receipt:<party>}) or the ledger-head leaf.
 */
class ChainVerifierTest {
  private static final Duration FLUSH = Duration.ofSeconds(60);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static DevChain chain;
  private static ChainClient client;

  @TempDir Path dir;

  @BeforeAll
  static void startChainAndDeploy() {
    chain = DevChain.start();
    client = chain.deployedClient();
  }

  @AfterAll
  static void stopChain() {
    DevChain.closeAll(client, chain);
  }

  @Test
  void everyFieldOfAReceiptEditedAndReSignedIsNamedByTheReceiptLeaf() throws IOException {
    Receipt original = receipt("fields-1");
    LedgerEntry honest;
    ReceiptAnchor anchor;
    try (ChainSink sink = ChainSink.open(LocalLedger.open(dir.resolve("honest.jsonl"), BANK_A), client,
        fastRetry())) {
      honest = sink.append(original);
      assertThat(sink.flush(FLUSH)).isTrue();
      anchor = sink.status(original.jobId()).orElseThrow();
    }
    assertThat(ChainVerifier.verify(honest, anchor, client).ok()).isTrue();

    // Every field of the canonical JSON, so that a field added to Receipt is covered without a change here.
    ObjectNode json = (ObjectNode) MAPPER.readTree(original.canonicalJson());
    List<String> keptByTheLedger = new ArrayList<>();
    List<String> edited = new ArrayList<>();
    List<String> missed = new ArrayList<>();
    for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      JsonNode value = json.get(field);
      assertThat(value.isNull() || value.isContainerNode() && value.isEmpty())
          .as("the fixture fills '%s', so that it can be edited", field).isFalse();
      Optional<LedgerEntry> forged = forge(json, field);
      if (forged.isEmpty()) {
        keptByTheLedger.add(field);
        continue;
      }
      edited.add(field);
      AnchorReport report = ChainVerifier.verify(forged.get(), anchor, client);
      if (!report.kinds().contains(AnchorReport.Kind.RECEIPT_HASH_NOT_LEAF)
          || !report.summary().contains("(leaf 'receipt:")) {
        missed.add(field + " -> " + report.summary());
      }
      // Only leaves differ: the anchor itself, its proof and the chain are as they were.
      assertThat(report.kinds()).as(field).isSubsetOf(AnchorReport.Kind.RECEIPT_HASH_NOT_LEAF,
          AnchorReport.Kind.RECEIPT_NOT_LEAF);
    }
    assertThat(missed).as("fields edited and re-signed that chain verification does not name").isEmpty();
    // Fields the party cannot change and re-sign at all: LedgerVerifier's own checks catch them.
    assertThat(keptByTheLedger).containsExactlyInAnyOrder("version", "partyKey");
    assertThat(edited).hasSize(json.size() - 2);
  }

  @Test
  void anEarlierEntryRewrittenIsNamedByTheLedgerHeadOfEveryLaterEntry() {
    List<LedgerEntry> entries = new ArrayList<>();
    List<ReceiptAnchor> anchors = new ArrayList<>();
    try (ChainSink sink = ChainSink.open(LocalLedger.open(dir.resolve("honest.jsonl"), BANK_A), client,
        fastRetry())) {
      for (int i = 0; i < 3; i++) {
        entries.add(sink.append(receipt("head-" + i)));
      }
      assertThat(sink.flush(FLUSH)).isTrue();
      entries.forEach(e -> anchors.add(sink.status(e.jobId()).orElseThrow()));
    }
    // The party turns its first job into a failure and re-signs the whole ledger.
    Path rewritten = dir.resolve("rewritten.jsonl");
    LocalLedger forged = LocalLedger.open(rewritten, BANK_A);
    forged.append(entries.get(0).receipt().toBuilder().status(Receipt.Status.FAILED).build());
    forged.append(entries.get(1).receipt());
    forged.append(entries.get(2).receipt());
    assertThat(LedgerVerifier.create().verify(rewritten, BANK_A.publicKey()).ok()).isTrue();

    List<LedgerEntry> now = LocalLedger.openReadOnly(rewritten).entries();
    AnchorReport first = ChainVerifier.verify(now.get(0), anchors.get(0), client);
    assertThat(first.kinds()).containsExactly(AnchorReport.Kind.RECEIPT_HASH_NOT_LEAF);
    assertThat(first.summary()).contains("(leaf 'receipt:bank_a')", "the anchored receipt of 'bank_a' has hash "
        + entries.get(0).receiptHash());
    for (int i = 1; i < 3; i++) {
      AnchorReport later = ChainVerifier.verify(now.get(i), anchors.get(i), client);
      assertThat(later.kinds()).as("entry %d", i).containsExactly(AnchorReport.Kind.LEDGER_HEAD_NOT_LEAF);
      assertThat(later.summary()).as("entry %d", i).contains("(leaf 'ledger-head')",
          "it was anchored as entry " + i + " after entry hash " + entries.get(i - 1).entryHash());
    }
    // The honest ledger still verifies against the same anchors.
    for (int i = 0; i < 3; i++) {
      assertThat(ChainVerifier.verify(entries.get(i), anchors.get(i), client).ok()).isTrue();
    }
  }

  @Test
  void anOutboxOfAnotherFormatIsRefusedSayingSo() throws IOException {
    Path ledger = dir.resolve("formats.jsonl");
    try (ChainSink sink = ChainSink.open(LocalLedger.open(ledger, BANK_A), client, fastRetry())) {
      sink.append(receipt("format-1"));
      assertThat(sink.flush(FLUSH)).isTrue();
    }
    Path outbox = ChainSink.outboxFile(ledger);
    String line = Files.readAllLines(outbox, StandardCharsets.UTF_8).get(0);
    assertThat(line).endsWith(",\"version\":2}");

    // An earlier release's line: no version, the job root alone under "jobLeaves".
    Files.writeString(outbox, line.replace(",\"version\":2}", "}").replace("\"leaves\"", "\"jobLeaves\"") + "\n",
        StandardCharsets.UTF_8);
    assertThatThrownBy(() -> ChainSink.recordedAnchors(ledger))
        .isInstanceOf(VeilException.class)
        .hasMessageContaining("Cannot open anchor outbox " + outbox + ": line 1 has anchor format 1 (no version field")
        .hasMessageContaining("move the outbox aside and run 'veil anchor'");
    Files.writeString(outbox, line.replace(",\"version\":2}", ",\"version\":3}") + "\n", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> ChainSink.recordedAnchors(ledger))
        .isInstanceOf(VeilException.class)
        .hasMessageContaining("line 1 has anchor format 3, but this Veil reads format 2 only. Upgrade Veil");

    // Moved aside, the ledger is anchored again in the current format and verifies.
    Files.move(outbox, dir.resolve("old-outbox.jsonl"));
    try (ChainSink sink = ChainSink.open(LocalLedger.open(ledger, BANK_A), client, fastRetry())) {
      assertThat(sink.flush(FLUSH)).isTrue();
      assertThat(ChainVerifier.verify(sink.entries().get(0), sink.anchors().get(0), client).ok()).isTrue();
    }
  }

  // ---- a dishonest party's rewrite ----

  /**
   * The first edit of {@code field} that the party can write into a fresh ledger of its own, re-signed, such that
   * {@link LedgerVerifier} passes; empty if there is none.
   */
  private Optional<LedgerEntry> forge(ObjectNode json, String field) {
    Receipt original = Receipt.fromJson(json.toString());
    int attempt = 0;
    for (JsonNode value : edits(json.get(field))) {
      ObjectNode copy = json.deepCopy();
      copy.set(field, value);
      Receipt edited;
      try {
        edited = reapproved(Receipt.fromJson(copy.toString()));
      } catch (VeilException e) {
        continue; // not a readable receipt
      }
      if (Arrays.equals(edited.canonicalJson(), original.canonicalJson())) {
        continue;
      }
      Path file = dir.resolve("forged-" + field + "-" + attempt++ + ".jsonl");
      try {
        LocalLedger.open(file, BANK_A).append(edited);
      } catch (VeilException e) {
        continue; // the party's own ledger refuses it
      }
      if (LedgerVerifier.create().verify(file, BANK_A.publicKey()).ok()) {
        return Optional.of(LocalLedger.openReadOnly(file).entries().get(0));
      }
    }
    return Optional.empty();
  }

  /**
   * What the party can sign after an edit: its own approval again, over the (possibly edited) contract hash; it
   * cannot sign for the others, so it drops their approvals that no longer verify.
   */
  private static Receipt reapproved(Receipt r) {
    byte[] contract = r.contractHashBytes();
    List<Receipt.Approval> approvals = new ArrayList<>();
    for (Receipt.Approval a : r.approvals()) {
      if (a.verifies(contract)) {
        approvals.add(a);
      } else if (a.publicKey().equals(BANK_A.publicKey().encoded())) {
        approvals.add(Receipt.Approval.sign(a.party(), BANK_A, contract));
      }
    }
    return r.toBuilder().approvals(approvals).build();
  }

  /** Generic edits of a JSON value, deepest first within each element; some make no valid receipt. */
  private static List<JsonNode> edits(JsonNode v) {
    List<JsonNode> out = new ArrayList<>();
    if (v.isTextual()) {
      textEdits(v.asText()).forEach(s -> out.add(TextNode.valueOf(s)));
    } else if (v.isIntegralNumber()) {
      out.add(LongNode.valueOf(v.asLong() + 1));
      out.add(LongNode.valueOf(v.asLong() - 1));
    } else if (v.isArray()) {
      for (int i = 0; i < v.size(); i++) {
        ArrayNode dropped = ((ArrayNode) v).deepCopy();
        dropped.remove(i);
        out.add(dropped);
        for (JsonNode e : edits(v.get(i))) {
          ArrayNode changed = ((ArrayNode) v).deepCopy();
          changed.set(i, e);
          out.add(changed);
        }
      }
    } else if (v.isObject()) {
      for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        for (JsonNode e : edits(v.get(name))) {
          ObjectNode changed = ((ObjectNode) v).deepCopy();
          changed.set(name, e);
          out.add(changed);
        }
      }
    }
    return out;
  }

  private static List<String> textEdits(String s) {
    List<String> out = new ArrayList<>();
    switch (s) {
      case "succeeded" -> out.add("failed");
      case "failed" -> out.add("succeeded");
      case "pending" -> out.add("confirmed");
      case "confirmed" -> out.add("pending");
      default -> { }
    }
    try {
      out.add(Instant.parse(s).plusSeconds(1).toString());
    } catch (DateTimeParseException e) {
      // not an instant
    }
    if (s.matches("[0-9]+")) {
      out.add(Long.toString(Long.parseLong(s) + 1));
    }
    if (s.matches("[0-9a-f]*")) {
      out.add(s.isEmpty() ? "00" : s.substring(0, s.length() - 1) + (s.endsWith("0") ? "1" : "0"));
    }
    if (s.startsWith("ed25519:")) {
      out.add(MALLORY.publicKey().encoded());
    }
    out.add(s + "x");
    return out;
  }

  // ---- fixtures ----

  private static ChainSinkConfig fastRetry() {
    return ChainSinkConfig.defaults().withRetry(100, 1_000);
  }


  /** A receipt of bank_a with every field filled, lists and maps included. */
  private static Receipt receipt(String jobId) {
    return Fixtures.receiptBuilder(jobId, "bank_a", BANK_A)
        .result("epsilon", "1")
        .addAnchor(new Receipt.Anchor("evm:1337:0x00000000000000000000000000000000000000aa",
            Receipt.AnchorStatus.CONFIRMED, "0xabc#0"))
        .addPeerCommitment(new Receipt.PeerCommitment("bank_b", Hashes.hex(Hashes.sha256(new byte[] {3})),
            Hashes.hex(Hashes.sha256(new byte[] {4}))))
        .build();
  }
}
