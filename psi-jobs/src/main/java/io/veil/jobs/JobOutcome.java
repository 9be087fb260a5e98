package io.veil.jobs;

import java.util.Map;

/**
 * What a party's job run produced, for printing and scripting.
 *
 * @param jobId job id
 * @param party this party
 * @param inputRows rows read from this party's input
 * @param result result figures (also in the receipt)
 * @param display the operator's figures for the console, label to value, in order
 * @param outputLocation where output was written, or null
 * @param ledgerPath the ledger holding the receipt
 * @param receiptHash hex hash of the receipt
 * @param jobRoot hex root of the job's shared artefacts, the same in every party's receipt
 * @param elapsedMs from start to receipt written
 * @param protocolMs from all approvals in to the protocol's end (the part that scales with data)
 */
public record JobOutcome(
    String jobId, String party, long inputRows, Map<String, String> result, Map<String, String> display,
    String outputLocation,
    String ledgerPath, String receiptHash, String jobRoot, long elapsedMs, long protocolMs) {

  /** Lines for the console. */
  public String summary() {
    StringBuilder b = new StringBuilder();
    b.append("job ").append(jobId).append(" finished for ").append(party).append('\n');
    b.append("  job id:            ").append(jobId).append('\n');
    b.append("  input rows:        ").append(inputRows).append('\n');
    display.forEach((label, value) ->
        b.append("  ").append(String.format("%-19s", label + ":")).append(value).append('\n'));
    b.append("  output:            ").append(outputLocation == null ? "(none)" : outputLocation).append('\n');
    b.append("  elapsed:           ").append(elapsedMs).append(" ms (protocol ").append(protocolMs).append(" ms)\n");
    b.append("  receipt:           ").append(ledgerPath).append(" (receipt ").append(receiptHash, 0, 16)
        .append("...)\n");
    b.append("  job root:          ").append(jobRoot).append(" (the same in every party's receipt)");
    return b.toString();
  }
}
