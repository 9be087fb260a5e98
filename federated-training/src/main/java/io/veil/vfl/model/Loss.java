package io.veil.vfl.model;

/**
 * Binary cross-entropy on logits, the label party's loss in split learning: the sigmoid, the mean loss over a batch
 * and its gradient with respect to the logits. All functions are numerically stable for large |logit|.
 */
public final class Loss {
  private Loss() {}

  /** The elementwise logistic function 1 / (1 + e^-z), computed without overflow. */
  public static double[] sigmoid(double[] logits) {
    requireNonNull(logits, "logits");
    double[] p = new double[logits.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = sigmoid(logits[i]);
    }
    return p;
  }

  /**
   * The mean over rows of -y log(sigmoid(z)) - (1 - y) log(1 - sigmoid(z)), computed stably as max(z, 0) - z y +
   * log1p(e^-|z|).
   *
   * @param logits one logit per row
   * @param labels one label in [0, 1] per row
   */
  public static double binaryCrossEntropy(double[] logits, double[] labels) {
    int n = checkBatch(logits, labels);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double z = logits[i];
      sum += Math.max(z, 0) - z * labels[i] + Math.log1p(Math.exp(-Math.abs(z)));
    }
    return sum / n;
  }

  /** The gradient of {@link #binaryCrossEntropy} with respect to the logits: (sigmoid(z) - y) / n per row. */
  public static double[] bceGradient(double[] logits, double[] labels) {
    int n = checkBatch(logits, labels);
    double[] g = new double[n];
    for (int i = 0; i < n; i++) {
      g[i] = (sigmoid(logits[i]) - labels[i]) / n;
    }
    return g;
  }

  static double sigmoid(double z) {
    if (z >= 0) {
      return 1 / (1 + Math.exp(-z));
    }
    double e = Math.exp(z);
    return e / (1 + e);
  }

  private static int checkBatch(double[] logits, double[] labels) {
    requireNonNull(logits, "logits");
    requireNonNull(labels, "labels");
    if (logits.length != labels.length) {
      throw new IllegalArgumentException(
          "logits and labels differ in length: " + logits.length + " logits, " + labels.length + " labels");
    }
    if (logits.length == 0) {
      throw new IllegalArgumentException("the loss of an empty batch is undefined");
    }
    for (int i = 0; i < labels.length; i++) {
      if (!(labels[i] >= 0 && labels[i] <= 1)) {
        throw new IllegalArgumentException("label " + i + " is " + labels[i] + "; labels must lie in [0, 1]");
      }
    }
    return logits.length;
  }

  private static void requireNonNull(double[] a, String what) {
    if (a == null) {
      throw new IllegalArgumentException(what + " are missing");
    }
  }
}
