package io.veil.vfl.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Split training (two bottoms, a top) on a seeded, linearly separable problem drives the loss down. */
class TrainingSanityTest {
  @ParameterizedTest(name = "{0}, top hidden {1}")
  @CsvSource({"adam, 0", "adam, 4", "sgd, 0"})
  void lossFallsBelowThreshold(String kind, int topHidden) {
    int n = 200;
    int fa = 2;
    int fb = 3;
    int d = 2;
    SplittableRandom random = new SplittableRandom(5);
    double[] xa = new double[n * fa];
    double[] xb = new double[n * fb];
    double[] y = new double[n];
    double[] truth = {1.5, -2, 1, 0.5, -1};
    for (int r = 0; r < n; r++) {
      double s = 0;
      for (int j = 0; j < fa + fb; j++) {
        double v = random.nextDouble(-1, 1);
        if (j < fa) {
          xa[r * fa + j] = v;
        } else {
          xb[r * fb + j - fa] = v;
        }
        s += truth[j] * v;
      }
      y[r] = s > 0 ? 1 : 0;
    }
    Network a = Network.create(fa, new int[0], d, false, 1);
    Network b = Network.create(fb, new int[] {4}, d, false, 2);
    Network top = Network.create(d, topHidden == 0 ? new int[0] : new int[] {topHidden}, 1, true, 3);
    double lr = kind.equals("adam") ? 0.05 : 1.0;
    Optimizer oa = kind.equals("adam") ? Optimizer.adam(lr, 0) : Optimizer.sgd(lr, 0);
    Optimizer ob = oa.copy();
    Optimizer ot = oa.copy();

    double initial = loss(a, b, top, xa, xb, y, n);
    double last = initial;
    for (int epoch = 0; epoch < 300; epoch++) {
      double[] z = add(a.forward(xa, n), b.forward(xb, n));
      double[] logits = top.forward(z, n);
      last = Loss.binaryCrossEntropy(logits, y);
      double[] dz = top.backward(Loss.bceGradient(logits, y), n);
      a.backward(dz, n);
      b.backward(dz, n);
      ot.step(top);
      oa.step(a);
      ob.step(b);
    }
    double end = loss(a, b, top, xa, xb, y, n);
    assertTrue(end < 0.15, kind + ": loss went from " + initial + " to " + end);
    assertTrue(end < initial / 3, kind + ": loss went from " + initial + " to " + end);
  }

  private static double loss(Network a, Network b, Network top, double[] xa, double[] xb, double[] y, int n) {
    return Loss.binaryCrossEntropy(top.forward(add(a.forward(xa, n), b.forward(xb, n)), n), y);
  }

  private static double[] add(double[] u, double[] v) {
    double[] s = new double[u.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = u[i] + v[i];
    }
    return s;
  }
}
