package io.veil.jobs.demo;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import io.veil.crypto.PartySecret;
import io.veil.jobs.PartyProcess;
import io.veil.jobs.internal.Args;
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

/**
 * The main demo: two banks, each its own Spark application in its own JVM, intersect their
 * customers over an embedded Kafka broker, and the result is checked against the plaintext join.
 */
public final class PsiDemo {
  private PsiDemo() {}

  public static int run(String[] argv, PrintStream out) {
    return guarded(Args.parse("demo", argv, 0, Set.of("data-dir", "work-dir", "fraction", "timeout-s", "mode",
        "chain")), out, PsiDemo::demo);
  }

  /** A demo's body: it reads and writes files and waits for its parties. */
  interface Body {
    int run(Args a, PrintStream out) throws IOException, InterruptedException;
  }

  /** Runs a demo's body: an I/O failure becomes a clear error, an interrupt exit code 1. */
  static int guarded(Args a, PrintStream out, Body body) {
    try {
      return body.run(a, out);
    } catch (IOException e) {
      throw new io.veil.VeilException("Cannot run the demo: " + e.getMessage() + ".", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  private static int demo(Args a, PrintStream out) throws IOException, InterruptedException {
    Optional<Path> data = DemoData.dataDir(a.get("data-dir"), DemoData.GUEST, DemoData.HOST);
    Path work = Path.of(a.get("work-dir").orElse("target/veil-demo")).toAbsolutePath();
    double fraction = Double.parseDouble(a.get("fraction").orElse("0.7"));
    long timeoutMs = Long.parseLong(a.get("timeout-s").orElse("600")) * 1000;
    String mode = a.get("mode").orElse("rows");
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

    String chainMode = a.get("chain").orElse("none");
    if (!chainMode.equals("none") && !chainMode.equals("local")) {
      throw new io.veil.InvalidInputException("Cannot run the demo: --chain must be 'local' (a Ganache dev chain "
          + "on this machine) or 'none', not '" + chainMode + "'.");
    }
    try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(work.resolve("kafka"), 0).start();
        DevChain chain = chainMode.equals("local") ? DevChain.start() : null) {
      out.println("embedded Kafka broker (KRaft) on " + broker.bootstrapServers());
      Map<String, List<String>> chainArgs = chain == null ? Map.of() : chainArgs(chain, work, out);
      List<PartyProcess> parties = startParties(List.of("bank_a", "bank_b"), work, work.resolve("psi.yaml"),
          broker.bootstrapServers(), "1g", p -> chainArgs.getOrDefault(p, List.of()), out);
      if (!allSucceed(parties, timeoutMs, out)) {
        return 1;
      }
      out.println();
      out.println("Summary");
      out.println("  bank_a input rows:  " + idsA.size());
      out.println("  bank_b input rows:  " + idsB.size());
      String got = parties.get(0).value("intersection size");
      out.println("  intersection size:  " + got + " (plaintext join: " + expected.size() + ")");
      out.println("  job id:             " + parties.get(0).value("job id"));
      for (PartyProcess p : parties) {
        out.println("  " + p.name() + " output:      " + p.value("output"));
        out.println("  " + p.name() + " receipt:     " + p.value("receipt"));
      }
      out.println("  verify a receipt:   bin/veil verify --ledger " + work.resolve("ledger/bank_a.jsonl")
          + " --signer " + keyA);
      boolean ok = mode.equals("cardinality") || String.valueOf(expected.size()).equals(got);
      if (chain != null) {
        for (PartyProcess p : parties) {
          out.println("  " + p.name() + " anchor:      " + p.value("anchor"));
        }
        boolean sameRoot = parties.get(0).value("job root").equals(parties.get(1).value("job root"));
        out.println("  job root:           " + parties.get(0).value("job root")
            + (sameRoot ? "" : " -- BUT bank_b's differs: " + parties.get(1).value("job root")));
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
   * Starts each party's {@code veil run} in its own JVM with {@code local[1]}, its key, policy and
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
          "--master", "local[1]"));
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
