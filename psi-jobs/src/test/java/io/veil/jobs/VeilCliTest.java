package io.veil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import io.veil.job.VeilJobs;
import io.veil.jobs.demo.PsiDemo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The CLI without Spark or Kafka: help, usage errors (exit code 2, one line naming the option), the
 * checks {@code run} makes before it starts Spark, {@code --output json} failures, {@code config},
 * {@code keygen} and {@code spec-hash}.
 */
class VeilCliTest {
  private static final List<String> COMMANDS = List.of("run", "keygen", "spec-hash", "verify", "anchor", "report", "chain",
      "asset", "broker", "demo", "bench", "agg-bench", "vfl-bench", "blacklist-bench", "isum-bench", "mlc-bench",
      "crypto-bench", "config", "help");

  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return VeilCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private int run(List<String> args) {
    return run(args.toArray(String[]::new));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private void reset() {
    out.reset();
    err.reset();
  }

  /** A usage error: exit code 2 and one line on stderr, starting "veil: " and naming {@code option}. */
  private void assertUsageError(int code, String... mentions) {
    assertThat(code).as(err()).isEqualTo(VeilCli.EXIT_USAGE);
    assertThat(err().lines().toList()).as(err()).hasSize(1);
    assertThat(err()).startsWith("veil: Cannot ").contains(mentions).contains(" --help'.");
    assertThat(out()).isEmpty();
  }

  @Test
  void helpListsEveryCommand() {
    for (String help : List.of("help", "--help", "-h")) {
      reset();
      assertThat(run(help)).as(help).isZero();
      assertThat(out()).as(help).contains("Usage: veil").contains("Exit codes:");
      for (String c : COMMANDS) {
        assertThat(out()).as(help).containsPattern("(?m)^ +" + c + " ");
      }
      assertThat(err()).isEmpty();
    }
    reset();
    assertThat(run()).isZero();
    assertThat(out()).contains("Usage: veil");
  }

  /** {@code veil <command> --help} for every command and sub-command documents each of its options. */
  @Test
  void everyCommandsHelpDocumentsEveryOption() {
    List<List<String>> paths = new ArrayList<>();
    collect(VeilCli.commandLine(new VeilCli.Streams(System.out, System.err)), List.of(), paths);
    assertThat(paths).hasSizeGreaterThan(COMMANDS.size());
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      reset();
      assertThat(run(args)).as(String.join(" ", args)).isZero();
      assertThat(out()).as(String.join(" ", args)).contains("Usage: veil " + String.join(" ", path));
      CommandLine cl = VeilCli.commandLine(new VeilCli.Streams(System.out, System.err));
      for (String p : path) {
        cl = cl.getSubcommands().get(p);
      }
      for (OptionSpec o : cl.getCommandSpec().options()) {
        assertThat(out()).as("%s documents %s", path, o.longestName()).contains(o.longestName());
        assertThat(String.join(" ", o.description())).as("%s %s", path, o.longestName()).isNotBlank();
      }
    }
    reset();
    assertThat(run("help", "spec-hash")).isZero();
    assertThat(out()).contains("Usage: veil spec-hash").contains("--spec");
  }

  private static void collect(CommandLine cl, List<String> path, List<List<String>> out) {
    cl.getSubcommands().forEach((name, sub) -> {
      List<String> p = new ArrayList<>(path);
      p.add(name);
      out.add(p);
      collect(sub, p, out);
    });
  }

  @Test
  void runHasAnOptionForEverySettingWithAFlag() {
    assertThat(run("run", "--help")).isZero();
    for (ConfigKey<?> k : VeilJobs.settings()) {
      if (k.flag() != null) {
        assertThat(out()).contains("--" + k.flag()).contains(k.name()).contains(k.envName());
      } else {
        assertThat(out()).as("settings without an option are listed").contains(k.name());
      }
    }
    assertThat(out()).contains("--conf", "--master", "--output")
        .as("a %% in a setting's documentation survives picocli's formatting").contains("estimate + 25 %.")
        .as("setting names are not broken across lines").contains("veil.chain.anchor-wait-ms");
  }

  @Test
  void configPrintsTheSettingsReference() {
    assertThat(run("config")).isZero();
    assertThat(out()).isEqualTo(VeilConf.markdownTable(VeilJobs.settings()));
  }

  @Test
  void unknownCommandIsAUsageError() {
    assertUsageError(run("frobnicate"), "unknown command 'frobnicate'", "'veil --help'");
  }

  @Test
  void unknownOptionIsNamedWithTheOneMeant() {
    assertUsageError(run("spec-hash", "--sepc", "x"), "unknown option --sepc", "--spec", "'veil spec-hash --help'");
    reset();
    assertUsageError(run("run", "--partyy=bank_a"), "unknown option --partyy", "'veil run --help'");
  }

  @Test
  void blacklistCheckNeedsIdsAndTheSettingsOfARun() {
    assertUsageError(run("blacklist", "check", "--party", "lender"), "no ids to check", "--id ID", "--ids-file FILE");
    reset();
    assertUsageError(run("blacklist", "check", "--id", "4711"), "missing --spec (veil.job.spec)", "--key", "--policy");
    reset();
    assertUsageError(run("blacklist", "serve", "--idle-s", "soon"), "--idle-s");
  }

  @Test
  void aDuplicatedOptionIsAUsageError() {
    assertUsageError(run("run", "--party", "a", "--party", "b"), "option --party is given more than once");
    reset();
    assertUsageError(run("keygen", "--party", "a", "--party", "b", "--out", dir.resolve("k").toString()),
        "--party", "more than once");
    assertThat(dir.resolve("k")).doesNotExist();
  }

  @Test
  void aBadNumberIsAUsageErrorNamingTheOption() {
    assertUsageError(run("run", "--anchor-wait-ms", "abc"), "--anchor-wait-ms", "'abc' is not a whole number");
    reset();
    assertUsageError(run("run", "--conf", "veil.channel.timeout.ms=soon"), "veil.channel.timeout.ms", "soon");
    reset();
    assertUsageError(run("anchor", "--ledger", "l", "--key", "k", "--batch", "abc"), "--batch", "'abc'");
    reset();
    assertUsageError(run("chain", "deploy", "--chain-id", "mainnet"), "--chain-id", "'mainnet'");
    reset();
    assertUsageError(run("demo", "--fraction", "most"), "--fraction", "'most' is not a number");
    reset();
    assertUsageError(run("run", "--output", "yaml"), "--output", "text or json");
    reset();
    // Refused before the benchmark starts a broker or a party.
    assertUsageError(run("bench", "--protocol", "ecdhx", "--work-dir", dir.resolve("b").toString()), "--protocol",
        "'ecdhx' is not a PSI protocol; use ecdh or oprf");
    reset();
    assertUsageError(run("bench", "--cores", "0", "--work-dir", dir.resolve("b").toString()), "--cores",
        "between 1 and 64, not 0");
    reset();
    assertUsageError(run("bench", "--overlap", "1.5", "--work-dir", dir.resolve("b").toString()), "--overlap",
        "between 0 and 1");
    reset();
    assertUsageError(run("bench", "--jvm-options", "-Xmx8g", "--work-dir", dir.resolve("b").toString()),
        "--jvm-options", "not '-Xmx8g'", "the heap is --heap");
    reset();
    assertUsageError(run("bench", "--jvm-options", "-XX:+UseParallelGC G1HeapRegionSize=16m", "--work-dir",
        dir.resolve("b").toString()), "--jvm-options", "not 'G1HeapRegionSize=16m'");
    assertThat(dir.resolve("b")).doesNotExist();
  }

  @Test
  void aMissingRequiredOptionIsAUsageError() {
    assertUsageError(run("keygen", "--party", "a"), "missing required option --out");
    reset();
    assertUsageError(run("spec-hash"), "--spec");
    reset();
    assertUsageError(run("keygen", "--party"), "--party needs a value");
    reset();
    assertUsageError(run("run", "--spec", "x"), "'veil run'", "--party", "--key", "--policy");
    reset();
    // No command word: `veil --spec ...` is `veil run --spec ...` (spark-submit users write it so).
    assertUsageError(run("--spec", "x", "--party", "bank_a"), "'veil run'", "--key", "--policy");
    reset();
    assertUsageError(run("asset"), "a sub-command is missing", "'veil asset register'");
  }

  @Test
  void confTakesKnownSettingsOnly() {
    assertUsageError(run("run", "--conf", "novalue"), "KEY=VALUE");
    reset();
    assertUsageError(run("run", "--conf", "veil.party.keyfile=x"), "veil.party.keyfile", "no such setting");
    reset();
    assertUsageError(run("run", "--conf", "spark.veil.party.id=x"), "without the spark. prefix");
  }

  @Test
  void runWithoutKafkaSaysHowToGetOne() throws Exception {
    Path spec = dir.resolve("psi.yaml");
    Files.writeString(spec, PsiDemo.spec(dir, key("a"), key("b"), "rows"));
    assertUsageError(run("run", "--spec", spec.toString(), "--party", "bank_a", "--key", "a.key", "--policy", "p.yaml"),
        "no Kafka is configured", "--bootstrap-servers", "veil broker");
  }

  @Test
  void runChecksTheKeyAndPolicyBeforeStartingSparkAndReportsJson() throws Exception {
    String keyA = key("a");
    String keyB = key("b");
    Path spec = dir.resolve("psi.yaml");
    Files.writeString(spec, PsiDemo.spec(dir, keyA, keyB, "rows"));
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, PsiDemo.policy("bank_a", "bank_b", keyB));
    Path absent = dir.resolve("absent.key");
    List<String> args = new ArrayList<>(List.of("run", "--spec", spec.toString(), "--party", "bank_a",
        "--key", absent.toString(), "--policy", policy.toString(), "--bootstrap-servers", "127.0.0.1:1"));

    // A missing key file: one failure object on stdout, the message on stderr, exit code 1.
    args.addAll(List.of("--output", "json"));
    assertThat(run(args)).isEqualTo(VeilCli.EXIT_FAILED);
    assertThat(out().lines().toList()).hasSize(1);
    JsonNode failure = new ObjectMapper().readTree(out());
    assertThat(failure.path("status").asText()).isEqualTo("failed");
    assertThat(failure.path("error").asText()).isEqualTo("invalid-input");
    assertThat(failure.path("message").asText()).contains("key file " + absent).contains("--key");
    assertThat(err()).startsWith("veil: Cannot run job 'demo-customer-overlap' as bank_a: key file " + absent)
        .doesNotContain("\tat ");

    // bank_b's key where bank_a's is pinned.
    reset();
    args.set(args.indexOf(absent.toString()), dir.resolve("b.key").toString());
    assertThat(run(args)).isEqualTo(VeilCli.EXIT_FAILED);
    assertThat(new ObjectMapper().readTree(out()).path("message").asText()).contains("but the spec pins " + keyA);

    // The right key, and a policy that does not accept PSI: refused, in text mode.
    reset();
    args.set(args.indexOf(dir.resolve("b.key").toString()), dir.resolve("a.key").toString());
    Files.writeString(policy, PsiDemo.policy("bank_a", "bank_b", keyB).replace("[psi]", "[aggregate]"));
    args.set(args.indexOf("json"), "text");
    assertThat(run(args)).isEqualTo(VeilCli.EXIT_FAILED);
    assertThat(err()).startsWith("veil: policy refused: ");
    assertThat(out()).isEmpty();

    // A usage error with --output json is a failure object too.
    reset();
    assertThat(run("run", "--party", "bank_a", "--output", "json")).isEqualTo(VeilCli.EXIT_USAGE);
    assertThat(new ObjectMapper().readTree(out()).path("error").asText()).isEqualTo("usage-error");
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
    reset();
    assertThat(run("spec-hash", "--spec", dir.resolve("absent.yaml").toString())).isEqualTo(VeilCli.EXIT_FAILED);
    assertThat(err()).startsWith("veil: ").contains("absent.yaml").doesNotContain("\tat ");
  }

  @Test
  void settingOptionsKeepTheCommandLineOverConf() {
    CommandLine cl = VeilCli.commandLine(new VeilCli.Streams(System.out, System.err));
    CommandLine run = cl.getSubcommands().get("run");
    cl.parseArgs("run", "--conf", "veil.party.id=from-conf", "--party", "from-option", "--conf",
        "veil.channel.kafka.security.protocol=SASL_SSL");
    Map<String, String> given = SettingOptions.given(run.getCommandSpec(), VeilJobs.settings());
    assertThat(given).containsEntry("veil.party.id", "from-option")
        .containsEntry("veil.channel.kafka.security.protocol", "SASL_SSL");
  }

  /** Writes {@code <name>.key} for party bank_{@code name} and returns its public key. */
  private String key(String name) {
    Path f = dir.resolve(name + ".key");
    run("keygen", "--party", "bank_" + name, "--out", f.toString());
    String k = out().strip();
    reset();
    return k.substring(k.lastIndexOf('\n') + 1);
  }
}
