package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.PolicyRefusedException;
import io.veil.config.ConfigKey;
import io.veil.config.VeilConf;
import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import io.veil.job.JobComponents;
import io.veil.job.VeilJobs;
import io.veil.jobs.PartyProcess;
import io.veil.crypto.IdentityKeys;
import io.veil.ledger.JobRoot;
import io.veil.ledger.LedgerEntry;
import io.veil.ledger.LocalLedger;
import io.veil.ledger.Receipt;
import io.veil.ledger.chain.AnchorLeaf;
import io.veil.ledger.chain.ChainClient;
import io.veil.ledger.chain.ChainSink;
import io.veil.ledger.chain.DevChain;
import io.veil.ledger.chain.ReceiptAnchor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PSI job with the chain ledger sink on, each party its own JVM (bank_b through spark-submit and
 * the deployable shaded jar, so web3j runs on Spark's classpath), a real broker and a real Ganache
 * node over JSON-RPC. The chain goes down mid-job: both jobs still succeed, their anchor waits in
 * the outbox, lands when the chain is back, and verifies. A party that rewrites and re-signs its own
 * ledger passes {@code veil verify} without the chain, and fails it with the chain options, which
 * name the leaf that changed (the receipt's, and an artefact's); a receipt whose approval is made
 * with a self-made key fails {@code veil verify --spec}, naming the party. A job over data assets is
 * refused until their owners authorise it; once it ran, each owner's outbox has recorded the other
 * party's usage on chain, and a spent quota refuses the next job at the owner's gate.
 */
class ChainLedgerIT {
  private static final long RUN_MS = 300_000;
  @TempDir static Path dir;
  static EmbeddedKafkaBroker broker;
  static DevChain chain;
  static PsiFixture fx;
  static Set<String> expected;
  static String contract;

  @BeforeAll
  static void start() throws Exception {
    broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0).start();
    fx = new PsiFixture(dir.resolve("work"), broker.bootstrapServers());
    expected = fx.sampleDefaultCredit();
    chain = DevChain.start();
    contract = chain.deployLedger();
  }

  @AfterAll
  static void stop() {
    if (chain != null) {
      chain.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  /** bank_a signs with account 1, bank_b with account 2 of the dev chain. */
  private static int account(String party) {
    return party.equals("bank_a") ? 1 : 2;
  }

  private static List<String> chainArgs(String party) {
    return chain.cliOptions(account(party), fx.work.resolve(party + ".chain-key"), contract);
  }

  private static int cli(List<String> args, StringBuilder output) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int code = io.veil.jobs.VeilCli.run(args.toArray(String[]::new), out, out);
    output.append(bytes.toString(StandardCharsets.UTF_8));
    return code;
  }

  @Test
  void chainDownMidJobThenBackAnchorsBothReceiptsAndVerifyNamesWhatARewrittenLedgerChanged() throws Exception {
    Path spec = fx.writeSpec("chain.yaml", "it-chain", "rows", Map.of());
    PartyProcess a = fx.start("bank_a", spec, withWait(chainArgs("bank_a")));
    PartyProcess b = fx.startWithSparkSubmit("bank_b", spec, withWait(chainArgs("bank_b")));
    // Mid-job (both approved, blinded sets on their way) the chain goes down.
    assertThat(a.awaitLine(l -> l.contains("step blind-1 sent"), RUN_MS)).isTrue();
    chain.stop();
    assertThat(a.await(RUN_MS)).as("bank_a's job succeeds without the chain").isZero();
    assertThat(b.await(RUN_MS)).as("bank_b's job succeeds without the chain").isZero();
    for (PartyProcess p : List.of(a, b)) {
      assertThat(PsiFixture.figure(p, "intersectionSize")).isEqualTo(Integer.toString(expected.size()));
      assertThat(PsiFixture.anchor(p)).as(p.name()).startsWith("pending");
    }
    assertThat(PsiFixture.jobRoot(a)).isNotNull().isEqualTo(PsiFixture.jobRoot(b));

    // Nothing is lost: the receipts are in the ledgers; the chain is back; `veil anchor` sends them.
    chain.restart();
    List<ReceiptAnchor> anchors = new ArrayList<>();
    for (String p : PsiFixture.PARTIES) {
      Path ledger = fx.work.resolve("ledger-" + p + ".jsonl");
      List<String> args = new ArrayList<>(List.of("anchor", "--ledger", ledger.toString(),
          "--key", fx.work.resolve(p + ".key").toString(), "--wait-ms", "60000"));
      args.addAll(chainArgs(p));
      StringBuilder out = new StringBuilder();
      assertThat(cli(args, out)).as(out.toString()).isZero();
      assertThat(out.toString()).contains("every receipt is anchored");
      List<ReceiptAnchor> recorded = ChainSink.recordedAnchors(ledger);
      assertThat(recorded).hasSize(1);
      anchors.add(recorded.get(recorded.size() - 1));
    }
    assertThat(anchors).allMatch(x -> x.stage() == ReceiptAnchor.Stage.CONFIRMED);
    // Each party anchors its own entry; the job's artefacts are the same leaves in both anchors.
    LedgerEntry ea = LocalLedger.openReadOnly(fx.work.resolve("ledger-bank_a.jsonl")).entries().get(0);
    LedgerEntry eb = LocalLedger.openReadOnly(fx.work.resolve("ledger-bank_b.jsonl")).entries().get(0);
    Receipt ra = ea.receipt();
    assertThat(anchors.get(0).leaf()).isEqualTo(HexFormat.of().formatHex(AnchorLeaf.of(ea)));
    assertThat(anchors.get(1).leaf()).isEqualTo(HexFormat.of().formatHex(AnchorLeaf.of(eb)));
    String[] jobLeaves = JobRoot.labelledHashes(ra).toArray(String[]::new);
    assertThat(JobRoot.labelledHashes(eb.receipt())).containsExactly(jobLeaves);
    assertThat(anchors).allSatisfy(x -> assertThat(x.leaves()).startsWith(jobLeaves));
    assertThat(HexFormat.of().formatHex(JobRoot.of(ra))).isEqualTo(PsiFixture.jobRoot(a));

    // An auditor: the ledger and every anchor verify ...
    for (String p : PsiFixture.PARTIES) {
      List<String> args = new ArrayList<>(List.of("verify", "--ledger",
          fx.work.resolve("ledger-" + p + ".jsonl").toString(), "--signer", fx.publicKeys.get(p)));
      args.addAll(chainArgs(p));
      StringBuilder out = new StringBuilder();
      assertThat(cli(args, out)).as(out.toString()).isZero();
      assertThat(out.toString()).contains("anchor of entry 0").contains("PASS");
    }
    // ... and bank_a rewriting its own ledger (re-signed, so it verifies on its own) is caught by the chain: an
    // edited input commitment is named by its artefact's leaf and the receipt's, an edited figure (in no job
    // leaf) by the receipt's.
    Receipt.Commitment c = ra.inputCommitment();
    String flipped = c.root().substring(0, 63) + (c.root().charAt(63) == '0' ? '1' : '0');
    assertRewriteIsNamed("input", ra.toBuilder().inputCommitment(new Receipt.Commitment(c.algorithm(), flipped,
        c.rows(), c.salt())).build(), "(leaf 'input:bank_a')", "(leaf 'receipt:bank_a')");
    long size = Long.parseLong(ra.result().get("intersectionSize"));
    assertRewriteIsNamed("size", ra.toBuilder().result("intersectionSize", Long.toString(size + 1)).build(),
        "RECEIPT_HASH_NOT_LEAF", "(leaf 'receipt:bank_a')");

    // A receipt listing bank_b's approval under a key bank_a made itself: verify --spec names bank_b.
    IdentityKeys selfMade = PartySecret.generate("bank_b", new SecureRandom()).identity();
    List<Receipt.Approval> approvals = new ArrayList<>(ra.approvals());
    approvals.removeIf(x -> x.party().equals("bank_b"));
    approvals.add(Receipt.Approval.sign("bank_b", selfMade, ra.contractHashBytes()));
    Path forged = rewritten("approval", ra.toBuilder().approvals(approvals).build());
    PartyProcess verify = PartyProcess.start("verify", List.of("verify", "--ledger", forged.toString(), "--spec",
        spec.toString(), "--party", "bank_a", "--master", "local[1]"), "768m", List.of(), fx.work, System.out);
    assertThat(verify.await(RUN_MS)).isEqualTo(1);
    assertThat(String.join("\n", verify.output()))
        .contains("cannot accept the approval of party 'bank_b': it is made with key "
            + selfMade.publicKey().encoded() + ", not with the key the spec pins for bank_b");
  }

  /** bank_a's ledger rewritten with {@code edited} and re-signed by bank_a, its outbox copied next to it. */
  private static Path rewritten(String name, Receipt edited) throws IOException {
    Path copy = fx.work.resolve("edited-" + name + "/ledger-bank_a.jsonl");
    Files.createDirectories(copy.getParent());
    LocalLedger.open(copy, PartySecret.read(fx.work.resolve("bank_a.key")).identity()).append(edited);
    Files.copy(ChainSink.outboxFile(fx.work.resolve("ledger-bank_a.jsonl")), ChainSink.outboxFile(copy));
    return copy;
  }

  /** A rewritten ledger passes {@code veil verify} on its own, and fails it with the chain, naming {@code named}. */
  private static void assertRewriteIsNamed(String name, Receipt edited, String... named) throws IOException {
    Path copy = rewritten(name, edited);
    List<String> args = new ArrayList<>(List.of("verify", "--ledger", copy.toString(),
        "--signer", fx.publicKeys.get("bank_a")));
    StringBuilder alone = new StringBuilder();
    assertThat(cli(args, alone)).as(alone.toString()).isZero();
    args.addAll(chainArgs("bank_a"));
    StringBuilder out = new StringBuilder();
    assertThat(cli(args, out)).as(out.toString()).isEqualTo(1);
    assertThat(out.toString()).contains(named);
  }

  @Test
  void aJobRequiringAuthorisationIsRefusedUntilBothAssetOwnersAuthoriseItAndMetersItsUsage() throws Exception {
    Map<String, byte[]> assets = new java.util.LinkedHashMap<>();
    for (String p : PsiFixture.PARTIES) {
      byte[] id = io.veil.crypto.Sha256.hash(("asset of " + p).getBytes(StandardCharsets.UTF_8));
      try (ChainClient owner = chain.client(account(p), contract)) {
        owner.registerAsset(id, fx.work.resolve("data/" + p + ".csv").toString(),
            io.veil.crypto.Sha256.hash(("metadata of " + p).getBytes(StandardCharsets.UTF_8)), List.of());
      }
      assets.put(p, id);
    }
    Map<String, String> inputs = new java.util.LinkedHashMap<>();
    for (String p : PsiFixture.PARTIES) {
      inputs.put(p, String.join("\n",
          "      format: csv",
          "      path: " + fx.work.resolve("data/" + p + ".csv"),
          "      keyColumns: [id]",
          "      asset: " + HexFormat.of().formatHex(assets.get(p))));
    }
    Path spec = fx.writeSpec("authorised.yaml", "it-authorised", "cardinality", inputs, "authorisation: required");
    io.veil.spec.JobSpec js = io.veil.spec.JobSpec.read(spec, null);

    // Nobody has authorised the job: bank_a refuses on its driver, before its approval or any data.
    PartyProcess refused = fx.start("bank_a", spec, chainArgs("bank_a").toArray(String[]::new));
    assertThat(refused.await(RUN_MS)).isEqualTo(1);
    assertThat(String.join("\n", refused.output())).contains("policy refused")
        .contains("veil asset authorise --asset " + HexFormat.of().formatHex(assets.get("bank_a")));

    // bank_a's owner authorises the recurring job (algorithm hash), bank_b's this one job (contract hash).
    try (ChainClient a = chain.client(account("bank_a"), contract);
        ChainClient b = chain.client(account("bank_b"), contract)) {
      a.authorise(assets.get("bank_a"), HexFormat.of().parseHex(js.algorithmHash()));
      b.authorise(assets.get("bank_b"), HexFormat.of().parseHex(js.contractHash()));
    }
    // The chain is up: the default anchor wait (30 s), since a loaded machine may take more than 3 s to confirm.
    PartyProcess pa = fx.start("bank_a", spec, chainArgs("bank_a").toArray(String[]::new));
    PartyProcess pb = fx.start("bank_b", spec, chainArgs("bank_b").toArray(String[]::new));
    assertThat(pa.await(RUN_MS)).isZero();
    assertThat(pb.await(RUN_MS)).isZero();
    assertThat(PsiFixture.figure(pa, "intersectionSize")).isEqualTo(Integer.toString(expected.size()));
    assertThat(PsiFixture.anchor(pa)).startsWith("confirmed");

    // Each owner recorded the job's use of its asset by the other party, through its outbox: one job, its rows.
    byte[] keyB = js.party("bank_b").publicKey().bytes();
    try (ChainClient a = chain.client(account("bank_a"), contract)) {
      io.veil.ledger.chain.AssetUsage used = a.usageBy(assets.get("bank_a"), keyB);
      assertThat(used.jobs()).as(String.join("\n", pa.output())).isEqualTo(1);
      assertThat(used.rows()).isPositive();
      assertThat(a.consumersOf(assets.get("bank_a"))).containsExactly(HexFormat.of().formatHex(keyB));
      // With a default quota of one job, bank_b has spent it: bank_a refuses the next job on its driver, at
      // the gate that refused it above through `veil run`.
      a.setQuota(assets.get("bank_a"), new byte[32], 1, 0, 0);
    }
    assertThatThrownBy(() -> checkGates(js, "bank_a", chainArgs("bank_a")))
        .isInstanceOf(PolicyRefusedException.class)
        .hasMessageContainingAll("consumer bank_b", "used up its quota",
            "veil asset quota --asset " + HexFormat.of().formatHex(assets.get("bank_a")));
  }

  /**
   * Checks {@code spec} at {@code party}'s gates as {@code veil run} with {@code runOptions} does on its
   * driver before anything else (the gates of the job components on the classpath, given the settings
   * those options set), without starting Spark.
   */
  private static void checkGates(io.veil.spec.JobSpec spec, String party, List<String> runOptions) {
    Map<String, String> settings = new java.util.HashMap<>();
    for (ConfigKey<?> k : VeilJobs.settings()) {
      int i = k.flag() == null ? -1 : runOptions.indexOf("--" + k.flag());
      if (i >= 0) {
        settings.put(k.name(), runOptions.get(i + 1));
      }
    }
    VeilConf conf = VeilConf.of(settings);
    for (JobComponents c : VeilJobs.components()) {
      c.gates(conf).forEach(g -> g.check(spec, party));
    }
  }

  /** Chain options plus a short wait for the anchor: the chain is down when the jobs end. */
  private static String[] withWait(List<String> chainArgs) {
    List<String> all = new ArrayList<>(chainArgs);
    all.addAll(List.of("--anchor-wait-ms", "3000"));
    return all.toArray(String[]::new);
  }
}
