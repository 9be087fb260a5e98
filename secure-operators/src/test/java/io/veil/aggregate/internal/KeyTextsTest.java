package io.veil.aggregate.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

/** Packed key texts give back every cell as it went in, through slicing, joining and both serialisers. */
class KeyTextsTest {
  /** Two-column keys with empty, multi-byte and long cells. */
  private static final String[][] ROWS = {
    {"c-000001", "2024-01"}, {"", "x"}, {"Zürich 東京 🙂", ""}, {"a".repeat(3000), "b"}, {"last", "row"}};

  private static KeyTexts all() {
    KeyTexts.Builder b = new KeyTexts.Builder(2);
    for (String[] r : ROWS) {
      b.add(r);
    }
    return b.build();
  }

  private static List<String[]> cells(KeyTexts k) {
    List<String[]> out = new ArrayList<>();
    for (int r = 0; r < k.rows(); r++) {
      String[] row = new String[k.columns()];
      for (int c = 0; c < row.length; c++) {
        row[c] = k.get(r, c);
      }
      out.add(row);
    }
    return out;
  }

  @Test
  void everyCellComesBackAsItWentIn() {
    KeyTexts k = all();
    assertThat(k.rows()).isEqualTo(ROWS.length);
    assertThat(cells(k)).containsExactly(ROWS);
  }

  @Test
  void slicesAndTheirConcatenationKeepTheRows() {
    KeyTexts k = all();
    for (int cut = 0; cut <= ROWS.length; cut++) {
      KeyTexts head = k.slice(0, cut);
      KeyTexts tail = k.slice(cut, ROWS.length);
      assertThat(cells(head)).containsExactly(Arrays.copyOfRange(ROWS, 0, cut));
      assertThat(cells(tail)).containsExactly(Arrays.copyOfRange(ROWS, cut, ROWS.length));
      assertThat(cells(KeyTexts.concat(List.of(head, tail)))).containsExactly(ROWS);
    }
    assertThat(cells(k.slice(2, 4))).containsExactly(ROWS[2], ROWS[3]);
  }

  @Test
  void survivesKryoAndJavaSerialisation() throws Exception {
    KeyTexts k = all();
    SerializerInstance kryo = new KryoSerializer(new SparkConf()).newInstance();
    KeyTexts viaKryo = kryo.deserialize(kryo.serialize(k, ClassTag$.MODULE$.apply(KeyTexts.class)),
        ClassTag$.MODULE$.apply(KeyTexts.class));
    assertThat(cells(viaKryo)).containsExactly(ROWS);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(k);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertThat(cells((KeyTexts) in.readObject())).containsExactly(ROWS);
    }
  }

  @Test
  void refusesNullCellsAndRaggedRows() {
    KeyTexts.Builder b = new KeyTexts.Builder(2);
    assertThatThrownBy(() -> b.add(new String[] {"a", null})).hasMessageContaining("NULL key cell");
    assertThatThrownBy(() -> b.add(new String[] {"a"})).hasMessageContaining("1 cells where 2");
    assertThatThrownBy(() -> KeyTexts.concat(List.of(all(), new KeyTexts.Builder(1).add(new String[] {"a"}).build())))
        .hasMessageContaining("1 and 2 columns");
  }
}
