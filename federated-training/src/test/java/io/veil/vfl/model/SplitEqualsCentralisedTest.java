package io.veil.vfl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * With linear bottoms, d = 1 and a logistic top of weight 1, the split model is plaintext logistic regression on the
 * concatenated features whose coefficients are the concatenated bottom weights.
 */
class SplitEqualsCentralisedTest {
  @Test
  void logitsAndGradientsEqualPlaintextLogisticRegression() {
    int n = 9;
    int fa = 3;
    int fb = 4;
    SplittableRandom random = new SplittableRandom(7);
    double[] xa = new double[n * fa];
    double[] xb = new double[n * fb];
    double[] y = new double[n];
    for (int i = 0; i < xa.length; i++) {
      xa[i] = random.nextDouble(-1, 1);
    }
    for (int i = 0; i < xb.length; i++) {
      xb[i] = random.nextDouble(-1, 1);
    }
    for (int i = 0; i < n; i++) {
      y[i] = random.nextInt(2);
    }
    Network a = Network.create(fa, new int[0], 1, false, 11);
    Network b = Network.create(fb, new int[0], 1, false, 12);
    double bias = 0.37;
    Network top = Network.fromTensors(List.of(
        new Tensor("layer0.weight", 1, 1, new double[] {1}), new Tensor("layer0.bias", 1, 1, new double[] {bias})));

    // Plaintext LR on X = [xa | xb] with w = [wa | wb].
    int f = fa + fb;
    double[] x = new double[n * f];
    for (int r = 0; r < n; r++) {
      System.arraycopy(xa, r * fa, x, r * f, fa);
      System.arraycopy(xb, r * fb, x, r * f + fa, fb);
    }
    double[] w = new double[f];
    System.arraycopy(a.parameters().get(0).values(), 0, w, 0, fa);
    System.arraycopy(b.parameters().get(0).values(), 0, w, fa, fb);
    double[] plainLogits = new double[n];
    for (int r = 0; r < n; r++) {
      double s = bias;
      for (int j = 0; j < f; j++) {
        s += x[r * f + j] * w[j];
      }
      plainLogits[r] = s;
    }
    double[] plainGradient = new double[f];
    for (int r = 0; r < n; r++) {
      double residual = (Loss.sigmoid(plainLogits[r]) - y[r]) / n;
      for (int j = 0; j < f; j++) {
        plainGradient[j] += x[r * f + j] * residual;
      }
    }

    double[] za = a.forward(xa, n);
    double[] zb = b.forward(xb, n);
    double[] z = new double[n];
    for (int r = 0; r < n; r++) {
      z[r] = za[r] + zb[r];
    }
    double[] logits = top.forward(z, n);
    assertArrayEquals(plainLogits, logits, 1e-12);

    double[] dz = top.backward(Loss.bceGradient(logits, y), n);
    a.backward(dz, n);
    b.backward(dz, n);
    double[] splitGradient = new double[f];
    System.arraycopy(a.gradientArray(0), 0, splitGradient, 0, fa);
    System.arraycopy(b.gradientArray(0), 0, splitGradient, fa, fb);
    assertArrayEquals(plainGradient, splitGradient, 1e-12);
  }
}
