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
  /** Hadoop's {@code ChecksumException}, as a cause (local mode) or in a remote task's message. */
  private static final Pattern CHECKSUM =
      Pattern.compile("org\\.apache\\.hadoop\\.fs\\.ChecksumException: Checksum error: (\\S+) at ");

  private SparkErrors() {}

  /**
   * The Veil error inside {@code t}, or {@code t} itself wrapped as a {@link VeilException}; a file
   * failing Hadoop's checksum, wherever in the chain, becomes an {@link io.veil.InvalidInputException}
   * naming it.
   */
  public static RuntimeException unwrap(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      Matcher sum = CHECKSUM.matcher(c.getClass().getName() + ": " + c.getMessage());
      if (sum.find()) {
        return new io.veil.InvalidInputException("Cannot read " + sum.group(1) + ": it fails the checksum Hadoop "
            + "wrote beside it (its .crc file), so it was changed or damaged after it was written. Restore it from a "
            + "backup; if the edit was intended, delete the .crc file beside it.", t);
      }
    }
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
