package io.veil.connectors.kafka;

import io.veil.VeilException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;

/**
 * A real single-node Apache Kafka 3.9 broker in KRaft mode (combined broker and controller, node id
 * 1), listening on loopback only, for demos, tests and "every party on one machine" runs.
 *
 * <p>It formats its log directory the way {@code kafka-storage.sh format} does (keeping an existing
 * format, so a broker restarts over the same directory with its data) and runs
 * {@code KafkaRaftServer} in this JVM. Every replication factor and {@code min.insync.replicas}
 * is 1, automatic topic creation is off (the channel creates its topics), and ports are picked
 * free at start unless given. Kafka 3.9 can share a JVM with Spark 3.5; to keep a broker out of a
 * Spark driver, run {@link #main} as a child process instead.
 *
 * <p>By default it has no authentication and no TLS: anyone who can reach 127.0.0.1 on this host
 * can read and write every topic. Use a real cluster with TLS and SASL when parties are on different
 * hosts. Given {@link SaslSsl} settings instead, it serves clients on a {@code SASL_SSL} listener
 * only (SCRAM authentication over TLS) and authorises every request with Kafka's KRaft ACL
 * authorizer, as a secured production cluster does; see {@link SaslSsl}.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker().start()) {
 *   KafkaChannel channel = new KafkaChannel(
 *       KafkaChannelConfig.builder().bootstrapServers(broker.bootstrapServers()).build());
 *   ...
 * }
 * }</pre>
 *
 * <p>Not thread-safe; {@link #close()} may be called from a shutdown hook.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  /** The line {@link #main} prints, followed by a space and the bootstrap servers, when ready. */
  public static final String READY_LINE_PREFIX = "VEIL-KAFKA-READY";

  private static final String HOST = "127.0.0.1";
  private static final int START_ATTEMPTS = 3;
  private static final String QUIET_LOG_CONFIG =
      "io/veil/connectors/kafka/embedded-broker-log4j2.properties";

  private final Path requestedLogDir; // nullable: use a temporary directory
  private final int requestedPort; // 0: pick a free port
  private final SaslSsl saslSsl; // nullable: one PLAINTEXT listener, no authorizer
  private Path logDir;
  private boolean deleteLogDirOnClose;
  private KafkaRaftServer server;
  private int port;
  private boolean closed;

  /** A broker on a free port with a temporary log directory, deleted on {@link #close()}. */
  public EmbeddedKafkaBroker() {
    this(null, 0);
  }

  /**
   * A broker with the given log directory (created if missing, kept on close; {@code null} for a
   * temporary one) and client port ({@code 0} to pick a free one).
   */
  public EmbeddedKafkaBroker(Path logDir, int port) {
    this(logDir, port, null);
  }

  /**
   * A broker as {@link #EmbeddedKafkaBroker(Path, int)} whose client port is a {@code SASL_SSL}
   * listener with SCRAM and ACLs ({@code saslSsl} non-null), or plain ({@code null}).
   */
  public EmbeddedKafkaBroker(Path logDir, int port, SaslSsl saslSsl) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, was " + port);
    }
    this.requestedLogDir = logDir;
    this.requestedPort = port;
    this.saslSsl = saslSsl;
  }

  /**
   * Formats storage if needed, starts the broker and waits until it is ready to serve clients
   * (registered and unfenced).
   *
   * @return this broker
   * @throws VeilException if it cannot start (for example the given port is taken)
   */
  public EmbeddedKafkaBroker start() {
    if (server != null || closed) {
      throw new IllegalStateException("start() may be called once");
    }
    try {
      if (requestedLogDir == null) {
        logDir = Files.createTempDirectory("veil-kafka-");
        deleteLogDirOnClose = true;
      } else {
        logDir = Files.createDirectories(requestedLogDir.toAbsolutePath());
      }
    } catch (IOException e) {
      throw new VeilException("Cannot start the embedded Kafka broker: cannot create log directory "
          + (requestedLogDir == null
              ? "in " + System.getProperty("java.io.tmpdir") : requestedLogDir)
          + " (" + e.getMessage() + "). Give a writable directory.", e);
    }
    RuntimeException last = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      int[] free = freePorts(saslSsl == null ? 2 : 3, requestedPort);
      int clientPort = requestedPort != 0 ? requestedPort : free[0];
      int controllerPort = free[1];
      int internalPort = saslSsl == null ? 0 : free[2];
      try {
        startOnce(clientPort, controllerPort, internalPort);
        port = clientPort;
        return this;
      } catch (NoClassDefFoundError e) {
        deleteTempDir();
        throw new VeilException("Cannot start the embedded Kafka broker: class " + e.getMessage()
            + " is not on the class path. Put org.apache.kafka:kafka_2.12:3.9.x with its "
            + "dependencies and scala-library 2.12 (Spark provides it) on the class path, or use a "
            + "Kafka cluster through option '" + KafkaChannelConfig.BOOTSTRAP_SERVERS + "'.", e);
      } catch (RuntimeException e) {
        last = e;
        stopServer();
        // A port picked free can be taken by someone else before the broker binds it: retry.
        if (!causedByBind(e) || requestedPort != 0) {
          break;
        }
      }
    }
    deleteTempDir();
    boolean bind = last != null && causedByBind(last);
    throw new VeilException("Cannot start the embedded Kafka broker on " + HOST
        + (requestedPort != 0 ? ":" + requestedPort : "") + " with log directory " + logDir + ": "
        + (last == null ? "unknown error" : messages(last)) + ". "
        + (bind ? "Free the port or pick another one." : "Check the log directory and the "
        + "messages logged above."), last);
  }

  /** The distinct messages of a failure and its causes, outermost first. */
  private static String messages(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
      String m = c.getMessage() == null ? c.getClass().getSimpleName()
          : c.getMessage().replaceAll("[.\\s]+$", "");
      if (sb.indexOf(m) < 0) {
        sb.append(sb.length() == 0 ? "" : ": ").append(m);
      }
    }
    return sb.toString();
  }

  private void startOnce(int clientPort, int controllerPort, int internalPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
    p.put("controller.listener.names", "CONTROLLER");
    if (saslSsl == null) {
      p.put("listeners", "PLAINTEXT://" + HOST + ":" + clientPort + ",CONTROLLER://" + HOST + ":"
          + controllerPort);
      p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort);
      p.put("inter.broker.listener.name", "PLAINTEXT");
      p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    } else {
      saslSsl.configure(p, HOST, clientPort, internalPort, controllerPort);
    }
    p.put("log.dirs", logDir.toString());
    p.put("auto.create.topics.enable", "false");
    p.put("num.partitions", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // A small footprint: one machine may run this next to two Spark drivers.
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "2");
    p.put("background.threads", "2");
    p.put("num.recovery.threads.per.data.dir", "1");
    p.put("log.cleaner.threads", "1");
    p.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
    p.put("log.cleaner.io.buffer.size", Integer.toString(256 * 1024));

    KafkaConfig config = KafkaConfig.fromProps(p, false);
    format();
    server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup(); // returns once the broker is unfenced and serving
  }

  /** Formats the log directory like {@code kafka-storage.sh format}, unless already formatted. */
  private void format() {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return; // a restart: KafkaRaftServer checks the existing format (cluster id, node id)
    }
    try (PrintStream silent = new PrintStream(OutputStream.nullOutputStream(), true,
        StandardCharsets.UTF_8)) {
      new Formatter()
          .setPrintStream(silent)
          .setNodeId(1)
          .setClusterId(Uuid.randomUuid().toString())
          .setControllerListenerName("CONTROLLER")
          .setMetadataLogDirectory(logDir.toString())
          .addDirectory(logDir.toString())
          .setScramArguments(saslSsl == null ? List.of() : saslSsl.formatScramArguments())
          .run();
    } catch (Exception e) {
      throw new VeilException("Cannot format the embedded Kafka broker's log directory " + logDir
          + ": " + e.getMessage() + ". Give an empty directory or one formatted by this broker.",
          e);
    }
  }

  /**
   * {@code 127.0.0.1:<port>}, the client listener ({@code SASL_SSL} when started with {@link
   * SaslSsl} settings); valid after {@link #start()}.
   */
  public String bootstrapServers() {
    checkStarted();
    return HOST + ":" + port;
  }

  /** The client port; valid after {@link #start()}. */
  public int port() {
    checkStarted();
    return port;
  }

  /**
   * The directories holding the broker's data: topic partitions are subdirectories
   * {@code <topic>-<partition>} with raw {@code .log} segment files.
   */
  public List<Path> logDirs() {
    checkStarted();
    return List.of(logDir);
  }

  private void checkStarted() {
    if (server == null) {
      throw new IllegalStateException("the broker is not running; call start() first");
    }
  }

  /** Shuts the broker down cleanly and deletes the log directory if it was a temporary one. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopServer();
    deleteTempDir();
  }

  private void stopServer() {
    if (server != null) {
      try {
        server.shutdown();
        server.awaitShutdown();
      } finally {
        server = null;
      }
    }
  }

  private void deleteTempDir() {
    if (deleteLogDirOnClose && logDir != null) {
      try (Stream<Path> files = Files.walk(logDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> {
          try {
            Files.deleteIfExists(f);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      } catch (IOException | UncheckedIOException e) {
        // best effort: a temporary directory left behind is harmless
      }
    }
  }

  /**
   * {@code count} free ports, distinct from each other and from {@code taken}: every socket stays
   * open until all are picked, since the system may hand out a port again once it is closed.
   */
  static int[] freePorts(int count, int taken) {
    ServerSocket[] sockets = new ServerSocket[count];
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        do {
          if (sockets[i] != null) {
            sockets[i].close();
          }
          sockets[i] = new ServerSocket(0, 1, InetAddress.getByName(HOST));
        } while (sockets[i].getLocalPort() == taken);
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new VeilException("Cannot start the embedded Kafka broker: no free port on " + HOST
          + " (" + e.getMessage() + "). Check the loopback interface.", e);
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) {
          try {
            s.close();
          } catch (IOException ignored) {
            // the port is free again either way
          }
        }
      }
    }
  }

  private static boolean causedByBind(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof BindException
          || (c.getMessage() != null && c.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Settings of a secured broker: clients connect over {@code SASL_SSL} with one SCRAM mechanism
   * ({@code SCRAM-SHA-256} or {@code SCRAM-SHA-512}), TLS from a PKCS12 key store, and every request
   * is checked by Kafka's KRaft ACL authorizer ({@code
   * org.apache.kafka.metadata.authorizer.StandardAuthorizer}): whatever no ACL allows is denied.
   *
   * <p>The broker then has three loopback listeners: the clients' {@code SASL_SSL} one (the port the
   * broker was given, what {@link #bootstrapServers()} returns) and two {@code SASL_PLAINTEXT}
   * ones for its own inter-broker and controller traffic, authenticated with PLAIN as an internal
   * user whose random password never leaves this JVM. The super users are that internal user and
   * the administrator. The administrator's SCRAM credential is written when the log directory is
   * formatted (as {@code kafka-storage.sh format --add-scram} does), so it can connect at once and
   * create the other users' SCRAM credentials ({@code Admin.alterUserScramCredentials}, like {@code
   * kafka-configs.sh --alter --add-config 'SCRAM-SHA-512=[password=...]'}) and ACLs ({@code
   * Admin.createAcls}, like {@code kafka-acls.sh --add}).
   *
   * <p>For tests and development on one machine: the key store password and the administrator's
   * password become strings in the broker's configuration. Immutable; the arrays are copied.
   */
  public static final class SaslSsl {
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** Characters that need no quoting in a JAAS option nor in {@code --add-scram} arguments. */
    private static final Pattern PASSWORD = Pattern.compile("[A-Za-z0-9._~-]{12,128}");
    private static final String INTERNAL_USER = "veil-embedded-broker";

    private final String mechanism;
    private final Path keyStore;
    private final char[] keyStorePassword;
    private final String adminUser;
    private final char[] adminPassword;
    private final String internalPassword;

    /**
     * @param scramMechanism {@code SCRAM-SHA-256} or {@code SCRAM-SHA-512}
     * @param keyStore PKCS12 key store holding the broker's private key and certificate, which must
     *     name {@code 127.0.0.1} (subject alternative name {@code IP:127.0.0.1}) for clients that
     *     check host names, as Kafka clients do by default
     * @param keyStorePassword the key store's password, also the key's
     * @param adminUser the administrator's SCRAM user name, a super user ({@code [A-Za-z0-9._-]})
     * @param adminPassword its password: 12 to 128 characters from {@code [A-Za-z0-9._~-]}
     */
    public SaslSsl(String scramMechanism, Path keyStore, char[] keyStorePassword, String adminUser,
        char[] adminPassword) {
      if (!"SCRAM-SHA-256".equals(scramMechanism) && !"SCRAM-SHA-512".equals(scramMechanism)) {
        throw new IllegalArgumentException(
            "scramMechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, was " + scramMechanism);
      }
      if (adminUser == null || !USER.matcher(adminUser).matches()
          || adminUser.equals(INTERNAL_USER)) {
        throw new IllegalArgumentException("adminUser must be 1 to 64 characters from "
            + "[A-Za-z0-9._-] other than " + INTERNAL_USER + ", was " + adminUser);
      }
      if (adminPassword == null || !PASSWORD.matcher(CharBuffer.wrap(adminPassword)).matches()) {
        throw new IllegalArgumentException(
            "adminPassword must be 12 to 128 characters from [A-Za-z0-9._~-]");
      }
      this.mechanism = scramMechanism;
      this.keyStore = keyStore.toAbsolutePath();
      this.keyStorePassword = keyStorePassword.clone();
      this.adminUser = adminUser;
      this.adminPassword = adminPassword.clone();
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      this.internalPassword = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /** {@code SCRAM-SHA-256} or {@code SCRAM-SHA-512}. */
    public String scramMechanism() {
      return mechanism;
    }

    /** The administrator's user name; its ACL principal is {@code User:<name>}, a super user. */
    public String adminUser() {
      return adminUser;
    }

    private void configure(Properties p, String host, int clientPort, int internalPort,
        int controllerPort) {
      p.put("listeners", "SASL_SSL://" + host + ":" + clientPort + ",INTERNAL://" + host + ":"
          + internalPort + ",CONTROLLER://" + host + ":" + controllerPort);
      p.put("advertised.listeners", "SASL_SSL://" + host + ":" + clientPort + ",INTERNAL://" + host
          + ":" + internalPort);
      p.put("listener.security.protocol.map",
          "SASL_SSL:SASL_SSL,INTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
      p.put("inter.broker.listener.name", "INTERNAL");
      p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
      p.put("sasl.mechanism.controller.protocol", "PLAIN");
      String plain = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
          + INTERNAL_USER + "\" password=\"" + internalPassword + "\" user_" + INTERNAL_USER
          + "=\"" + internalPassword + "\";";
      for (String listener : List.of("internal", "controller")) {
        p.put("listener.name." + listener + ".sasl.enabled.mechanisms", "PLAIN");
        p.put("listener.name." + listener + ".plain.sasl.jaas.config", plain);
      }
      String client = "listener.name.sasl_ssl.";
      p.put(client + "sasl.enabled.mechanisms", mechanism);
      p.put(client + mechanism.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
      p.put(client + "ssl.keystore.type", "PKCS12");
      p.put(client + "ssl.keystore.location", keyStore.toString());
      p.put(client + "ssl.keystore.password", new String(keyStorePassword));
      p.put(client + "ssl.client.auth", "none");
      p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
      p.put("super.users", "User:" + INTERNAL_USER + ";User:" + adminUser);
      p.put("allow.everyone.if.no.acl.found", "false");
    }

    /** The administrator's credential, as {@code kafka-storage.sh format --add-scram} takes it. */
    private List<String> formatScramArguments() {
      return List.of(mechanism + "=[name=" + adminUser + ",password=" + new String(adminPassword)
          + "]");
    }
  }

  /**
   * Runs a broker as a process: {@code [--log-dir DIR] [--port PORT]}. Prints exactly one line,
   * {@code VEIL-KAFKA-READY <bootstrap servers>}, to standard output when ready, and runs until
   * standard input is closed or the process is terminated. Logs warnings and errors only, to
   * standard error (unless {@code log4j2.configurationFile} is set). Exit status 0 after a clean
   * shutdown, 1 if it could not start, 2 on bad arguments.
   */
  public static void main(String[] args) {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "classpath:" + QUIET_LOG_CONFIG);
    }
    Path logDir = null;
    int port = 0;
    try {
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (!arg.equals("--log-dir") && !arg.equals("--port")) {
          throw new IllegalArgumentException("unknown argument '" + arg + "'");
        }
        if (i + 1 == args.length) {
          throw new IllegalArgumentException(arg + " needs a value");
        }
        String value = args[++i];
        if (arg.equals("--log-dir")) {
          logDir = Paths.get(value);
        } else {
          port = Integer.parseInt(value);
          if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be 1..65535, was " + port);
          }
        }
      }
    } catch (RuntimeException e) {
      System.err.println("Cannot start the embedded Kafka broker: bad arguments ("
          + e.getMessage() + "). Usage: EmbeddedKafkaBroker [--log-dir DIR] [--port PORT].");
      System.exit(2);
      return;
    }

    long startNanos = System.nanoTime();
    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(logDir, port);
    try {
      broker.start();
    } catch (RuntimeException e) {
      System.err.println(e.getMessage());
      System.exit(1);
      return;
    }
    Thread hook = new Thread(broker::close, "veil-kafka-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    System.out.println(READY_LINE_PREFIX + " " + broker.bootstrapServers());
    System.out.flush();
    System.err.println("Embedded Kafka broker ready at " + broker.bootstrapServers() + " in "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos) + " ms, log directory "
        + broker.logDir + "; close standard input or terminate the process to stop it.");
    try {
      while (System.in.read() != -1) {
        // input is ignored; end of input means stop
      }
    } catch (IOException e) {
      // treat a broken stdin like a closed one
    }
    broker.close();
    System.exit(0);
  }
}
