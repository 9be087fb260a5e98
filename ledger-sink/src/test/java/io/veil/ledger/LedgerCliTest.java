package io.veil.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerCliTest {
  @TempDir Path dir;
  Path ledger;
  String signer = Fixtures.BANK_A.publicKey().encoded();
  ByteArrayOutputStream out = new ByteArrayOutputStream();
  ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void threeEntries() {
    ledger = dir.resolve("ledger.jsonl");
    Fixtures.ledgerWith(ledger, 3);
  }

  private int run(String... args) {
    out.reset();
    err.reset();
    return LedgerCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void verifyPasses() {
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer", signer)).isZero();
    assertThat(out()).contains("PASS", "Entries: 3 readable of 3 lines", "Head:    2:", "Signer:  " + signer);
    assertThat(err()).isEmpty();
    assertThat(run("verify", "--ledger=" + ledger, "--signer=" + signer)).isZero();
  }

  @Test
  void verifyFailsAndNamesTheEntry() throws Exception {
    Fixtures.editLine(ledger, 1, n -> n.withObject("/receipt").put("status", "failed"));
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer", signer)).isEqualTo(1);
    assertThat(out()).contains("FAIL: 1 problem", "  - entry 1 (line 2, job job-1): receipt was modified after it "
        + "was written: receiptHash does not match.");
    assertThat(out()).doesNotContain("Head:");
  }

  @Test
  void verifyWithWrongSignerFails() {
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer",
        Fixtures.BANK_B.publicKey().encoded())).isEqualTo(1);
    assertThat(out()).contains("FAIL", "signed by " + signer);
  }

  @Test
  void expectHeadDetectsTruncation() throws Exception {
    LedgerHead head = LocalLedger.openReadOnly(ledger).head().orElseThrow();
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer", signer, "--expect-head", head.toString()))
        .isZero();
    assertThat(out()).contains("contains the expected head 2");
    Fixtures.writeLines(ledger, Fixtures.lines(ledger).subList(0, 2));
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer", signer)).isZero();
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer", signer, "--expect-head", head.toString()))
        .isEqualTo(1);
    assertThat(out()).contains("entries were removed from the end");
  }

  @Test
  void usageErrors() {
    assertThat(run()).isEqualTo(2);
    assertThat(err()).contains("Usage: veil ledger");
    assertThat(run("frobnicate")).isEqualTo(2);
    assertThat(err()).contains("unknown command 'frobnicate'");
    assertThat(run("verify", "--ledger", ledger.toString())).isEqualTo(2);
    assertThat(err()).contains("option --signer is required");
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer")).isEqualTo(2);
    assertThat(err()).contains("option --signer needs a value");
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer", "rsa:abc")).isEqualTo(2);
    assertThat(err()).contains("must start with 'ed25519:'");
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer", signer, "--colour", "x")).isEqualTo(2);
    assertThat(err()).contains("unknown option '--colour'");
    assertThat(run("verify", "--ledger", ledger.toString(), "--ledger", ledger.toString(), "--signer", signer))
        .isEqualTo(2);
    assertThat(err()).contains("given twice");
    assertThat(run("verify", "--ledger", dir.resolve("nope").toString(), "--signer", signer)).isEqualTo(2);
    assertThat(err()).contains("no such file");
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer", signer, "--expect-head", "x")).isEqualTo(2);
    assertThat(err()).contains("Cannot parse ledger head");
  }

  @Test
  void help() {
    assertThat(run("help")).isZero();
    assertThat(out()).contains("verify --ledger FILE|hdfs://URI --signer ed25519:KEY", "Exit codes: 0 pass, 1 fail, 2 usage error.");
  }

  @Test
  void repairAnIncompleteLastLine() throws Exception {
    byte[] all = Files.readAllBytes(ledger);
    Files.write(ledger, Arrays.copyOf(all, all.length - 10));
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer", signer)).isEqualTo(1);
    assertThat(out()).contains("line 3: incomplete last line");
    assertThat(run("repair", "--ledger", ledger.toString())).isZero();
    assertThat(out()).contains("Moved the incomplete last line", ".incomplete-");
    assertThat(run("verify", "--ledger", ledger.toString(), "--signer", signer)).isZero();
    assertThat(run("repair", "--ledger", ledger.toString())).isZero();
    assertThat(out()).contains("Nothing to repair");
  }
}
