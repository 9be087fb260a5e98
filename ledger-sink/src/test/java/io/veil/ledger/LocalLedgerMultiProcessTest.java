package io.veil.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two JVMs of the same party append to one ledger file at the same time (OS file lock). */
class LocalLedgerMultiProcessTest {
  @TempDir Path dir;

  @Test
  void twoProcessesAppendingConcurrentlyFormOneValidChain() throws Exception {
    Path ledger = dir.resolve("ledger.jsonl");
    Path start = dir.resolve("go");
    int perProcess = 25;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = System.getProperty("java.class.path");
    List<Process> children = new ArrayList<>();
    for (String prefix : List.of("p1-", "p2-")) {
      children.add(new ProcessBuilder(java, "-cp", classpath, AppendWorker.class.getName(),
              ledger.toString(), start.toString(), Integer.toString(perProcess), prefix)
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve(prefix + "out.txt").toFile())
          .start());
    }
    try {
      Thread.sleep(300); // let both JVMs reach the start line
      Files.createFile(start);
      for (Process p : children) {
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("child finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("p1-out.txt"))
            + Files.readString(dir.resolve("p2-out.txt"))).isZero();
      }
    } finally {
      for (Process p : children) {
        p.destroyForcibly();
      }
    }
    List<LedgerEntry> entries = LocalLedger.openReadOnly(ledger).entries();
    assertThat(entries).hasSize(2 * perProcess);
    assertThat(entries.stream().map(LedgerEntry::jobId).collect(Collectors.toSet())).hasSize(2 * perProcess);
    VerificationReport report = LedgerVerifier.create().verify(ledger, Fixtures.BANK_A.publicKey());
    assertThat(report.ok()).as(report.summary()).isTrue();
  }
}
