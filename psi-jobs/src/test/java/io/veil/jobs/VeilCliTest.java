package io.veil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.jobs.demo.PsiDemo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's commands that need no Spark or Kafka, and its usage errors. */
class VeilCliTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return VeilCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpListsEveryCommand() {
    assertThat(run("help")).isZero();
    assertThat(out()).contains("run", "keygen", "spec-hash", "verify", "broker", "demo", "bench");
  }

  @Test
  void unknownCommandIsAUsageError() {
    assertThat(run("frobnicate")).isEqualTo(2);
    assertThat(err()).contains("unknown command 'frobnicate'");
  }

  @Test
  void keygenWritesAKeyAndPrintsItsPublicKeyAndNeverOverwrites() {
    Path key = dir.resolve("bank_a.key");
    assertThat(run("keygen", "--party", "bank_a", "--out", key.toString())).isZero();
    assertThat(out().strip()).startsWith("ed25519:");
    assertThat(Files.exists(key)).isTrue();
    assertThat(run("keygen", "--party", "bank_a", "--out", key.toString())).isEqualTo(1);
    assertThat(err()).contains("already exists");
  }

  @Test
  void specHashPrintsContractAndJobIdAndThePeriodChangesThem() throws Exception {
    Path spec = dir.resolve("psi.yaml");
    Files.writeString(spec, PsiDemo.spec(dir, key("a"), key("b"), "rows"));
    assertThat(run("spec-hash", "--spec", spec.toString())).isZero();
    String first = out();
    assertThat(first).contains("contract hash: ").contains("job id:");
    out.reset();
    assertThat(run("spec-hash", "--spec", spec.toString(), "--period", "2026-11")).isZero();
    assertThat(out()).isNotEqualTo(first);
  }

  @Test
  void runWithoutKafkaSaysHowToGetOne() throws Exception {
    Path spec = dir.resolve("psi.yaml");
    Files.writeString(spec, PsiDemo.spec(dir, key("a"), key("b"), "rows"));
    assertThat(run("run", "--spec", spec.toString(), "--party", "bank_a")).isEqualTo(1);
    assertThat(err()).contains("no Kafka is configured").contains("--bootstrap-servers").contains("veil broker");
  }

  @Test
  void unknownOptionNamesTheAllowedOnes() {
    assertThat(run("spec-hash", "--sepc", "x")).isEqualTo(2);
    assertThat(err()).contains("unknown option --sepc").contains("--spec");
  }

  private String key(String name) throws Exception {
    Path f = dir.resolve(name + ".key");
    run("keygen", "--party", name, "--out", f.toString());
    String k = out().strip();
    out.reset();
    return k.substring(k.lastIndexOf('\n') + 1);
  }
}
