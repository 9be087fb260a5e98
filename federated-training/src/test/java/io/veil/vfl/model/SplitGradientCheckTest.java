package io.veil.vfl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Finite-difference check of the split model: bottoms a (linear, 3 inputs) and b (MLP, 5 inputs, hidden 4) give Z_a +
 * Z_b (d = 2), the top network gives one logit per row, loss is BCE over 7 rows.
 */
class SplitGradientCheckTest {
  private static final int N = 7;
  private static final int D = 2;
  private static final double EPS = 1e-5;

  private final SplittableRandom random = new SplittableRandom(42);
  private final double[] xa = randoms(N * 3);
  private final double[] xb = randoms(N * 5);
  private final double[] labels = new double[N];

  @ParameterizedTest(name = "top hidden width {0}")
  @ValueSource(ints = {0, 3})
  void everyParameterMatchesItsNumericalGradient(int topHidden) {
    for (int i = 0; i < N; i++) {
      labels[i] = random.nextInt(2);
    }
    Network a = Network.create(3, new int[0], D, false, 1);
    Network b = Network.create(5, new int[] {4}, D, false, 2);
    Network top = Network.create(D, topHidden == 0 ? new int[0] : new int[] {topHidden}, 1, true, 3);
    // Non-zero biases so that they matter in the check.
    perturbBiases(b);
    perturbBiases(top);

    // Analytic: top.backward -> dZ -> each bottom.backward.
    double[] za = a.forward(xa, N);
    double[] zb = b.forward(xb, N);
    double[] z = add(za, zb);
    double[] logits = top.forward(z, N);
    double[] dz = top.backward(Loss.bceGradient(logits, labels), N);
    a.backward(dz, N);
    b.backward(dz, N);

    int checked = 0;
    int nonZero = 0;
    for (Network net : List.of(a, b, top)) {
      for (int t = 0; t < net.tensorCount(); t++) {
        double[] p = net.parameterArray(t);
        double[] g = net.gradientArray(t);
        for (int e = 0; e < p.length; e++) {
          double saved = p[e];
          p[e] = saved + EPS;
          double plus = loss(a, b, top);
          p[e] = saved - EPS;
          double minus = loss(a, b, top);
          p[e] = saved;
          double numerical = (plus - minus) / (2 * EPS);
          double tolerance = 1e-6 * Math.max(1e-3, Math.max(Math.abs(numerical), Math.abs(g[e])));
          assertEquals(numerical, g[e], tolerance, net.tensorName(t) + "[" + e + "] of " + net);
          checked++;
          nonZero += Math.abs(g[e]) > 1e-6 ? 1 : 0;
        }
      }
    }
    assertEquals(a.parameterCount() + b.parameterCount() + top.parameterCount(), checked);
    assertTrue(nonZero > checked / 2, "most gradients should be non-zero, got " + nonZero + " of " + checked);
  }

  private double loss(Network a, Network b, Network top) {
    double[] z = add(a.forward(xa, N), b.forward(xb, N));
    return Loss.binaryCrossEntropy(top.forward(z, N), labels);
  }

  private void perturbBiases(Network net) {
    for (int t = 0; t < net.tensorCount(); t++) {
      if (!net.isWeight(t)) {
        double[] p = net.parameterArray(t);
        for (int e = 0; e < p.length; e++) {
          p[e] = random.nextDouble(-0.3, 0.3);
        }
      }
    }
  }

  private double[] randoms(int count) {
    double[] x = new double[count];
    for (int i = 0; i < count; i++) {
      x[i] = random.nextDouble(-2, 2);
    }
    return x;
  }

  private static double[] add(double[] u, double[] v) {
    double[] s = new double[u.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = u[i] + v[i];
    }
    return s;
  }
}
