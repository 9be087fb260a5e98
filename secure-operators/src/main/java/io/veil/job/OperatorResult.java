package io.veil.job;

import io.veil.channel.RoundSummary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What an operator produced at one party. Build with {@link #builder()}.
 *
 * <ul>
 *   <li>{@link #output()}: the result table where this party receives one (the runtime writes it
 *       where the spec says and commits to it);
 *   <li>{@link #figures()}: result figures recorded in the receipt (e.g. {@code intersectionSize});
 *   <li>{@link #display()}: labelled figures for the job summary, in order (empty: the
 *       operator's {@link SecureOperator#display} makes them from the figures);
 *   <li>{@link #rounds()}: every round this party sent or received, numbered in the receipt by
 *       the position of its step in {@link #steps()} (the same at every party);
 *   <li>{@link #details()}: the operator's own typed result, for code that calls the runtime.
 * </ul>
 */
public final class OperatorResult {
  private final Optional<Dataset<Row>> output;
  private final long inputRows;
  private final Map<String, String> figures;
  private final Map<String, String> display;
  private final List<RoundSummary> rounds;
  private final List<String> steps;
  private final Object details;

  private OperatorResult(Builder b) {
    this.output = Optional.ofNullable(b.output);
    this.inputRows = b.inputRows;
    this.figures = Map.copyOf(b.figures);
    this.display = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.display));
    this.rounds = List.copyOf(b.rounds);
    this.steps = List.copyOf(b.steps);
    this.details = b.details;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Optional<Dataset<Row>> output() {
    return output;
  }

  public long inputRows() {
    return inputRows;
  }

  public Map<String, String> figures() {
    return new TreeMap<>(figures);
  }

  public Map<String, String> display() {
    return display;
  }

  public List<RoundSummary> rounds() {
    return rounds;
  }

  public List<String> steps() {
    return steps;
  }

  /** The operator's typed result (null if it gives none). */
  public Object details() {
    return details;
  }

  /** Builds an {@link OperatorResult}. */
  public static final class Builder {
    private Dataset<Row> output;
    private long inputRows;
    private final Map<String, String> figures = new TreeMap<>();
    private final Map<String, String> display = new LinkedHashMap<>();
    private final List<RoundSummary> rounds = new ArrayList<>();
    private final List<String> steps = new ArrayList<>();
    private Object details;

    private Builder() {}

    /** The result table this party receives (null: none). */
    public Builder output(Dataset<Row> table) {
      this.output = table;
      return this;
    }

    /** Rows read from this party's input. */
    public Builder inputRows(long rows) {
      this.inputRows = rows;
      return this;
    }

    /** A figure for the receipt. */
    public Builder figure(String key, Object value) {
      figures.put(key, String.valueOf(value));
      return this;
    }

    /** A labelled figure for the summary. */
    public Builder display(String label, Object value) {
      display.put(label, String.valueOf(value));
      return this;
    }

    /** Rounds this party sent or received, and the order of the job's steps. */
    public Builder rounds(List<RoundSummary> list, List<String> stepOrder) {
      rounds.addAll(list);
      steps.addAll(stepOrder);
      return this;
    }

    /** The operator's typed result. */
    public Builder details(Object value) {
      this.details = value;
      return this;
    }

    public OperatorResult build() {
      for (RoundSummary r : rounds) {
        if (!steps.contains(r.step())) {
          throw new IllegalStateException("round of step '" + r.step() + "' is not in the step order " + steps);
        }
      }
      return new OperatorResult(this);
    }
  }
}
