package io.veil.channel;

import java.util.HexFormat;

/**
 * One direction of one protocol round, as recorded in receipts: equal at sender and receiver.
 *
 * @param step protocol step
 * @param from sender
 * @param to receiver
 * @param batches batches sent
 * @param elements elements sent
 * @param digestHex round digest (hex)
 */
public record RoundSummary(String step, String from, String to, long batches, long elements, String digestHex) {

  public static RoundSummary of(String step, String from, String to, RoundStats s) {
    return new RoundSummary(step, from, to, s.totalBatches(), s.totalElements(),
        HexFormat.of().formatHex(s.roundDigest()));
  }
}
