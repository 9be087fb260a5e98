package io.veil.vfl.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small dense feed-forward network: the "bottom" model of a data party or the "top" model of the label party in
 * split learning. Hidden layers apply ReLU, the output layer is linear (identity). Every hidden layer has a bias; the
 * output layer has one if asked for.
 *
 * <p>Layer k maps {@code sizes[k]} inputs to {@code sizes[k+1]} outputs with a weight matrix of shape outputs x inputs
 * (tensor {@code layer<k>.weight}) and an optional bias of shape 1 x outputs ({@code layer<k>.bias}).
 *
 * <p>Not thread-safe: {@link #forward} keeps the activations that the following {@link #backward} needs, and
 * {@link #backward} adds to gradients held in the network until an {@link Optimizer} applies them or {@link
 * #zeroGradients} discards them. Batches are row-major {@code double[]} arrays.
 */
public final class Network implements Serializable {
  private static final long serialVersionUID = 1L;

  /** sizes[0] inputs, sizes[1..L-1] hidden widths, sizes[L] outputs. */
  private final int[] sizes;
  private final boolean outputBias;
  /** Parameter tensors in {@link #parameters()} order: layer k's weight at weightIndex[k], its bias at biasIndex[k]. */
  private final double[][] params;
  private final double[][] grads;
  private final int[] weightIndex;
  private final int[] biasIndex;

  /** acts[k]: the input of layer k (acts[0] a copy of x); acts[L] the output. Capacity rows each. */
  private transient double[][] acts;
  private transient double[] scratchA;
  private transient double[] scratchB;
  private transient int capacity;
  private transient int lastRows;
  private transient boolean forwardDone;

  private Network(int[] sizes, boolean outputBias) {
    this.sizes = sizes;
    this.outputBias = outputBias;
    int layers = sizes.length - 1;
    weightIndex = new int[layers];
    biasIndex = new int[layers];
    List<double[]> p = new ArrayList<>();
    for (int k = 0; k < layers; k++) {
      weightIndex[k] = p.size();
      p.add(new double[sizes[k + 1] * sizes[k]]);
      biasIndex[k] = -1;
      if (k < layers - 1 || outputBias) {
        biasIndex[k] = p.size();
        p.add(new double[sizes[k + 1]]);
      }
    }
    params = p.toArray(new double[0][]);
    grads = new double[params.length][];
    for (int t = 0; t < params.length; t++) {
      grads[t] = new double[params[t].length];
    }
  }

  /**
   * A new network with weights drawn deterministically from {@code seed} (He-uniform for layers followed by ReLU,
   * Xavier-uniform for the output layer) and zero biases.
   *
   * @param inputs the number of input columns, at least 1
   * @param hidden the widths of the hidden layers (ReLU), each at least 1; empty for a linear model
   * @param outputs the number of outputs per row, at least 1
   * @param outputBias whether the output layer has a bias
   * @param seed the seed of the initial weights
   */
  public static Network create(int inputs, int[] hidden, int outputs, boolean outputBias, long seed) {
    if (inputs < 1) {
      throw new IllegalArgumentException("a network needs at least 1 input, got " + inputs);
    }
    if (outputs < 1) {
      throw new IllegalArgumentException("a network needs at least 1 output, got " + outputs);
    }
    if (hidden == null) {
      throw new IllegalArgumentException("hidden layer widths are missing (use new int[0] for none)");
    }
    int[] sizes = new int[hidden.length + 2];
    sizes[0] = inputs;
    for (int i = 0; i < hidden.length; i++) {
      if (hidden[i] < 1) {
        throw new IllegalArgumentException(
            "hidden layer " + i + " has width " + hidden[i] + "; widths must be at least 1");
      }
      sizes[i + 1] = hidden[i];
    }
    sizes[sizes.length - 1] = outputs;
    Network net = new Network(sizes, outputBias);
    SplittableRandom random = new SplittableRandom(seed);
    int layers = sizes.length - 1;
    for (int k = 0; k < layers; k++) {
      int in = sizes[k];
      int out = sizes[k + 1];
      double limit = k < layers - 1 ? Math.sqrt(6.0 / in) : Math.sqrt(6.0 / (in + out));
      double[] w = net.params[net.weightIndex[k]];
      for (int i = 0; i < w.length; i++) {
        w[i] = random.nextDouble(-limit, limit);
      }
    }
    return net;
  }

  /** The number of input columns. */
  public int inputs() {
    return sizes[0];
  }

  /** The number of outputs per row. */
  public int outputs() {
    return sizes[sizes.length - 1];
  }

  /** The number of trainable parameters (weights and biases). */
  public long parameterCount() {
    long count = 0;
    for (double[] p : params) {
      count += p.length;
    }
    return count;
  }

  /**
   * Runs the network on a batch and keeps the activations for {@link #backward}.
   *
   * @param x n rows x {@link #inputs()} values, row-major
   * @param n the number of rows, at least 0
   * @return n rows x {@link #outputs()} values, row-major
   */
  public double[] forward(double[] x, int n) {
    if (n < 0) {
      throw new IllegalArgumentException("the number of rows must not be negative, got " + n);
    }
    if (x == null || x.length != (long) n * sizes[0]) {
      throw new IllegalArgumentException("forward: " + n + " rows x " + sizes[0] + " inputs need " + (long) n * sizes[0]
          + " values, got " + (x == null ? "none" : String.valueOf(x.length)));
    }
    ensureCapacity(n);
    System.arraycopy(x, 0, acts[0], 0, n * sizes[0]);
    int layers = sizes.length - 1;
    for (int k = 0; k < layers; k++) {
      int in = sizes[k];
      int out = sizes[k + 1];
      double[] a = acts[k];
      double[] o = acts[k + 1];
      double[] w = params[weightIndex[k]];
      double[] b = biasIndex[k] < 0 ? null : params[biasIndex[k]];
      boolean relu = k < layers - 1;
      for (int r = 0; r < n; r++) {
        int ai = r * in;
        int oi = r * out;
        for (int j = 0; j < out; j++) {
          double s = b == null ? 0 : b[j];
          int wi = j * in;
          for (int i = 0; i < in; i++) {
            s += a[ai + i] * w[wi + i];
          }
          o[oi + j] = relu && s < 0 ? 0 : s;
        }
      }
    }
    lastRows = n;
    forwardDone = true;
    return Arrays.copyOf(acts[layers], n * outputs());
  }

  /**
   * Back-propagates through the last {@link #forward}: adds dLoss/dParameters to the accumulated gradients and returns
   * dLoss/dInput.
   *
   * @param dOut dLoss/dOutput, n rows x {@link #outputs()}, already scaled as the caller wants (e.g. by 1/batch)
   * @param n the number of rows, as in the last forward
   * @return dLoss/dInput, n rows x {@link #inputs()}, row-major
   */
  public double[] backward(double[] dOut, int n) {
    if (!forwardDone) {
      throw new IllegalStateException("backward needs a forward first");
    }
    if (n != lastRows) {
      throw new IllegalArgumentException("backward of " + n + " rows after a forward of " + lastRows + " rows");
    }
    if (dOut == null || dOut.length != (long) n * outputs()) {
      throw new IllegalArgumentException("backward: " + n + " rows x " + outputs() + " outputs need " + n * outputs()
          + " gradient values, got " + (dOut == null ? "none" : String.valueOf(dOut.length)));
    }
    int layers = sizes.length - 1;
    double[] cur = scratchA;
    double[] next = scratchB;
    System.arraycopy(dOut, 0, cur, 0, dOut.length);
    for (int k = layers - 1; k >= 0; k--) {
      int in = sizes[k];
      int out = sizes[k + 1];
      if (k < layers - 1) {
        double[] o = acts[k + 1];
        for (int idx = 0, end = n * out; idx < end; idx++) {
          if (o[idx] <= 0) {
            cur[idx] = 0;
          }
        }
      }
      double[] a = acts[k];
      double[] w = params[weightIndex[k]];
      double[] gw = grads[weightIndex[k]];
      double[] gb = biasIndex[k] < 0 ? null : grads[biasIndex[k]];
      Arrays.fill(next, 0, n * in, 0);
      for (int r = 0; r < n; r++) {
        int ai = r * in;
        int oi = r * out;
        for (int j = 0; j < out; j++) {
          double d = cur[oi + j];
          if (d == 0) {
            continue;
          }
          if (gb != null) {
            gb[j] += d;
          }
          int wi = j * in;
          for (int i = 0; i < in; i++) {
            gw[wi + i] += d * a[ai + i];
            next[ai + i] += d * w[wi + i];
          }
        }
      }
      double[] swap = cur;
      cur = next;
      next = swap;
    }
    return Arrays.copyOf(cur, n * inputs());
  }

  /** Discards the accumulated gradients. */
  public void zeroGradients() {
    for (double[] g : grads) {
      Arrays.fill(g, 0);
    }
  }

  /** The parameters as tensors, in order {@code layer0.weight}, {@code layer0.bias}, {@code layer1.weight}, ... */
  public List<Tensor> parameters() {
    List<Tensor> tensors = new ArrayList<>(params.length);
    for (int t = 0; t < params.length; t++) {
      tensors.add(new Tensor(tensorName(t), tensorRows(t), tensorCols(t), params[t]));
    }
    return tensors;
  }

  /**
   * The network whose {@link #parameters()} are {@code tensors}: layer k's weight (outputs x inputs, inputs matching
   * layer k-1's outputs) followed by its bias (1 x outputs), which only the last layer may omit.
   */
  public static Network fromTensors(List<Tensor> tensors) {
    if (tensors == null || tensors.isEmpty()) {
      throw new IllegalArgumentException("a network needs at least one tensor (layer0.weight)");
    }
    List<Integer> sizes = new ArrayList<>();
    List<double[]> values = new ArrayList<>();
    boolean outputBias = true;
    int idx = 0;
    for (int k = 0; idx < tensors.size(); k++) {
      Tensor w = tensorAt(tensors, idx);
      String weightName = "layer" + k + ".weight";
      if (!w.name().equals(weightName)) {
        throw new IllegalArgumentException("tensor " + idx + ": expected " + weightName + ", got " + w.name());
      }
      if (k == 0) {
        sizes.add(w.cols());
      } else if (w.cols() != sizes.get(k)) {
        throw new IllegalArgumentException(weightName + " has " + w.cols() + " columns (inputs) but layer" + (k - 1)
            + " has " + sizes.get(k) + " outputs");
      }
      sizes.add(w.rows());
      values.add(w.valuesView());
      idx++;
      String biasName = "layer" + k + ".bias";
      if (idx < tensors.size() && tensorAt(tensors, idx).name().equals(biasName)) {
        Tensor b = tensors.get(idx);
        if (b.rows() != 1 || b.cols() != w.rows()) {
          throw new IllegalArgumentException(biasName + " must be 1 x " + w.rows() + ", got " + b.rows() + " x "
              + b.cols());
        }
        values.add(b.valuesView());
        idx++;
      } else if (idx < tensors.size()) {
        String nextName = tensors.get(idx).name();
        if (nextName.equals("layer" + (k + 1) + ".weight")) {
          throw new IllegalArgumentException("layer" + k + " has no bias; only the output layer may omit its bias");
        }
        throw new IllegalArgumentException("tensor " + idx + ": expected " + biasName + " or layer" + (k + 1)
            + ".weight, got " + nextName);
      } else {
        outputBias = false;
      }
    }
    Network net = new Network(sizes.stream().mapToInt(Integer::intValue).toArray(), outputBias);
    for (int t = 0; t < net.params.length; t++) {
      System.arraycopy(values.get(t), 0, net.params[t], 0, net.params[t].length);
    }
    return net;
  }

  /** An independent deep copy: the same parameters and accumulated gradients, none of the forward state. */
  public Network copy() {
    Network net = new Network(sizes.clone(), outputBias);
    for (int t = 0; t < params.length; t++) {
      System.arraycopy(params[t], 0, net.params[t], 0, params[t].length);
      System.arraycopy(grads[t], 0, net.grads[t], 0, grads[t].length);
    }
    return net;
  }

  /**
   * The weighted mean of networks of the same shape, e.g. copies trained on Spark partitions weighted by their rows.
   * The result has zero gradients.
   *
   * @param nets networks of identical shape
   * @param weights one non-negative weight per network, not all zero
   */
  public static Network average(List<Network> nets, long[] weights) {
    double total = checkWeights(nets, weights, "network");
    Network first = nets.get(0);
    for (int i = 1; i < nets.size(); i++) {
      Network other = nets.get(i);
      if (!Arrays.equals(first.sizes, other.sizes) || first.outputBias != other.outputBias) {
        throw new IllegalArgumentException("cannot average networks of different shapes: network " + i + " is "
            + other.shape() + ", network 0 is " + first.shape());
      }
    }
    Network mean = new Network(first.sizes.clone(), first.outputBias);
    for (int i = 0; i < nets.size(); i++) {
      for (int t = 0; t < mean.params.length; t++) {
        addScaled(mean.params[t], nets.get(i).params[t], weights[i]);
      }
    }
    for (double[] p : mean.params) {
      divide(p, total);
    }
    return mean;
  }

  /** The layer sizes and output bias, e.g. {@code 5-4-2 (output bias: no)}. */
  public String shape() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < sizes.length; i++) {
      s.append(i == 0 ? "" : "-").append(sizes[i]);
    }
    return s.append(" (output bias: ").append(outputBias ? "yes" : "no").append(')').toString();
  }

  @Override
  public String toString() {
    return "Network[" + shape() + ", " + parameterCount() + " parameters]";
  }

  // Package-private views for the Optimizer (and tests): tensor t in parameters() order.

  int tensorCount() {
    return params.length;
  }

  double[] parameterArray(int t) {
    return params[t];
  }

  double[] gradientArray(int t) {
    return grads[t];
  }

  boolean isWeight(int t) {
    return !isBias(t);
  }

  String tensorName(int t) {
    int k = layerOf(t);
    return "layer" + k + (isBias(t) ? ".bias" : ".weight");
  }

  int tensorRows(int t) {
    return isBias(t) ? 1 : sizes[layerOf(t) + 1];
  }

  int tensorCols(int t) {
    return isBias(t) ? sizes[layerOf(t) + 1] : sizes[layerOf(t)];
  }

  private boolean isBias(int t) {
    for (int b : biasIndex) {
      if (b == t) {
        return true;
      }
    }
    return false;
  }

  private int layerOf(int t) {
    for (int k = weightIndex.length - 1; k >= 0; k--) {
      if (weightIndex[k] <= t) {
        return k;
      }
    }
    throw new IndexOutOfBoundsException("tensor " + t);
  }

  private static Tensor tensorAt(List<Tensor> tensors, int idx) {
    Tensor t = tensors.get(idx);
    if (t == null) {
      throw new IllegalArgumentException("tensor " + idx + " is null");
    }
    return t;
  }

  private void ensureCapacity(int n) {
    if (acts != null && capacity >= n) {
      return;
    }
    int cap = Math.max(n, 1);
    acts = new double[sizes.length][];
    int widest = 0;
    for (int k = 0; k < sizes.length; k++) {
      acts[k] = new double[cap * sizes[k]];
      widest = Math.max(widest, sizes[k]);
    }
    scratchA = new double[cap * widest];
    scratchB = new double[cap * widest];
    capacity = cap;
  }

  /** dst += w * src, elementwise. */
  static void addScaled(double[] dst, double[] src, double w) {
    if (w == 0) {
      return;
    }
    for (int e = 0; e < dst.length; e++) {
      dst[e] += w * src[e];
    }
  }

  /** a /= d, elementwise. */
  static void divide(double[] a, double d) {
    for (int e = 0; e < a.length; e++) {
      a[e] /= d;
    }
  }

  /** Validates averaging weights (one per item, non-negative, not all zero) and returns their sum. */
  static double checkWeights(List<?> items, long[] weights, String what) {
    if (items == null || items.isEmpty()) {
      throw new IllegalArgumentException("nothing to average: no " + what + "s given");
    }
    if (weights == null || weights.length != items.size()) {
      throw new IllegalArgumentException("averaging " + items.size() + " " + what + "s needs " + items.size()
          + " weights, got " + (weights == null ? "none" : String.valueOf(weights.length)));
    }
    double total = 0;
    for (int i = 0; i < weights.length; i++) {
      if (items.get(i) == null) {
        throw new IllegalArgumentException(what + " " + i + " is null");
      }
      if (weights[i] < 0) {
        throw new IllegalArgumentException("weight " + i + " is " + weights[i] + "; weights must not be negative");
      }
      total += weights[i];
    }
    if (total == 0) {
      throw new IllegalArgumentException("the weights sum to zero");
    }
    return total;
  }
}
