package io.veil;

/**
 * Root of every error Veil raises. Unchecked; subclasses exist only where callers branch on them.
 *
 * <p>Messages follow "Cannot &lt;do X&gt;: &lt;why&gt;. &lt;How to fix&gt;." and never contain key bytes, shares or
 * input values.
 */
public class VeilException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public VeilException(String message) {
    super(message);
  }

  public VeilException(String message, Throwable cause) {
    super(message, cause);
  }
}
