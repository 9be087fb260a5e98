package io.veil.vfl.model;

import static io.veil.vfl.model.NetworkTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LossTest {
  @Test
  void sigmoidIsStableAtExtremes() {
    assertArrayEquals(new double[] {0.5, 1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(2)), 1, 0},
        Loss.sigmoid(new double[] {0, 2, -2, 1000, -1000}), 1e-15);
  }

  @Test
  void binaryCrossEntropyMatchesTheDefinitionAndIsStable() {
    double[] z = {0.3, -1.2, 2.5};
    double[] y = {1, 0, 0};
    double expected = 0;
    for (int i = 0; i < z.length; i++) {
      double p = 1 / (1 + Math.exp(-z[i]));
      expected -= y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p);
    }
    assertEquals(expected / 3, Loss.binaryCrossEntropy(z, y), 1e-14);
    assertEquals(1000, Loss.binaryCrossEntropy(new double[] {1000}, new double[] {0}), 1e-12);
    assertEquals(1000, Loss.binaryCrossEntropy(new double[] {-1000}, new double[] {1}), 1e-12);
    assertEquals(0, Loss.binaryCrossEntropy(new double[] {1000}, new double[] {1}), 1e-300);
  }

  @Test
  void gradientIsSigmoidMinusLabelOverN() {
    double[] z = {0.3, -1.2, 2.5, 0};
    double[] y = {1, 0, 0, 1};
    double[] g = Loss.bceGradient(z, y);
    double h = 1e-6;
    for (int i = 0; i < z.length; i++) {
      double[] plus = z.clone();
      double[] minus = z.clone();
      plus[i] += h;
      minus[i] -= h;
      double numerical = (Loss.binaryCrossEntropy(plus, y) - Loss.binaryCrossEntropy(minus, y)) / (2 * h);
      assertEquals(numerical, g[i], 1e-9);
      assertEquals((Loss.sigmoid(z[i]) - y[i]) / 4, g[i], 1e-15);
    }
  }

  @Test
  void rejectsBadBatches() {
    assertMessage(() -> Loss.binaryCrossEntropy(new double[2], new double[3]), "2 logits, 3 labels");
    assertMessage(() -> Loss.bceGradient(new double[0], new double[0]), "empty batch");
    assertMessage(() -> Loss.binaryCrossEntropy(new double[1], new double[] {2}), "label 0 is 2.0");
    assertMessage(() -> Loss.sigmoid(null), "logits are missing");
  }
}
