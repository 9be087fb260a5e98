package io.veil.ledger.chain;

import static io.veil.ledger.chain.ChainClientTest.random32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Data assets as tokens on the ledger contract, against a real Ganache node: registration,
 * authorise / revoke / isAuthorised by the owner only, and composable (nested) assets that need
 * every child owner's authorisation.
 */
class AssetRegistryTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final Map<String, Long> GAS = new TreeMap<>();

  private static DevChain chain;
  /** Two data owners: a bank and a hospital, each with its own account. */
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
    GAS.forEach((op, gas) -> System.out.printf("gas used: %-44s %,9d%n", op, gas));
  }

  @Test
  void registersAnAssetOwnedByTheSender() {
    byte[] id = random32();
    byte[] proof = random32();

    TxOutcome registered = bank.registerAsset(id, "s3://bank/customers/2024-06.parquet", proof, List.of());

    assertThat(registered.changedState()).isTrue();
    GAS.put("registerAsset (no children, 35-byte path)", registered.gasUsed());
    assertThat(bank.asset(id)).contains(new AssetRecord(HEX.formatHex(id), bank.account(), HEX.formatHex(proof),
        "s3://bank/customers/2024-06.parquet", List.of()));
    assertThat(hospital.asset(random32())).isEmpty();
  }

  @Test
  void reRegistrationIsIdempotentForTheSameContentAndRefusedOtherwise() {
    byte[] id = random32();
    byte[] proof = random32();
    bank.registerAsset(id, "hdfs:///bank/a", proof, List.of());

    TxOutcome again = bank.registerAsset(id, "hdfs:///bank/a", proof, List.of());
    assertThat(again.changedState()).isFalse();
    GAS.put("registerAsset (identical retry, no-op)", again.gasUsed());

    assertThatThrownBy(() -> bank.registerAsset(id, "hdfs:///bank/a", random32(), List.of()))
        .isInstanceOfSatisfying(ChainRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo("VeilLedger: asset id already registered with other content"));
    assertThatThrownBy(() -> hospital.registerAsset(id, "hdfs:///bank/a", proof, List.of()))
        .isInstanceOf(ChainRefusedException.class)
        .hasMessageContaining("already registered with other content")
        .hasMessageContaining("before anything was sent");
    assertThat(bank.asset(id).orElseThrow().owner()).isEqualTo(bank.account());
  }

  @Test
  void onlyTheOwnerAuthorisesAndRevokes() {
    byte[] asset = random32();
    byte[] job = random32();
    bank.registerAsset(asset, "s3://bank/loans", random32(), List.of());
    assertThat(bank.isAuthorised(asset, job)).isFalse();

    TxOutcome granted = bank.authorise(asset, job);
    GAS.put("authorise", granted.gasUsed());
    assertThat(granted.changedState()).isTrue();
    assertThat(bank.isAuthorised(asset, job)).isTrue();
    assertThat(hospital.isAuthorised(asset, job)).as("anyone can read it").isTrue();
    assertThat(bank.isAuthorised(asset, random32())).isFalse();
    assertThat(bank.authorise(asset, job).changedState()).as("granting twice is a no-op").isFalse();

    assertThatThrownBy(() -> hospital.authorise(asset, random32()))
        .isInstanceOfSatisfying(ChainRefusedException.class, e -> assertThat(e.reason())
            .isEqualTo("VeilLedger: only the asset owner may change its authorisations"));
    assertThatThrownBy(() -> hospital.revoke(asset, job))
        .isInstanceOf(ChainRefusedException.class).hasMessageContaining("only the asset owner");
    assertThat(bank.isAuthorised(asset, job)).isTrue();

    TxOutcome revoked = bank.revoke(asset, job);
    GAS.put("revoke", revoked.gasUsed());
    assertThat(revoked.changedState()).isTrue();
    assertThat(bank.isAuthorised(asset, job)).isFalse();
    assertThat(bank.revoke(asset, job).changedState()).as("revoking twice is a no-op").isFalse();
  }

  @Test
  void authorisingAnUnregisteredAssetIsRefused() {
    assertThatThrownBy(() -> bank.authorise(random32(), random32()))
        .isInstanceOfSatisfying(ChainRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo("VeilLedger: asset not registered"));
    assertThat(bank.isAuthorised(random32(), random32())).isFalse();
  }

  @Test
  void aNestedAssetNeedsEveryChildOwnersAuthorisation() {
    byte[] bankData = random32();
    byte[] hospitalData = random32();
    byte[] model = random32(); // an algorithm asset built on both data sets, registered by the hospital
    bank.registerAsset(bankData, "s3://bank/features", random32(), List.of());
    hospital.registerAsset(hospitalData, "s3://hospital/labels", random32(), List.of());
    List<byte[]> children = List.of(bankData, hospitalData);
    long block = chain.blockNumber();

    assertThatThrownBy(() -> hospital.registerAsset(model, "s3://hospital/model", random32(), children))
        .as("no child has authorised the model")
        .isInstanceOfSatisfying(ChainRefusedException.class, e -> assertThat(e.reason())
            .isEqualTo("VeilLedger: child asset owner has not authorised this asset"));

    bank.authorise(bankData, model);
    assertThatThrownBy(() -> hospital.registerAsset(model, "s3://hospital/model", random32(), children))
        .as("its own child too needs an explicit authorisation")
        .isInstanceOf(ChainRefusedException.class)
        .hasMessageContaining("child asset owner has not authorised this asset");
    assertThat(hospital.asset(model)).isEmpty();
    assertThat(chain.blockNumber()).as("refusals cost no transaction").isEqualTo(block + 1);

    hospital.authorise(hospitalData, model);
    TxOutcome registered = hospital.registerAsset(model, "s3://hospital/model", random32(), children);
    GAS.put("registerAsset (2 children)", registered.gasUsed());
    assertThat(hospital.asset(model).orElseThrow().childrenHex())
        .containsExactly(HEX.formatHex(bankData), HEX.formatHex(hospitalData));
  }

  @Test
  void aChildOwnerRevokingTheParentWithdrawsEveryUseOfIt() {
    byte[] data = random32();
    byte[] features = random32();
    byte[] model = random32();
    byte[] job = random32();
    bank.registerAsset(data, "s3://bank/raw", random32(), List.of());
    bank.authorise(data, features);
    hospital.registerAsset(features, "s3://hospital/features", random32(), List.of(data));
    hospital.authorise(features, model);
    hospital.registerAsset(model, "s3://hospital/model", random32(), List.of(features));
    hospital.authorise(model, job);
    assertThat(hospital.isAuthorised(model, job)).isTrue();

    bank.revoke(data, features); // two levels down

    assertThat(hospital.isGranted(model, job)).as("the model's own grant is untouched").isTrue();
    assertThat(hospital.isAuthorised(model, job)).as("but the bank's data no longer consents").isFalse();
    assertThat(hospital.isAuthorised(features, model)).isFalse();
    bank.authorise(data, features);
    assertThat(hospital.isAuthorised(model, job)).isTrue();
  }

  @Test
  void unregisteredChildIsRefused() {
    assertThatThrownBy(() -> bank.registerAsset(random32(), "s3://x", random32(), List.of(random32())))
        .isInstanceOfSatisfying(ChainRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo("VeilLedger: child asset not registered"));
  }
}
