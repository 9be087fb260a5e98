package io.veil.sql.internal;

import io.veil.InvalidInputException;
import io.veil.config.JobConfig;
import io.veil.config.VeilConf;
import io.veil.job.JobOutcome;
import io.veil.job.JobRequest;
import io.veil.job.SecureOperator;
import io.veil.job.VeilJobs;
import io.veil.spark.InputColumns;
import io.veil.spark.KeyRef;
import io.veil.spec.JobSpec;
import io.veil.spec.PartyPolicy;
import io.veil.spec.PartySpec;
import java.nio.file.Files;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.catalog.HiveTableRelation;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.OneRowRelation;
import org.apache.spark.sql.catalyst.plans.logical.Range;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2Relation;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;

/**
 * A Veil table function: {@code veil_<operator>(spec [, input [, period]])}, or {@code veil_job} for
 * any operator. Planning checks what can be checked without reading a row or talking to a peer
 * (the spec, this party's settings, the input's schema); the job itself runs through {@link VeilJobs}
 * when the query executes.
 */
public final class TableFunction {
  /** What a party that receives no output table gets: one row describing the finished job. */
  public static final StructType JOB_SCHEMA = new StructType()
      .add("job_id", DataTypes.StringType)
      .add("party", DataTypes.StringType)
      .add("operator", DataTypes.StringType)
      .add("input_rows", DataTypes.LongType)
      .add("output", DataTypes.StringType)
      .add("receipt_hash", DataTypes.StringType)
      .add("job_root", DataTypes.StringType)
      .add("result", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType));

  /** A table or view name (anything else, e.g. with white space or parentheses, is a query). */
  private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z0-9_.`]+");

  private final String function;
  private final String operator; // null: any (veil_job)

  TableFunction(String function, String operator) {
    this.function = function;
    this.operator = operator;
  }

  /** The relation {@code function(args)} stands for: the job's result, computed when the query runs. */
  LogicalPlan plan(scala.collection.Seq<Expression> arguments) {
    List<String> args = SqlFunctions.literals(function, arguments, 1, 3,
        "(spec_name [, input [, period]])");
    SparkSession spark = SparkSession.active();
    VeilConf conf = VeilJobs.conf(spark, Map.of());
    String period = args.size() > 2 && args.get(2) != null ? args.get(2) : conf.get(JobConfig.PERIOD).orElse(null);
    JobSpec spec = findSpec(conf, args.get(0), period);
    if (operator != null && !spec.operator().equals(operator)) {
      throw new InvalidInputException("Cannot run " + function + "('" + spec.name() + "'): that spec runs operator '"
          + spec.operator() + "'. Call " + SqlFunctions.tableFunctionName(spec.operator()) + " or veil_job.");
    }
    String party = conf.require(JobConfig.PARTY, "run job '" + spec.name() + "' from SQL (SET spark.veil.party.id)");
    KeyRef key = new KeyRef(conf.require(JobConfig.KEY_FILE, "run job '" + spec.name() + "' from SQL as " + party));
    PartySpec me = spec.party(party);
    JobRequest.Builder b = VeilJobs.request(conf, spec, party, key);
    String named = args.size() > 1 ? args.get(1) : null;
    StructType inputSchema = null;
    if (me.input() == null) {
      if (named != null) {
        throw new InvalidInputException("Cannot run job '" + spec.name() + "' as " + party + ": the spec gives "
            + party + " no input, but " + function + " names one ('" + named + "'). Leave the input argument out.");
      }
    } else if (me.input().format().equals("sql")) {
      if (named == null) {
        throw new InvalidInputException("Cannot run job '" + spec.name() + "' as " + party + ": the spec says "
            + party + "'s input is named in SQL (format sql). Give a table or a query: " + function + "('"
            + spec.name() + "', 'db.table') or " + function + "('" + spec.name() + "', 'SELECT ...').");
      }
      Dataset<Row> input = open(spark, named, party);
      b.sqlInput(input, sources(input));
      inputSchema = InputColumns.shape(input, me.input(), party).schema();
    } else {
      if (named != null && !(me.input().format().equals("table") && sameTable(spark, named, me.input().table()))) {
        throw new InvalidInputException("Cannot run job '" + spec.name() + "' as " + party + ": the spec reads "
            + party + "'s input from its own location (" + me.input().format() + " " + (me.input().path() != null
            ? me.input().path() : me.input().table()) + "), not from '" + named + "'. Leave the input argument "
            + "out, or agree a spec whose input has format sql.");
      }
    }
    JobRequest request = b.build();
    SecureOperator op = spec.secureOperator();
    if (me.input() != null && inputSchema == null) {
      inputSchema = request.inputReader().open(spark, me.input(), party).schema(); // metadata only
    }
    if (inputSchema != null) {
      op.validateInput(spec, me, inputSchema);
    }
    Optional<StructType> declared = op.outputSchema(spec, me, inputSchema);
    // The same call twice in one query (or planned and not yet run) is one job, run once: a party
    // must not run two copies of a job against its peers at the same time.
    String pending = spec.jobId() + "\n" + party + "\n" + named;
    Map<String, WeakReference<LogicalPlan>> mine = PENDING.computeIfAbsent(spark, s -> new ConcurrentHashMap<>());
    synchronized (mine) {
      LogicalPlan planned = Optional.ofNullable(mine.get(pending)).map(WeakReference::get).orElse(null);
      if (planned != null) {
        return planned;
      }
      JobRdd rows = new JobRdd(spark.sparkContext(), () -> {
        try {
          JobOutcome outcome = VeilJobs.run(spark, request);
          return (declared.isPresent() ? conform(outcome, declared.get()) : describe(spark, outcome)).rdd();
        } finally {
          mine.remove(pending); // the next query runs the job again (a re-run, as `veil run` twice would)
        }
      });
      planned = spark.createDataFrame(rows, declared.map(StructType::asNullable).orElse(JOB_SCHEMA)).logicalPlan();
      mine.put(pending, new WeakReference<>(planned));
      return planned;
    }
  }

  /**
   * Per session, the relations of jobs planned but not yet run, by job, party and named input. Held
   * weakly: a plan nothing refers to any more (a query planned and dropped) can no longer run.
   */
  private static final Map<SparkSession, Map<String, WeakReference<LogicalPlan>>> PENDING =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /**
   * The spec called {@code name} in the spec directory: {@code <name>.yaml} (or {@code .yml}), else
   * the one YAML file there whose {@code name:} is {@code name}.
   */
  static JobSpec findSpec(VeilConf conf, String name, String period) {
    if (name == null || !name.matches("[A-Za-z0-9._-]{1,101}")) {
      throw new InvalidInputException("Cannot find job spec '" + name + "': a spec name is 1-101 letters, digits, "
          + "'.', '_' or '-'. Give the spec's name (its 'name:' field).");
    }
    Path dir = Path.of(conf.require(JobConfig.SPEC_DIR, "find job spec '" + name + "' (the specs the parties agreed)"));
    List<Path> found = new ArrayList<>();
    for (String ext : List.of(".yaml", ".yml")) {
      if (Files.isRegularFile(dir.resolve(name + ext))) {
        found.add(dir.resolve(name + ext));
      }
    }
    if (found.isEmpty()) {
      try (java.util.stream.Stream<Path> files = Files.list(dir)) {
        files.filter(f -> f.getFileName().toString().matches(".*[.]ya?ml")).sorted()
            .filter(f -> name.equals(declaredName(f))).forEach(found::add);
      } catch (java.io.IOException e) {
        throw new InvalidInputException("Cannot find job spec '" + name + "': the spec directory " + dir
            + " (spark.veil.sql.spec-dir) cannot be listed (" + e.getClass().getSimpleName() + "). Check the setting.",
            e);
      }
    }
    if (found.isEmpty()) {
      throw new InvalidInputException("Cannot find job spec '" + name + "': no spec in " + dir
          + " (spark.veil.sql.spec-dir) has that name. Put the spec the parties agreed there (" + name + ".yaml).");
    }
    if (found.size() > 1) {
      throw new InvalidInputException("Cannot choose job spec '" + name + "': " + found + " in " + dir
          + " all name it. Keep one file per spec name.");
    }
    JobSpec spec = JobSpec.read(found.get(0), period);
    if (!spec.name().equals(name)) {
      throw new InvalidInputException("Cannot use job spec " + found.get(0) + ": its name is '" + spec.name()
          + "', not '" + name + "'. Name the file after the spec (" + spec.name() + ".yaml).");
    }
    return spec;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper NAMES =
      new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());

  /** The {@code name:} a YAML file declares, or null if it is not a readable spec. */
  private static String declaredName(Path f) {
    try {
      com.fasterxml.jackson.databind.JsonNode n = NAMES.readTree(f.toFile());
      return n != null && n.isObject() && n.path("name").isTextual() ? n.get("name").asText() : null;
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  /** The input named in SQL: a table (or view) name, or a query. Analysed only; no row is read. */
  private static Dataset<Row> open(SparkSession spark, String named, String party) {
    String what = named.strip();
    try {
      return TABLE_NAME.matcher(what).matches() ? spark.table(what) : spark.sql(what);
    } catch (Exception e) { // AnalysisException, ParseException: checked in Java's eyes
      throw new InvalidInputException("Cannot open the input of " + party + " ('" + what + "'): "
          + firstLine(e.getMessage()) + ". Name a table or view this session can read, or a query over them.", e);
    }
  }

  private static boolean sameTable(SparkSession spark, String a, String b) {
    try {
      return spark.sessionState().sqlParser().parseTableIdentifier(a).equals(
          spark.sessionState().sqlParser().parseTableIdentifier(b));
    } catch (Exception e) {
      return false;
    }
  }

  /**
   * The tables and files a SQL input reads, from its analysed plan (views are expanded there). A
   * source of a kind this method does not know is reported as such, so a policy with {@code
   * inputPaths} refuses it rather than letting it through.
   */
  static List<PartyPolicy.SqlSource> sources(Dataset<Row> input) {
    List<PartyPolicy.SqlSource> out = new ArrayList<>();
    for (LogicalPlan leaf : JavaConverters.seqAsJavaList(input.queryExecution().analyzed().collectLeaves())) {
      if (leaf instanceof HiveTableRelation h) {
        out.add(new PartyPolicy.SqlSource(true, name(h.tableMeta().identifier())));
      } else if (leaf instanceof LogicalRelation l && l.catalogTable().isDefined()) {
        out.add(new PartyPolicy.SqlSource(true, name(l.catalogTable().get().identifier())));
      } else if (leaf instanceof LogicalRelation l && l.relation() instanceof HadoopFsRelation fs) {
        JavaConverters.seqAsJavaList(fs.location().rootPaths())
            .forEach(p -> out.add(new PartyPolicy.SqlSource(false, p.toString())));
      } else if (leaf instanceof DataSourceV2Relation v2) {
        out.add(new PartyPolicy.SqlSource(true, v2.table().name()));
      } else if (!(leaf instanceof LocalRelation || leaf instanceof OneRowRelation || leaf instanceof Range)) {
        out.add(new PartyPolicy.SqlSource(false, "(" + leaf.nodeName() + ": a source without a table or path)"));
      }
    }
    return out;
  }

  /** A session catalog table as a spec names one: {@code db.table}. */
  private static String name(org.apache.spark.sql.catalyst.TableIdentifier id) {
    return id.database().isDefined() ? id.database().get() + "." + id.table() : id.table();
  }

  /** The operator's output with the declared columns and types (a CSV output reads back as text). */
  private static Dataset<Row> conform(JobOutcome outcome, StructType declared) {
    Dataset<Row> out = outcome.output().orElseThrow(() -> new IllegalStateException("operator " + outcome.operator()
        + " declared an output for " + outcome.party() + " but returned none"));
    List<Column> cols = new ArrayList<>();
    for (StructField f : declared.fields()) {
      cols.add(out.col("`" + f.name().replace("`", "``") + "`").cast(f.dataType()).as(f.name()));
    }
    return out.select(cols.toArray(new Column[0]));
  }

  private static Dataset<Row> describe(SparkSession spark, JobOutcome o) {
    Row row = RowFactory.create(o.jobId(), o.party(), o.operator(), o.inputRows(), o.outputLocation(),
        o.receipt().receiptHash(), o.receipt().jobRoot(), JavaConverters.mapAsScalaMap(o.result()));
    return spark.createDataFrame(List.of(row), JOB_SCHEMA);
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("").strip();
  }

}
