package io.veil.job;

import java.util.Objects;

/**
 * One line of an operator's leakage statement: what {@code role} learns beyond its own output in a
 * job with given settings (semi-honest parties). An operator states its leakage with
 * {@link SecureOperator#leakage}; the README's leakage tables say the same per operator, with the
 * tests that hold the implementation to it, and {@code veil report} prints the statement of the
 * job's operator.
 *
 * @param role who learns it, e.g. {@code result party (regulator)} or {@code Kafka operator / network}
 * @param learns what it learns, one sentence
 */
public record Leakage(String role, String learns) {
  public Leakage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(learns, "learns");
  }
}
