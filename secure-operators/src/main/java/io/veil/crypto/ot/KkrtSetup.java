package io.veil.crypto.ot;

import java.io.Serializable;
import java.util.function.Consumer;

/**
 * The base OTs behind one KKRT extension, as two parties run them over a control channel: the OPRF
 * receiver is the base-OT {@linkplain BaseSender sender} (it sends first and ends with both seeds
 * of every column), the OPRF sender is the base-OT receiver whose choice bits are the PRF key
 * ({@link #baseReceive}). What each side keeps is a small serializable value, shipped to the tasks
 * that build the extension's rows.
 */
public final class KkrtSetup {
  private KkrtSetup() {}

  /** The OPRF receiver's base-OT side. */
  public static final class BaseSender {
    private final BaseOt.Sender ot;

    /** @param seed 32 secret bytes; the same seed gives the same messages */
    public BaseSender(byte[] seed) {
      this.ot = new BaseOt.Sender(seed, KkrtOprf.BASE_OT_COUNT);
    }

    /** The message the OPRF sender answers. */
    public byte[] firstMessage() {
      return ot.firstMessage();
    }

    /**
     * Both seeds of every column, from the OPRF sender's reply.
     *
     * @throws InvalidOtMessageException if the reply is invalid
     */
    public ReceiverSeeds finish(byte[] reply) {
      return new ReceiverSeeds(ot.keys(reply));
    }
  }

  /** The OPRF receiver's base-OT outputs: both seeds of every column, {@code [column][0 or 1]} (secret). */
  public record ReceiverSeeds(byte[][][] baseOtKeys) implements Serializable {
    /** The extension's receiver. */
    public KkrtOprf.Receiver receiver() {
      return KkrtOprf.Receiver.fromBaseOt(baseOtKeys);
    }

    @Override
    public String toString() {
      return "ReceiverSeeds(***)";
    }
  }

  /** The OPRF sender's key: its choice bits and the seeds they chose (secret). */
  public record SenderKey(boolean[] s, byte[][] seeds) implements Serializable {
    /** The extension's sender. */
    public KkrtOprf.Sender sender() {
      return new KkrtOprf.Sender(s, seeds);
    }

    @Override
    public String toString() {
      return "SenderKey(***)";
    }
  }

  /**
   * The OPRF sender's base-OT side: answers {@code firstMessage} through {@code reply}.
   *
   * @param seed 32 secret bytes
   * @param choices at least {@value KkrtOprf#ROW_BYTES} secret random bytes: the PRF key's bits
   * @throws InvalidOtMessageException if the first message is invalid
   */
  public static SenderKey baseReceive(byte[] seed, byte[] choices, byte[] firstMessage, Consumer<byte[]> reply) {
    boolean[] s = new boolean[KkrtOprf.CODE_BITS];
    for (int j = 0; j < s.length; j++) {
      s[j] = ((choices[j >>> 3] >>> (j & 7)) & 1) == 1;
    }
    BaseOt.Receiver ot = new BaseOt.Receiver(seed, s);
    reply.accept(ot.reply(firstMessage));
    return new SenderKey(s, ot.keys());
  }
}
