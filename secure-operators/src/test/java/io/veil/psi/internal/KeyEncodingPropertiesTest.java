package io.veil.psi.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.psi.KeyNormalization;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.Size;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** The element that gets hashed identifies the (normalised) key tuple exactly. */
class KeyEncodingPropertiesTest {
  private static final KeyNormalization EXACT = new KeyNormalization(false, KeyNormalization.CaseMode.NONE);
  private static final KeyNormalization LOWER = new KeyNormalization(true, KeyNormalization.CaseMode.LOWER);

  private static Row row(List<String> parts) {
    return RowFactory.create(parts.toArray());
  }

  @Property(tries = 300)
  void encodingIsInjectiveOnKeyTuples(@ForAll @Size(min = 1, max = 3) List<String> a,
      @ForAll @Size(min = 1, max = 3) List<String> b) {
    byte[] ea = EXACT.encode(row(a));
    byte[] eb = EXACT.encode(row(b));
    assertThat(Arrays.equals(ea, eb)).isEqualTo(a.equals(b));
  }

  @Property(tries = 200)
  void caseAndSurroundingWhitespaceVariantsEncodeAlike(
      @ForAll @Size(min = 1, max = 3) List<@AlphaChars @NumericChars String> a) {
    List<String> variant = a.stream().map(s -> " \t" + s.toUpperCase(java.util.Locale.ROOT) + "  ").toList();
    List<String> folded = a.stream().map(s -> s.strip().toLowerCase(java.util.Locale.ROOT)).toList();
    assertThat(LOWER.encode(row(variant))).isEqualTo(LOWER.encode(row(folded)));
  }

  @Property(tries = 100)
  void anyNullComponentMeansNoKey(@ForAll @Size(min = 1, max = 3) List<String> a) {
    Object[] parts = a.toArray();
    parts[parts.length - 1] = null;
    assertThat(EXACT.encode(RowFactory.create(parts))).isNull();
  }
}
