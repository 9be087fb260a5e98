package io.veil.connectors.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import io.veil.spec.InputSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening party inputs through Spark's readers: CSV, Parquet, JDBC (the local PostgreSQL), and every validation error. */
class PartyInputsTest {
  private static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    spark = SparkSession.builder().master("local[1]").appName("PartyInputsTest")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    Files.writeString(dir.resolve("c.csv"), "id,name,score\n1,ann,0.5\n2,ben,0.7\nx,cy,0.1\n");
    StructType s = new StructType().add("id", DataTypes.LongType).add("name", DataTypes.StringType);
    spark.createDataFrame(List.of(RowFactory.create(1L, "ann"), RowFactory.create(2L, "ben")), s)
        .write().parquet(dir.resolve("p").toString());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static InputSpec spec(String format, String path, String table, Map<String, String> options,
      List<String> keys, List<String> columns, Map<String, String> schema) {
    return new InputSpec(format, path, table, options, keys, columns, schema, null);
  }

  private static Dataset<Row> open(InputSpec in) {
    return PartyInputs.open(spark, in, "bank_a", PartyInputs.Secrets.NONE);
  }

  @Test
  void csvColumnsAreStringsUnlessDeclaredAndDeclaredOnesAreCast() {
    Dataset<Row> plain = open(spec("csv", dir.resolve("c.csv").toString(), null, Map.of(), List.of("id"), null, Map.of()));
    assertThat(plain.schema().apply("id").dataType()).isEqualTo(DataTypes.StringType);
    Dataset<Row> typed = open(spec("csv", dir.resolve("c.csv").toString(), null, Map.of(), List.of("id"),
        List.of("name"), Map.of("id", "bigint")));
    assertThat(typed.columns()).containsExactly("id", "name");
    assertThat(typed.schema().apply("id").dataType()).isEqualTo(DataTypes.LongType);
    assertThat(typed.where("id is null").count()).isEqualTo(1); // "x" does not parse: NULL, dropped later
  }

  @Test
  void parquetTypesAreCheckedAgainstTheDeclaredSchema() {
    String p = dir.resolve("p").toString();
    assertThat(open(spec("parquet", p, null, Map.of(), List.of("id"), null, Map.of("id", "bigint"))).count())
        .isEqualTo(2);
    assertThatThrownBy(() -> open(spec("parquet", p, null, Map.of(), List.of("id"), null, Map.of("id", "string"))))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("column 'id' has type bigint but the spec declares string");
  }

  @Test
  void missingColumnsAndPathsAreNamed() {
    String p = dir.resolve("p").toString();
    assertThatThrownBy(() -> open(spec("parquet", p, null, Map.of(), List.of("customer_id"), null, Map.of())))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("key column 'customer_id' is missing (columns: id, name)");
    assertThatThrownBy(() -> open(spec("parquet", p, null, Map.of(), List.of("id"), List.of("age"), Map.of())))
        .hasMessageContaining("column 'age' listed in 'columns' is missing");
    assertThatThrownBy(() -> open(spec("csv", dir.resolve("nope.csv").toString(), null, Map.of(), List.of("id"),
        null, Map.of())))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> open(spec("parquet", p, null, Map.of(), List.of("id"), null, Map.of("id", "bigintt"))))
        .hasMessageContaining("type 'bigintt' declared for column 'id' is not a Spark SQL type");
    // An input the spec leaves to a SQL call cannot be opened by `veil run`: it says where it can run.
    assertThatThrownBy(() -> open(spec("sql", null, null, Map.of(), List.of("id"), null, Map.of())))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("only a Veil SQL function can run this job");
  }

  @Test
  void jdbcInputFromPostgresql() throws Exception {
    try (Connection c = DriverManager.getConnection(PG_URL, "postgres", "");
         Statement st = c.createStatement()) {
      st.execute("drop table if exists veil_party_inputs_test");
      st.execute("create table veil_party_inputs_test (customer_id bigint, segment text)");
      st.execute("insert into veil_party_inputs_test values (1, 'a'), (2, 'b'), (3, null)");
    }
    Map<String, String> options = Map.of("url", PG_URL, "user", "postgres", "driver", "org.postgresql.Driver");
    Dataset<Row> df = open(spec("jdbc", null, "veil_party_inputs_test", options, List.of("customer_id"), null,
        Map.of("customer_id", "bigint")));
    assertThat(df.count()).isEqualTo(3);
    assertThatThrownBy(() -> open(spec("jdbc", null, "veil_party_inputs_test", options, List.of("id"), null, Map.of())))
        .hasMessageContaining("key column 'id' is missing (columns: customer_id, segment)");
    assertThatThrownBy(() -> open(spec("jdbc", null, "no_such_table_veil", options, List.of("id"), null, Map.of())))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("Cannot open the input of bank_a (jdbc no_such_table_veil)");
  }
}
