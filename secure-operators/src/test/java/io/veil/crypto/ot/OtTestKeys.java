package io.veil.crypto.ot;

import io.veil.crypto.Sha256;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Fixed-seed base-OT setups shared by the OT tests. */
final class OtTestKeys {
  /** Both OPRF roles, from real base OTs. */
  record Setup(KkrtOprf.Receiver receiver, KkrtOprf.Sender sender) {}

  private static Setup baseOtSetup;

  private OtTestKeys() {}

  static byte[] seed(String label) {
    return Sha256.hash(label.getBytes(StandardCharsets.UTF_8));
  }

  static boolean[] randomBits(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    boolean[] b = new boolean[n];
    for (int i = 0; i < n; i++) {
      b[i] = r.nextBoolean();
    }
    return b;
  }

  /** KKRT roles from 512 real base OTs with fixed seeds (computed once per JVM). */
  static synchronized Setup fromBaseOt() {
    if (baseOtSetup == null) {
      boolean[] s = randomBits(KkrtOprf.BASE_OT_COUNT, 42);
      // The OPRF receiver is the base-OT sender; the OPRF sender is the base-OT receiver.
      BaseOt.Sender otSender = new BaseOt.Sender(seed("psi-receiver"), KkrtOprf.BASE_OT_COUNT);
      BaseOt.Receiver otReceiver = new BaseOt.Receiver(seed("psi-sender"), s);
      byte[] reply = otReceiver.reply(otSender.firstMessage());
      byte[][][] pairs = otSender.keys(reply);
      baseOtSetup = new Setup(KkrtOprf.Receiver.fromBaseOt(pairs), new KkrtOprf.Sender(s, otReceiver.keys()));
    }
    return baseOtSetup;
  }

  /** KKRT roles from random seeds, as ideal base OTs would give them (no curve arithmetic). */
  static Setup ideal(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int w = KkrtOprf.BASE_OT_COUNT;
    byte[][] k0 = new byte[w][KkrtOprf.SEED_BYTES];
    byte[][] k1 = new byte[w][KkrtOprf.SEED_BYTES];
    byte[][] ks = new byte[w][];
    boolean[] s = new boolean[w];
    for (int j = 0; j < w; j++) {
      r.nextBytes(k0[j]);
      r.nextBytes(k1[j]);
      s[j] = r.nextBoolean();
      ks[j] = Arrays.copyOf(s[j] ? k1[j] : k0[j], KkrtOprf.SEED_BYTES);
    }
    return new Setup(new KkrtOprf.Receiver(k0, k1), new KkrtOprf.Sender(s, ks));
  }
}
