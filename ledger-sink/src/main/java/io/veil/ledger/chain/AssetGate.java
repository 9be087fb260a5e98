package io.veil.ledger.chain;

import io.veil.InvalidInputException;
import io.veil.PolicyRefusedException;
import io.veil.job.JobGate;
import io.veil.ledger.LedgerConfig;
import io.veil.spec.InputSpec;
import io.veil.spec.JobSpec;
import java.util.HexFormat;
import java.util.List;

/**
 * The data-asset gate: authorisation and usage quotas.
 *
 * <p><b>Authorisation</b>, for a job whose spec says {@code authorisation: required}: before
 * a party opens its input or publishes its approval, the ledger contract must say that the party's
 * asset ({@code input.asset}) authorises the job's {@link JobSpec#algorithmHash() algorithm hash}
 * (every period and party set of the job) or its {@link JobSpec#contractHash() contract hash}
 * (this job only), with the consent of every child asset ({@link ChainClient#isAuthorised}).
 * Otherwise the job stops on the driver with {@link PolicyRefusedException}, naming the asset, the
 * hashes checked and the command the asset's owner runs to authorise it.
 *
 * <p><b>Quotas</b>, for every job whose party's input names an asset, when a chain is configured
 * (with or without {@code authorisation: required}): every other party of the job is a consumer of
 * the asset, and none may have used up its quota on it ({@link ChainClient#quotaSpent}, keyed by its
 * Ed25519 identity key). Otherwise the job stops on the driver with {@link PolicyRefusedException}
 * naming the consumer, its usage against its quota and the {@code veil asset quota} command that
 * raises it. Without a chain there is nothing to check against.
 */
public final class AssetGate implements JobGate {
  private final ChainConfig chain;

  /** A gate asking {@code chain}'s ledger contract (null: none configured, an error if a spec needs it). */
  public AssetGate(ChainConfig chain) {
    this.chain = chain;
  }

  /**
   * Checks {@code party}'s asset on the chain: its authorisation when the spec requires it, and the
   * other parties' quotas on it; does nothing when the party has no input, or its input names no
   * asset and the spec does not require authorisation.
   */
  @Override
  public void check(JobSpec spec, String party) {
    InputSpec input = spec.party(party).input();
    if (input == null || (!spec.authorisationRequired() && input.asset() == null)) {
      return;
    }
    if (chain == null && !spec.authorisationRequired()) {
      return; // quotas live on the chain; without one there is nothing to check them against
    }
    if (chain == null) {
      throw new InvalidInputException("Cannot run job '" + spec.name() + "' as " + party + ": its spec requires "
          + "authorisation of data assets on the chain, but no chain is configured. Pass --"
          + LedgerConfig.CHAIN_URL.flag() + ", --" + LedgerConfig.CHAIN_ID.flag() + ", --"
          + LedgerConfig.CHAIN_KEY_FILE.flag() + " and --" + LedgerConfig.CHAIN_CONTRACT.flag() + " to 'veil run' "
          + "(or set " + LedgerConfig.CHAIN_URL.envName() + " etc.).");
    }
    try (ChainClient client = ChainClient.connect(chain)) {
      check(spec, party, client);
      checkQuotas(spec, party, client);
    }
  }

  /**
   * Refuses the job if a consumer of {@code party}'s asset (another party of the job) has used up its
   * quota on it; does nothing if the party's input names no asset.
   */
  public static void checkQuotas(JobSpec spec, String party, ChainClient client) {
    InputSpec input = spec.party(party).input();
    if (input == null || input.asset() == null) {
      return;
    }
    byte[] asset = HexFormat.of().parseHex(input.asset());
    for (String other : spec.others(party)) {
      byte[] consumer = spec.party(other).publicKey().bytes();
      if (client.quotaSpent(asset, consumer)) {
        String key = HexFormat.of().formatHex(consumer);
        UsageQuota quota = client.quotaOf(asset, consumer);
        AssetUsage used = client.usageBy(asset, consumer);
        throw new PolicyRefusedException("Cannot run job '" + spec.name() + "' as " + party + ": consumer " + other
            + " (key " + key + ") has used up its quota on data asset " + input.asset() + " on ledger contract "
            + client.contractAddress().orElse("?") + ": used " + used.describe() + "; quota " + quota.describe()
            + ". Nothing was read or sent. The asset's owner raises the quota with: "
            + quotaCommand(input.asset(), key, quota, used) + ", then re-run.");
      }
    }
  }

  /** The command that lifts {@code consumer}'s spent {@code quota} above {@code used} (doubling each spent limit). */
  static String quotaCommand(String asset, String consumer, UsageQuota quota, AssetUsage used) {
    return "veil asset quota --asset " + asset + " --consumer " + consumer
        + " --jobs " + raised(quota.maxJobs(), used.jobs()) + " --rows " + raised(quota.maxRows(), used.rows())
        + " --queries " + raised(quota.maxQueries(), used.queries()) + " <chain options>";
  }

  private static long raised(long max, long used) {
    return max == 0 ? 0 : Math.max(max, used) * 2;
  }

  /** {@link #check(JobSpec, String)} with a connected client. */
  public static void check(JobSpec spec, String party, ChainClient client) {
    InputSpec input = spec.party(party).input();
    if (!spec.authorisationRequired() || input == null) {
      return;
    }
    byte[] asset = HexFormat.of().parseHex(input.asset());
    for (String hash : hashes(spec)) {
      if (client.isAuthorised(asset, HexFormat.of().parseHex(hash))) {
        return;
      }
    }
    String contract = client.contractAddress().orElse("?");
    boolean granted = hashes(spec).stream().anyMatch(h -> client.isGranted(asset, HexFormat.of().parseHex(h)));
    throw new PolicyRefusedException("Cannot run job '" + spec.name() + "' as " + party + ": data asset "
        + input.asset() + " does not authorise it on ledger contract " + contract + ". Checked the algorithm hash "
        + spec.algorithmHash() + " and the contract hash " + spec.contractHash() + (granted
        ? "; the asset's owner granted one of them, but a child asset no longer consents to the asset's use, "
            + "so its owner must authorise the asset again" : "; neither is authorised") + ". Nothing was read "
        + "or sent. The asset's owner authorises every period of this job with: "
        + authoriseCommand(input.asset(), spec.algorithmHash()) + " (or only this job with --hash "
        + spec.contractHash() + "), then re-run.");
  }

  /** The hashes an owner may authorise for {@code spec}, in the order checked: algorithm, contract. */
  public static List<String> hashes(JobSpec spec) {
    return List.of(spec.algorithmHash(), spec.contractHash());
  }

  /** The command a data owner runs to authorise {@code hash} on {@code asset}. */
  public static String authoriseCommand(String asset, String hash) {
    return "veil asset authorise --asset " + asset + " --hash " + hash + " <chain options>";
  }
}
