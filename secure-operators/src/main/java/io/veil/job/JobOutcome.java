package io.veil.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What a party's run of a job produced: for printing ({@link #summary()}), for scripts
 * ({@link #toJson()}, what {@code veil run --output json} prints) and for code ({@link #output()},
 * {@link #details(Class)}).
 *
 * @param jobId the job
 * @param party this party
 * @param operator the operator's label (e.g. {@code psi-cardinality})
 * @param inputRows rows read from this party's input
 * @param result result figures (also in the receipt)
 * @param display the operator's figures for the console, label to value, in order
 * @param output the result table at a party that receives one (as written, where it was written)
 * @param outputLocation where the output was written, or null
 * @param receipt what the receipt sink recorded
 * @param elapsedMs from start to receipt written
 * @param protocolMs from all approvals in to the operator's end (the part that scales with data)
 * @param details the operator's typed result
 */
public record JobOutcome(String jobId, String party, String operator, long inputRows, Map<String, String> result,
    Map<String, String> display, Optional<Dataset<Row>> output, String outputLocation, ReceiptSink.Recorded receipt,
    long elapsedMs, long protocolMs, Object details) {

  private static final ObjectMapper JSON = JsonMapper.builder()
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, false)
      .build();

  /** The operator's typed result, e.g. {@code outcome.details(PsiResult.class)}. */
  public <T> T details(Class<T> type) {
    return type.cast(details);
  }

  /** Lines for the console. */
  public String summary() {
    StringBuilder b = new StringBuilder();
    b.append("job ").append(jobId).append(" finished for ").append(party).append('\n');
    line(b, "job id", jobId);
    line(b, "operator", operator);
    line(b, "input rows", Long.toString(inputRows));
    display.forEach((label, value) -> line(b, label, value));
    line(b, "output", outputLocation == null ? "(none)" : outputLocation);
    line(b, "elapsed", elapsedMs + " ms (protocol " + protocolMs + " ms)");
    line(b, "receipt", receipt.location() + " (receipt " + receipt.receiptHash().substring(0, 16) + "...)");
    receipt.notes().forEach((label, value) -> line(b, label, value));
    b.append("  ").append(String.format("%-19s", "job root:")).append(receipt.jobRoot())
        .append(" (the same in every party's receipt)");
    return b.toString();
  }

  private static void line(StringBuilder b, String label, String value) {
    b.append("  ").append(String.format("%-19s", label + ":")).append(value).append('\n');
  }

  /** The outcome as one JSON object (status {@code succeeded}); stable field names for scripts. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", "succeeded");
    m.put("jobId", jobId);
    m.put("party", party);
    m.put("operator", operator);
    m.put("inputRows", inputRows);
    m.put("result", new TreeMap<>(result));
    m.put("summary", display);
    m.put("output", outputLocation);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("location", receipt.location());
    r.put("hash", receipt.receiptHash());
    r.put("jobRoot", receipt.jobRoot());
    r.put("notes", receipt.notes());
    m.put("receipt", r);
    m.put("elapsedMs", elapsedMs);
    m.put("protocolMs", protocolMs);
    try {
      return JSON.writeValueAsString(m);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A failed run as one JSON object (status {@code failed}): the error kind ({@code invalid-input},
   * {@code policy-refused}, {@code peer-timeout}, {@code protocol-error}, {@code usage-error} for a
   * command line the CLI refuses, {@code error}) and message.
   */
  public static String failureJson(String kind, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", "failed");
    m.put("error", kind);
    m.put("message", message);
    try {
      return JSON.writeValueAsString(m);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
