package io.veil.vfl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkTest {
  private static final double[] X = {0.5, -1, 2, 1.5, 0, -0.25, 3, 1, -2, 0.1, 0.2, 0.3};

  @Test
  void shapesAndParameterCounts() {
    Network mlp = Network.create(3, new int[] {4}, 2, false, 1);
    assertEquals(3, mlp.inputs());
    assertEquals(2, mlp.outputs());
    assertEquals(3 * 4 + 4 + 4 * 2, mlp.parameterCount());
    assertEquals(List.of("layer0.weight", "layer0.bias", "layer1.weight"),
        mlp.parameters().stream().map(Tensor::name).toList());
    Network logistic = Network.create(2, new int[0], 1, true, 1);
    assertEquals(3, logistic.parameterCount());
    assertEquals(8, mlp.forward(X, 4).length);
  }

  @Test
  void initialisationIsDeterministicInTheSeedAndBiasesAreZero() {
    Network a = Network.create(3, new int[] {4}, 2, true, 9);
    Network b = Network.create(3, new int[] {4}, 2, true, 9);
    Network c = Network.create(3, new int[] {4}, 2, true, 10);
    assertEquals(a.parameters(), b.parameters());
    assertNotEquals(a.parameters(), c.parameters());
    assertArrayEquals(new double[4], a.parameters().get(1).values());
    assertArrayEquals(new double[2], a.parameters().get(3).values());
  }

  @Test
  void forwardComputesReluThenLinear() {
    Network net = Network.fromTensors(List.of(
        new Tensor("layer0.weight", 2, 3, new double[] {1, 0, 0, 0, -1, 0}),
        new Tensor("layer0.bias", 1, 2, new double[] {0, 0.5}),
        new Tensor("layer1.weight", 1, 2, new double[] {2, 3}),
        new Tensor("layer1.bias", 1, 1, new double[] {-1})));
    // Row 0: hidden = relu(0.5), relu(1 + 0.5) = 0.5, 1.5 -> 2*0.5 + 3*1.5 - 1 = 4.5.
    // Row 1: hidden = relu(1.5), relu(0 + 0.5) = 1.5, 0.5 -> 3 + 1.5 - 1 = 3.5.
    // Row 2: hidden = relu(3), relu(-1 + 0.5) = 3, 0 -> 6 - 1 = 5.
    assertArrayEquals(new double[] {4.5, 3.5, 5}, net.forward(new double[] {0.5, -1, 2, 1.5, 0, -0.25, 3, 1, -2}, 3),
        1e-15);
  }

  @Test
  void backwardAccumulatesUntilZeroed() {
    Network net = Network.create(3, new int[] {4}, 2, true, 3);
    double[] dOut = {0.1, -0.2, 0.3, 0.05, -0.1, 0.2, 0.4, -0.3};
    net.forward(X, 4);
    net.backward(dOut, 4);
    double[] once = net.gradientArray(0).clone();
    net.forward(X, 4);
    net.backward(dOut, 4);
    for (int e = 0; e < once.length; e++) {
      assertEquals(2 * once[e], net.gradientArray(0)[e], 1e-15);
    }
    net.zeroGradients();
    assertArrayEquals(new double[once.length], net.gradientArray(0));
  }

  @Test
  void tensorRoundTripIsExact() {
    for (Network net : List.of(Network.create(3, new int[] {4, 5}, 2, false, 1), Network.create(2, new int[0], 1, true,
        2))) {
      Network back = Network.fromTensors(net.parameters());
      assertEquals(net.parameters(), back.parameters());
      int n = X.length / net.inputs();
      assertArrayEquals(net.forward(X, n), back.forward(X, n));
    }
  }

  @Test
  void javaSerializationRoundTripIsExactAndUsable() throws Exception {
    Network net = Network.create(3, new int[] {4}, 2, false, 1);
    net.forward(X, 4);
    net.backward(new double[8], 4);
    Network back = deserialize(serialize(net), Network.class);
    assertEquals(net.parameters(), back.parameters());
    assertArrayEquals(net.forward(X, 4), back.forward(X, 4));
    Tensor t = net.parameters().get(0);
    assertEquals(t, deserialize(serialize(t), Tensor.class));
  }

  @Test
  void copyIsIndependent() {
    Network net = Network.create(3, new int[] {4}, 2, false, 1);
    Network copy = net.copy();
    assertEquals(net.parameters(), copy.parameters());
    copy.parameterArray(0)[0] += 1;
    assertNotEquals(net.parameters(), copy.parameters());
  }

  @Test
  void averageIsTheElementwiseWeightedMean() {
    Network a = Network.create(3, new int[] {4}, 2, true, 1);
    Network b = Network.create(3, new int[] {4}, 2, true, 2);
    Network mean = Network.average(List.of(a, b.copy()), new long[] {3, 1});
    for (int t = 0; t < a.tensorCount(); t++) {
      double[] expected = new double[a.parameterArray(t).length];
      for (int e = 0; e < expected.length; e++) {
        expected[e] = (3 * a.parameterArray(t)[e] + b.parameterArray(t)[e]) / 4;
      }
      assertArrayEquals(expected, mean.parameterArray(t), 1e-15);
    }
    assertTensorsEqual(a.parameters(), Network.average(List.of(a, a.copy()), new long[] {5, 7}).parameters(), 1e-15);
    assertEquals(a.parameters(), Network.average(List.of(a, b), new long[] {1, 0}).parameters());
  }

  @Test
  void averageRejectsMismatchedShapesAndBadWeights() {
    Network a = Network.create(3, new int[] {4}, 2, true, 1);
    Network b = Network.create(3, new int[] {5}, 2, true, 1);
    Network c = Network.create(3, new int[] {4}, 2, false, 1);
    assertMessage(() -> Network.average(List.of(a, b), new long[] {1, 1}), "different shapes", "3-5-2");
    assertMessage(() -> Network.average(List.of(a, c), new long[] {1, 1}), "output bias: no");
    assertMessage(() -> Network.average(List.of(a, a), new long[] {1}), "needs 2 weights");
    assertMessage(() -> Network.average(List.of(a, a), new long[] {1, -1}), "must not be negative");
    assertMessage(() -> Network.average(List.of(a, a), new long[] {0, 0}), "sum to zero");
    assertMessage(() -> Network.average(List.of(), new long[0]), "nothing to average");
  }

  @Test
  void fromTensorsRejectsMalformedLists() {
    Tensor w0 = new Tensor("layer0.weight", 4, 3, new double[12]);
    Tensor b0 = new Tensor("layer0.bias", 1, 4, new double[4]);
    Tensor w1 = new Tensor("layer1.weight", 2, 4, new double[8]);
    assertMessage(() -> Network.fromTensors(List.of()), "at least one tensor");
    assertMessage(() -> Network.fromTensors(List.of(b0, w0)), "expected layer0.weight, got layer0.bias");
    assertMessage(() -> Network.fromTensors(List.of(w0, w1)), "layer0 has no bias");
    assertMessage(() -> Network.fromTensors(List.of(w0, b0, new Tensor("layer1.weight", 2, 5, new double[10]))),
        "layer1.weight has 5 columns", "layer0 has 4 outputs");
    assertMessage(() -> Network.fromTensors(List.of(w0, new Tensor("layer0.bias", 1, 3, new double[3]))),
        "layer0.bias must be 1 x 4");
    assertMessage(() -> Network.fromTensors(List.of(w0, new Tensor("junk", 1, 1, new double[1]))),
        "expected layer0.bias or layer1.weight, got junk");
    List<Tensor> withNull = new ArrayList<>(List.of(w0, b0));
    withNull.add(null);
    assertMessage(() -> Network.fromTensors(withNull), "tensor 2 is null");
    assertMessage(() -> new Tensor("t", 2, 3, new double[5]), "2 x 3 needs 6 values, got 5");
    assertMessage(() -> new Tensor("t", 0, 3, new double[0]), "at least 1");
  }

  @Test
  void createAndForwardRejectBadArguments() {
    assertMessage(() -> Network.create(0, new int[0], 1, true, 1), "at least 1 input");
    assertMessage(() -> Network.create(2, new int[] {0}, 1, true, 1), "hidden layer 0 has width 0");
    Network net = Network.create(3, new int[0], 1, true, 1);
    assertMessage(() -> net.forward(new double[5], 2), "2 rows x 3 inputs need 6 values, got 5");
    assertThrows(IllegalStateException.class, () -> net.backward(new double[2], 2));
    net.forward(new double[6], 2);
    assertMessage(() -> net.backward(new double[3], 3), "backward of 3 rows after a forward of 2 rows");
    assertMessage(() -> net.backward(new double[3], 2), "need 2 gradient values, got 3");
  }

  static void assertTensorsEqual(List<Tensor> expected, List<Tensor> actual, double tolerance) {
    assertEquals(expected.size(), actual.size());
    for (int t = 0; t < expected.size(); t++) {
      Tensor e = expected.get(t);
      Tensor a = actual.get(t);
      assertEquals(List.of(e.name(), e.rows(), e.cols()), List.of(a.name(), a.rows(), a.cols()));
      assertArrayEquals(e.values(), a.values(), tolerance, e.name());
    }
  }

  static void assertMessage(Runnable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
    for (String fragment : fragments) {
      assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
  }

  static byte[] serialize(Object o) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.toByteArray();
  }

  static <T> T deserialize(byte[] bytes, Class<T> type) throws Exception {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      return type.cast(in.readObject());
    }
  }
}
