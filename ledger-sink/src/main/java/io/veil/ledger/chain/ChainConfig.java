package io.veil.ledger.chain;

import io.veil.InvalidInputException;
import java.math.BigInteger;
import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How to reach an EVM chain and sign for it: JSON-RPC URL, chain id, signing key, gas settings and
 * how many confirmations a write waits for. Immutable; build with {@link #builder()}, which
 * validates every field.
 *
 * <p>The signing key is held as bytes, never as a string, and never appears in {@link #toString()}
 * or in any error message. The RPC URL appears in error messages without its user-info and query
 * parts (where hosted nodes put API keys).
 */
public final class ChainConfig {
  private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

  private final String rpcUrl;
  private final long chainId;
  private final byte[] signingKey;
  private final String contractAddress;
  private final BigInteger gasPriceWei;
  private final Long gasLimit;
  private final int confirmations;
  private final long confirmationTimeoutMs;
  private final long pollIntervalMs;
  private final long rpcTimeoutMs;

  private ChainConfig(Builder b) {
    this.rpcUrl = b.rpcUrl;
    this.chainId = b.chainId;
    this.signingKey = b.signingKey.clone();
    this.contractAddress = b.contractAddress == null ? null : b.contractAddress.toLowerCase(Locale.ROOT);
    this.gasPriceWei = b.gasPriceWei;
    this.gasLimit = b.gasLimit;
    this.confirmations = b.confirmations;
    this.confirmationTimeoutMs = b.confirmationTimeoutMs;
    this.pollIntervalMs = b.pollIntervalMs;
    this.rpcTimeoutMs = b.rpcTimeoutMs;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this configuration's values, to derive a variant (another key, more confirmations). */
  public Builder toBuilder() {
    Builder b = new Builder()
        .rpcUrl(rpcUrl)
        .chainId(chainId)
        .signingKey(signingKey)
        .confirmations(confirmations)
        .confirmationTimeoutMs(confirmationTimeoutMs)
        .pollIntervalMs(pollIntervalMs)
        .rpcTimeoutMs(rpcTimeoutMs);
    b.contractAddress = contractAddress;
    b.gasPriceWei = gasPriceWei;
    b.gasLimit = gasLimit;
    return b;
  }

  /** The node's JSON-RPC endpoint, {@code http://} or {@code https://}. */
  public String rpcUrl() {
    return rpcUrl;
  }

  /** The chain id transactions are signed for (EIP-155); the node must report the same. */
  public long chainId() {
    return chainId;
  }

  /** A copy of the 32-byte secp256k1 private key; the caller should zero it after use. */
  byte[] signingKey() {
    return signingKey.clone();
  }

  /** The deployed ledger contract, if one is configured. */
  public Optional<String> contractAddress() {
    return Optional.ofNullable(contractAddress);
  }

  /** A fixed legacy gas price in wei; empty: ask the node ({@code eth_gasPrice}) for each transaction. */
  public Optional<BigInteger> gasPriceWei() {
    return Optional.ofNullable(gasPriceWei);
  }

  /** A fixed gas limit per transaction; empty: the node's estimate plus 25 %. */
  public Optional<Long> gasLimit() {
    return Optional.ofNullable(gasLimit);
  }

  /** Blocks, counting the including one, that a write waits for before it returns. */
  public int confirmations() {
    return confirmations;
  }

  public long confirmationTimeoutMs() {
    return confirmationTimeoutMs;
  }

  public long pollIntervalMs() {
    return pollIntervalMs;
  }

  public long rpcTimeoutMs() {
    return rpcTimeoutMs;
  }

  @Override
  public String toString() {
    return "ChainConfig{rpcUrl=" + RpcUrls.redact(rpcUrl) + ", chainId=" + chainId + ", contractAddress="
        + contractAddress + ", gasPriceWei=" + (gasPriceWei == null ? "node" : gasPriceWei) + ", gasLimit="
        + (gasLimit == null ? "estimate" : gasLimit) + ", confirmations=" + confirmations
        + ", confirmationTimeoutMs=" + confirmationTimeoutMs + ", signingKey=<hidden>}";
  }

  /** Validating builder; {@link #build()} names the first wrong field. */
  public static final class Builder {
    private String rpcUrl;
    private long chainId;
    private byte[] signingKey;
    private String contractAddress;
    private BigInteger gasPriceWei;
    private Long gasLimit;
    private int confirmations = 1;
    private long confirmationTimeoutMs = 120_000;
    private long pollIntervalMs = 250;
    private long rpcTimeoutMs = 10_000;

    private Builder() {}

    public Builder rpcUrl(String rpcUrl) {
      this.rpcUrl = rpcUrl;
      return this;
    }

    public Builder chainId(long chainId) {
      this.chainId = chainId;
      return this;
    }

    /** The 32-byte secp256k1 private key that signs every transaction; copied. */
    public Builder signingKey(byte[] privateKey) {
      this.signingKey = privateKey == null ? null : privateKey.clone();
      return this;
    }

    public Builder contractAddress(String contractAddress) {
      this.contractAddress = contractAddress;
      return this;
    }

    public Builder gasPriceWei(BigInteger gasPriceWei) {
      this.gasPriceWei = gasPriceWei;
      return this;
    }

    public Builder gasLimit(long gasLimit) {
      this.gasLimit = gasLimit;
      return this;
    }

    public Builder confirmations(int confirmations) {
      this.confirmations = confirmations;
      return this;
    }

    public Builder confirmationTimeoutMs(long confirmationTimeoutMs) {
      this.confirmationTimeoutMs = confirmationTimeoutMs;
      return this;
    }

    public Builder pollIntervalMs(long pollIntervalMs) {
      this.pollIntervalMs = pollIntervalMs;
      return this;
    }

    public Builder rpcTimeoutMs(long rpcTimeoutMs) {
      this.rpcTimeoutMs = rpcTimeoutMs;
      return this;
    }

    public ChainConfig build() {
      if (rpcUrl == null || rpcUrl.isBlank()) {
        throw invalid("rpcUrl", "it is missing", "Give the node's JSON-RPC URL, e.g. http://127.0.0.1:8545");
      }
      URI uri;
      try {
        uri = URI.create(rpcUrl);
      } catch (IllegalArgumentException e) {
        throw invalid("rpcUrl", "it is not a URL", "Give the node's JSON-RPC URL, e.g. http://127.0.0.1:8545");
      }
      if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())
          || uri.getHost() == null) {
        throw invalid("rpcUrl", RpcUrls.redact(rpcUrl) + " is not an http(s) URL with a host",
            "Give the node's JSON-RPC HTTP endpoint, e.g. http://127.0.0.1:8545");
      }
      if (chainId <= 0) {
        throw invalid("chainId", "it is " + chainId, "Give the chain's EIP-155 id (1337 for a Ganache dev chain)");
      }
      if (signingKey == null || signingKey.length != 32 || Arrays.equals(signingKey, new byte[32])) {
        throw invalid("signingKey", "it must be a non-zero 32-byte secp256k1 private key",
            "Pass the account's private key bytes");
      }
      if (contractAddress != null && !ADDRESS.matcher(contractAddress).matches()) {
        throw invalid("contractAddress", "'" + contractAddress + "' is not 0x followed by 40 hex digits",
            "Give the address printed when the ledger contract was deployed");
      }
      if (gasPriceWei != null && gasPriceWei.signum() < 0) {
        throw invalid("gasPriceWei", "it is negative", "Give 0 or more wei, or leave it unset to ask the node");
      }
      if (gasLimit != null && gasLimit < 21_000) {
        throw invalid("gasLimit", "it is " + gasLimit + ", below the 21000 every transaction needs",
            "Leave it unset to use the node's estimate, or give at least 300000");
      }
      if (confirmations < 1) {
        throw invalid("confirmations", "it is " + confirmations, "Give 1 (the including block) or more");
      }
      if (confirmationTimeoutMs < 1 || pollIntervalMs < 1 || rpcTimeoutMs < 1) {
        throw invalid("confirmationTimeoutMs/pollIntervalMs/rpcTimeoutMs", "a timeout or interval is not positive",
            "Give positive milliseconds");
      }
      return new ChainConfig(this);
    }

    private static InvalidInputException invalid(String field, String why, String fix) {
      return new InvalidInputException("Cannot configure the chain ledger: " + field + " is invalid: " + why
          + ". " + fix + ".");
    }
  }
}
