package io.veil.vfl.model;

import static io.veil.vfl.model.NetworkTest.assertMessage;
import static io.veil.vfl.model.NetworkTest.deserialize;
import static io.veil.vfl.model.NetworkTest.serialize;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptimizerTest {
  private static final double[] X = {0.5, -1, 2, 1.5, 0, -0.25};

  @Test
  void sgdStepFollowsTheFormulaWithL2OnWeightsOnly() {
    Network net = Network.create(3, new int[0], 2, true, 1);
    net.parameterArray(1)[0] = 0.5;
    double[] w = net.parameterArray(0).clone();
    double[] b = net.parameterArray(1).clone();
    backward(net);
    double[] gw = net.gradientArray(0).clone();
    double[] gb = net.gradientArray(1).clone();
    Optimizer.sgd(0.1, 0.01).step(net);
    for (int e = 0; e < w.length; e++) {
      assertEquals(w[e] - 0.1 * (gw[e] + 0.01 * w[e]), net.parameterArray(0)[e], 1e-15);
    }
    for (int e = 0; e < b.length; e++) {
      assertEquals(b[e] - 0.1 * gb[e], net.parameterArray(1)[e], 1e-15);
    }
    assertArrayEquals(new double[gw.length], net.gradientArray(0));
  }

  @Test
  void adamFirstStepMovesEachParameterByTheLearningRate() {
    Network net = Network.create(3, new int[0], 2, true, 1);
    double[] w = net.parameterArray(0).clone();
    backward(net);
    double[] g = net.gradientArray(0).clone();
    Optimizer adam = Optimizer.adam(0.01, 0);
    adam.step(net);
    assertEquals(1, adam.steps());
    for (int e = 0; e < w.length; e++) {
      assertTrue(Math.abs(g[e]) > 1e-4, "gradient " + e + " is too small for this check: " + g[e]);
      assertEquals(w[e] - 0.01 * Math.signum(g[e]), net.parameterArray(0)[e], 1e-8);
    }
  }

  @Test
  void stateRoundTripsThroughTensorsAndJavaSerialization() throws Exception {
    Network net = Network.create(3, new int[] {4}, 2, false, 1);
    Optimizer adam = Optimizer.adam(0.01, 1e-3);
    assertEquals(List.of("step"), adam.state().stream().map(Tensor::name).toList());
    for (int i = 0; i < 3; i++) {
      backward(net);
      adam.step(net);
    }
    List<Tensor> state = adam.state();
    assertEquals(List.of("step", "layer0.weight.m", "layer0.weight.v", "layer0.bias.m", "layer0.bias.v",
        "layer1.weight.m", "layer1.weight.v"), state.stream().map(Tensor::name).toList());
    Optimizer back = Optimizer.fromState("adam", 0.01, 1e-3, state);
    assertEquals(state, back.state());
    assertEquals(3, back.steps());
    Optimizer viaJava = deserialize(serialize(adam), Optimizer.class);
    assertEquals(state, viaJava.state());

    // The restored optimizer continues exactly like the original.
    Network n1 = net.copy();
    Network n2 = net.copy();
    backward(n1);
    backward(n2);
    adam.step(n1);
    back.step(n2);
    assertEquals(n1.parameters(), n2.parameters());
    assertEquals(adam.state(), back.state());

    Optimizer sgd = Optimizer.sgd(0.1, 0);
    sgd.step(net);
    Optimizer sgdBack = Optimizer.fromState("sgd", 0.1, 0, sgd.state());
    assertEquals(1, sgdBack.steps());
  }

  @Test
  void averageTakesWeightedMeanOfMomentsAndMaxStep() {
    Network net = Network.create(3, new int[0], 2, true, 1);
    Optimizer a = Optimizer.adam(0.01, 0);
    backward(net);
    a.step(net);
    Optimizer b = a.copy();
    backward(net);
    b.step(net);
    Optimizer fresh = Optimizer.adam(0.01, 0);
    Optimizer mean = Optimizer.average(List.of(a, b, fresh), new long[] {1, 3, 5});
    assertEquals(2, mean.steps());
    List<Tensor> sa = a.state();
    List<Tensor> sb = b.state();
    List<Tensor> sm = mean.state();
    for (int t = 1; t < sm.size(); t++) {
      double[] va = sa.get(t).values();
      double[] vb = sb.get(t).values();
      double[] vm = sm.get(t).values();
      for (int e = 0; e < vm.length; e++) {
        assertEquals((va[e] + 3 * vb[e]) / 4, vm[e], 1e-18, sm.get(t).name());
      }
    }
    NetworkTest.assertTensorsEqual(
        a.state(), Optimizer.average(List.of(a, a.copy()), new long[] {2, 9}).state(), 1e-15);
  }

  @Test
  void rejectsMismatchesAndMalformedState() {
    Network net = Network.create(3, new int[0], 2, true, 1);
    Optimizer adam = Optimizer.adam(0.01, 0);
    backward(net);
    adam.step(net);
    Network other = Network.create(3, new int[] {2}, 2, true, 1);
    backward(other);
    assertMessage(() -> adam.step(other), "optimizer state is for parameters", "layer1.weight 2x2");
    Network wider = Network.create(4, new int[0], 2, true, 1);
    assertMessage(() -> adam.step(wider), "layer0.weight 2x4");
    assertMessage(() -> Optimizer.average(List.of(adam, Optimizer.sgd(0.01, 0)), new long[] {1, 1}),
        "cannot average different optimizers");
    assertMessage(() -> Optimizer.average(List.of(adam, Optimizer.adam(0.02, 0)), new long[] {1, 1}),
        "cannot average different optimizers");
    assertMessage(() -> Optimizer.adam(0, 0), "learning rate must be positive");
    assertMessage(() -> Optimizer.sgd(0.1, -1), "L2 coefficient");
    List<Tensor> state = adam.state();
    assertMessage(() -> Optimizer.fromState("rmsprop", 0.1, 0, state), "unknown optimizer kind rmsprop");
    assertMessage(() -> Optimizer.fromState("sgd", 0.1, 0, state), "SGD state has only the step tensor");
    assertMessage(() -> Optimizer.fromState("adam", 0.1, 0, state.subList(1, state.size())), "must start with");
    assertMessage(() -> Optimizer.fromState("adam", 0.1, 0, state.subList(0, 2)), "pairs");
    List<Tensor> swapped = new ArrayList<>(state);
    swapped.set(1, state.get(2));
    swapped.set(2, state.get(1));
    assertMessage(() -> Optimizer.fromState("adam", 0.1, 0, swapped), "expected <name>.m, got layer0.weight.v");
    assertMessage(() -> Optimizer.fromState("adam", 0.1, 0, List.of(new Tensor("step", 1, 1, new double[] {1.5}))),
        "non-negative whole number");
  }

  private static void backward(Network net) {
    int n = X.length / net.inputs();
    double[] x = java.util.Arrays.copyOf(X, n * net.inputs());
    double[] out = net.forward(x, n);
    double[] dOut = new double[out.length];
    for (int i = 0; i < dOut.length; i++) {
      dOut[i] = 0.3 * Math.sin(i + 1);
    }
    net.backward(dOut, n);
  }
}
