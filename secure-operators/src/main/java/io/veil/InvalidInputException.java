package io.veil;

/** The job spec, a policy, a key file or a party's input is wrong; nothing has left the party. */
public class InvalidInputException extends VeilException {
  private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
