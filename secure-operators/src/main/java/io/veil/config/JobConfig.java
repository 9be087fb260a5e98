package io.veil.config;

import java.util.List;

/**
 * The settings of a job run that belong to the job runtime: who this party is and where its key,
 * policy and spec are. Other modules define theirs ({@code ChannelConfig} in spark-connectors,
 * {@code LedgerConfig} in ledger-sink); {@link VeilConf} resolves them all the same way.
 */
public final class JobConfig {
  private JobConfig() {}

  public static final ConfigKey<String> PARTY = ConfigKey.string("veil.party.id",
      "this party's id in the job spec").flag("party");
  public static final ConfigKey<String> KEY_FILE = ConfigKey.path("veil.party.key-file",
      "this party's key file (`veil keygen`); found by name on executors when shipped with `--files`")
      .flag("key").secretFile();
  public static final ConfigKey<String> POLICY_FILE = ConfigKey.path("veil.party.policy-file",
      "this party's approval policy (which peers, operators, columns and recipients it accepts)").flag("policy");
  public static final ConfigKey<String> SPEC = ConfigKey.path("veil.job.spec",
      "the job spec (YAML) every party runs").flag("spec");
  public static final ConfigKey<String> PERIOD = ConfigKey.string("veil.job.period",
      "the period of a periodic job; overrides the spec's `period`").flag("period").defaultDoc("the spec's");

  public static final ConfigKey<String> SPEC_DIR = ConfigKey.path("veil.sql.spec-dir",
      "directory of the job specs the parties agreed, where the SQL functions find a spec by its name "
      + "(`<name>.yaml`)");

  /** Every setting of this module, in documentation order. */
  public static final List<ConfigKey<?>> ALL = List.of(PARTY, KEY_FILE, POLICY_FILE, SPEC, PERIOD, SPEC_DIR);
}
