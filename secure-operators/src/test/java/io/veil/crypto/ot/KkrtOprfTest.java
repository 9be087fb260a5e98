package io.veil.crypto.ot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.crypto.Sha256;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KkrtOprfTest {
  private static byte[][] inputs(int m, String prefix) {
    byte[][] in = new byte[m][];
    for (int i = 0; i < m; i++) {
      in[i] = (prefix + i).getBytes(StandardCharsets.UTF_8);
    }
    return in;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 63, 64, 65, 1000, 4100})
  void senderEvaluationMatchesReceiverOutputOnlyForTheSameRowAndInput(int m) {
    OtTestKeys.Setup keys = OtTestKeys.ideal(m);
    byte[][] in = inputs(m, "customer-");
    KkrtOprf.Encoded enc = keys.receiver().encode(5, in, 32);
    assertThat(enc.count()).isEqualTo(m);
    assertThat(enc.u()).hasSize(m * KkrtOprf.ROW_BYTES);
    assertThat(enc.outputs()).hasSize(m * 32);
    KkrtOprf.Evaluator ev = keys.sender().evaluator(5, enc.u(), m, 32);
    assertThat(ev.rows()).isEqualTo(m);
    for (int i = 0; i < m; i++) {
      assertThat(ev.eval(i, in[i])).as("row %d", i).isEqualTo(enc.output(i));
      assertThat(ev.eval(i, ("other-" + i).getBytes(StandardCharsets.UTF_8))).isNotEqualTo(enc.output(i));
      if (m > 1) {
        int next = (i + 1) % m;
        assertThat(ev.eval(i, in[next])).isNotEqualTo(enc.output(i));
        assertThat(ev.eval(next, in[i])).isNotEqualTo(enc.output(i));
      }
    }
  }

  @Test
  void worksFromRealBaseOts() {
    OtTestKeys.Setup keys = OtTestKeys.fromBaseOt();
    byte[][] in = inputs(300, "id-");
    KkrtOprf.Encoded enc = keys.receiver().encode(0, in, 16);
    KkrtOprf.Evaluator ev = keys.sender().evaluator(0, enc.u(), in.length, 16);
    byte[] out = new byte[20];
    for (int i = 0; i < in.length; i++) {
      ev.eval(i, in[i], out, 4);
      assertThat(Arrays.copyOfRange(out, 4, 20)).isEqualTo(enc.output(i));
    }
  }

  @Test
  void evaluationFromAPrecomputedCodeMatchesEval() {
    OtTestKeys.Setup keys = OtTestKeys.ideal(77);
    byte[][] in = inputs(40, "c");
    KkrtOprf.Encoded enc = keys.receiver().encode(3, in, 8);
    KkrtOprf.Evaluator ev = keys.sender().evaluator(3, enc.u(), in.length, 8);
    byte[] out = new byte[8];
    for (int i = 0; i < in.length; i++) {
      for (int x = 0; x < 3; x++) {
        byte[] input = in[(i + x) % in.length];
        ev.evalCode(i, KkrtOprf.codeOf(input), out, 0);
        assertThat(out).isEqualTo(ev.eval(i, input));
      }
      ev.evalCode(i, KkrtOprf.codeOf(in[i]), out, 0);
      assertThat(out).isEqualTo(enc.output(i));
    }
  }

  @Test
  void identicalInputsInDifferentRowsGiveUnrelatedOutputs() {
    OtTestKeys.Setup keys = OtTestKeys.ideal(9);
    byte[][] in = new byte[10][];
    Arrays.fill(in, "same".getBytes(StandardCharsets.UTF_8));
    KkrtOprf.Encoded enc = keys.receiver().encode(0, in, 32);
    for (int i = 1; i < in.length; i++) {
      assertThat(enc.output(i)).isNotEqualTo(enc.output(0));
      assertThat(Arrays.copyOfRange(enc.u(), 64 * i, 64 * i + 64)).isNotEqualTo(Arrays.copyOf(enc.u(), 64));
    }
  }

  @Test
  void bucketsAreIndependent() {
    OtTestKeys.Setup keys = OtTestKeys.ideal(3);
    byte[][] in = inputs(200, "x");
    KkrtOprf.Encoded b0 = keys.receiver().encode(0, in, 32);
    KkrtOprf.Encoded b1 = keys.receiver().encode(1, in, 32);
    for (int i = 0; i < in.length; i++) {
      assertThat(b1.output(i)).isNotEqualTo(b0.output(i));
      assertThat(Arrays.copyOfRange(b1.u(), 64 * i, 64 * i + 64)).isNotEqualTo(Arrays.copyOfRange(b0.u(), 64 * i, 64 * i + 64));
    }
    // Each bucket evaluates on its own; the other bucket's U under this bucket's index matches nothing.
    KkrtOprf.Evaluator e0 = keys.sender().evaluator(0, b0.u(), in.length, 32);
    KkrtOprf.Evaluator e1 = keys.sender().evaluator(1, b1.u(), in.length, 32);
    KkrtOprf.Evaluator crossed = keys.sender().evaluator(1, b0.u(), in.length, 32);
    for (int i = 0; i < in.length; i++) {
      assertThat(e0.eval(i, in[i])).isEqualTo(b0.output(i));
      assertThat(e1.eval(i, in[i])).isEqualTo(b1.output(i));
      assertThat(crossed.eval(i, in[i])).isNotEqualTo(b0.output(i)).isNotEqualTo(b1.output(i));
    }
  }

  @Test
  void encodingIsDeterministicAndOutputsTruncate() {
    OtTestKeys.Setup keys = OtTestKeys.ideal(4);
    byte[][] in = inputs(70, "y");
    KkrtOprf.Encoded a = keys.receiver().encode(2, in, 32);
    KkrtOprf.Encoded b = keys.receiver().encode(2, in, 32);
    KkrtOprf.Encoded shortOut = keys.receiver().encode(2, in, 5);
    assertThat(b.u()).isEqualTo(a.u());
    assertThat(b.outputs()).isEqualTo(a.outputs());
    assertThat(shortOut.u()).isEqualTo(a.u());
    for (int i = 0; i < in.length; i++) {
      assertThat(shortOut.output(i)).isEqualTo(Arrays.copyOf(a.output(i), 5));
    }
  }

  @Test
  void oneReceiverAndOneEvaluatorServeSeveralThreads() throws Exception {
    OtTestKeys.Setup keys = OtTestKeys.ideal(8);
    int threads = 4;
    byte[][][] in = new byte[threads][][];
    KkrtOprf.Encoded[] enc = new KkrtOprf.Encoded[threads];
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      java.util.List<java.util.concurrent.Future<?>> jobs = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int bucket = t;
        in[t] = inputs(3000, "t" + t + "-");
        jobs.add(pool.submit(() -> enc[bucket] = keys.receiver().encode(bucket, in[bucket], 16)));
      }
      for (java.util.concurrent.Future<?> f : jobs) {
        f.get();
      }
      for (int t = 0; t < threads; t++) {
        assertThat(enc[t]).isNotNull();
        assertThat(enc[t].outputs()).isEqualTo(keys.receiver().encode(t, in[t], 16).outputs());
      }
      KkrtOprf.Evaluator ev = keys.sender().evaluator(0, enc[0].u(), 3000, 16);
      jobs.clear();
      for (int t = 0; t < threads; t++) {
        int offset = t;
        jobs.add(pool.submit(() -> {
          for (int i = offset; i < 3000; i += threads) {
            assertThat(ev.eval(i, in[0][i])).isEqualTo(enc[0].output(i));
          }
        }));
      }
      for (java.util.concurrent.Future<?> f : jobs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void wrongKeyDoesNotMatch() {
    OtTestKeys.Setup keys = OtTestKeys.ideal(5);
    OtTestKeys.Setup other = OtTestKeys.ideal(6);
    byte[][] in = inputs(50, "z");
    KkrtOprf.Encoded enc = keys.receiver().encode(0, in, 32);
    KkrtOprf.Evaluator ev = other.sender().evaluator(0, enc.u(), in.length, 32);
    for (int i = 0; i < in.length; i++) {
      assertThat(ev.eval(i, in[i])).isNotEqualTo(enc.output(i));
    }
  }

  /**
   * Regression: fixed base-OT seeds, bucket 3, outputs of 16 bytes. The values pin the wire format
   * (PRG nonce layout, bit order, code and output hash); change them only with a protocol version.
   * Last changed with the base OTs' move to edwards25519 ({@code veil-base-ot/co15-ed25519/v2}).
   */
  @Test
  void knownAnswer() {
    OtTestKeys.Setup keys = OtTestKeys.fromBaseOt();
    byte[][] in = {new byte[0], "a".getBytes(StandardCharsets.UTF_8), "veil".getBytes(StandardCharsets.UTF_8)};
    KkrtOprf.Encoded enc = keys.receiver().encode(3, in, 16);
    assertThat(Hex.toHexString(Sha256.hash(enc.u()))).isEqualTo(KAT_U_SHA256);
    assertThat(Hex.toHexString(enc.outputs())).isEqualTo(KAT_OUTPUTS);
    KkrtOprf.Evaluator ev = keys.sender().evaluator(3, enc.u(), 3, 16);
    assertThat(Hex.toHexString(ev.eval(2, in[2]))).isEqualTo(KAT_OUTPUTS.substring(64, 96));
  }

  private static final String KAT_U_SHA256 = "2c464a6a995423ba068f8af8a6ad68b581b5f18dc9dbea8b4d58d9f9ca34e120";
  private static final String KAT_OUTPUTS =
      "fed611ebac64d5ebbe05fbffa0d6db28e013eb1c0df495634f72f7d0f186c7249e1e2786062f7a4769406bb4084a60b9";

  @Test
  void rejectsBadArgumentsAndMessages() {
    OtTestKeys.Setup keys = OtTestKeys.ideal(1);
    assertThatThrownBy(() -> keys.sender().evaluator(0, new byte[64 * 3 - 1], 3, 16))
        .isInstanceOf(InvalidOtMessageException.class)
        .hasMessageContaining("expected 3 rows");
    assertThatThrownBy(() -> keys.receiver().encode(-1, new byte[1][1], 16)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> keys.receiver().encode(0, new byte[1][1], 0)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> keys.receiver().encode(0, new byte[1][1], 33)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> new KkrtOprf.Receiver(new byte[511][16], new byte[512][16]))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> new KkrtOprf.Sender(new boolean[512], new byte[512][32]))
        .isInstanceOf(InvalidInputException.class);
    KkrtOprf.Evaluator ev = keys.sender().evaluator(0, new byte[64], 1, 16);
    assertThatThrownBy(() -> ev.eval(1, new byte[0])).isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(keys.receiver().toString()).contains("***");
  }
}
