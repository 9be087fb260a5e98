package io.veil.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.VeilException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalLedgerTest {
  @TempDir Path dir;

  @Test
  void appendThenReadRoundTrips() throws Exception {
    Path file = dir.resolve("sub/dir/ledger.jsonl");
    LocalLedger ledger = LocalLedger.open(file, Fixtures.BANK_A);
    assertThat(ledger.entries()).isEmpty();
    assertThat(ledger.head()).isEmpty();

    LedgerEntry e0 = ledger.append(Fixtures.receipt("job-0"));
    LedgerEntry e1 = ledger.append(Fixtures.receipt("job-1"));

    assertThat(e0.seq()).isZero();
    assertThat(e0.prevHash()).isEqualTo("0".repeat(64));
    assertThat(e1.seq()).isEqualTo(1);
    assertThat(e1.prevHash()).isEqualTo(e0.entryHash());
    assertThat(e0.receiptHash()).isEqualTo(Fixtures.receipt("job-0").hashHex());
    assertThat(e0.signer()).isEqualTo(Fixtures.BANK_A.publicKey().encoded());
    assertThat(e0.entryHashMatches()).isTrue();
    assertThat(e0.signatureValidFor(Fixtures.BANK_A.publicKey())).isTrue();

    assertThat(ledger.entries()).containsExactly(e0, e1);
    assertThat(LocalLedger.openReadOnly(file).entries()).containsExactly(e0, e1);
    assertThat(ledger.head()).contains(e1.head());
    List<String> lines = Fixtures.lines(file);
    assertThat(lines).containsExactly(Fixtures.line(e0), Fixtures.line(e1));
    assertThat(Files.readString(file, StandardCharsets.UTF_8)).endsWith("\n");
    assertThat(ledger.describe()).contains("local ledger", "ledger.jsonl", Fixtures.BANK_A.publicKey().encoded());
  }

  @Test
  void chainContinuesAcrossReopen() {
    Path file = dir.resolve("ledger.jsonl");
    LedgerEntry first = LocalLedger.open(file, Fixtures.BANK_A).append(Fixtures.receipt("job-0"));
    LedgerEntry second = LocalLedger.open(file, Fixtures.BANK_A).append(Fixtures.receipt("job-1"));
    assertThat(second.seq()).isEqualTo(1);
    assertThat(second.prevHash()).isEqualTo(first.entryHash());
    assertThat(LedgerVerifier.create().verify(file, Fixtures.BANK_A.publicKey()).ok()).isTrue();
  }

  @Test
  void rerunAppendsANewEntryAndFindReturnsTheLatest() {
    Path file = dir.resolve("ledger.jsonl");
    LocalLedger ledger = LocalLedger.open(file, Fixtures.BANK_A);
    LedgerEntry firstRun = ledger.append(Fixtures.receiptBuilder("job-7", "bank_a", Fixtures.BANK_A)
        .status(Receipt.Status.FAILED).build());
    ledger.append(Fixtures.receipt("job-8"));
    LedgerEntry rerun = ledger.append(Fixtures.receipt("job-7"));
    assertThat(ledger.entries()).hasSize(3);
    assertThat(ledger.entries().get(0)).isEqualTo(firstRun);
    assertThat(ledger.findByJobId("job-7")).contains(rerun);
    assertThat(ledger.findByJobId("job-7").orElseThrow().receipt().status()).isEqualTo(Receipt.Status.SUCCEEDED);
    assertThat(ledger.findByJobId("job-9")).isEmpty();
  }

  @Test
  void refusesReceiptsOfAnotherKeyOrParty() {
    Path file = dir.resolve("ledger.jsonl");
    LocalLedger ledger = LocalLedger.open(file, Fixtures.BANK_A);
    Receipt ofB = Fixtures.receiptBuilder("job-1", "bank_b", Fixtures.BANK_B).build();
    assertThatThrownBy(() -> ledger.append(ofB))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("partyKey is " + Fixtures.BANK_B.publicKey().encoded())
        .hasMessageContaining("signed by " + Fixtures.BANK_A.publicKey().encoded());
    ledger.append(Fixtures.receipt("job-0"));
    Receipt renamed = Fixtures.receiptBuilder("job-1", "bank_x", Fixtures.BANK_A).build();
    assertThatThrownBy(() -> ledger.append(renamed))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("party 'bank_x'").hasMessageContaining("party 'bank_a'");
    assertThat(ledger.entries()).hasSize(1);
  }

  @Test
  void readOnlyLedgerCannotAppend() {
    Path file = dir.resolve("ledger.jsonl");
    Fixtures.ledgerWith(file, 1);
    LocalLedger ro = LocalLedger.openReadOnly(file);
    assertThat(ro.signer()).isEmpty();
    assertThat(ro.describe()).contains("read-only");
    assertThatThrownBy(() -> ro.append(Fixtures.receipt("job-1")))
        .isInstanceOf(VeilException.class).hasMessageContaining("read-only");
  }

  @Test
  void openingAnotherPartysLedgerFailsFast() {
    Path file = dir.resolve("ledger.jsonl");
    Fixtures.ledgerWith(file, 1);
    assertThatThrownBy(() -> LocalLedger.open(file, Fixtures.BANK_B))
        .isInstanceOf(VeilException.class)
        .hasMessageContaining("signed by " + Fixtures.BANK_A.publicKey().encoded());
  }

  @Test
  void refusesToExtendATamperedHead() throws Exception {
    Path file = dir.resolve("ledger.jsonl");
    LocalLedger ledger = Fixtures.ledgerWith(file, 2);
    Fixtures.editLine(file, 1, n -> n.withObject("/receipt/result").put("intersectionSize", "999"));
    byte[] before = Files.readAllBytes(file);
    assertThatThrownBy(() -> ledger.append(Fixtures.receipt("job-2")))
        .isInstanceOf(VeilException.class)
        .hasMessageContaining("does not verify")
        .hasMessageContaining("entry 1");
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
    assertThatThrownBy(ledger::entries).isInstanceOf(VeilException.class)
        .hasMessageContaining("entry 1 (line 2, job job-1)");
  }

  @Test
  void incompleteLastLineIsReportedNotDroppedAndAppendRefuses() throws Exception {
    Path file = dir.resolve("ledger.jsonl");
    LocalLedger ledger = Fixtures.ledgerWith(file, 2);
    byte[] full = Files.readAllBytes(file);
    byte[] torn = java.util.Arrays.copyOf(full, full.length - 40); // crash in the middle of line 2
    Files.write(file, torn);

    assertThatThrownBy(ledger::entries).isInstanceOf(VeilException.class)
        .hasMessageContaining("last line is incomplete").hasMessageContaining("veil ledger repair");
    assertThatThrownBy(() -> ledger.append(Fixtures.receipt("job-2")))
        .isInstanceOf(VeilException.class).hasMessageContaining("Nothing was written");
    assertThatThrownBy(() -> LocalLedger.open(file, Fixtures.BANK_A)).isInstanceOf(VeilException.class);
    assertThat(Files.readAllBytes(file)).isEqualTo(torn);

    LocalLedger.RepairResult result = LocalLedger.repair(file);
    assertThat(result.action()).isEqualTo(LocalLedger.RepairAction.SET_ASIDE);
    Path side = result.sideFile().orElseThrow();
    int firstLineLength = Fixtures.lines(dir.resolve("ledger.jsonl")).get(0).length() + 1;
    assertThat(Files.readAllBytes(side)).isEqualTo(java.util.Arrays.copyOfRange(torn, firstLineLength, torn.length));
    assertThat(ledger.entries()).hasSize(1);
    LedgerEntry next = ledger.append(Fixtures.receipt("job-2"));
    assertThat(next.seq()).isEqualTo(1);
    assertThat(LedgerVerifier.create().verify(file, Fixtures.BANK_A.publicKey()).ok()).isTrue();
    assertThat(LocalLedger.repair(file).action()).isEqualTo(LocalLedger.RepairAction.NOTHING_TO_REPAIR);
  }

  @Test
  void repairCompletesALastLineThatLostOnlyItsNewline() throws Exception {
    Path file = dir.resolve("ledger.jsonl");
    LocalLedger ledger = Fixtures.ledgerWith(file, 3);
    byte[] full = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(full, full.length - 1));
    assertThat(LedgerVerifier.create().verify(file, Fixtures.BANK_A.publicKey()).ok()).isFalse();
    LocalLedger.RepairResult result = LocalLedger.repair(file);
    assertThat(result.action()).isEqualTo(LocalLedger.RepairAction.COMPLETED_LAST_LINE);
    assertThat(Files.readAllBytes(file)).isEqualTo(full);
    assertThat(ledger.entries()).hasSize(3);
  }

  @Test
  void repairSetsAsideAForgedCompleteLastLine() throws Exception {
    Path file = dir.resolve("ledger.jsonl");
    Fixtures.ledgerWith(file, 1);
    LedgerEntry head = LocalLedger.openReadOnly(file).entries().get(0);
    LedgerEntry forged = LedgerEntry.sign(1, head.entryHash(),
        Fixtures.receiptBuilder("job-1", "bank_a", Fixtures.MALLORY).build(), Fixtures.MALLORY);
    Files.writeString(file, Fixtures.line(forged), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
    assertThat(LocalLedger.repair(file).action()).isEqualTo(LocalLedger.RepairAction.SET_ASIDE);
    assertThat(LocalLedger.openReadOnly(file).entries()).containsExactly(head);
  }

  @Test
  void concurrentAppendsFromManyThreadsFormOneChain() throws Exception {
    Path file = dir.resolve("ledger.jsonl");
    int threads = 4;
    int perThread = 15;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<List<LedgerEntry>>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      futures.add(pool.submit(() -> {
        LocalLedger own = LocalLedger.open(file, Fixtures.BANK_A); // separate instances, same file
        start.await();
        List<LedgerEntry> mine = new ArrayList<>();
        for (int i = 0; i < perThread; i++) {
          mine.add(own.append(Fixtures.receipt("t" + id + "-" + i)));
        }
        return mine;
      }));
    }
    start.countDown();
    Set<Long> seqs = new HashSet<>();
    for (Future<List<LedgerEntry>> f : futures) {
      for (LedgerEntry e : f.get(60, TimeUnit.SECONDS)) {
        assertThat(seqs.add(e.seq())).as("seq %d handed out twice", e.seq()).isTrue();
      }
    }
    pool.shutdown();
    List<LedgerEntry> all = LocalLedger.openReadOnly(file).entries();
    assertThat(all).hasSize(threads * perThread);
    VerificationReport report = LedgerVerifier.create().verify(file, Fixtures.BANK_A.publicKey());
    assertThat(report.ok()).as(report.summary()).isTrue();
  }
}
