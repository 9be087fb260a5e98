package io.veil.vfl.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies a {@link Network}'s accumulated gradients to its parameters: plain SGD or Adam (beta1 0.9, beta2 0.999, eps
 * 1e-8), both with optional L2 regularisation of the weights (not the biases), added to the gradient as {@code l2 *
 * weight}.
 *
 * <p>An optimizer's state (the step count and, for Adam, the first and second moments) belongs to one network, or to
 * copies of one network: create one optimizer per network. The state is bound to the network's shape on the first
 * {@link #step}; stepping a network of another shape is an error. {@link #state()} and {@link #fromState} carry it
 * between Spark tasks and the driver, {@link #average} merges the copies trained on several partitions.
 */
public final class Optimizer implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The kind of plain stochastic gradient descent. */
  public static final String SGD = "sgd";
  /** The kind of Adam. */
  public static final String ADAM = "adam";

  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double EPS = 1e-8;
  private static final String STEP = "step";

  private final String kind;
  private final double learningRate;
  private final double l2;
  private long steps;
  /** Adam moments in the network's tensor order, with the network's tensor names and shapes; null before a step. */
  private Shape[] shapes;
  private double[][] m;
  private double[][] v;

  private Optimizer(String kind, double learningRate, double l2) {
    if (!SGD.equals(kind) && !ADAM.equals(kind)) {
      throw new IllegalArgumentException("unknown optimizer kind " + kind + "; expected " + SGD + " or " + ADAM);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("the learning rate must be positive and finite, got " + learningRate);
    }
    if (!(l2 >= 0) || Double.isInfinite(l2)) {
      throw new IllegalArgumentException("the L2 coefficient must be non-negative and finite, got " + l2);
    }
    this.kind = kind;
    this.learningRate = learningRate;
    this.l2 = l2;
  }

  /** Plain SGD: parameter -= learningRate * (gradient + l2 * weight). */
  public static Optimizer sgd(double learningRate, double l2) {
    return new Optimizer(SGD, learningRate, l2);
  }

  /** Adam (Kingma and Ba) with bias correction, beta1 0.9, beta2 0.999, eps 1e-8. */
  public static Optimizer adam(double learningRate, double l2) {
    return new Optimizer(ADAM, learningRate, l2);
  }

  /** {@link #SGD} or {@link #ADAM}. */
  public String kind() {
    return kind;
  }

  /** The learning rate. */
  public double learningRate() {
    return learningRate;
  }

  /** The L2 coefficient applied to weights. */
  public double l2() {
    return l2;
  }

  /** The number of steps taken. */
  public long steps() {
    return steps;
  }

  /** Updates {@code net}'s parameters from its accumulated gradients, then zeroes the gradients. */
  public void step(Network net) {
    if (net == null) {
      throw new IllegalArgumentException("no network to step");
    }
    bind(net);
    steps++;
    boolean adam = ADAM.equals(kind);
    double c1 = adam ? 1 - Math.pow(BETA1, steps) : 1;
    double c2 = adam ? 1 - Math.pow(BETA2, steps) : 1;
    for (int t = 0; t < net.tensorCount(); t++) {
      double[] p = net.parameterArray(t);
      double[] g = net.gradientArray(t);
      double decay = net.isWeight(t) ? l2 : 0;
      if (!adam) {
        for (int e = 0; e < p.length; e++) {
          p[e] -= learningRate * (g[e] + decay * p[e]);
        }
        continue;
      }
      double[] mt = m[t];
      double[] vt = v[t];
      for (int e = 0; e < p.length; e++) {
        double grad = g[e] + decay * p[e];
        mt[e] = BETA1 * mt[e] + (1 - BETA1) * grad;
        vt[e] = BETA2 * vt[e] + (1 - BETA2) * grad * grad;
        p[e] -= learningRate * (mt[e] / c1) / (Math.sqrt(vt[e] / c2) + EPS);
      }
    }
    net.zeroGradients();
  }

  /** An independent deep copy. */
  public Optimizer copy() {
    Optimizer o = new Optimizer(kind, learningRate, l2);
    o.steps = steps;
    if (shapes != null) {
      o.shapes = shapes.clone();
      o.m = deepCopy(m);
      o.v = deepCopy(v);
    }
    return o;
  }

  /**
   * The weighted mean of optimizers of one kind, learning rate and L2 coefficient, e.g. copies used on Spark
   * partitions weighted by their rows. The step count is the largest one; Adam moments are the weighted mean over the
   * optimizers that have taken a step (one that has not carries no moments).
   */
  public static Optimizer average(List<Optimizer> optimizers, long[] weights) {
    Network.checkWeights(optimizers, weights, "optimizer");
    Optimizer first = optimizers.get(0);
    Optimizer mean = new Optimizer(first.kind, first.learningRate, first.l2);
    double total = 0;
    for (int i = 0; i < optimizers.size(); i++) {
      Optimizer o = optimizers.get(i);
      if (!o.kind.equals(first.kind) || o.learningRate != first.learningRate || o.l2 != first.l2) {
        throw new IllegalArgumentException("cannot average different optimizers: optimizer " + i + " is " + o
            + ", optimizer 0 is " + first);
      }
      mean.steps = Math.max(mean.steps, o.steps);
      if (o.shapes == null) {
        continue;
      }
      if (mean.shapes == null) {
        mean.shapes = o.shapes.clone();
        mean.m = zerosLike(o.m);
        mean.v = zerosLike(o.v);
      } else {
        requireSameShapes(mean.shapes, o.shapes, "optimizer " + i);
      }
      total += weights[i];
      for (int t = 0; t < mean.m.length; t++) {
        Network.addScaled(mean.m[t], o.m[t], weights[i]);
        Network.addScaled(mean.v[t], o.v[t], weights[i]);
      }
    }
    if (mean.shapes != null) {
      if (total == 0) {
        throw new IllegalArgumentException("the optimizers with Adam moments all have weight zero");
      }
      for (int t = 0; t < mean.m.length; t++) {
        Network.divide(mean.m[t], total);
        Network.divide(mean.v[t], total);
      }
    }
    return mean;
  }

  /**
   * The state as tensors: {@code step} (1 x 1, the step count), then for Adam after its first step {@code <name>.m}
   * and {@code <name>.v} for each of the network's parameter tensors, shaped like it.
   */
  public List<Tensor> state() {
    List<Tensor> tensors = new ArrayList<>();
    tensors.add(new Tensor(STEP, 1, 1, new double[] {steps}));
    if (shapes != null) {
      for (int t = 0; t < shapes.length; t++) {
        tensors.add(new Tensor(shapes[t].name() + ".m", shapes[t].rows(), shapes[t].cols(), m[t]));
        tensors.add(new Tensor(shapes[t].name() + ".v", shapes[t].rows(), shapes[t].cols(), v[t]));
      }
    }
    return tensors;
  }

  /** The optimizer whose {@link #kind()}, {@link #learningRate()}, {@link #l2()} and {@link #state()} are given. */
  public static Optimizer fromState(String kind, double learningRate, double l2, List<Tensor> state) {
    Optimizer o = new Optimizer(kind, learningRate, l2);
    if (state == null || state.isEmpty() || state.get(0) == null || !state.get(0).name().equals(STEP)) {
      throw new IllegalArgumentException("optimizer state must start with a 1 x 1 tensor named " + STEP);
    }
    Tensor step = state.get(0);
    double count = step.valuesView()[0];
    if (step.rows() != 1 || step.cols() != 1 || !(count >= 0) || count != Math.rint(count)) {
      throw new IllegalArgumentException("the step tensor must be 1 x 1 holding a non-negative whole number, got "
          + step + (step.valuesView().length > 0 ? " = " + count : ""));
    }
    o.steps = (long) count;
    if (state.size() == 1) {
      return o;
    }
    if (SGD.equals(kind)) {
      throw new IllegalArgumentException("SGD state has only the step tensor, got " + state.size() + " tensors");
    }
    if (state.size() % 2 != 1) {
      throw new IllegalArgumentException("Adam state is the step tensor then pairs <name>.m, <name>.v; got "
          + state.size() + " tensors");
    }
    int count2 = (state.size() - 1) / 2;
    o.shapes = new Shape[count2];
    o.m = new double[count2][];
    o.v = new double[count2][];
    for (int t = 0; t < count2; t++) {
      Tensor mt = state.get(1 + 2 * t);
      Tensor vt = state.get(2 + 2 * t);
      if (mt == null || vt == null) {
        throw new IllegalArgumentException("optimizer state tensor " + (mt == null ? 1 + 2 * t : 2 + 2 * t)
            + " is null");
      }
      if (!mt.name().endsWith(".m")) {
        throw new IllegalArgumentException("optimizer state tensor " + (1 + 2 * t) + ": expected <name>.m, got "
            + mt.name());
      }
      String name = mt.name().substring(0, mt.name().length() - 2);
      if (!vt.name().equals(name + ".v") || vt.rows() != mt.rows() || vt.cols() != mt.cols()) {
        throw new IllegalArgumentException("optimizer state tensor " + (2 + 2 * t) + ": expected " + name + ".v of "
            + mt.rows() + " x " + mt.cols() + ", got " + vt);
      }
      o.shapes[t] = shapeOf(name, mt.rows(), mt.cols());
      o.m[t] = mt.values();
      o.v[t] = vt.values();
    }
    return o;
  }

  @Override
  public String toString() {
    return "Optimizer[" + kind + ", learning rate " + learningRate + ", l2 " + l2 + ", " + steps + " steps]";
  }

  /** Allocates Adam moments for {@code net} on the first step, or checks that it has the shapes they were made for. */
  private void bind(Network net) {
    if (!ADAM.equals(kind)) {
      return;
    }
    Shape[] netShapes = new Shape[net.tensorCount()];
    for (int t = 0; t < netShapes.length; t++) {
      netShapes[t] = shapeOf(net.tensorName(t), net.tensorRows(t), net.tensorCols(t));
    }
    if (shapes == null) {
      shapes = netShapes;
      m = new double[netShapes.length][];
      v = new double[netShapes.length][];
      for (int t = 0; t < netShapes.length; t++) {
        m[t] = new double[net.parameterArray(t).length];
        v[t] = new double[net.parameterArray(t).length];
      }
    } else {
      requireSameShapes(shapes, netShapes, "network " + net.shape());
    }
  }

  /** The name and shape of a parameter tensor. */
  private record Shape(String name, int rows, int cols) implements Serializable {}

  private static Shape shapeOf(String name, int rows, int cols) {
    return new Shape(name, rows, cols);
  }

  private static void requireSameShapes(Shape[] expected, Shape[] actual, String what) {
    boolean same = expected.length == actual.length;
    for (int t = 0; same && t < expected.length; t++) {
      same = expected[t].equals(actual[t]);
    }
    if (!same) {
      throw new IllegalArgumentException("optimizer state is for parameters " + describe(expected) + " but " + what
          + " has " + describe(actual));
    }
  }

  private static String describe(Shape[] shapes) {
    List<String> names = new ArrayList<>();
    for (Shape s : shapes) {
      names.add(s.name() + " " + s.rows() + "x" + s.cols());
    }
    return names.toString();
  }

  private static double[][] deepCopy(double[][] a) {
    double[][] c = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      c[i] = a[i].clone();
    }
    return c;
  }

  private static double[][] zerosLike(double[][] a) {
    double[][] z = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      z[i] = new double[a[i].length];
    }
    return z;
  }
}
