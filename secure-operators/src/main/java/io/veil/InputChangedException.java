package io.veil;

/**
 * A job is run again under the same job id, but some party's input differs from the one an earlier
 * attempt of the job committed to. Veil refuses such a re-run (a re-run over changed data would let
 * the parties compare two results over different data); nothing was sent. The fix is to run the
 * job as a new period.
 */
public class InputChangedException extends InvalidInputException {
  private static final long serialVersionUID = 1L;

  public InputChangedException(String message) {
    super(message);
  }
}
