package io.veil.ledger.chain;

import static io.veil.ledger.Fixtures.BANK_A;
import static io.veil.ledger.Fixtures.BANK_B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.VeilException;
import io.veil.ledger.Fixtures;
import io.veil.ledger.JobRoot;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LocalLedger;
import io.veil.ledger.MerkleTree;
import io.veil.ledger.Receipt;
import io.veil.ledger.chain.ReceiptAnchor.Stage;
import io.veil.ledger.internal.Hashes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ChainSink}, its outbox and {@link ChainVerifier} against a real Ganache node: batching,
 * verification and tampering, the chain going down and coming back, closing and reopening, a torn
 * outbox line.
 */
class ChainSinkTest {
  private static final Duration FLUSH = Duration.ofSeconds(60);
  private static final Map<String, String> FIGURES = new TreeMap<>();

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
    FIGURES.forEach((k, v) -> System.out.printf("chain sink: %-44s %s%n", k, v));
  }

  @Test
  void anchorsThreeReceiptsInOneBatchOfThree() {
    // A 60 s batch wait: the batch goes out because it is full, not because the wait ran out.
    ChainSinkConfig config = fastRetry().withMaxBatchReceipts(3).withMaxBatchWaitMs(60_000);
    try (ChainSink sink = ChainSink.open(ledger("batch3"), client, config)) {
      long started = System.nanoTime();
      List<LedgerEntry> entries = appendJobs(sink, "b3-", 3);
      assertThat(sink.flush(FLUSH)).isTrue();
      long latencyMs = (System.nanoTime() - started) / 1_000_000;

      List<ReceiptAnchor> anchors = entries.stream().map(e -> sink.status(e.jobId()).orElseThrow()).toList();
      assertThat(anchors).extracting(ReceiptAnchor::stage).containsOnly(Stage.CONFIRMED);
      assertThat(anchors).extracting(ReceiptAnchor::root).containsOnly(anchors.get(0).root());
      assertThat(anchors).extracting(ReceiptAnchor::txHash).containsOnly(anchors.get(0).txHash());
      assertThat(anchors).extracting(a -> a.proof().leafIndex()).containsExactly(0, 1, 2);
      assertThat(anchors).extracting(a -> a.proof().treeSize()).containsOnly(3);
      assertOnChain(anchors.get(0));
      for (int i = 0; i < 3; i++) {
        assertThat(ChainVerifier.verify(entries.get(i), anchors.get(i), client).ok()).isTrue();
      }
      long gas = anchors.get(0).gasUsed();
      FIGURES.put("gas per batch of 3", String.format("%,d", gas));
      FIGURES.put("gas per job in a batch of 3", String.format("%,d", gas / 3));
      FIGURES.put("latency, 3 appends to all CONFIRMED (batch 3)", latencyMs + " ms");
    }
  }

  @Test
  void anchorsEachReceiptInItsOwnTransactionByDefault() {
    try (ChainSink sink = ChainSink.open(ledger("batch1"), client, fastRetry())) {
      List<LedgerEntry> entries = new ArrayList<>();
      List<Long> latencies = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        long started = System.nanoTime();
        LedgerEntry e = sink.append(Fixtures.receipt("b1-" + i));
        assertThat(sink.flush(FLUSH)).isTrue();
        latencies.add((System.nanoTime() - started) / 1_000_000);
        entries.add(e);
      }
      List<ReceiptAnchor> anchors = entries.stream().map(e -> sink.status(e.jobId()).orElseThrow()).toList();
      assertThat(anchors).extracting(ReceiptAnchor::txHash).doesNotHaveDuplicates();
      assertThat(anchors).extracting(ReceiptAnchor::root).doesNotHaveDuplicates();
      for (int i = 0; i < 3; i++) {
        ReceiptAnchor a = anchors.get(i);
        assertThat(a.stage()).isEqualTo(Stage.CONFIRMED);
        assertThat(a.batchId()).isEqualTo("b1-" + i);
        // a one-leaf tree: the root is the leaf hash, the proof is empty
        assertThat(a.root()).isEqualTo(Hashes.hex(MerkleTree.leafHash(AnchorLeaf.of(entries.get(i)))));
        assertOnChain(a);
        assertThat(ChainVerifier.verify(entries.get(i), a, client).ok()).isTrue();
      }
      FIGURES.put("gas per job (batch of 1)", String.format("%,d", anchors.get(0).gasUsed()));
      FIGURES.put("latency, append to CONFIRMED (batch 1)", latencies + " ms");
    }
  }

  @Test
  void verificationNamesTheArtefactThatDoesNotMatch() {
    List<LedgerEntry> entries;
    List<ReceiptAnchor> anchors;
    try (ChainSink sink = ChainSink.open(ledger("tamper"), client, fastRetry().withMaxBatchReceipts(3))) {
      entries = appendJobs(sink, "t-", 3);
      assertThat(sink.flush(FLUSH)).isTrue();
      anchors = sink.anchors();
    }
    LedgerEntry entry = entries.get(1);
    ReceiptAnchor good = anchors.get(1);
    assertThat(ChainVerifier.verify(entry, good, client).summary()).startsWith("PASS");

    // Each artefact kind the receipt records, edited: the report names its leaf, and the receipt's.
    Receipt r = entry.receipt();
    Receipt.Commitment otherData = new Receipt.Commitment("merkle-sha256/v1",
        Hashes.hex(Hashes.sha256(new byte[] {9})), 1000, "0a0b0c0d");
    Map<String, Receipt> edits = new LinkedHashMap<>();
    edits.put("contract", r.toBuilder().contractHash(Hashes.sha256(new byte[] {7})).build());
    edits.put("approval:bank_b", r.toBuilder().approvals(List.of(r.approvals().get(0),
        Receipt.Approval.sign("bank_b", BANK_A, r.contractHashBytes()))).build());
    edits.put("input:bank_a", r.toBuilder().inputCommitment(otherData).build());
    edits.put("output:bank_a", r.toBuilder().outputCommitment(otherData).build());
    edits.put("input:bank_b", r.toBuilder().addPeerCommitment(new Receipt.PeerCommitment("bank_b", otherData.root(),
        null)).build());
    edits.forEach((leaf, edited) -> {
      LedgerEntry tampered = new LedgerEntry(entry.seq(), entry.prevHash(), entry.receiptHash(), edited,
          entry.entryHash(), entry.signature(), entry.signer());
      AnchorReport report = ChainVerifier.verify(tampered, good, client);
      assertThat(report.kinds()).as(leaf)
          .containsOnly(AnchorReport.Kind.RECEIPT_NOT_LEAF, AnchorReport.Kind.RECEIPT_HASH_NOT_LEAF);
      assertThat(report.summary()).as(leaf).contains("(leaf '" + leaf + "')", "(leaf 'receipt:bank_a')");
    });
    // A receipt of another job and entry against this anchor: its contract (and so its approvals), the
    // receipt itself and its place in the ledger differ.
    assertThat(kinds(entries.get(0), good)).containsOnly(AnchorReport.Kind.RECEIPT_NOT_LEAF,
        AnchorReport.Kind.RECEIPT_HASH_NOT_LEAF, AnchorReport.Kind.LEDGER_HEAD_NOT_LEAF);
    // The anchor record's leaves edited: they no longer make the anchored leaf.
    List<String> leaves = new ArrayList<>(good.leaves());
    leaves.set(0, JobRoot.labelOf(leaves.get(0)) + "=" + flip(good.leaf()));
    assertThat(kinds(entry, new ReceiptAnchor(good.version(), good.stage(), good.seq(), good.prevHash(), good.jobId(),
        good.receiptHash(), good.leaf(), leaves, good.batchId(), good.root(), good.proof(), good.chainId(),
        good.contract(), good.txHash(), good.blockNumber(), good.confirmations(), good.gasUsed())))
        .contains(AnchorReport.Kind.LEAVES_NOT_LEAF, AnchorReport.Kind.RECEIPT_NOT_LEAF);

    List<String> path = new ArrayList<>(good.proof().path());
    path.set(0, flip(path.get(0)));
    assertThat(kinds(entry, copy(good, good.root(), new MerkleTree.InclusionProof(1, 3, path), good.txHash(),
        good.blockNumber()))).containsExactly(AnchorReport.Kind.PROOF_NOT_ROOT);
    assertThat(kinds(entry, copy(good, good.root(), new MerkleTree.InclusionProof(2, 3, good.proof().path()),
        good.txHash(), good.blockNumber()))).containsExactly(AnchorReport.Kind.PROOF_NOT_ROOT);

    AnchorReport otherRoot = ChainVerifier.verify(entry,
        copy(good, flip(good.root()), good.proof(), good.txHash(), good.blockNumber()), client);
    assertThat(otherRoot.kinds())
        .containsExactly(AnchorReport.Kind.PROOF_NOT_ROOT, AnchorReport.Kind.ROOT_NOT_ON_CHAIN);
    assertThat(otherRoot.summary()).contains("is not anchored at contract " + client.contractAddress().orElseThrow());

    AnchorReport otherTx = ChainVerifier.verify(entry,
        copy(good, good.root(), good.proof(), flip(good.txHash()), good.blockNumber()), client);
    assertThat(otherTx.kinds()).containsExactly(AnchorReport.Kind.TX_MISMATCH);
    assertThat(otherTx.summary()).contains("was anchored by transaction " + good.txHash());

    assertThat(kinds(entry, copy(good, good.root(), good.proof(), good.txHash(), good.blockNumber() + 1)))
        .containsExactly(AnchorReport.Kind.TX_MISMATCH);
    assertThat(kinds(entry, ReceiptAnchor.pending(entry))).containsExactly(AnchorReport.Kind.NOT_CONFIRMED);
  }

  @Test
  void bothPartiesAnchorTheirOwnReceiptOfAJobWithTheSameJobLeaves() {
    Receipt a = Fixtures.receipt("shared-1").toBuilder()
        .addPeerCommitment(new Receipt.PeerCommitment("bank_b", Hashes.hex(Hashes.sha256(new byte[] {3})), null))
        .build();
    // bank_b's own receipt of the job: its own commitments, bank_a's as announced, other figures.
    Receipt b = Receipt.builder().jobId(a.jobId()).jobName(a.jobName()).period(a.period())
        .operator(a.operator()).party("bank_b", BANK_B.publicKey()).contractHash(a.contractHash())
        .approvals(a.approvals())
        .inputCommitment(new Receipt.Commitment("merkle-sha256/v1", Hashes.hex(Hashes.sha256(new byte[] {3})), 77,
            "0f"))
        .result("intersectionSize", "999").status(a.status())
        .startedAt(Instant.parse(a.startedAt())).finishedAt(Instant.parse(a.finishedAt()))
        .addPeerCommitment(new Receipt.PeerCommitment("bank_a", a.inputCommitment().root(),
            a.outputCommitment().root()))
        .build();
    ReceiptAnchor anchorA;
    ReceiptAnchor anchorB;
    LedgerEntry entryB;
    try (ChainSink sinkA = ChainSink.open(ledger("shared-a"), client, fastRetry())) {
      sinkA.append(a);
      assertThat(sinkA.flush(FLUSH)).isTrue();
      anchorA = sinkA.status("shared-1").orElseThrow();
    }
    try (ChainSink sinkB = ChainSink.open(LocalLedger.open(dir.resolve("shared-b.jsonl"), BANK_B), client,
        fastRetry())) {
      entryB = sinkB.append(b);
      assertThat(sinkB.flush(FLUSH)).isTrue();
      anchorB = sinkB.status("shared-1").orElseThrow();
    }
    // The job's artefacts are the same leaves in both anchors; each party's receipt is its own leaf.
    assertThat(anchorA.leaves()).startsWith(JobRoot.labelledHashes(a).toArray(String[]::new));
    assertThat(anchorB.leaves()).startsWith(JobRoot.labelledHashes(b).toArray(String[]::new));
    assertThat(JobRoot.labelledHashes(b)).isEqualTo(JobRoot.labelledHashes(a));
    assertThat(anchorA.leaves()).contains(AnchorLeaf.receipt("bank_a", a.hashHex()).labelledHash());
    assertThat(anchorB.leaves()).contains(AnchorLeaf.receipt("bank_b", b.hashHex()).labelledHash());
    assertThat(anchorB.leaf()).isNotEqualTo(anchorA.leaf());
    assertThat(anchorB.txHash()).as("each party anchors its own receipt").isNotEqualTo(anchorA.txHash());
    assertThat(ChainVerifier.verify(entryB, anchorB, client).ok()).isTrue();
    // bank_a's anchor is no evidence for bank_b's receipt, though they share the job leaves.
    assertThat(ChainVerifier.verify(entryB, anchorA, client).kinds()).containsOnly(
        AnchorReport.Kind.RECEIPT_HASH_NOT_LEAF);
  }

  @Test
  void aJobNeverWaitsForADownChainAndItsAnchorLandsWhenTheChainIsBack() {
    try (ChainSink sink = ChainSink.open(ledger("outage"), client, fastRetry())) {
      chain.stop();
      try {
        long started = System.nanoTime();
        LedgerEntry entry = sink.append(Fixtures.receipt("down-1"));
        long appendMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(appendMs).isLessThan(1_000);
        assertThat(sink.flush(Duration.ofMillis(1_500))).isFalse(); // several failed attempts meanwhile
        assertThat(sink.status("down-1").orElseThrow().stage()).isEqualTo(Stage.PENDING);
        FIGURES.put("append while the chain is down", appendMs + " ms");

        chain.restart();
        long restarted = System.nanoTime();
        assertThat(sink.flush(FLUSH)).isTrue();
        FIGURES.put("chain back to CONFIRMED (retry <= 1 s)", (System.nanoTime() - restarted) / 1_000_000 + " ms");
        ReceiptAnchor anchor = sink.status("down-1").orElseThrow();
        assertThat(anchor.stage()).isEqualTo(Stage.CONFIRMED);
        assertOnChain(anchor);
        assertThat(ChainVerifier.verify(entry, anchor, client).ok()).isTrue();
      } finally {
        if (!chain.isRunning()) {
          chain.restart();
        }
      }
    }
  }

  @Test
  void closingWithAnchorsPendingLosesNothingAndReopeningSendsNothingTwice() throws IOException {
    LocalLedger ledger = ledger("reopen");
    Path outbox = ChainSink.outboxFile(ledger.file());
    // Batches of 10 that wait a minute: the three receipts are still PENDING when the sink closes.
    try (ChainSink sink = ChainSink.open(ledger, client, fastRetry().withMaxBatchReceipts(10).withMaxBatchWaitMs(60_000))) {
      appendJobs(sink, "r-", 3);
    }
    assertThat(stages(outbox)).containsOnly(Stage.PENDING);

    try (ChainSink sink = ChainSink.open(ledger, client, fastRetry().withMaxBatchReceipts(10).withMaxBatchWaitMs(0))) {
      assertThat(sink.flush(FLUSH)).isTrue();
      assertThat(sink.anchors()).hasSize(3).extracting(ReceiptAnchor::stage).containsOnly(Stage.CONFIRMED);
      assertOnChain(sink.anchors().get(0));
    }
    assertThat(confirmedLinesPerSeq(outbox)).containsOnlyKeys(0L, 1L, 2L).containsValues(1L).doesNotContainValue(2L);

    // A crash after the transaction was sent but before CONFIRMED was written: the outbox ends SUBMITTED.
    List<String> lines = Files.readAllLines(outbox, StandardCharsets.UTF_8);
    List<String> beforeConfirmed = lines.stream().filter(l -> !l.contains("\"CONFIRMED\"")).toList();
    assertThat(beforeConfirmed.get(beforeConfirmed.size() - 1)).contains("\"SUBMITTED\"").contains("\"txHash\":\"0x");
    Files.write(outbox, beforeConfirmed, StandardCharsets.UTF_8);
    long blockBefore = client.blockNumber();
    try (ChainSink sink = ChainSink.open(ledger, client, fastRetry())) {
      assertThat(sink.flush(FLUSH)).isTrue();
      assertThat(sink.anchors()).extracting(ReceiptAnchor::stage).containsOnly(Stage.CONFIRMED);
      for (LedgerEntry e : sink.entries()) {
        assertThat(ChainVerifier.verify(e, sink.status(e.jobId()).orElseThrow(), client).ok()).isTrue();
      }
    }
    assertThat(client.blockNumber()).as("no transaction sent again").isEqualTo(blockBefore);

    // A crash in the middle of writing a batch's CONFIRMED lines: the rest are confirmed from the chain.
    lines = Files.readAllLines(outbox, StandardCharsets.UTF_8);
    assertThat(lines.get(lines.size() - 1)).contains("\"CONFIRMED\"").contains("\"seq\":2");
    Files.write(outbox, lines.subList(0, lines.size() - 1), StandardCharsets.UTF_8);
    try (ChainSink sink = ChainSink.open(ledger, client, fastRetry())) {
      assertThat(sink.flush(FLUSH)).isTrue();
      assertThat(sink.status("r-2").orElseThrow().root()).isEqualTo(sink.status("r-0").orElseThrow().root());
    }
    assertThat(client.blockNumber()).as("no transaction sent again").isEqualTo(blockBefore);
  }

  @Test
  void aTornLastOutboxLineIsIgnoredAndOtherDamageIsAnError() throws IOException {
    LocalLedger ledger = ledger("torn");
    Path outbox = ChainSink.outboxFile(ledger.file());
    try (ChainSink sink = ChainSink.open(ledger, client, fastRetry())) {
      sink.append(Fixtures.receipt("torn-1"));
      assertThat(sink.flush(FLUSH)).isTrue();
    }
    String full = Files.readString(outbox, StandardCharsets.UTF_8);
    Files.writeString(outbox, "{\"stage\":\"PENDING\",\"seq\":1,\"jo", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

    try (ChainSink sink = ChainSink.open(ledger, client, fastRetry())) {
      assertThat(sink.status("torn-1").orElseThrow().stage()).isEqualTo(Stage.CONFIRMED);
      assertThat(Files.readString(outbox, StandardCharsets.UTF_8)).isEqualTo(full);
      sink.append(Fixtures.receipt("torn-2"));
      assertThat(sink.flush(FLUSH)).isTrue();
      assertThat(sink.status("torn-2").orElseThrow().stage()).isEqualTo(Stage.CONFIRMED);
    }

    List<String> lines = new ArrayList<>(Files.readAllLines(outbox, StandardCharsets.UTF_8));
    lines.set(1, lines.get(1).replace("\"stage\":\"", "\"stage\":\"X"));
    Files.write(outbox, lines, StandardCharsets.UTF_8);
    assertThatThrownBy(() -> ChainSink.open(ledger, client, fastRetry()))
        .isInstanceOf(VeilException.class)
        .hasMessageContaining("Cannot open anchor outbox " + outbox + ": line 2 cannot be read")
        .hasMessageContaining("Restore the file from a copy");
  }

  @Test
  void aSecondSinkOnTheSameLedgerIsRefused() {
    LocalLedger ledger = ledger("twice");
    try (ChainSink sink = ChainSink.open(ledger, client, fastRetry())) {
      assertThatThrownBy(() -> ChainSink.open(ledger, client, fastRetry()))
          .isInstanceOf(VeilException.class)
          .hasMessageContaining("another chain sink");
    }
  }

  // ---- helpers ----

  private static ChainSinkConfig fastRetry() {
    return ChainSinkConfig.defaults().withRetry(100, 1_000);
  }

  private LocalLedger ledger(String name) {
    return LocalLedger.open(dir.resolve(name + ".jsonl"), BANK_A);
  }

  private static List<LedgerEntry> appendJobs(ChainSink sink, String prefix, int n) {
    List<LedgerEntry> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(sink.append(Fixtures.receipt(prefix + i)));
    }
    return out;
  }

  /** The contract really holds the root, in the recorded block. */
  private static void assertOnChain(ReceiptAnchor a) {
    AnchorRecord onChain = client.lookup(HexFormat.of().parseHex(a.root())).orElseThrow();
    assertThat(onChain.blockNumber()).isEqualTo(a.blockNumber());
    assertThat(onChain.submitter()).isEqualTo(client.account());
    assertThat(a.chainId()).isEqualTo(DevChain.CHAIN_ID);
    assertThat(a.contract()).isEqualTo(client.contractAddress().orElseThrow());
    assertThat(a.confirmations()).isGreaterThanOrEqualTo(1);
  }

  private static List<AnchorReport.Kind> kinds(LedgerEntry entry, ReceiptAnchor anchor) {
    return ChainVerifier.verify(entry, anchor, client).kinds();
  }

  private static ReceiptAnchor copy(ReceiptAnchor a, String root, MerkleTree.InclusionProof proof, String txHash,
      long block) {
    return new ReceiptAnchor(a.version(), a.stage(), a.seq(), a.prevHash(), a.jobId(), a.receiptHash(), a.leaf(),
        a.leaves(), a.batchId(), root, proof, a.chainId(), a.contract(), txHash, block, a.confirmations(),
        a.gasUsed());
  }

  /** The same hex with its last digit changed. */
  private static String flip(String hex) {
    char last = hex.charAt(hex.length() - 1);
    return hex.substring(0, hex.length() - 1) + (last == '0' ? '1' : '0');
  }

  private static List<Stage> stages(Path outbox) throws IOException {
    return Files.readAllLines(outbox, StandardCharsets.UTF_8).stream()
        .map(l -> Stage.valueOf(l.replaceAll(".*\"stage\":\"([A-Z]+)\".*", "$1")))
        .toList();
  }

  private static Map<Long, Long> confirmedLinesPerSeq(Path outbox) throws IOException {
    return Files.readAllLines(outbox, StandardCharsets.UTF_8).stream()
        .filter(l -> l.contains("\"stage\":\"CONFIRMED\""))
        .collect(Collectors.groupingBy(l -> Long.parseLong(l.replaceAll(".*\"seq\":(\\d+).*", "$1")),
            Collectors.counting()));
  }


}
