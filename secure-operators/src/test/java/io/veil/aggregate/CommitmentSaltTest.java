package io.veil.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.aggregate.internal.CommittedScan;
import io.veil.job.OperatorContext;
import io.veil.job.SecureOperator;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The aggregation operators commit to their input under the runtime's per-job salt only: their
 * public API has no entry point that runs them outside the runtime (where a caller could leave the
 * salt out, as the removed overloads did with an all-zero one), and the shared committing scan
 * refuses a missing, short or all-zero salt.
 */
class CommitmentSaltTest {
  private static final List<Class<?>> OPERATORS = List.of(AggregateOperator.class, FeatureAggregation.class);

  @Test
  void theOperatorsRunOnlyThroughTheRuntime() {
    Set<String> runtime = Arrays.stream(SecureOperator.class.getMethods()).map(Method::getName)
        .collect(java.util.stream.Collectors.toSet());
    for (Class<?> op : OPERATORS) {
      assertThat(SecureOperator.class).isAssignableFrom(op);
      List<String> extra = new ArrayList<>();
      for (Method m : op.getDeclaredMethods()) {
        if (!Modifier.isPublic(m.getModifiers()) || m.isSynthetic()) {
          continue;
        }
        boolean isRuntime = !Modifier.isStatic(m.getModifiers()) && runtime.contains(m.getName())
            && (!m.getName().equals("run") || Arrays.equals(m.getParameterTypes(), new Class<?>[] {OperatorContext.class}));
        boolean isSchemaCheck = m.getName().equals("validateSchema")
            && Arrays.stream(m.getParameterTypes()).anyMatch(StructType.class::equals);
        if (!isRuntime && !isSchemaCheck) {
          extra.add(m.toString());
        }
      }
      assertThat(extra).as(op.getSimpleName() + "'s public methods besides the SecureOperator ones").isEmpty();
      assertThat(op.getConstructors()).as(op.getSimpleName() + "'s public constructors")
          .allSatisfy(c -> assertThat(c.getParameterCount()).isZero());
    }
  }

  @Test
  void noPublicEntryPointOfTheOperatorsPackageTakesAnInputTable() {
    List<String> found = new ArrayList<>();
    for (Class<?> c : List.of(AggregateOperator.class, FeatureAggregation.class, NoisePlan.class,
        AggregateResult.class, FeatureAggregationResult.class)) {
      Stream.<Executable>concat(Arrays.stream(c.getMethods()), Arrays.stream(c.getConstructors()))
          .filter(e -> e.getDeclaringClass() == c)
          .filter(e -> Arrays.stream(e.getParameterTypes()).anyMatch(t -> t.getName().startsWith("org.apache.spark.sql.Dataset")
              || t.getName().equals("io.veil.aggregate.internal.AggregationContext") || t == byte[].class))
          .forEach(e -> found.add(e.toString()));
    }
    assertThat(found).as("public methods that take an input, a context or a salt outside the runtime").isEmpty();
  }

  @Test
  void theCommittedScanRefusesAMissingShortOrZeroSalt() {
    assertThatThrownBy(() -> CommittedScan.requireSalt(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CommittedScan.requireSalt(new byte[8])).hasMessageContaining("16+ bytes");
    assertThatThrownBy(() -> CommittedScan.requireSalt(new byte[16])).hasMessageContaining("not all zero")
        .hasMessageContaining("job runtime");
    byte[] salt = new byte[16];
    salt[15] = 1;
    CommittedScan.requireSalt(salt);
    // collect() checks it before any Spark work: a null RDD is never touched.
    assertThatThrownBy(() -> CommittedScan.collect(null, CommittedScan::merge, new byte[16]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
