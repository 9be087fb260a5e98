package io.veil.jobs.demo;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import com.fasterxml.jackson.databind.JsonNode;
import io.veil.jobs.PartyProcess;
import io.veil.ledger.chain.DevChain;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * The main demo: two banks, each its own Spark application in its own JVM, intersect their
 * customers over an embedded Kafka broker, and the result is checked against the plaintext join.
 */
public final class PsiDemo {
  private PsiDemo() {}

  /** PSI modes the demo runs. */
  public enum Mode { rows, cardinality }

  /** Where the demo's parties anchor their receipts. */
  public enum Chain { none, local }

  /** {@code veil demo}'s options (picocli). */
  public static final class Options {
    @Option(names = "--fraction", defaultValue = "0.7", paramLabel = "F",
        description = "Share of the shipped customers each bank samples (seeded); default: ${DEFAULT-VALUE}.")
    double fraction;

    @Option(names = "--mode", defaultValue = "rows", paramLabel = "MODE",
        description = "${COMPLETION-CANDIDATES}: both banks get their matching rows, or only the count; "
            + "default: ${DEFAULT-VALUE}.")
    Mode mode;

    @Option(names = "--work-dir", defaultValue = "target/veil-demo", paramLabel = "DIR",
        description = "Where inputs, keys, spec, outputs and ledgers go (emptied first); default: ${DEFAULT-VALUE}.")
    String workDir;

    @Option(names = "--timeout-s", defaultValue = "600", paramLabel = "S",
        description = "How long to wait for the banks; default: ${DEFAULT-VALUE}.")
    long timeoutS;

    @Option(names = "--data-dir", paramLabel = "DIR",
        description = "Read the plain .csv files of the shipped datasets from DIR instead of the copies shipped "
            + "with Veil.")
    String dataDir;

    @Option(names = "--chain", defaultValue = "none", paramLabel = "CHAIN",
        description = "${COMPLETION-CANDIDATES}: with local, also start a Ganache dev chain, deploy the ledger "
            + "contract, anchor both banks' job and verify both ledgers against it; default: ${DEFAULT-VALUE}.")
    Chain chain;
  }

  /** Runs the demo; returns the exit code (0: the result matches the plaintext join). */
  public static int run(Options options, PrintStream out) {
    return guarded(out, () -> demo(options, out));
  }

  /** A demo's body: it reads and writes files and waits for its parties. */
  interface Body {
    int run() throws IOException, InterruptedException;
  }

  /** Runs a demo's body: an I/O failure becomes a clear error, an interrupt exit code 1. */
  static int guarded(PrintStream out, Body body) {
    try {
      return body.run();
    } catch (IOException e) {
      throw new io.veil.VeilException("Cannot run the demo: " + e.getMessage() + ".", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  private static int demo(Options o, PrintStream out) throws IOException, InterruptedException {
    Optional<Path> data = DemoData.dataDir(Optional.ofNullable(o.dataDir), DemoData.GUEST, DemoData.HOST);
    Path work = Path.of(o.workDir).toAbsolutePath();
    double fraction = o.fraction;
    long timeoutMs = o.timeoutS * 1000;
    String mode = o.mode.name();
    deleteTree(work);
    Files.createDirectories(work);

    out.println("Veil demo: bank_a and bank_b intersect their customers (ECDH-PSI over Kafka)");
    Set<String> idsA = DemoData.sample(data, DemoData.GUEST, work.resolve("data/bank_a.csv"), fraction, 1);
    Set<String> idsB = DemoData.sample(data, DemoData.HOST, work.resolve("data/bank_b.csv"), fraction, 2);
    Set<String> expected = new HashSet<>(idsA);
    expected.retainAll(idsB);

    SecureRandom rnd = new SecureRandom();
    PartySecret a1 = PartySecret.generate("bank_a", rnd);
    PartySecret b1 = PartySecret.generate("bank_b", rnd);
    a1.write(work.resolve("keys/bank_a.key"));
    b1.write(work.resolve("keys/bank_b.key"));
    String keyA = a1.identity().publicKey().encoded();
    String keyB = b1.identity().publicKey().encoded();
    Files.writeString(work.resolve("psi.yaml"), spec(work, keyA, keyB, mode), StandardCharsets.UTF_8);
    Files.writeString(work.resolve("policy-bank_a.yaml"), policy("bank_a", "bank_b", keyB), StandardCharsets.UTF_8);
    Files.writeString(work.resolve("policy-bank_b.yaml"), policy("bank_b", "bank_a", keyA), StandardCharsets.UTF_8);

    try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(work.resolve("kafka"), 0).start();
        DevChain chain = o.chain == Chain.local ? DevChain.start() : null) {
      out.println("embedded Kafka broker (KRaft) on " + broker.bootstrapServers());
      Map<String, List<String>> chainArgs = chain == null ? Map.of() : chainArgs(chain, work, out);
      List<PartyProcess> parties = startParties(List.of("bank_a", "bank_b"), work, work.resolve("psi.yaml"),
          broker.bootstrapServers(), "1g", p -> chainArgs.getOrDefault(p, List.of()), out);
      if (!allSucceed(parties, timeoutMs, out)) {
        return 1;
      }
      List<JsonNode> outcomes = parties.stream().map(PartyProcess::outcome).toList();
      JsonNode a0 = outcomes.get(0);
      out.println();
      out.println("Summary");
      out.println("  bank_a input rows:  " + idsA.size());
      out.println("  bank_b input rows:  " + idsB.size());
      String got = a0.path("result").path("intersectionSize").asText("(not a recipient)");
      out.println("  intersection size:  " + got + " (plaintext join: " + expected.size() + ")");
      out.println("  job id:             " + a0.path("jobId").asText());
      for (int i = 0; i < parties.size(); i++) {
        JsonNode oc = outcomes.get(i);
        out.println("  " + parties.get(i).name() + " output:      " + oc.path("output").asText("(none)"));
        out.println("  " + parties.get(i).name() + " receipt:     " + receipt(oc));
      }
      out.println("  verify a receipt:   bin/veil verify --ledger " + work.resolve("ledger/bank_a.jsonl")
          + " --signer " + keyA);
      boolean ok = o.mode == Mode.cardinality || String.valueOf(expected.size()).equals(got);
      if (chain != null) {
        for (int i = 0; i < parties.size(); i++) {
          out.println("  " + parties.get(i).name() + " anchor:      "
              + outcomes.get(i).path("receipt").path("notes").path("anchor").asText("(none)"));
        }
        String rootA = outcomes.get(0).path("receipt").path("jobRoot").asText();
        String rootB = outcomes.get(1).path("receipt").path("jobRoot").asText();
        boolean sameRoot = rootA.equals(rootB);
        out.println("  job root:           " + rootA + (sameRoot ? " (the same in both receipts)"
            : " -- BUT bank_b's differs: " + rootB));
        ok &= sameRoot;
        // What an auditor runs (while the chain is up): each ledger, and each receipt against its anchor.
        for (String p : List.of("bank_a", "bank_b")) {
          List<String> verify = new ArrayList<>(List.of("verify", "--ledger", work.resolve("ledger/" + p + ".jsonl")
              .toString(), "--signer", p.equals("bank_a") ? keyA : keyB));
          verify.addAll(chainArgs.get(p));
          out.println("  verify " + p + " (ledger and chain):");
          ok &= io.veil.jobs.VeilCli.run(verify.toArray(String[]::new), out, out) == 0;
        }
      }
      out.println(ok ? "  result matches the plaintext join" : "  RESULT DOES NOT MATCH THE PLAINTEXT JOIN");
      return ok ? 0 : 1;
    }
  }

  /** A receipt as the job summary shows it: its ledger and the start of its hash. */
  static String receipt(JsonNode outcome) {
    JsonNode r = outcome.path("receipt");
    String hash = r.path("hash").asText();
    return r.path("location").asText() + " (receipt " + hash.substring(0, Math.min(16, hash.length())) + "...)";
  }

  /**
   * The demo's ledger contract on a local dev chain: deployed from account 0; each bank signs its
   * anchors with its own funded account (1, 2), whose key file is written under {@code keys/}.
   * Returns each bank's chain options for {@code veil run}.
   */
  private static Map<String, List<String>> chainArgs(DevChain chain, Path work, PrintStream out) {
    String contract = chain.deployLedger();
    out.println("local dev chain (Ganache) on " + chain.rpcUrl() + ", ledger contract " + contract);
    Map<String, List<String>> args = new LinkedHashMap<>();
    int account = 1;
    for (String p : List.of("bank_a", "bank_b")) {
      args.put(p, chain.cliOptions(account++, work.resolve("keys/" + p + ".chain-key"), contract));
    }
    return args;
  }

  /**
   * Starts each party's {@code veil run --output json} in its own JVM with {@code local[1]}, its key, policy and
   * ledger under {@code work} ({@code keys/<p>.key}, {@code policy-<p>.yaml}, {@code ledger/<p>.jsonl}),
   * and {@code extra.apply(p)} appended to its arguments.
   */
  static List<PartyProcess> startParties(List<String> ids, Path work, Path spec, String bootstrap, String heap,
      Function<String, List<String>> extra, PrintStream out) throws IOException {
    List<PartyProcess> parties = new ArrayList<>();
    for (String p : ids) {
      List<String> args = new ArrayList<>(List.of("run",
          "--spec", spec.toString(),
          "--party", p,
          "--key", work.resolve("keys/" + p + ".key").toString(),
          "--policy", work.resolve("policy-" + p + ".yaml").toString(),
          "--ledger", work.resolve("ledger/" + p + ".jsonl").toString(),
          "--bootstrap-servers", bootstrap,
          "--master", "local[1]",
          "--output", "json"));
      args.addAll(extra.apply(p));
      parties.add(PartyProcess.start(p, args, heap, List.of(), work, out));
    }
    return parties;
  }

  /** Waits for every party; prints each failure; true if all exited 0. */
  static boolean allSucceed(List<PartyProcess> parties, long timeoutMs, PrintStream out) throws InterruptedException {
    int failures = 0;
    for (PartyProcess p : parties) {
      int code = p.await(timeoutMs);
      if (code != 0) {
        out.println(p.name() + " failed (exit " + code + ")");
        failures++;
      }
    }
    return failures == 0;
  }

  public static String spec(Path work, String keyA, String keyB, String mode) {
    StringBuilder parties = new StringBuilder();
    for (String[] p : new String[][] {{"bank_a", keyA}, {"bank_b", keyB}}) {
      parties.append(String.join("\n",
          "  - id: " + p[0],
          "    publicKey: " + p[1],
          "    input:",
          "      format: csv",
          "      path: " + work.resolve("data/" + p[0] + ".csv"),
          "      keyColumns: [id]",
          "    output:",
          "      path: " + work.resolve("out/" + p[0]),
          "      format: csv",
          ""));
    }
    return String.join("\n",
        "# Written by `veil demo`: two banks intersect their customer ids.",
        "version: 1",
        "name: demo-customer-overlap",
        "operator: psi",
        "parties:",
        parties + "psi:",
        "  mode: " + mode,
        "  recipients: [bank_a, bank_b]",
        "  partitions: 4",
        "peerTimeoutMs: 180000",
        "");
  }

  public static String policy(String me, String peer, String peerKey) {
    return String.join("\n",
        "party: " + me,
        "peers:",
        "  - id: " + peer,
        "    publicKey: " + peerKey,
        "operators: [psi]",
        "outputRecipients: [bank_a, bank_b]",
        "");
  }

  public static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
