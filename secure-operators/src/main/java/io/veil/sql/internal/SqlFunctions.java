package io.veil.sql.internal;

import io.veil.InvalidInputException;
import io.veil.job.Operators;
import io.veil.job.SecureOperator;
import io.veil.psi.KeyNormalization;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import scala.Tuple3;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

/**
 * Every function Veil registers in Spark SQL, with the usage and examples {@code DESCRIBE FUNCTION
 * EXTENDED} shows: a table function per operator in the registry, {@code veil_job} for any, and the
 * scalar helpers.
 */
public final class SqlFunctions {
  private SqlFunctions() {}

  /** A registered function and its documentation. */
  public record Definition(String name, String usage, String arguments, String examples) {
    ExpressionInfo info(String className) {
      return new ExpressionInfo(className, null, name, usage, arguments, examples, "", "", "", "", "built-in");
    }
  }

  /** The table function of {@code operator}: {@code veil_} and its name, '-' as '_'. */
  public static String tableFunctionName(String operator) {
    return "veil_" + operator.replace('-', '_').toLowerCase(Locale.ROOT);
  }

  /** The table functions: {@code veil_job}, then one per registered operator. */
  public static List<Definition> tableFunctions() {
    List<Definition> out = new ArrayList<>();
    out.add(tableFunction("veil_job", "any operator", "my-job"));
    for (SecureOperator op : Operators.all().values()) {
      out.add(tableFunction(tableFunctionName(op.name()), "operator '" + op.name() + "'", "my-" + op.name()));
    }
    return out;
  }

  private static Definition tableFunction(String name, String which, String example) {
    return new Definition(name,
        name + "(spec_name [, input [, period]]) - Runs this party's side of the Veil job spec_name (" + which
            + "), agreed by every party and found in spark.veil.sql.spec-dir, and returns this party's result: "
            + "the operator's output table where this party receives one, otherwise one row describing the "
            + "finished job (job_id, party, operator, input_rows, output, receipt_hash, job_root, result). This "
            + "party's id, key file and policy come from spark.veil.party.*; the job runs when the query runs.",
        "\n    Arguments:\n"
            + "      * spec_name - the spec's name (spark.veil.sql.spec-dir/<spec_name>.yaml)\n"
            + "      * input - this party's input when the spec's input format is sql: a table or view name, or a"
            + " query; NULL or left out otherwise\n"
            + "      * period - the period of a periodic job (default: spark.veil.job.period, then the spec's)\n  ",
        "\n    Examples:\n"
            + "      > SELECT * FROM " + name + "('" + example + "', 'crm.customers');\n"
            + "      > INSERT INTO reports.overlap SELECT * FROM " + name + "('" + example
            + "', 'SELECT national_id, segment FROM crm.customers WHERE active', '2026-11');\n  ");
  }

  /** The scalar helpers. */
  public static List<Definition> scalarFunctions() {
    return List.of(
        new Definition("veil_normalize",
            "veil_normalize(key [, trim [, case]]) - The key as PSI compares it: its string form, trimmed of"
                + " leading and trailing white space (trim, default true) and case-folded (case: 'none' (default),"
                + " 'lower' or 'upper'), exactly as a PSI spec's normalize settings do. NULL stays NULL.",
            "\n    Arguments:\n"
                + "      * key - a key column of any type (its string form is used)\n"
                + "      * trim - a BOOLEAN literal, default true\n"
                + "      * case - 'none', 'lower' or 'upper', default 'none'\n  ",
            "\n    Examples:\n"
                + "      > SELECT veil_normalize('  Ab-12 ');\n"
                + "       Ab-12\n"
                + "      > SELECT veil_normalize('  Ab-12 ', true, 'lower');\n"
                + "       ab-12\n  "),
        new Definition("veil_key",
            "veil_key(key1 [, key2, ...]) - The element PSI hashes for a (composite) key with the default"
                + " normalisation: per column its 4-byte big-endian length and the trimmed UTF-8 bytes of its string"
                + " form. NULL when any column is NULL (PSI drops such rows). Two rows match in PSI exactly when"
                + " their veil_key values are equal.",
            "\n    Arguments:\n"
                + "      * key1, key2, ... - the key columns, in the order the parties agreed\n  ",
            "\n    Examples:\n"
                + "      > SELECT hex(veil_key('ab', 7));\n"
                + "       000000026162000000013" + "7\n"
                + "      > SELECT count(DISTINCT veil_key(national_id, birth_date)) FROM crm.customers;\n  "));
  }

  /** Registers every function with {@code extensions}. */
  public static void register(SparkSessionExtensions extensions) {
    String cls = io.veil.sql.VeilSqlExtensions.class.getName();
    for (Definition d : tableFunctions()) {
      String op = d.name().equals("veil_job") ? null : operatorOf(d.name());
      TableFunction f = new TableFunction(d.name(), op);
      extensions.injectTableFunction(new Tuple3<>(new FunctionIdentifier(d.name()), d.info(cls),
          new AbstractFunction1<scala.collection.Seq<Expression>, LogicalPlan>() {
            @Override
            public LogicalPlan apply(scala.collection.Seq<Expression> args) {
              return f.plan(args);
            }
          }));
    }
    for (Definition d : scalarFunctions()) {
      extensions.injectFunction(new Tuple3<>(new FunctionIdentifier(d.name()), d.info(cls),
          new AbstractFunction1<scala.collection.Seq<Expression>, Expression>() {
            @Override
            public Expression apply(scala.collection.Seq<Expression> args) {
              return d.name().equals("veil_key") ? key(args) : normalize(args);
            }
          }));
    }
  }

  private static String operatorOf(String function) {
    for (String name : Operators.names()) {
      if (tableFunctionName(name).equals(function)) {
        return name;
      }
    }
    throw new IllegalStateException(function);
  }

  private static Expression normalize(scala.collection.Seq<Expression> args) {
    List<Expression> a = JavaConverters.seqAsJavaList(args);
    if (a.isEmpty() || a.size() > 3) {
      throw usage("veil_normalize", "(key [, trim [, case]])", a.size());
    }
    boolean trim = true;
    if (a.size() > 1) {
      Object t = literal("veil_normalize", "trim", a.get(1));
      if (!(t instanceof Boolean)) {
        throw new InvalidInputException("Cannot call veil_normalize: trim must be true or false, not " + t + ".");
      }
      trim = (Boolean) t;
    }
    KeyNormalization.CaseMode mode = KeyNormalization.CaseMode.NONE;
    if (a.size() > 2) {
      Object c = literal("veil_normalize", "case", a.get(2));
      try {
        mode = KeyNormalization.CaseMode.valueOf(String.valueOf(c).toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException("Cannot call veil_normalize: case must be 'none', 'lower' or 'upper', not '"
            + c + "'.");
      }
    }
    KeyNormalization n = new KeyNormalization(trim, mode);
    UserDefinedFunction f = functions.udf((UDF1<String, String>) v -> v == null ? null : n.apply(v),
        DataTypes.StringType);
    return f.apply(new Column(a.get(0)).cast("string")).expr();
  }

  private static Expression key(scala.collection.Seq<Expression> args) {
    List<Expression> a = JavaConverters.seqAsJavaList(args);
    if (a.isEmpty()) {
      throw usage("veil_key", "(key1 [, key2, ...])", 0);
    }
    Column[] parts = a.stream().map(e -> new Column(e).cast("string")).toArray(Column[]::new);
    UserDefinedFunction f = functions.udf((UDF1<scala.collection.Seq<String>, byte[]>) v ->
        KeyNormalization.DEFAULT.encode(org.apache.spark.sql.RowFactory.create(
            JavaConverters.seqAsJavaList(v).toArray())), DataTypes.BinaryType);
    return f.apply(functions.array(parts)).expr();
  }

  /** The literal arguments of a call, as text (SQL NULL as null), checked for count. */
  static List<String> literals(String function, scala.collection.Seq<Expression> args, int min, int max,
      String signature) {
    List<Expression> a = JavaConverters.seqAsJavaList(args);
    if (a.size() < min || a.size() > max) {
      throw usage(function, signature, a.size());
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      Object v = literal(function, "argument " + (i + 1), a.get(i));
      out.add(v == null ? null : v.toString());
    }
    if (out.get(0) == null) {
      throw new InvalidInputException("Cannot call " + function + ": the spec name is NULL. Call " + function
          + signature + ".");
    }
    return out;
  }

  private static Object literal(String function, String what, Expression e) {
    if (!e.foldable()) {
      throw new InvalidInputException("Cannot call " + function + ": " + what + " must be a literal (a constant), "
          + "not " + e.sql() + ".");
    }
    return e.eval(InternalRow.empty());
  }

  private static InvalidInputException usage(String function, String signature, int given) {
    return new InvalidInputException("Cannot call " + function + " with " + given + " argument"
        + (given == 1 ? "" : "s") + ": call " + function + signature + ". DESCRIBE FUNCTION EXTENDED " + function
        + " shows examples.");
  }
}
