package io.veil.job;

import io.veil.spec.JobSpec;

/**
 * A check a party makes before it opens its input or approves a job, beside its local policy: for
 * example that its data asset authorises the job on the ledger contract ({@code authorisation:
 * required}). Throws to refuse; nothing has been read or sent then.
 */
@FunctionalInterface
public interface JobGate {
  /**
   * @throws io.veil.PolicyRefusedException or {@link io.veil.InvalidInputException} naming why and
   *     how to fix it
   */
  void check(JobSpec spec, String party);
}
