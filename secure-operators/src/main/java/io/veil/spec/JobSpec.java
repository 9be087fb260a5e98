package io.veil.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.veil.InvalidInputException;
import io.veil.crypto.IdentityPublicKey;
import io.veil.crypto.Sha256;
import io.veil.job.Operators;
import io.veil.job.SecureOperator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A job spec: which operator runs between which parties, on which inputs, with which output and
 * privacy settings. Immutable.
 *
 * <p>The <b>contract hash</b> is SHA-256 over the canonical form: the spec with every default made
 * explicit and the period filled in, as JSON with sorted keys and no insignificant white space.
 * Two parties that read specs differing in anything that matters get different contract hashes.
 * The <b>job id</b> is derived from the contract hash, so each period of a periodic job is a
 * distinct, idempotently re-runnable job.
 *
 * <p>The <b>algorithm hash</b> ({@link #algorithmHash()}) covers only what the job computes: the
 * operator and its settings section. A data owner who authorises it on the ledger contract lets
 * every period and every party set of a recurring job use its asset; authorising the contract hash
 * instead allows exactly one job. {@code authorisation: required} makes each data party check one
 * of the two on the chain before it reads anything (see {@link #authorisationRequired()}).
 *
 * <p>See {@code cluster-configs/examples/psi.yaml} for an annotated example.
 */
public final class JobSpec {
  public static final int VERSION = 1;
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  /** Not a party id: the first part of the control topics' names (see {@link #controlLogName()}). */
  private static final String RESERVED_ID = "ctl";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,100}");
  private static final Pattern ASSET_ID = Pattern.compile("[0-9a-f]{64}");
  /** Values of the top-level {@code authorisation} field; the first is the default. */
  static final List<String> AUTHORISATION = List.of("none", "required");
  /** The default of {@code peerTimeoutMs}. */
  public static final long DEFAULT_PEER_TIMEOUT_MS = 120_000;
  /** The spec's own top-level fields; each operator adds its settings section. */
  private static final Set<String> FIELDS = Set.of("version", "name", "period", "operator", "parties",
      "peerTimeoutMs", "authorisation");
  private static final Set<String> FILE_FORMATS = Set.of("csv", "parquet", "json", "orc");
  /**
   * Reader options whose name contains one of these hold secrets (JDBC {@code password}, Hadoop
   * options such as {@code fs.s3a.secret.key} or {@code fs.s3a.session.token}, which Spark passes
   * from reader options to the file system) and must not be in a spec every party reads.
   */
  private static final List<String> SECRET_OPTION_WORDS = List.of("password", "secret", "token", "credential");
  static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .build();

  private final String name;
  private final String period;
  private final SecureOperator operator;
  private final List<PartySpec> parties;
  private final OperatorSettings settings;
  private final long peerTimeoutMs;
  private final boolean authorisationRequired;
  private final String canonicalJson;
  private final String contractHash;

  private JobSpec(String name, String period, SecureOperator operator, List<PartySpec> parties,
      OperatorSettings settings, long peerTimeoutMs, boolean authorisationRequired) {
    this.name = name;
    this.period = period;
    this.operator = operator;
    this.parties = List.copyOf(parties);
    this.settings = settings;
    this.peerTimeoutMs = peerTimeoutMs;
    this.authorisationRequired = authorisationRequired;
    this.canonicalJson = canonical();
    this.contractHash = HexFormat.of().formatHex(Sha256.hash(canonicalJson.getBytes(StandardCharsets.UTF_8)));
  }

  /** Reads and validates a YAML spec file; {@code periodOverride} (may be null) replaces its period. */
  public static JobSpec read(Path file, String periodOverride) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputException("Cannot read job spec " + file + ": " + e.getClass().getSimpleName()
          + ". Check the --spec path.", e);
    }
    return parse(text, file.toString(), periodOverride);
  }

  /** Parses and validates YAML text. */
  public static JobSpec parse(String yaml, String source, String periodOverride) {
    JsonNode root;
    try {
      root = SpecReader.YAML.readTree(yaml);
    } catch (IOException e) {
      throw new InvalidInputException("Cannot read job spec " + source + ": it is not valid YAML ("
          + e.getMessage().lines().findFirst().orElse("") + "). Fix the syntax.", e);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidInputException("Cannot read job spec " + source + ": it is empty or not a mapping. "
          + "See cluster-configs/examples/psi.yaml.");
    }
    SpecReader r = new SpecReader("job spec " + source);
    String operatorName = r.string(root, "", "operator", null).toLowerCase(Locale.ROOT);
    SecureOperator operator;
    try {
      operator = Operators.find(operatorName);
    } catch (InvalidInputException e) {
      throw r.error("operator", "is '" + operatorName + "' but this Veil runs: " + String.join(", ", Operators.names()));
    }
    Set<String> allowed = new java.util.TreeSet<>(FIELDS);
    allowed.add(operator.section());
    for (SecureOperator other : Operators.all().values()) {
      if (root.has(other.section()) && !other.section().equals(operator.section())) {
        throw r.error(other.section(), "belongs to another operator; operator " + operatorName + " takes its settings "
            + "from '" + operator.section() + "'");
      }
    }
    r.allowOnly(root, "", allowed);
    int version = r.integer(root, "", "version", VERSION, 1, Integer.MAX_VALUE);
    if (version != VERSION) {
      throw r.error("version", "is " + version + " but this Veil reads version " + VERSION);
    }
    String name = r.string(root, "", "name", null);
    if (!NAME.matcher(name).matches()) {
      throw r.error("name", "must be 1-101 characters of letters, digits, '.', '_' or '-'");
    }
    String period = periodOverride != null ? periodOverride : r.optionalString(root, "period");
    if (period != null && !NAME.matcher(period).matches()) {
      throw r.error("period", "must be letters, digits, '.', '_' or '-' (e.g. 2026-11)");
    }
    long peerTimeoutMs = r.longValue(root, "", "peerTimeoutMs", DEFAULT_PEER_TIMEOUT_MS, 1000);
    String authorisation = r.string(root, "", "authorisation", AUTHORISATION.get(0)).toLowerCase(Locale.ROOT);
    if (!AUTHORISATION.contains(authorisation)) {
      throw r.error("authorisation", "is '" + authorisation + "'; use " + String.join(" or ", AUTHORISATION));
    }
    boolean authorisationRequired = authorisation.equals("required");

    JsonNode partiesNode = root.get("parties");
    if (partiesNode == null || !partiesNode.isArray() || partiesNode.isEmpty()) {
      throw r.error("parties", "must be a non-empty list");
    }
    PeriodTemplate template = new PeriodTemplate(period);
    List<PartySpec> parties = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    Set<IdentityPublicKey> keys = new HashSet<>();
    int i = 0;
    for (JsonNode p : partiesNode) {
      String path = "parties[" + i++ + "]";
      r.allowOnly(p, path, Set.of("id", "publicKey", "input", "output"));
      String id = r.string(p, path, "id", null);
      if (!ID.matcher(id).matches()) {
        throw r.error(path + ".id", "must be lower-case letters, digits, '_' or '-' (got '" + id + "')");
      }
      if (id.equals(RESERVED_ID)) {
        throw r.error(path + ".id", "is '" + RESERVED_ID + "', which names the control topics ('<topic.prefix>"
            + RESERVED_ID + ".<job name>'): a party's Kafka ACLs are granted on the prefix '<topic.prefix><party id>.', "
            + "which would then cover every job's control topic; choose another id");
      }
      if (!ids.add(id)) {
        throw r.error(path + ".id", "repeats party '" + id + "'; each party appears once");
      }
      IdentityPublicKey key;
      try {
        key = IdentityPublicKey.parse(r.string(p, path, "publicKey", null));
      } catch (InvalidInputException e) {
        throw r.error(path + ".publicKey", "is not a valid key: " + e.getMessage());
      }
      if (!keys.add(key)) {
        throw r.error(path + ".publicKey", "is the same key as another party's");
      }
      InputSpec input = readInput(r, template, p, path + ".input");
      if (authorisationRequired && input != null && input.asset() == null) {
        throw r.error("parties[" + id + "].input.asset", "is required because 'authorisation' is required: "
            + "party " + id + " must name the data asset its input is registered as (64 hex digits, as "
            + "'veil asset register' printed it)");
      }
      parties.add(new PartySpec(id, key, input, readOutput(r, template, p, path + ".output")));
    }

    OperatorSettings settings = operator.readSettings(
        new SpecSection(r, root, root.get(operator.section()), operator.section()), List.copyOf(parties));
    return new JobSpec(name, period, operator, parties, settings, peerTimeoutMs, authorisationRequired);
  }

  private static InputSpec readInput(SpecReader r, PeriodTemplate template, JsonNode party, String path) {
    JsonNode in = r.object(party, path.substring(0, path.lastIndexOf('.')), "input", false);
    if (in == null) {
      return null;
    }
    r.allowOnly(in, path, Set.of("format", "path", "table", "options", "keyColumns", "columns", "schema", "asset"));
    String format = r.string(in, path, "format", null).toLowerCase(Locale.ROOT);
    String p = template.fill(r, path + ".path", r.optionalString(in, "path"));
    String table = template.fill(r, path + ".table", r.optionalString(in, "table"));
    if (FILE_FORMATS.contains(format)) {
      if (p == null) {
        throw r.error(path + ".path", "is required for format " + format);
      }
    } else if (format.equals("table") || format.equals("jdbc")) {
      if (table == null) {
        throw r.error(path + ".table", "is required for format " + format);
      }
    } else if (format.equals("sql")) {
      if (p != null || table != null) {
        throw r.error(path + (p != null ? ".path" : ".table"), "is not used with format sql (the input is the table "
            + "or query named in the SQL function that runs the job); remove it");
      }
    } else {
      throw r.error(path + ".format", "is '" + format + "'; use one of csv, parquet, json, orc, jdbc, table, sql");
    }
    Map<String, String> options = new TreeMap<>(r.stringMap(in, path, "options"));
    options.replaceAll((k, v) -> template.fill(r, path + ".options." + k, v));
    for (Map.Entry<String, String> o : options.entrySet()) {
      String k = o.getKey().toLowerCase(Locale.ROOT);
      boolean secretName = SECRET_OPTION_WORDS.stream().anyMatch(k::contains);
      boolean secretInValue = o.getValue().toLowerCase(Locale.ROOT).contains("password=");
      if (secretName || secretInValue) {
        throw r.error(path + ".options." + o.getKey(), (secretInValue ? "holds a password in its value, which "
            : "") + "would put a secret into the spec that every party sees; give it to your own job only "
            + "(a JDBC password with --jdbc-password-file, storage credentials in the cluster's Hadoop "
            + "configuration)");
      }
    }
    List<String> keyColumns = r.strings(in, path, "keyColumns", false);
    List<String> columns = r.strings(in, path, "columns", false);
    Map<String, String> schema = new LinkedHashMap<>(r.stringMap(in, path, "schema"));
    String asset = r.optionalString(in, "asset");
    if (asset != null && (!ASSET_ID.matcher(asset).matches() || asset.equals("0".repeat(64)))) {
      throw r.error(path + ".asset", "must be a non-zero data asset id of 64 lower-case hex digits, without 0x");
    }
    return new InputSpec(format, p, table, options, keyColumns, columns, schema, asset);
  }

  private static OutputSpec readOutput(SpecReader r, PeriodTemplate template, JsonNode party, String path) {
    JsonNode out = r.object(party, path.substring(0, path.lastIndexOf('.')), "output", false);
    if (out == null) {
      return null;
    }
    r.allowOnly(out, path, Set.of("path", "format", "table"));
    String format = r.string(out, path, "format", "parquet").toLowerCase(Locale.ROOT);
    if (format.equals("table")) {
      if (r.optionalString(out, "path") != null) {
        throw r.error(path + ".path", "is not used with format table; give the table's name in 'table'");
      }
      return new OutputSpec(null, format, template.fill(r, path + ".table", r.string(out, path, "table", null)));
    }
    if (!format.equals("parquet") && !format.equals("csv")) {
      throw r.error(path + ".format", "must be parquet, csv or table");
    }
    if (r.optionalString(out, "table") != null) {
      throw r.error(path + ".table", "is only used with format table; give a directory in 'path'");
    }
    return new OutputSpec(template.fill(r, path + ".path", r.string(out, path, "path", null)), format);
  }

  private String canonical() {
    Map<String, Object> m = new TreeMap<>();
    m.put("version", VERSION);
    m.put("name", name);
    m.put("period", period);
    m.put("operator", operator.name());
    m.put("peerTimeoutMs", peerTimeoutMs);
    List<Object> ps = new ArrayList<>();
    for (PartySpec p : parties) {
      Map<String, Object> pm = new TreeMap<>();
      pm.put("id", p.id());
      pm.put("publicKey", p.publicKey().encoded());
      if (p.input() != null) {
        InputSpec in = p.input();
        Map<String, Object> im = new TreeMap<>();
        im.put("format", in.format());
        im.put("path", in.path());
        im.put("table", in.table());
        im.put("options", new TreeMap<>(in.options()));
        im.put("keyColumns", in.keyColumns());
        im.put("columns", in.columns());
        im.put("schema", new TreeMap<>(in.schema()));
        if (in.asset() != null) {
          im.put("asset", in.asset());
        }
        pm.put("input", im);
      }
      if (p.output() != null) {
        // The table is left out for file outputs, so that specs written before table outputs keep their hash.
        Map<String, Object> om = new TreeMap<>();
        om.put("path", p.output().path());
        om.put("format", p.output().format());
        if (p.output().table() != null) {
          om.put("table", p.output().table());
        }
        pm.put("output", om);
      }
      ps.add(pm);
    }
    m.put("parties", ps);
    // asset and authorisation are left out when absent / none, so that specs written before they
    // existed keep their contract hash (and their receipts stay verifiable).
    if (authorisationRequired) {
      m.put("authorisation", "required");
    }
    m.putAll(algorithm());
    return json(m);
  }

  /** The operator and its settings section: what {@link #algorithmHash()} covers. */
  private Map<String, Object> algorithm() {
    Map<String, Object> m = new TreeMap<>();
    m.put("operator", operator.name());
    m.put(operator.section(), settings.canonical());
    return m;
  }

  private static String json(Map<String, Object> m) {
    try {
      return CANONICAL.writeValueAsString(m);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }


  public String name() {
    return name;
  }

  public Optional<String> period() {
    return Optional.ofNullable(period);
  }

  /** The operator's name, e.g. {@code psi}. */
  public String operator() {
    return operator.name();
  }

  /** The operator that runs this job. */
  public SecureOperator secureOperator() {
    return operator;
  }

  public List<PartySpec> parties() {
    return parties;
  }

  /** The operator's settings, from its section of the spec. */
  public OperatorSettings settings() {
    return settings;
  }

  /**
   * The operator's settings as {@code type}, e.g. {@code spec.settings(PsiSpec.class)}.
   *
   * @throws InvalidInputException if this job's operator has other settings
   */
  public <S extends OperatorSettings> S settings(Class<S> type) {
    if (!type.isInstance(settings)) {
      throw new InvalidInputException("Cannot use job '" + name + "' as a " + type.getSimpleName() + " job: its "
          + "operator is " + operator.name() + ". Use a spec of the right operator.");
    }
    return type.cast(settings);
  }

  /** Parties that receive an output of the job. */
  public List<String> recipients() {
    return settings.recipients();
  }

  /** Parties that contribute an input, in spec order. */
  public List<String> dataParties() {
    return parties.stream().filter(p -> p.input() != null).map(PartySpec::id).toList();
  }

  /** The columns of {@code party}'s input the job uses (keys, values, and columns kept in the output). */
  public List<String> columnsUsed(String party) {
    return settings.columnsUsed(party(party));
  }

  /**
   * How the job uses each column of {@code party}'s input (see {@link OperatorSettings#columnUses}):
   * what the party's policy {@code columnRules} is checked against.
   */
  public Map<String, Set<ColumnUse>> columnUses(String party) {
    return settings.columnUses(party(party));
  }

  public long peerTimeoutMs() {
    return peerTimeoutMs;
  }

  /** The canonical JSON the contract hash is computed over. */
  public String canonicalJson() {
    return canonicalJson;
  }

  /** Hex SHA-256 of {@link #canonicalJson()}. */
  public String contractHash() {
    return contractHash;
  }

  /**
   * Hex SHA-256 of the canonical JSON of {@code {"algorithm": "veil/v1", "operator": ..., <section>: ...}}:
   * the operator and its settings section only ({@code psi}, {@code aggregate} or {@code
   * featureAggregate}, defaults made explicit), and nothing else: not the name, period, parties,
   * keys, inputs, outputs, peer timeout or authorisation setting. A data owner who authorises this
   * hash for its asset lets every period and every party set of a recurring job with these operator
   * settings use the asset; the section still pins what the operator computes and who receives the
   * result (PSI recipients, the aggregation result party, group-by and value columns). Which of the
   * party's own columns are keys or kept lies in its input, so it is covered by the
   * {@link #contractHash()} only; an owner who wants to pin them authorises the contract hash.
   * Never equal to a contract hash: the contract's JSON always has {@code parties}, this one never.
   */
  public String algorithmHash() {
    Map<String, Object> m = algorithm();
    m.put("algorithm", "veil/v1");
    return HexFormat.of().formatHex(Sha256.hash(json(m).getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Whether every data party must find its input's asset authorised on the ledger contract, for
   * the {@link #algorithmHash()} or the {@link #contractHash()}, before it reads data (spec field
   * {@code authorisation: required}; default {@code none}). Then every party with an input
   * declares {@code input.asset}.
   */
  public boolean authorisationRequired() {
    return authorisationRequired;
  }

  /** 32 hex characters: SHA-256("veil-job/v1|" + contract hash); the period is part of the contract. */
  public String jobId() {
    String material = "veil-job/v1|" + contractHash;
    return HexFormat.of().formatHex(Sha256.hash(material.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
  }

  /** Name of the job's control log, shared by every attempt of the same job name and period. */
  public String controlLogName() {
    return "ctl." + name + (period == null ? "" : "." + period);
  }

  public PartySpec party(String id) {
    return parties.stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow(() ->
        new InvalidInputException("Cannot run job '" + name + "' as '" + id + "': the spec's parties are "
            + String.join(", ", parties.stream().map(PartySpec::id).toList()) + ". Fix --party."));
  }

  /** Party ids to pinned keys. */
  public Map<String, IdentityPublicKey> partyKeys() {
    Map<String, IdentityPublicKey> m = new LinkedHashMap<>();
    parties.forEach(p -> m.put(p.id(), p.publicKey()));
    return m;
  }

  /** The id of each party other than {@code me}, in spec order. */
  public List<String> others(String me) {
    return parties.stream().map(PartySpec::id).filter(id -> !id.equals(me)).toList();
  }

}
