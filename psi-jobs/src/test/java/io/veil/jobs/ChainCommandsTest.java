package io.veil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.ledger.chain.DevChain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil chain deploy} and {@code veil asset ...} against a real Ganache node, as a data owner runs them. */
class ChainCommandsTest {
  private static final String ASSET = "a1".repeat(32);

  private static DevChain chain;
  private static String contract;
  @TempDir static Path keys;
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void startChain() throws Exception {
    chain = DevChain.start();
    for (int i = 0; i < 2; i++) {
      Files.writeString(keys.resolve("account" + i + ".key"), HexFormat.of().formatHex(chain.accountKey(i)) + "\n");
    }
  }

  @AfterAll
  static void stopChain() {
    if (chain != null) {
      chain.close();
    }
  }

  @BeforeEach
  void deployOnce() {
    if (contract == null) {
      assertThat(run("chain", "deploy")).as(err()).isZero();
      Matcher m = Pattern.compile("contract address: (0x[0-9a-f]{40})").matcher(out());
      assertThat(m.find()).as(out()).isTrue();
      contract = m.group(1);
      assertThat(out()).contains("gas ").contains("--chain-contract " + contract);
      reset();
    }
  }

  /** Runs {@code veil args... <chain options of account 0>}. */
  private int run(String... args) {
    return runAs(0, args);
  }

  private int runAs(int account, String... args) {
    List<String> argv = new ArrayList<>(List.of(args));
    argv.addAll(List.of("--chain-url", chain.rpcUrl(), "--chain-id", "1337",
        "--chain-key-file", keys.resolve("account" + account + ".key").toString()));
    if (contract != null) {
      argv.addAll(List.of("--chain-contract", contract));
    }
    return VeilCli.run(argv.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
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

  private Path metadata(String id, String storagePath) throws Exception {
    Path f = dir.resolve(id.substring(0, 8) + storagePath.length() + ".json");
    Files.writeString(f, "{\"id\": \"" + id + "\", \"type\": \"data\", \"owner\": \"" + chain.account(0) + "\","
        + " \"storagePath\": \"" + storagePath + "\", \"operationCodeHashes\": [\"" + "c3".repeat(32) + "\"]}");
    return f;
  }

  @Test
  void registerThenShowMatchesTheMetadataAndAnEditedFileDoesNot() throws Exception {
    Path file = metadata(ASSET, "s3a://bank/customers");
    String proof = io.veil.ledger.chain.DataAsset.read(file).proofHex();
    assertThat(run("asset", "register", "--metadata", file.toString())).as(err()).isZero();
    assertThat(out()).contains("asset:   " + ASSET, "proof:   " + proof, "owner:   " + chain.account(0))
        .containsPattern("tx: +0x[0-9a-f]{64} \\(block \\d+, gas \\d+\\)");
    System.out.println("veil asset register: " + out().lines().filter(l -> l.startsWith("tx:")).findFirst().orElseThrow());
    reset();

    assertThat(run("asset", "register", "--metadata", file.toString())).isZero();
    assertThat(out()).contains("already registered");
    reset();

    assertThat(run("asset", "show", "--asset", "0x" + ASSET.toUpperCase(), "--metadata", file.toString()))
        .as(err()).isZero();
    assertThat(out()).contains("owner:        " + chain.account(0), "storage path: s3a://bank/customers",
        "proof:        " + proof, "children:     (none)", "metadata:     matches the on-chain proof");
    reset();

    Path edited = metadata(ASSET, "s3a://bank/customers-v2");
    assertThat(run("asset", "show", "--metadata", edited.toString())).isEqualTo(1);
    assertThat(out()).contains("DOES NOT match the on-chain proof");
    reset();

    assertThat(run("asset", "show", "--asset", "b2".repeat(32))).isEqualTo(1);
    assertThat(out()).contains("is not registered on ledger contract " + contract);
  }

  @Test
  void authoriseAndRevokePrintTheirTransaction() throws Exception {
    String id = "d4".repeat(32);
    assertThat(run("asset", "register", "--metadata", metadata(id, "hdfs:///d4").toString())).as(err()).isZero();
    reset();
    String hash = "e5".repeat(32);
    assertThat(run("asset", "authorise", "--asset", id, "--hash", hash)).as(err()).isZero();
    assertThat(out()).contains("authorised: " + hash + " on asset " + id).contains("gas ");
    System.out.println("veil asset authorise: " + out().lines().filter(l -> l.startsWith("tx:")).findFirst().orElseThrow());
    reset();
    assertThat(run("asset", "revoke", "--asset", id, "--hash", hash)).as(err()).isZero();
    assertThat(out()).contains("revoked:    " + hash);
    reset();
    // Only the owner may change its authorisations: the contract's reason reaches the user.
    assertThat(runAs(1, "asset", "authorise", "--asset", id, "--hash", hash)).isEqualTo(1);
    assertThat(err()).contains("only the asset owner may change its authorisations");
  }

  @Test
  void errorsNameTheOptionToFix() throws Exception {
    assertThat(runAs(1, "asset", "register", "--metadata", metadata("f6".repeat(32), "x").toString())).isEqualTo(1);
    assertThat(err()).contains("names owner " + chain.account(0)).contains("is account " + chain.account(1));
    reset();
    assertThat(run("asset", "authorise", "--asset", "xyz", "--hash", "e5".repeat(32))).isEqualTo(1);
    assertThat(err()).contains("Cannot use --asset: it must be 64 hex digits");
    reset();
    assertThat(VeilCli.run(new String[] {"asset", "show", "--asset", ASSET},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)))
        .isEqualTo(1);
    assertThat(err()).contains("Pass --chain-url or set VEIL_CHAIN_URL");
    reset();
    assertThat(run("asset", "transfer")).isEqualTo(2);
    assertThat(err()).contains("unknown sub-command 'transfer'");
  }

  @Test
  void specHashPrintsTheHashesAnOwnerAuthorises() throws Exception {
    Path keyA = dir.resolve("a.key");
    Path keyB = dir.resolve("b.key");
    VeilCli.run(new String[] {"keygen", "--party", "bank_a", "--out", keyA.toString()}, new PrintStream(out), System.err);
    String pkA = out().strip();
    reset();
    VeilCli.run(new String[] {"keygen", "--party", "bank_b", "--out", keyB.toString()}, new PrintStream(out), System.err);
    String pkB = out().strip();
    reset();
    Path spec = dir.resolve("psi.yaml");
    Files.writeString(spec, String.join("\n", "name: overlap", "operator: psi", "authorisation: required", "parties:",
        "  - {id: bank_a, publicKey: " + pkA + ", input: {format: csv, path: /a, keyColumns: [id], asset: " + ASSET
            + "}, output: {path: /oa}}",
        "  - {id: bank_b, publicKey: " + pkB + ", input: {format: csv, path: /b, keyColumns: [id], asset: "
            + "b2".repeat(32) + "}, output: {path: /ob}}", ""));
    io.veil.spec.JobSpec parsed = io.veil.spec.JobSpec.read(spec, null);
    assertThat(VeilCli.run(new String[] {"spec-hash", "--spec", spec.toString()}, new PrintStream(out),
        System.err)).isZero();
    assertThat(out()).contains("algorithm hash: " + parsed.algorithmHash(), "authorisation:  required",
        "veil asset authorise --asset " + ASSET + " --hash " + parsed.algorithmHash(),
        "veil asset authorise --asset " + "b2".repeat(32) + " --hash " + parsed.contractHash());
  }

  @Test
  void quotaAndUsagePrintTotalsPerConsumerWithTheirQuotaAndWhetherItIsSpent() throws Exception {
    String asset = "5e".repeat(32);
    assertThat(run("asset", "register", "--metadata", metadata(asset, "s3a://bank/metered").toString()))
        .as(err()).isZero();
    reset();
    String b = "0b".repeat(32);
    String c = "0c".repeat(32);
    assertThat(run("asset", "usage", "--asset", asset)).as(err()).isZero();
    assertThat(out()).contains("total:         jobs 0, rows 0, queries 0", "default quota: none (unlimited)",
        "consumers:     (none recorded)");
    reset();

    assertThat(run("asset", "quota", "--asset", asset, "--jobs", "2")).as(err()).isZero();
    assertThat(out()).contains("quota:   jobs 2, rows unlimited, queries unlimited for the default quota on asset "
        + asset).containsPattern("tx: +0x[0-9a-f]{64}");
    reset();
    assertThat(run("asset", "quota", "--asset", asset, "--consumer", "0x" + c.toUpperCase(), "--rows", "100",
        "--queries", "5")).as(err()).isZero();
    assertThat(out()).contains("quota:   jobs unlimited, rows 100, queries 5 for consumer " + c,
        "used:    jobs 0, rows 0, queries 0 (not spent)");
    reset();

    // The owner's outbox records usage after each job; here the owner's client does it directly.
    try (var owner = io.veil.ledger.chain.ChainClient.connect(chain.config(0).contractAddress(contract).build())) {
      byte[] id = HexFormat.of().parseHex(asset);
      owner.recordUsage(id, HexFormat.of().parseHex(b), HexFormat.of().parseHex("e1".repeat(32)), 40, 0);
      owner.recordUsage(id, HexFormat.of().parseHex(b), HexFormat.of().parseHex("e2".repeat(32)), 60, 1);
      owner.recordUsage(id, HexFormat.of().parseHex(c), HexFormat.of().parseHex("e1".repeat(32)), 10, 2);
    }
    assertThat(run("asset", "usage", "--asset", asset)).as(err()).isZero();
    assertThat(out()).contains("total:         jobs 3, rows 110, queries 3",
        "default quota: jobs 2, rows unlimited, queries unlimited",
        "consumer " + b + ": jobs 2, rows 100, queries 1; quota jobs 2, rows unlimited, queries unlimited "
            + "(the asset's default); SPENT",
        "consumer " + c + ": jobs 1, rows 10, queries 2; quota jobs unlimited, rows 100, queries 5; not spent");
    reset();
    assertThat(run("asset", "usage", "--asset", asset, "--consumer", c)).as(err()).isZero();
    assertThat(out()).contains("consumer " + c).doesNotContain("consumer " + b);
    reset();

    // Raising b's quota lifts the refusal; only the owner may set quotas; options are checked.
    assertThat(run("asset", "quota", "--asset", asset, "--consumer", b, "--jobs", "4")).as(err()).isZero();
    assertThat(out()).contains("used:    jobs 2, rows 100, queries 1 (not spent)");
    reset();
    assertThat(runAs(1, "asset", "quota", "--asset", asset, "--jobs", "9")).isEqualTo(1);
    assertThat(err()).contains("only the asset owner may record usage or set quotas");
    reset();
    assertThat(run("asset", "quota", "--asset", asset, "--consumer", "bank_b")).isEqualTo(1);
    assertThat(err()).contains("Cannot use --consumer: it must be the consumer party's Ed25519 public key");
    reset();
    assertThat(run("asset", "quota", "--asset", asset, "--rows", "-1")).isEqualTo(1);
    assertThat(err()).contains("Cannot use --rows -1: it must be 0 (no limit) or more.");
    reset();
    assertThat(run("asset", "usage", "--asset", "b3".repeat(32))).isEqualTo(1);
    assertThat(out()).contains("is not registered on ledger contract " + contract);
    reset();
    assertThat(run("asset", "quota", "--help")).isZero();
    assertThat(out()).contains("--asset", "--consumer", "--jobs", "--rows", "--queries",
        "0 (the default) for no limit");
  }
}
