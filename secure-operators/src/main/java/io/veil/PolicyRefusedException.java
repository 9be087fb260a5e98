package io.veil;

/** The local policy does not allow the proposed job; no approval was signed and nothing was sent. */
public class PolicyRefusedException extends VeilException {
  private static final long serialVersionUID = 1L;

  public PolicyRefusedException(String message) {
    super(message);
  }
}
