package io.veil.aggregate.internal;

import io.veil.InvalidInputException;
import io.veil.ProtocolException;
import io.veil.aggregate.AggregationContext;
import io.veil.channel.ControlMessage.Type;
import io.veil.spark.SparkErrors;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** What both aggregation operators do around a run. */
public final class Runs {
  private Runs() {}

  /** Said after NULL counts: where NULLs the user did not write come from. */
  public static final String NULL_HINT = " (a value that cannot be read as its column's type, such as a CSV cell "
      + "that does not parse as the declared type, is read as NULL)";

  /**
   * Runs {@code body}; on any failure aborts the job on the control log and rethrows. An input
   * problem is reported to the peers without details (they stay in this party's error and log).
   */
  public static <T> T abortingOnFailure(AggregationContext c, Supplier<T> body) {
    try {
      return body.get();
    } catch (Exception e) { // SparkException is checked in Java's eyes but thrown undeclared
      RuntimeException err = SparkErrors.unwrap(e);
      String step = err instanceof ProtocolException pe ? pe.step() : "prepare";
      String reason = err instanceof InvalidInputException
          ? c.me() + "'s input failed its checks (the details are in " + c.me() + "'s job log); nothing was sent"
          : String.valueOf(err.getMessage());
      try {
        c.control().publish(Type.ABORT, step, Map.of("reason", reason));
      } catch (RuntimeException ignored) {
        err.addSuppressed(ignored);
      }
      throw err;
    }
  }

  /** The type of {@code column} in {@code schema}, or null when it is missing. */
  public static DataType type(StructType schema, String column) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(column)) {
        return f.dataType();
      }
    }
    return null;
  }
}
