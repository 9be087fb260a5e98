package io.veil.spark;

import io.veil.ProtocolException;
import io.veil.VeilException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a failed Spark job back into the Veil error an executor raised, so the driver reports
 * "bank_b sent an invalid point in step blind-1" rather than a Spark stack trace. In local mode the
 * original exception travels as the cause; on a cluster only its class name and message do.
 */
public final class SparkErrors {
  private static final Pattern REMOTE =
      Pattern.compile("io\\.veil\\.(ProtocolException|InvalidInputException|VeilException|PolicyRefusedException): (.*?)(\\n|$)");
  private static final Pattern PEER_STEP =
      Pattern.compile("from (\\S+) in step '([^']+)'");

  private SparkErrors() {}

  /** The Veil error inside {@code t}, or {@code t} itself wrapped as a {@link VeilException}. */
  public static RuntimeException unwrap(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof VeilException v) {
        return v;
      }
    }
    String text = String.valueOf(t.getMessage());
    Matcher m = REMOTE.matcher(text);
    if (m.find()) {
      String msg = m.group(2);
      if (m.group(1).equals("ProtocolException")) {
        Matcher ps = PEER_STEP.matcher(msg);
        return ps.find() ? new ProtocolException(ps.group(1), ps.group(2), msg, t)
            : new ProtocolException("?", "?", msg, t);
      }
      if (m.group(1).equals("InvalidInputException")) {
        return new io.veil.InvalidInputException(msg, t);
      }
      return new VeilException(msg, t);
    }
    if (t instanceof RuntimeException r) {
      return r;
    }
    return new VeilException("Cannot complete the Spark job: " + t.getMessage(), t);
  }

}
