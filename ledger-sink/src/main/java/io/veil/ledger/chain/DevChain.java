package io.veil.ledger.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A local Ganache dev chain for tests and the demo: {@code node node_modules/ganache/dist/node/cli.js} on
 * 127.0.0.1, a free port, chain id 1337, hardfork shanghai, the deterministic wallet (ten funded
 * accounts, the same keys on every run), one block per transaction.
 *
 * <p>Its state lives in a temporary directory ({@code --database.dbPath}), so {@link #stop()} or
 * {@link #kill()} followed by {@link #restart()} brings the same chain back on the same port, as a
 * node that went down mid-job would. {@link #close()} stops the node (its whole process tree) and
 * deletes the directory.
 *
 * <p>Ganache comes from the repository's {@code node_modules} ({@code npm ci} at the repository
 * root; the ledger-sink build runs it when needed); the repository root is found by walking up
 * from the working directory, or given with {@code -Dveil.ganache.cli=/path/to/cli.js}. Output goes
 * to {@link #logFile()} and is quoted in start-up errors.
 */
public final class DevChain implements AutoCloseable {
  public static final long CHAIN_ID = 1337;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path cli;
  private final Path dir;
  private final int port;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;
  private List<String> accounts = List.of();
  private JsonNode privateKeys;
  private int starts;

  private DevChain(Path cli, Path dir, int port) {
    this.cli = cli;
    this.dir = dir;
    this.port = port;
  }

  /** Starts a fresh chain on a free port and waits until it answers JSON-RPC. */
  public static DevChain start() {
    Path cli = ganacheCli();
    Path dir;
    try {
      dir = Files.createTempDirectory("veil-devchain-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    DevChain chain = new DevChain(cli, dir, freePort());
    try {
      chain.launch();
    } catch (RuntimeException e) {
      chain.close();
      throw e;
    }
    return chain;
  }

  public String rpcUrl() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public long chainId() {
    return CHAIN_ID;
  }

  public Path logFile() {
    return dir.resolve("ganache.log");
  }

  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Address of deterministic account {@code index} (0..9), lower case. */
  public String account(int index) {
    return accounts.get(index);
  }

  /** A fresh copy of the 32-byte private key of deterministic account {@code index}. */
  public byte[] accountKey(int index) {
    String hex = privateKeys.get(account(index)).asText();
    return HexFormat.of().parseHex(hex.startsWith("0x") ? hex.substring(2) : hex);
  }

  /** A client config for account {@code index} of this chain, fast polling, no contract yet. */
  public ChainConfig.Builder config(int index) {
    return ChainConfig.builder()
        .rpcUrl(rpcUrl())
        .chainId(CHAIN_ID)
        .signingKey(accountKey(index))
        .pollIntervalMs(20)
        .confirmationTimeoutMs(30_000);
  }

  /** Deploys the ledger contract from account 0; returns its address. */
  public String deployLedger() {
    try (ChainClient deployer = deployedClient()) {
      return deployer.contractAddress().orElseThrow();
    }
  }

  /** A client of account 0 that has just deployed the ledger contract (the caller closes it). */
  public ChainClient deployedClient() {
    ChainClient client = ChainClient.connect(config(0).build());
    client.deployContract();
    return client;
  }

  /** A client of account {@code index} bound to the ledger contract at {@code contract}. */
  public ChainClient client(int index, String contract) {
    return ChainClient.connect(config(index).contractAddress(contract).build());
  }

  /**
   * The {@code veil} chain options that sign with account {@code index} on {@code contract}; the
   * account's key is written to {@code keyFile}.
   */
  public List<String> cliOptions(int index, Path keyFile, String contract) {
    try {
      Files.createDirectories(keyFile.toAbsolutePath().getParent());
      Files.writeString(keyFile, HexFormat.of().formatHex(accountKey(index)) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.of("--chain-url", rpcUrl(), "--chain-id", Long.toString(CHAIN_ID), "--chain-key-file",
        keyFile.toString(), "--chain-contract", contract);
  }

  /** Closes each of {@code resources} that is not null, carrying on past failures (for test teardown). */
  public static void closeAll(AutoCloseable... resources) {
    for (AutoCloseable c : resources) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // keep closing the others
      }
    }
  }

  /** Mines {@code blocks} empty blocks ({@code evm_mine}). */
  public void mine(int blocks) {
    for (int i = 0; i < blocks; i++) {
      call("evm_mine", "[]");
    }
  }

  /** The latest block number. */
  public long blockNumber() {
    return Long.decode(call("eth_blockNumber", "[]").asText());
  }

  /** Stops the node gracefully (SIGTERM to it and its descendants), keeping its state on disk. */
  public void stop() {
    terminate(false);
  }

  /** Kills the node (SIGKILL, as a crash or power loss would), keeping its state on disk. */
  public void kill() {
    terminate(true);
  }

  /** Starts the node again on the same port, with the state it had when stopped. */
  public void restart() {
    if (isRunning()) {
      throw new IllegalStateException("Cannot restart the dev chain on port " + port + ": it is running. Stop it first.");
    }
    launch();
  }

  @Override
  public void close() {
    terminate(false);
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp dir left behind is harmless
    }
  }

  private void launch() {
    List<String> command = new ArrayList<>(List.of(
        System.getProperty("veil.node", "node"), cli.toString(),
        "--server.host", "127.0.0.1",
        "--server.port", Integer.toString(port),
        "--chain.chainId", Long.toString(CHAIN_ID),
        "--chain.networkId", Long.toString(CHAIN_ID),
        "--chain.hardfork", "shanghai",
        "--wallet.deterministic",
        "--wallet.accountKeysPath", dir.resolve("keys.json").toString(),
        "--database.dbPath", dir.resolve("db").toString(),
        "--miner.instamine", "eager"));
    starts++;
    try {
      Files.writeString(logFile(), "---- start " + starts + ": " + String.join(" ", command) + "\n",
          StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("Cannot start the Ganache dev chain: " + e.getMessage()
          + ". Is Node.js (18+) on the PATH? Set -Dveil.node=/path/to/node otherwise.", e);
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Cannot start the Ganache dev chain on port " + port + ": it exited with "
            + process.exitValue() + ". Its output:\n" + logTail());
      }
      try {
        long id = Long.decode(call("eth_chainId", "[]").asText());
        if (id != CHAIN_ID) {
          throw new IllegalStateException("Dev chain on port " + port + " reports chain id " + id);
        }
        break;
      } catch (UncheckedIOException notYet) {
        if (System.nanoTime() > deadline) {
          terminate(true);
          throw new IllegalStateException("Cannot start the Ganache dev chain on port " + port + ": no JSON-RPC "
              + "answer within " + START_TIMEOUT.toSeconds() + " s. Its output:\n" + logTail());
        }
        sleep(100);
      }
    }
    List<String> found = new ArrayList<>();
    call("eth_accounts", "[]").forEach(a -> found.add(a.asText().toLowerCase(Locale.ROOT)));
    accounts = List.copyOf(found);
    try {
      privateKeys = JSON.readTree(dir.resolve("keys.json").toFile()).get("private_keys");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void terminate(boolean forcibly) {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    tree.add(p.toHandle());
    for (ProcessHandle h : tree) {
      if (forcibly) {
        h.destroyForcibly();
      } else {
        h.destroy();
      }
    }
    try {
      if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        tree.forEach(ProcessHandle::destroyForcibly);
        p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
      for (ProcessHandle h : tree) {
        h.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      tree.forEach(ProcessHandle::destroyForcibly);
    }
  }

  private JsonNode call(String method, String paramsJson) {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + paramsJson + "}";
    HttpRequest request = HttpRequest.newBuilder(URI.create(rpcUrl()))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    try {
      JsonNode reply = JSON.readTree(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
      if (reply.has("error")) {
        throw new IllegalStateException(method + " failed on the dev chain: " + reply.get("error"));
      }
      return reply.get("result");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static Path ganacheCli() {
    String given = System.getProperty("veil.ganache.cli");
    if (given != null) {
      return Paths.get(given);
    }
    Path rel = Paths.get("node_modules", "ganache", "dist", "node", "cli.js");
    for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve(rel))) {
        return d.resolve(rel);
      }
    }
    throw new IllegalStateException("Cannot start the Ganache dev chain: " + rel + " is not in "
        + Paths.get("").toAbsolutePath() + " or any parent directory. Run `npm ci` at the repository root "
        + "(the ledger-sink build does it when node_modules is missing), or pass -Dveil.ganache.cli=/path/to/cli.js.");
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
