package io.veil.ledger;

import static io.veil.ledger.Fixtures.BANK_A;
import static io.veil.ledger.Fixtures.BANK_B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.VeilException;
import io.veil.job.JobRecord;
import io.veil.job.ReceiptSink;
import io.veil.ledger.internal.Hashes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime's receipt sink on a local ledger: what it records, and what it says a finished job was. */
class LedgerReceiptsTest {
  @TempDir Path dir;

  private static JobRecord record(String jobId) {
    return record(jobId, null, Map.of("groups", "3"));
  }

  private static JobRecord record(String jobId, String asset, Map<String, String> figures) {
    byte[] contract = Fixtures.contractHash(jobId);
    String root = Hashes.hex(Hashes.sha256("in".getBytes(StandardCharsets.UTF_8)));
    String out = Hashes.hex(Hashes.sha256("out".getBytes(StandardCharsets.UTF_8)));
    return new JobRecord(jobId, "monthly-report", "2026-11", "aggregate", "bank_a", BANK_A.publicKey(),
        Hashes.hex(contract),
        List.of(new JobRecord.ApprovalRecord("bank_a", BANK_A.publicKey(),
                Receipt.Approval.sign("bank_a", BANK_A, contract).signature()),
            new JobRecord.ApprovalRecord("bank_b", BANK_B.publicKey(),
                Receipt.Approval.sign("bank_b", BANK_B, contract).signature())),
        new JobRecord.CommitmentRecord("veil-rowset-sha256/v1", root, 12, "0a0b"),
        new JobRecord.CommitmentRecord("veil-rowset-sha256/v1", out, 3, "0c0d"), "/out/2026-11",
        figures, List.of(), List.of(new JobRecord.PeerRoots("bank_b", root, null)),
        Instant.parse("2026-12-01T02:00:00Z"), Instant.parse("2026-12-01T02:01:00Z"), asset);
  }

  @Test
  void aFinishedJobIsReadBackFromTheVerifiedLedger() {
    LedgerReceipts sink = LedgerReceipts.local(dir.resolve("a.ledger"));
    assertThat(sink.finished("job-1", BANK_A.publicKey())).as("nothing recorded yet").isEmpty();
    ReceiptSink.Recorded recorded = sink.record(record("job-1"), BANK_A);
    sink.record(record("job-2"), BANK_A);

    ReceiptSink.Finished f = sink.finished("job-1", BANK_A.publicKey()).orElseThrow();
    assertThat(f.recorded().receiptHash()).isEqualTo(recorded.receiptHash());
    assertThat(f.recorded().jobRoot()).isEqualTo(recorded.jobRoot());
    assertThat(f.inputRoot()).isEqualTo(record("job-1").input().root());
    assertThat(f.outputRoot()).isEqualTo(record("job-1").output().root());
    assertThat(f.outputLocation()).isEqualTo("/out/2026-11");
    assertThat(f.result()).isEqualTo(Map.of("groups", "3"));
    assertThat(f.peersReported()).isEqualTo(Set.of("bank_b"));
    assertThat(f.finishedAt()).isEqualTo("2026-12-01T02:01:00Z");
  }

  @Test
  void aReceiptThatDoesNotVerifyIsNeverTakenAsTheRecordedResult() throws Exception {
    Path file = dir.resolve("b.ledger");
    LedgerReceipts sink = LedgerReceipts.local(file);
    sink.record(record("job-1"), BANK_A);

    assertThatThrownBy(() -> sink.finished("job-1", BANK_B.publicKey()))
        .as("another party's key").isInstanceOf(VeilException.class)
        .hasMessageContaining("Cannot trust the receipt of job job-1").hasMessageContaining("veil verify");
    Fixtures.editLine(file, 0, e -> ((com.fasterxml.jackson.databind.node.ObjectNode) e.get("receipt").get("result"))
        .put("groups", "4"));
    assertThatThrownBy(() -> sink.finished("job-1", BANK_A.publicKey()))
        .as("an edited result").isInstanceOf(VeilException.class).hasMessageContaining(file.toString());
  }

  @Test
  void aReceiptOverADataAssetRecordsItsUsageAndOneWithoutNone() throws Exception {
    Path file = dir.resolve("c.ledger");
    LedgerReceipts sink = LedgerReceipts.local(file);
    sink.record(record("job-1", "a1".repeat(32), Map.of("groups", "3", "queriesAnswered", "9")), BANK_A);
    sink.record(record("job-2"), BANK_A);

    List<LedgerEntry> entries = LocalLedger.openReadOnly(file).entries();
    Receipt.Usage usage = entries.get(0).receipt().usage();
    assertThat(usage).isEqualTo(new Receipt.Usage("a1".repeat(32), 12, 9, 1,
        List.of(Hashes.hex(BANK_B.publicKey().bytes()))));
    assertThat(entries.get(1).receipt().usage()).isNull();
    assertThat(LedgerVerifier.create().verify(file, BANK_A.publicKey()).ok()).isTrue();
  }
}
