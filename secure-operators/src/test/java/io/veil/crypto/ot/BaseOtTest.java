package io.veil.crypto.ot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECFieldElement;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;

class BaseOtTest {
  private static final X9ECParameters PARAMS = CustomNamedCurves.getByName("curve25519");
  private static final ECCurve CURVE = PARAMS.getCurve();
  private static final BigInteger P = CURVE.getField().getCharacteristic();

  private record Run(byte[] first, byte[] reply, byte[][][] senderKeys, byte[][] receiverKeys) {}

  private static Run run(byte[] senderSeed, byte[] receiverSeed, boolean[] choices) {
    BaseOt.Sender sender = new BaseOt.Sender(senderSeed, choices.length);
    BaseOt.Receiver receiver = new BaseOt.Receiver(receiverSeed, choices);
    byte[] first = sender.firstMessage();
    byte[] reply = receiver.reply(first);
    return new Run(first, reply, sender.keys(reply), receiver.keys());
  }

  @Test
  void receiverGetsExactlyTheChosenKey() {
    for (int count : new int[] {1, 2, 33}) {
      boolean[] choices = OtTestKeys.randomBits(count, count);
      Run r = run(OtTestKeys.seed("s" + count), OtTestKeys.seed("r" + count), choices);
      assertThat(r.first()).hasSize(BaseOt.POINT_BYTES);
      assertThat(r.reply()).hasSize(count * BaseOt.POINT_BYTES);
      for (int i = 0; i < count; i++) {
        int c = choices[i] ? 1 : 0;
        assertThat(r.receiverKeys()[i]).hasSize(BaseOt.KEY_BYTES).isEqualTo(r.senderKeys()[i][c]);
        assertThat(r.receiverKeys()[i]).isNotEqualTo(r.senderKeys()[i][1 - c]);
      }
    }
  }

  @Test
  void keysDifferAcrossOts() {
    Run r = run(OtTestKeys.seed("s"), OtTestKeys.seed("r"), new boolean[50]);
    List<String> all = new ArrayList<>();
    for (byte[][] pair : r.senderKeys()) {
      all.add(Arrays.toString(pair[0]));
      all.add(Arrays.toString(pair[1]));
    }
    assertThat(all).doesNotHaveDuplicates();
  }

  @Test
  void deterministicForFixedSeeds() {
    boolean[] choices = OtTestKeys.randomBits(8, 7);
    Run a = run(OtTestKeys.seed("s"), OtTestKeys.seed("r"), choices);
    Run b = run(OtTestKeys.seed("s"), OtTestKeys.seed("r"), choices);
    assertThat(b.first()).isEqualTo(a.first());
    assertThat(b.reply()).isEqualTo(a.reply());
    assertThat(b.senderKeys()).isEqualTo(a.senderKeys());
    assertThat(b.receiverKeys()).isEqualTo(a.receiverKeys());

    Run otherSender = run(OtTestKeys.seed("s2"), OtTestKeys.seed("r"), choices);
    Run otherReceiver = run(OtTestKeys.seed("s"), OtTestKeys.seed("r2"), choices);
    assertThat(otherSender.first()).isNotEqualTo(a.first());
    assertThat(otherReceiver.reply()).isNotEqualTo(a.reply());
    assertThat(otherReceiver.receiverKeys()[0]).isNotEqualTo(a.receiverKeys()[0]);
  }

  @Test
  void replyDoesNotDependOnChoiceInDistributionButOnChoiceInValue() {
    // Same seed, opposite choices: the B_i differ by exactly A (B = bG vs A + bG).
    boolean[] zeros = new boolean[3];
    boolean[] ones = {true, true, true};
    Run r0 = run(OtTestKeys.seed("s"), OtTestKeys.seed("r"), zeros);
    Run r1 = run(OtTestKeys.seed("s"), OtTestKeys.seed("r"), ones);
    ECPoint a = CURVE.decodePoint(r0.first());
    for (int i = 0; i < 3; i++) {
      ECPoint b0 = CURVE.decodePoint(Arrays.copyOfRange(r0.reply(), 33 * i, 33 * i + 33));
      ECPoint b1 = CURVE.decodePoint(Arrays.copyOfRange(r1.reply(), 33 * i, 33 * i + 33));
      assertThat(b0.add(a).normalize()).isEqualTo(b1.normalize());
      assertThat(r1.receiverKeys()[i]).isEqualTo(r1.senderKeys()[i][1]);
    }
  }

  /** Compressed encoding of an arbitrary (unvalidated) point. */
  private static byte[] encode(ECPoint p) {
    return p.normalize().getEncoded(true);
  }

  /** A point on the curve for the smallest x >= start with a square right-hand side. */
  private static ECPoint anyPointFrom(long start) {
    for (long x = start; ; x++) {
      ECFieldElement fx = CURVE.fromBigInteger(BigInteger.valueOf(x));
      ECFieldElement y = fx.square().add(CURVE.getA()).multiply(fx).add(CURVE.getB()).sqrt();
      if (y != null) {
        return CURVE.createPoint(BigInteger.valueOf(x), y.toBigInteger());
      }
    }
  }

  /** Points of order 2, 4 and 8: l * R for points R of the full group (order 8 l). */
  private static List<ECPoint> smallOrderPoints() {
    List<ECPoint> out = new ArrayList<>();
    for (long start = 1; out.size() < 6 && start < 10_000; start += 37) {
      ECPoint t = anyPointFrom(start).multiply(PARAMS.getN()).normalize();
      if (!t.isInfinity() && out.stream().noneMatch(t::equals)) {
        out.add(t);
      }
    }
    return out;
  }

  private static byte[] notOnCurve() {
    for (long x = 1; ; x++) {
      ECFieldElement fx = CURVE.fromBigInteger(BigInteger.valueOf(x));
      if (fx.square().add(CURVE.getA()).multiply(fx).add(CURVE.getB()).sqrt() == null) {
        byte[] enc = new byte[33];
        enc[0] = 2;
        byte[] xb = BigInteger.valueOf(x).toByteArray();
        System.arraycopy(xb, 0, enc, 33 - xb.length, xb.length);
        return enc;
      }
    }
  }

  private static List<byte[]> invalidPoints() {
    List<byte[]> bad = new ArrayList<>();
    bad.add(new byte[33]); // prefix 00: not a compressed point (SEC 1's identity is the single byte 00)
    byte[] prefix4 = encode(PARAMS.getG());
    prefix4[0] = 0x04;
    bad.add(prefix4);
    byte[] xTooBig = new byte[33];
    xTooBig[0] = 0x02;
    byte[] pb = P.add(BigInteger.ONE).toByteArray();
    System.arraycopy(pb, pb.length - 32, xTooBig, 1, 32);
    bad.add(xTooBig);
    bad.add(notOnCurve());
    List<ECPoint> small = smallOrderPoints();
    assertThat(small).hasSizeGreaterThanOrEqualTo(4);
    for (ECPoint t : small) {
      bad.add(encode(t));
      bad.add(encode(PARAMS.getG().add(t))); // mixed order: G plus a torsion point
    }
    return bad;
  }

  @Test
  void smallOrderPointsReallyHaveSmallOrder() {
    for (ECPoint t : smallOrderPoints()) {
      assertThat(t.multiply(BigInteger.valueOf(8)).isInfinity()).isTrue();
    }
  }

  @Test
  void receiverRejectsInvalidSenderPoints() {
    BaseOt.Receiver receiver = new BaseOt.Receiver(OtTestKeys.seed("r"), new boolean[4]);
    for (byte[] bad : invalidPoints()) {
      assertThatThrownBy(() -> receiver.reply(bad))
          .isInstanceOf(InvalidOtMessageException.class)
          .hasMessageContaining("sender's point A");
    }
    assertThatThrownBy(() -> receiver.reply(new byte[] {0}))
        .isInstanceOf(InvalidOtMessageException.class)
        .hasMessageContaining("1 bytes");
    assertThatThrownBy(receiver::keys).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void senderRejectsInvalidReceiverPointsNamingTheIndex() {
    boolean[] choices = new boolean[6];
    BaseOt.Sender sender = new BaseOt.Sender(OtTestKeys.seed("s"), 6);
    byte[] good = new BaseOt.Receiver(OtTestKeys.seed("r"), choices).reply(sender.firstMessage());
    for (byte[] bad : invalidPoints()) {
      byte[] reply = good.clone();
      System.arraycopy(bad, 0, reply, 4 * 33, 33);
      assertThatThrownBy(() -> sender.keys(reply))
          .isInstanceOf(InvalidOtMessageException.class)
          .hasMessageContaining("index 4")
          .hasMessageStartingWith("Cannot finish the base OTs");
    }
    assertThatThrownBy(() -> sender.keys(Arrays.copyOf(good, good.length - 1)))
        .isInstanceOf(InvalidOtMessageException.class)
        .hasMessageContaining("expected 6 points");
    assertThat(sender.keys(good).length).isEqualTo(6);
  }

  @Test
  void validatesLocalArguments() {
    assertThatThrownBy(() -> new BaseOt.Sender(new byte[16], 1)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> new BaseOt.Sender(new byte[32], 0)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> new BaseOt.Receiver(new byte[32], new boolean[0])).isInstanceOf(InvalidInputException.class);
    assertThat(new BaseOt.Sender(new byte[32], 3).toString()).doesNotContain("seed=[");
  }
}
