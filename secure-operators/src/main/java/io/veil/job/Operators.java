package io.veil.job;

import io.veil.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The registry of {@link SecureOperator}s: every implementation on the classpath named in {@code
 * META-INF/services/io.veil.job.SecureOperator}, found once per class loader.
 */
public final class Operators {
  private static final Map<ClassLoader, Map<String, SecureOperator>> CACHE = new java.util.WeakHashMap<>();

  private Operators() {}

  /** Every registered operator by name, sorted. */
  public static synchronized Map<String, SecureOperator> all() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl == null) {
      cl = Operators.class.getClassLoader();
    }
    return CACHE.computeIfAbsent(cl, Operators::load);
  }

  /** Operator names, sorted. */
  public static List<String> names() {
    return new ArrayList<>(all().keySet());
  }

  /**
   * The operator called {@code name}.
   *
   * @throws InvalidInputException listing the operators this Veil runs
   */
  public static SecureOperator find(String name) {
    SecureOperator op = all().get(name);
    if (op == null) {
      throw new InvalidInputException("Cannot find operator '" + name + "': this Veil runs "
          + String.join(", ", names()) + ". Fix the spec's 'operator', or put the jar of the operator on the "
          + "classpath.");
    }
    return op;
  }

  private static Map<String, SecureOperator> load(ClassLoader cl) {
    Map<String, SecureOperator> out = new TreeMap<>();
    Map<String, String> sections = new TreeMap<>();
    java.util.Iterator<SecureOperator> it = ServiceLoader.load(SecureOperator.class, cl).iterator();
    while (true) {
      SecureOperator op;
      try {
        if (!it.hasNext()) {
          break;
        }
        op = it.next();
      } catch (java.util.ServiceConfigurationError e) {
        throw new io.veil.VeilException("Cannot load Veil's operators: " + e.getMessage() + (e.getCause() == null
            ? "" : " (" + e.getCause() + ")") + ". Operators run on Spark: run Veil with Spark 3.5 on the classpath "
            + "(spark-submit, or bin/veil).", e);
      }
      if (!op.name().matches("[a-z][a-z0-9-]{0,62}")) {
        throw new IllegalStateException("operator " + op.getClass().getName() + " has an invalid name '"
            + op.name() + "'");
      }
      SecureOperator before = out.putIfAbsent(op.name(), op);
      if (before != null && before.getClass() != op.getClass()) {
        throw new IllegalStateException("two operators are called '" + op.name() + "': "
            + before.getClass().getName() + " and " + op.getClass().getName());
      }
      String other = sections.putIfAbsent(op.section(), op.name());
      if (other != null && !other.equals(op.name())) {
        throw new IllegalStateException("operators '" + other + "' and '" + op.name() + "' both read section '"
            + op.section() + "'");
      }
    }
    return java.util.Collections.unmodifiableMap(out);
  }
}
