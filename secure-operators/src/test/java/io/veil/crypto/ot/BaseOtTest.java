package io.veil.crypto.ot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.crypto.EdwardsOracle;
import io.veil.crypto.internal.Ed25519Group;
import io.veil.crypto.internal.Libsodium;
import io.veil.crypto.internal.X25519Engines;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BaseOtTest {
  private record Run(byte[] first, byte[] reply, byte[][][] senderKeys, byte[][] receiverKeys) {}

  private static Run run(byte[] senderSeed, byte[] receiverSeed, boolean[] choices) {
    return run(new BaseOt.Sender(senderSeed, choices.length), new BaseOt.Receiver(receiverSeed, choices));
  }

  private static Run run(BaseOt.Sender sender, BaseOt.Receiver receiver) {
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
    // Same seed, opposite choices: the B_i differ by exactly A (B = bB vs A + bB).
    boolean[] zeros = new boolean[3];
    boolean[] ones = {true, true, true};
    Run r0 = run(OtTestKeys.seed("s"), OtTestKeys.seed("r"), zeros);
    Run r1 = run(OtTestKeys.seed("s"), OtTestKeys.seed("r"), ones);
    int n = BaseOt.POINT_BYTES;
    for (int i = 0; i < 3; i++) {
      byte[] b0 = Arrays.copyOfRange(r0.reply(), n * i, n * i + n);
      byte[] b1 = Arrays.copyOfRange(r1.reply(), n * i, n * i + n);
      BigInteger[] sum = EdwardsOracle.add(EdwardsOracle.decode(b0), EdwardsOracle.decode(r0.first()));
      assertThat(EdwardsOracle.encode(sum)).isEqualTo(b1);
      assertThat(r1.receiverKeys()[i]).isEqualTo(r1.senderKeys()[i][1]);
    }
  }

  /** The Java and the native group give the same messages and keys, and either side may use either. */
  @Test
  void javaAndNativeGroupsInterwork() {
    org.junit.jupiter.api.Assumptions.assumeTrue(X25519Engines.nativeAvailable() && Libsodium.edwardsAvailable());
    Ed25519Group java = X25519Engines.javaEdwards();
    Ed25519Group sodium = X25519Engines.nativeEdwards();
    boolean[] choices = OtTestKeys.randomBits(40, 3);
    byte[] s = OtTestKeys.seed("s");
    byte[] r = OtTestKeys.seed("r");
    Run all = run(new BaseOt.Sender(s, 40, java), new BaseOt.Receiver(r, choices, java));
    for (Ed25519Group senderGroup : List.of(java, sodium)) {
      for (Ed25519Group receiverGroup : List.of(java, sodium)) {
        Run mixed = run(new BaseOt.Sender(s, 40, senderGroup), new BaseOt.Receiver(r, choices, receiverGroup));
        assertThat(mixed.first()).isEqualTo(all.first());
        assertThat(mixed.reply()).isEqualTo(all.reply());
        assertThat(mixed.senderKeys()).isEqualTo(all.senderKeys());
        assertThat(mixed.receiverKeys()).isEqualTo(all.receiverKeys());
      }
    }
  }

  private static List<byte[]> invalidPoints() {
    return EdwardsOracle.invalidEncodings().stream()
        .map(EdwardsOracle.Invalid::encoding)
        .filter(e -> e.length == BaseOt.POINT_BYTES)
        .toList();
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
      System.arraycopy(bad, 0, reply, 4 * BaseOt.POINT_BYTES, BaseOt.POINT_BYTES);
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
