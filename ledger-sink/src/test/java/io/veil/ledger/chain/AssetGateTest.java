package io.veil.ledger.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.PolicyRefusedException;
import io.veil.crypto.PartySecret;
import io.veil.spec.JobSpec;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The data-asset authorisation gate against a real Ganache node: a bank's job is refused until the
 * bank (the asset owner) authorises its algorithm or contract hash, and refused again after a
 * revoke; a nested asset is usable only while its child's owner (a hospital) still consents.
 */
class AssetGateTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String KEY_A = PartySecret.generate("bank_a", RANDOM).identity().publicKey().encoded();
  private static final String KEY_B = PartySecret.generate("bank_b", RANDOM).identity().publicKey().encoded();
  private static final Map<String, Long> GAS = new TreeMap<>();

  private static DevChain chain;
  private static ChainClient bank;
  private static ChainClient hospital;

  @BeforeAll
  static void startChain() {
    chain = DevChain.start();
    bank = chain.deployedClient();
    hospital = chain.client(1, bank.contractAddress().orElseThrow());
  }

  @AfterAll
  static void stopChain() {
    DevChain.closeAll(bank, hospital, chain);
    GAS.forEach((op, gas) -> System.out.printf("gas used: %-40s %,9d%n", op, gas));
  }

  /** A PSI spec requiring authorisation, bank_a's input registered as {@code assetA}. */
  private static JobSpec spec(String assetA, String period) {
    String yaml = String.join("\n",
        "name: customer-overlap",
        "operator: psi",
        "authorisation: required",
        "parties:",
        "  - id: bank_a",
        "    publicKey: " + KEY_A,
        "    input: {format: parquet, path: /a, keyColumns: [id], asset: " + assetA + "}",
        "    output: {path: /out/a}",
        "  - id: bank_b",
        "    publicKey: " + KEY_B,
        "    input: {format: parquet, path: /b, keyColumns: [id], asset: " + "b2".repeat(32) + "}",
        "    output: {path: /out/b}",
        "");
    return JobSpec.parse(yaml, "gate.yaml", period);
  }

  private static byte[] random32() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return b;
  }

  private static byte[] registered(ChainClient owner, List<byte[]> children) {
    byte[] id = random32();
    TxOutcome tx = owner.registerAsset(id, "s3a://bank/customers", random32(), children);
    GAS.put("registerAsset (" + children.size() + " children)", tx.gasUsed());
    return id;
  }

  private static void assertRefused(JobSpec spec, String... fragments) {
    assertThatThrownBy(() -> AssetGate.check(spec, "bank_a", bank))
        .isInstanceOf(PolicyRefusedException.class)
        .hasMessageContainingAll(fragments);
  }

  @Test
  void refusedWithoutAuthorisationNamingTheAssetTheHashesAndTheCommand() {
    byte[] asset = registered(bank, List.of());
    JobSpec spec = spec(HEX.formatHex(asset), "2026-11");
    assertRefused(spec, "data asset " + HEX.formatHex(asset), bank.contractAddress().orElseThrow(),
        "algorithm hash " + spec.algorithmHash(), "contract hash " + spec.contractHash(), "neither is authorised",
        "veil asset authorise --asset " + HEX.formatHex(asset) + " --hash " + spec.algorithmHash(),
        "Nothing was read or sent");
    // An unregistered asset is refused the same way.
    assertRefused(spec(HEX.formatHex(random32()), null), "neither is authorised");
  }

  @Test
  void theAlgorithmHashCoversEveryPeriodUntilRevoked() {
    byte[] asset = registered(bank, List.of());
    JobSpec november = spec(HEX.formatHex(asset), "2026-11");
    JobSpec december = spec(HEX.formatHex(asset), "2026-12");
    assertThat(december.algorithmHash()).isEqualTo(november.algorithmHash());

    TxOutcome granted = bank.authorise(asset, HEX.parseHex(november.algorithmHash()));
    GAS.put("authorise", granted.gasUsed());
    assertThatCode(() -> AssetGate.check(november, "bank_a", bank)).doesNotThrowAnyException();
    assertThatCode(() -> AssetGate.check(december, "bank_a", bank)).doesNotThrowAnyException();

    TxOutcome revoked = bank.revoke(asset, HEX.parseHex(november.algorithmHash()));
    GAS.put("revoke", revoked.gasUsed());
    assertRefused(november, "neither is authorised");
  }

  @Test
  void theContractHashCoversOnlyThatJob() {
    byte[] asset = registered(bank, List.of());
    JobSpec november = spec(HEX.formatHex(asset), "2026-11");
    bank.authorise(asset, HEX.parseHex(november.contractHash()));
    assertThatCode(() -> AssetGate.check(november, "bank_a", bank)).doesNotThrowAnyException();
    assertRefused(spec(HEX.formatHex(asset), "2026-12"), "neither is authorised");

    bank.revoke(asset, HEX.parseHex(november.contractHash()));
    assertRefused(november, "neither is authorised");
  }

  @Test
  void aNestedAssetIsAuthorisedOnlyWhileItsChildConsents() {
    byte[] child = registered(hospital, List.of());
    byte[] parent = random32();
    hospital.authorise(child, parent); // the hospital lets the bank's combined asset use its records
    TxOutcome tx = bank.registerAsset(parent, "s3a://bank/joined", random32(), List.of(child));
    GAS.put("registerAsset (1 child)", tx.gasUsed());
    JobSpec spec = spec(HEX.formatHex(parent), null);
    bank.authorise(parent, HEX.parseHex(spec.algorithmHash()));
    assertThatCode(() -> AssetGate.check(spec, "bank_a", bank)).doesNotThrowAnyException();

    hospital.revoke(child, parent);
    assertRefused(spec, "a child asset no longer consents");

    hospital.authorise(child, parent);
    assertThatCode(() -> AssetGate.check(spec, "bank_a", bank)).doesNotThrowAnyException();
  }

  @Test
  void connectsWithAChainConfigAndNeedsOneOnlyWhenAuthorisationIsRequired() {
    byte[] asset = registered(bank, List.of());
    JobSpec spec = spec(HEX.formatHex(asset), "2026-10");
    bank.authorise(asset, HEX.parseHex(spec.contractHash()));
    var config = chain.config(2).contractAddress(bank.contractAddress().orElseThrow()).build();
    assertThatCode(() -> new AssetGate(config).check(spec, "bank_a")).doesNotThrowAnyException();

    assertThatThrownBy(() -> new AssetGate(null).check(spec, "bank_a"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContainingAll("requires authorisation", "no chain is configured", "--chain-url", "--chain-contract");

    JobSpec notRequired = JobSpec.parse(spec.canonicalJson().replace("\"authorisation\":\"required\",", ""),
        "plain.yaml", null);
    assertThat(notRequired.authorisationRequired()).isFalse();
    assertThatCode(() -> new AssetGate(null).check(notRequired, "bank_a"))
        .doesNotThrowAnyException();
  }

  @Test
  void refusesOnceAConsumerSpentItsQuotaNamingTheUsageAndTheCommandEvenWithoutAuthorisationRequired() {
    byte[] asset = registered(bank, List.of());
    JobSpec required = spec(HEX.formatHex(asset), "2026-09");
    JobSpec spec = JobSpec.parse(required.canonicalJson().replace("\"authorisation\":\"required\",", ""),
        "plain.yaml", "2026-09");
    assertThat(spec.authorisationRequired()).isFalse();
    var config = chain.config(0).contractAddress(bank.contractAddress().orElseThrow()).build();
    AssetGate gate = new AssetGate(config);
    byte[] bankB = spec.party("bank_b").publicKey().bytes();

    // The default quota (consumer 0x0) applies to bank_b, which has none of its own: 2 jobs.
    bank.setQuota(asset, new byte[32], 2, 0, 0);
    bank.recordUsage(asset, bankB, random32(), 500, 0);
    assertThatCode(() -> gate.check(spec, "bank_a")).doesNotThrowAnyException();
    bank.recordUsage(asset, bankB, random32(), 700, 3);
    assertThatThrownBy(() -> gate.check(spec, "bank_a"))
        .isInstanceOf(PolicyRefusedException.class)
        .hasMessageContainingAll("Cannot run job 'customer-overlap' as bank_a", "consumer bank_b",
            "key " + HEX.formatHex(bankB), "used up its quota on data asset " + HEX.formatHex(asset),
            "used jobs 2, rows 1200, queries 3",
            "quota jobs 2, rows unlimited, queries unlimited (the asset's default)",
            "Nothing was read or sent",
            "veil asset quota --asset " + HEX.formatHex(asset) + " --consumer " + HEX.formatHex(bankB) + " --jobs 4");

    // The owner raises bank_b's own quota; its rows limit then binds once reached.
    bank.setQuota(asset, bankB, 10, 1500, 0);
    assertThatCode(() -> gate.check(spec, "bank_a")).doesNotThrowAnyException();
    bank.recordUsage(asset, bankB, random32(), 300, 0);
    assertThatThrownBy(() -> gate.check(spec, "bank_a"))
        .isInstanceOf(PolicyRefusedException.class)
        .hasMessageContainingAll("used jobs 3, rows 1500, queries 3", "quota jobs 10, rows 1500, queries unlimited.");

    // The party whose asset it is checks only the other parties: bank_b's own input asset is not bank_a's.
    assertThatCode(() -> AssetGate.checkQuotas(spec, "bank_b", bank)).doesNotThrowAnyException();
    // Without a chain there is nothing to check quotas against.
    assertThatCode(() -> new AssetGate(null).check(spec, "bank_a")).doesNotThrowAnyException();
  }
}
