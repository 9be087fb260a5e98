package io.veil.ledger.chain;

import io.veil.InvalidInputException;
import io.veil.ledger.chain.internal.contract.VeilLedger;
import io.veil.ledger.internal.LedgerErrors;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import okhttp3.OkHttpClient;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.exceptions.ClientConnectionException;
import org.web3j.protocol.http.HttpService;
import org.web3j.tuples.generated.Tuple3;
import org.web3j.tuples.generated.Tuple4;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * Reads and writes Veil's ledger contract ({@code ledger-sink/src/main/solidity/VeilLedger.sol})
 * on any EVM chain over standard JSON-RPC: deploy it, anchor Merkle roots, look anchors up,
 * register data assets, manage their authorisations, and meter their usage against quotas.
 *
 * <p>Every write signs a legacy (EIP-155) transaction locally with the configured key, sends it
 * with {@code eth_sendRawTransaction}, and returns only when it is included and has the configured
 * number of confirmations. Before sending, the call is simulated ({@code eth_estimateGas}), so a
 * call the contract would refuse fails with {@link ChainRefusedException} naming the contract's
 * reason, without spending gas. A node that does not answer, or a transaction not confirmed within
 * {@link ChainConfig#confirmationTimeoutMs()}, raises {@link ChainUnavailableException}: the
 * contract's writes are idempotent, so the caller (an outbox) may simply retry.
 *
 * <p>Thread safety: safe for use by several threads; writes are serialised, so that nonces are
 * assigned in order. One client per signing key; two clients with the same key on the same chain
 * race for nonces.
 */
public final class ChainClient implements AutoCloseable {
  private static final HexFormat HEX = HexFormat.of();
  private static final String ERROR_STRING_SELECTOR = "0x08c379a0";

  private final ChainConfig config;
  private final String url;
  private final OkHttpClient http;
  private final ScheduledExecutorService scheduler;
  private final Web3j web3j;
  private final String account;
  private final RawTransactionManager txManager;
  private volatile VeilLedger contract;

  private ChainClient(ChainConfig config) {
    this.config = config;
    this.url = RpcUrls.redact(config.rpcUrl());
    Duration timeout = Duration.ofMillis(config.rpcTimeoutMs());
    this.http = new OkHttpClient.Builder()
        .connectTimeout(timeout)
        .readTimeout(timeout)
        .writeTimeout(timeout)
        .build();
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "veil-chain-client");
      t.setDaemon(true);
      return t;
    });
    this.web3j = Web3j.build(new HttpService(config.rpcUrl(), http), config.pollIntervalMs(), scheduler);
    byte[] key = config.signingKey();
    Credentials credentials;
    try {
      credentials = Credentials.create(ECKeyPair.create(key));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
    this.account = credentials.getAddress().toLowerCase(Locale.ROOT);
    this.txManager = new RawTransactionManager(web3j, credentials, config.chainId());
  }

  /**
   * Connects to the node, checks that it serves the configured chain id, and, if a contract address
   * is configured, that contract code is deployed there.
   *
   * @throws ChainUnavailableException the node does not answer at the RPC URL
   * @throws InvalidInputException the node serves another chain, or there is no contract at the address
   */
  public static ChainClient connect(ChainConfig config) {
    ChainClient client = new ChainClient(config);
    try {
      long reported = client.rpc("connect to the chain", () -> client.web3j.ethChainId().send())
          .getChainId().longValueExact();
      if (reported != config.chainId()) {
        throw LedgerErrors.chainIdMismatch(client.url, config.chainId(), reported);
      }
      if (config.contractAddress().isPresent()) {
        client.bind(config.contractAddress().get());
      }
      return client;
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /** The signing account, {@code 0x} + 40 lower-case hex digits. */
  public String account() {
    return account;
  }

  /** The ledger contract this client uses, if one is configured or was deployed. */
  public Optional<String> contractAddress() {
    VeilLedger c = contract;
    return c == null ? Optional.empty() : Optional.of(c.getContractAddress().toLowerCase(Locale.ROOT));
  }

  /** The node's latest block number. */
  public long blockNumber() {
    return rpc("read the block number", () -> web3j.ethBlockNumber().send()).getBlockNumber().longValueExact();
  }

  /**
   * Deploys a new ledger contract and makes this client use it; {@link #contractAddress()} then
   * names it.
   */
  public synchronized TxOutcome deployContract() {
    String action = "deploy the ledger contract";
    TransactionReceipt receipt = transact(action, null, VeilLedger.BINARY, txHash -> {});
    bind(receipt.getContractAddress());
    return outcome(receipt, true);
  }

  /**
   * Anchors a Merkle root. Idempotent: if {@code root} is already anchored, by anyone, nothing
   * changes and the outcome's {@link TxOutcome#changedState()} is false.
   *
   * @param root the 32-byte root, not all zero
   * @param jobCount how many jobs the root covers, at least 1
   * @param batchId the job or batch identifier, logged in the contract's event (at most 256 UTF-8 bytes)
   */
  public TxOutcome anchor(byte[] root, int jobCount, String batchId) {
    return anchor(root, jobCount, batchId, txHash -> {});
  }

  /**
   * Like {@link #anchor(byte[], int, String)}, and calls {@code onSent} with the transaction hash as
   * soon as the node accepted the transaction, before waiting for its confirmations (an outbox
   * records it there). {@code onSent} runs on the calling thread; if it throws, nothing is awaited.
   */
  public TxOutcome anchor(byte[] root, int jobCount, String batchId, Consumer<String> onSent) {
    String action = "anchor root " + hex32("root", root);
    if (root.length == 32 && Arrays.equals(root, new byte[32])) {
      throw new InvalidInputException("Cannot " + action + ": the root is all zero, which the ledger contract "
          + "reserves for 'not anchored'. Anchor the Merkle root of the job's receipts.");
    }
    if (jobCount < 1) {
      throw new InvalidInputException("Cannot " + action + ": jobCount is " + jobCount
          + ". Give the number of jobs under the root (1 or more).");
    }
    if (batchId == null || batchId.getBytes(StandardCharsets.UTF_8).length > 256) {
      throw new InvalidInputException("Cannot " + action + ": batchId is "
          + (batchId == null ? "missing" : "longer than 256 UTF-8 bytes") + ". Give the job id or batch id.");
    }
    return write(action, requireContract(action).anchor(root, BigInteger.valueOf(jobCount), batchId), onSent);
  }

  /**
   * The transaction that anchored {@code root} (the one that emitted its {@code Anchored} event, in
   * the block {@link #lookup} names), or empty if the root is not anchored. Its
   * {@link TxOutcome#changedState()} is true.
   */
  public Optional<TxOutcome> anchoringTransaction(byte[] root) {
    Optional<AnchorRecord> record = lookup(root);
    if (record.isEmpty()) {
      return Optional.empty();
    }
    String action = "find the transaction that anchored root " + record.get().rootHex();
    DefaultBlockParameter block = DefaultBlockParameter.valueOf(BigInteger.valueOf(record.get().blockNumber()));
    EthFilter filter = new EthFilter(block, block, requireContract(action).getContractAddress());
    filter.addSingleTopic(EventEncoder.encode(VeilLedger.ANCHORED_EVENT));
    filter.addSingleTopic("0x" + record.get().rootHex());
    List<EthLog.LogResult> logs = rpc(action, () -> web3j.ethGetLogs(filter).send()).getLogs();
    if (logs.isEmpty()) {
      throw LedgerErrors.chainRefused(action, url, "no Anchored event for the root in block "
          + record.get().blockNumber() + " (the node may have pruned its logs)", null);
    }
    String txHash = ((Log) logs.get(0).get()).getTransactionHash();
    TransactionReceipt receipt = rpc(action, () -> web3j.ethGetTransactionReceipt(txHash).send())
        .getTransactionReceipt()
        .orElseThrow(() -> LedgerErrors.chainRefused(action, url, "no receipt for transaction " + txHash, null));
    return Optional.of(outcome(receipt, true));
  }

  /** The chain id this client signs for (and the node reported when it connected). */
  public long chainId() {
    return config.chainId();
  }

  /** Confirmations a write waits for, counting the including block. */
  public int confirmations() {
    return config.confirmations();
  }

  /** The anchor of {@code root}, or empty if it was never anchored. */
  public Optional<AnchorRecord> lookup(byte[] root) {
    String rootHex = hex32("root", root);
    String action = "look up root " + rootHex;
    Tuple3<BigInteger, BigInteger, String> a = read(action, requireContract(action).anchorOf(root));
    if (isZeroAddress(a.component3())) {
      return Optional.empty();
    }
    return Optional.of(new AnchorRecord(rootHex, a.component1().longValueExact(),
        Instant.ofEpochSecond(a.component2().longValueExact()), a.component3().toLowerCase(Locale.ROOT)));
  }

  /**
   * Registers a data, compute or algorithm asset owned by this client's account. Each child must be
   * registered already and its owner must have authorised {@code id} ({@link #authorise} on the
   * child with {@code id} as grantee), or the contract refuses. Idempotent for identical content.
   *
   * @param id the asset id (32 bytes, not all zero)
   * @param storagePath where its data lives (a URI; at most 1024 UTF-8 bytes)
   * @param proof the 32-byte hash of its off-chain metadata
   * @param children the ids of the assets it uses; may be empty
   */
  public TxOutcome registerAsset(byte[] id, String storagePath, byte[] proof, List<byte[]> children) {
    String action = "register asset " + hex32("asset id", id);
    hex32("proof", proof);
    if (storagePath == null || storagePath.getBytes(StandardCharsets.UTF_8).length > 1024) {
      throw new InvalidInputException("Cannot " + action + ": storagePath is "
          + (storagePath == null ? "missing" : "longer than 1024 UTF-8 bytes") + ". Give the asset's location URI.");
    }
    List<byte[]> kids = new ArrayList<>(children.size());
    for (byte[] child : children) {
      hex32("child asset id", child);
      kids.add(child.clone());
    }
    return write(action, requireContract(action).registerAsset(id, storagePath, proof, kids));
  }

  /** Lets {@code grantee} (a job-contract or algorithm hash, or a parent asset id) use asset {@code assetId}. */
  public TxOutcome authorise(byte[] assetId, byte[] grantee) {
    String action = "authorise " + hex32("grantee", grantee) + " on asset " + hex32("asset id", assetId);
    return write(action, requireContract(action).authorise(assetId, grantee));
  }

  /** Withdraws {@code grantee}'s use of asset {@code assetId}. */
  public TxOutcome revoke(byte[] assetId, byte[] grantee) {
    String action = "revoke " + hex32("grantee", grantee) + " on asset " + hex32("asset id", assetId);
    return write(action, requireContract(action).revoke(assetId, grantee));
  }

  /**
   * Whether {@code hash} may use asset {@code assetId} now: its owner granted it and every child
   * asset, recursively, still authorises the asset.
   */
  public boolean isAuthorised(byte[] assetId, byte[] hash) {
    String action = "check authorisation of " + hex32("hash", hash) + " on asset " + hex32("asset id", assetId);
    return read(action, requireContract(action).isAuthorised(assetId, hash));
  }

  /** Whether the owner of {@code assetId} has granted {@code grantee}, ignoring child assets. */
  public boolean isGranted(byte[] assetId, byte[] grantee) {
    String action = "check grant of " + hex32("grantee", grantee) + " on asset " + hex32("asset id", assetId);
    return read(action, requireContract(action).isGranted(assetId, grantee));
  }

  /** The registered asset {@code id}, or empty. */
  public Optional<AssetRecord> asset(byte[] id) {
    String idHex = hex32("asset id", id);
    String action = "read asset " + idHex;
    Tuple4<String, byte[], String, List<byte[]>> a = read(action, requireContract(action).assetOf(id));
    if (isZeroAddress(a.component1())) {
      return Optional.empty();
    }
    List<String> kids = a.component4().stream().map(HEX::formatHex).toList();
    return Optional.of(new AssetRecord(idHex, a.component1().toLowerCase(Locale.ROOT), HEX.formatHex(a.component2()),
        a.component3(), kids));
  }

  /**
   * Records that {@code consumer} used asset {@code assetId} in the job whose receipt (the owner's)
   * hashes to {@code receiptHash}: one job, {@code rows} and {@code queries} are added to the
   * consumer's and the asset's totals. Only the asset's owner may; idempotent per (asset, consumer,
   * receipt hash): a repeat changes nothing and its {@link TxOutcome#changedState()} is false.
   *
   * @param consumer the consuming party's 32-byte Ed25519 identity key
   */
  public TxOutcome recordUsage(byte[] assetId, byte[] consumer, byte[] receiptHash, long rows, long queries) {
    String action = "record usage of asset " + hex32("asset id", assetId) + " by consumer "
        + hex32("consumer", consumer);
    hex32("receipt hash", receiptHash);
    nonNegative(action, "rows", rows);
    nonNegative(action, "queries", queries);
    return write(action, requireContract(action).recordUsage(assetId, consumer, receiptHash,
        BigInteger.valueOf(rows), BigInteger.valueOf(queries)));
  }

  /** The usage of asset {@code assetId} by every consumer together. */
  public AssetUsage usageOf(byte[] assetId) {
    String action = "read the usage of asset " + hex32("asset id", assetId);
    Tuple3<BigInteger, BigInteger, BigInteger> u = read(action, requireContract(action).usageOf(assetId));
    return new AssetUsage(u.component1().longValueExact(), u.component2().longValueExact(),
        u.component3().longValueExact());
  }

  /** The usage of asset {@code assetId} by {@code consumer} (a 32-byte identity key); all zero if none. */
  public AssetUsage usageBy(byte[] assetId, byte[] consumer) {
    String action = "read the usage of asset " + hex32("asset id", assetId) + " by consumer "
        + hex32("consumer", consumer);
    Tuple3<BigInteger, BigInteger, BigInteger> u = read(action, requireContract(action).usageBy(assetId, consumer));
    return new AssetUsage(u.component1().longValueExact(), u.component2().longValueExact(),
        u.component3().longValueExact());
  }

  /** The consumers (32-byte identity keys, lower-case hex) with usage of {@code assetId}, first record first. */
  public List<String> consumersOf(byte[] assetId) {
    String action = "read the consumers of asset " + hex32("asset id", assetId);
    List<?> keys = read(action, requireContract(action).consumersOf(assetId));
    return keys.stream().map(k -> HEX.formatHex((byte[]) k)).toList();
  }

  /**
   * Sets the quota of {@code consumer} on asset {@code assetId}; a consumer of 32 zero bytes sets the
   * default for every consumer without its own. A figure of 0 is unlimited. Only the asset's owner may.
   */
  public TxOutcome setQuota(byte[] assetId, byte[] consumer, long maxJobs, long maxRows, long maxQueries) {
    String action = "set the quota of consumer " + hex32("consumer", consumer) + " on asset "
        + hex32("asset id", assetId);
    nonNegative(action, "maxJobs", maxJobs);
    nonNegative(action, "maxRows", maxRows);
    nonNegative(action, "maxQueries", maxQueries);
    return write(action, requireContract(action).setQuota(assetId, consumer, BigInteger.valueOf(maxJobs),
        BigInteger.valueOf(maxRows), BigInteger.valueOf(maxQueries)));
  }

  /** The quota that applies to {@code consumer} on {@code assetId}: its own, else the asset's default. */
  public UsageQuota quotaOf(byte[] assetId, byte[] consumer) {
    String action = "read the quota of consumer " + hex32("consumer", consumer) + " on asset "
        + hex32("asset id", assetId);
    Tuple4<BigInteger, BigInteger, BigInteger, Boolean> q =
        read(action, requireContract(action).quotaOf(assetId, consumer));
    return new UsageQuota(q.component1().longValueExact(), q.component2().longValueExact(),
        q.component3().longValueExact(), q.component4());
  }

  /** Whether {@code consumer} has reached a limited figure of its quota on {@code assetId}. */
  public boolean quotaSpent(byte[] assetId, byte[] consumer) {
    String action = "check the quota of consumer " + hex32("consumer", consumer) + " on asset "
        + hex32("asset id", assetId);
    return read(action, requireContract(action).quotaSpent(assetId, consumer));
  }

  @Override
  public void close() {
    web3j.shutdown();
    scheduler.shutdownNow();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  // ---- internals ----

  private void bind(String address) {
    String action = "use the ledger contract at " + address;
    String code = rpc(action, () -> web3j.ethGetCode(address, DefaultBlockParameterName.LATEST).send()).getCode();
    if (code == null || code.equals("0x") || code.isEmpty()) {
      throw LedgerErrors.noContractCode(url, address);
    }
    // Views go through eth_call; writes through transact(), which sets its own gas; the provider is unused.
    contract = VeilLedger.load(address, web3j, txManager, new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
  }

  private VeilLedger requireContract(String action) {
    VeilLedger c = contract;
    if (c == null) {
      throw LedgerErrors.noContract(action);
    }
    return c;
  }

  private TxOutcome write(String action, RemoteFunctionCall<TransactionReceipt> call) {
    return write(action, call, txHash -> {});
  }

  private synchronized TxOutcome write(
      String action, RemoteFunctionCall<TransactionReceipt> call, Consumer<String> onSent) {
    VeilLedger c = requireContract(action);
    TransactionReceipt receipt = transact(action, c.getContractAddress(), call.encodeFunctionCall(), onSent);
    boolean changed = receipt.getLogs().stream()
        .map(Log::getAddress)
        .anyMatch(a -> a.equalsIgnoreCase(c.getContractAddress()));
    return outcome(receipt, changed);
  }

  /** Simulates, signs, sends and waits for confirmations; {@code to == null} deploys {@code data}. */
  private TransactionReceipt transact(String action, String to, String data, Consumer<String> onSent) {
    BigInteger gasPrice = config.gasPriceWei()
        .orElseGet(() -> rpc(action, () -> web3j.ethGasPrice().send()).getGasPrice());
    Transaction simulated = to == null
        ? Transaction.createContractTransaction(account, null, gasPrice, data)
        : Transaction.createFunctionCallTransaction(account, null, gasPrice, null, to, data);
    var estimate = send(action, () -> web3j.ethEstimateGas(simulated).send());
    if (estimate.hasError()) {
      throw LedgerErrors.chainRefused(action, url, reason(estimate.getError()), null);
    }
    BigInteger gasLimit = config.gasLimit().map(BigInteger::valueOf)
        .orElseGet(() -> estimate.getAmountUsed().multiply(BigInteger.valueOf(5)).divide(BigInteger.valueOf(4)));
    EthSendTransaction sent =
        rpc(action, () -> txManager.sendTransaction(gasPrice, gasLimit, to, data, BigInteger.ZERO, to == null));
    String txHash = sent.getTransactionHash();
    onSent.accept(txHash);
    TransactionReceipt receipt = awaitConfirmations(action, txHash);
    if (!receipt.isStatusOK()) {
      throw LedgerErrors.chainRefused(action, url, revertReason(receipt, data, gasLimit), txHash);
    }
    return receipt;
  }

  private TransactionReceipt awaitConfirmations(String action, String txHash) {
    long deadline = System.nanoTime() + config.confirmationTimeoutMs() * 1_000_000L;
    long seen = 0;
    while (true) {
      Optional<TransactionReceipt> receipt =
          rpc(action, () -> web3j.ethGetTransactionReceipt(txHash).send()).getTransactionReceipt();
      if (receipt.isPresent()) {
        if (!receipt.get().isStatusOK()) {
          return receipt.get();
        }
        // Re-read each round: after a reorganisation the receipt moves to another block, or vanishes.
        seen = blockNumber() - receipt.get().getBlockNumber().longValueExact() + 1;
        if (seen >= config.confirmations()) {
          return receipt.get();
        }
      }
      if (System.nanoTime() > deadline) {
        throw LedgerErrors.unconfirmed(action, url, txHash, Math.max(seen, 0), config.confirmations(),
            config.confirmationTimeoutMs());
      }
      try {
        Thread.sleep(config.pollIntervalMs());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw LedgerErrors.interrupted(action);
      }
    }
  }

  private String revertReason(TransactionReceipt receipt, String data, BigInteger gasLimit) {
    if (receipt.getGasUsed().compareTo(gasLimit) >= 0) {
      return "out of gas: the transaction used all of its gas limit " + gasLimit
          + (config.gasLimit().isPresent() ? "; raise gasLimit or leave it unset to use the node's estimate" : "");
    }
    try {
      var replay = web3j.ethCall(
          Transaction.createEthCallTransaction(account, receipt.getTo(), data),
          DefaultBlockParameter.valueOf(receipt.getBlockNumber())).send();
      if (replay.hasError()) {
        return reason(replay.getError());
      }
      if (replay.isReverted()) {
        return replay.getRevertReason();
      }
    } catch (IOException | ClientConnectionException e) {
      // fall through: the status alone is what we know
    }
    return "reverted, status " + receipt.getStatus() + ", no reason returned";
  }

  /** The contract's {@code Error(string)} reason if the node returned one, else the node's message. */
  private static String reason(Response.Error error) {
    String data = error.getData();
    if (data != null) {
      int at = data.indexOf(ERROR_STRING_SELECTOR);
      if (at >= 0) {
        String encoded = data.substring(at + ERROR_STRING_SELECTOR.length()).replaceAll("[^0-9a-fA-F].*$", "");
        try {
          @SuppressWarnings({"unchecked", "rawtypes"})
          List<Type> decoded = FunctionReturnDecoder.decode(encoded,
              (List) List.of(TypeReference.create(Utf8String.class)));
          if (!decoded.isEmpty()) {
            return decoded.get(0).getValue().toString();
          }
        } catch (RuntimeException e) {
          // not an ABI-encoded string after all: use the message
        }
      }
    }
    return error.getMessage();
  }

  private <T> T read(String action, RemoteFunctionCall<T> call) {
    try {
      return call.send();
    } catch (IOException | ClientConnectionException e) {
      throw LedgerErrors.chainUnreachable(action, url, e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw LedgerErrors.chainUnreachable(action, url, e);
    }
  }

  @FunctionalInterface
  private interface RpcCall<T> {
    T call() throws IOException;
  }

  /** One JSON-RPC call; transport failures become {@link ChainUnavailableException}. */
  private <T extends Response<?>> T send(String action, RpcCall<T> call) {
    try {
      return call.call();
    } catch (IOException | ClientConnectionException e) {
      throw LedgerErrors.chainUnreachable(action, url, e);
    }
  }

  /** Like {@link #send} but a JSON-RPC error response is a refusal. */
  private <T extends Response<?>> T rpc(String action, RpcCall<T> call) {
    T response = send(action, call);
    if (response.hasError()) {
      throw LedgerErrors.chainRefused(action, url, reason(response.getError()), null);
    }
    return response;
  }

  private static TxOutcome outcome(TransactionReceipt receipt, boolean changed) {
    return new TxOutcome(receipt.getTransactionHash(), receipt.getBlockNumber().longValueExact(),
        receipt.getGasUsed().longValueExact(), changed);
  }

  private static boolean isZeroAddress(String address) {
    return address == null || new BigInteger(address.substring(2), 16).signum() == 0;
  }

  private static void nonNegative(String action, String what, long value) {
    if (value < 0) {
      throw new InvalidInputException("Cannot " + action + ": " + what + " is " + value
          + ". Give 0 or more.");
    }
  }

  private static String hex32(String what, byte[] value) {
    if (value == null || value.length != 32) {
      throw new InvalidInputException("Cannot use " + what + ": it must be 32 bytes, got "
          + (value == null ? "none" : value.length + " bytes") + ". Pass a SHA-256 or Keccak-256 digest.");
    }
    return HEX.formatHex(value);
  }
}
