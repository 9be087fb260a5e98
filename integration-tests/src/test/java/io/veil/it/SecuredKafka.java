package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.connectors.kafka.EmbeddedKafkaBroker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.utils.SecurityUtils;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * A secured Kafka for the integration tests, set up as an administrator sets up a production
 * cluster, from the README's "Kafka security" section: an {@link EmbeddedKafkaBroker} whose only
 * client listener is SASL_SSL (SCRAM over TLS, key store from {@link TestTls}) with the KRaft ACL
 * authorizer; then, as the administrator (a super user), the SCRAM users and ACLs of the README's
 * {@code kafka-configs.sh} and {@code kafka-acls.sh} commands, applied through the Admin API. The
 * commands are read from the README itself, so the README shows exactly what the tests grant.
 *
 * <p>Each party gets a working directory holding what {@code spark-submit --files} would ship next
 * to its Kafka client properties file: the broker's certificate ({@code kafka-ca.pem}) and its
 * password file ({@code kafka-password.properties}).
 */
final class SecuredKafka implements AutoCloseable {
  static final String MECHANISM = "SCRAM-SHA-512";
  static final String ADMIN_USER = "veil-admin";
  /** The README block the tests apply. */
  static final String BEGIN = "<!-- BEGIN kafka-admin:";
  static final String END = "<!-- END kafka-admin -->";

  final EmbeddedKafkaBroker broker;
  final TestTls tls;
  final List<AclBinding> acls;
  /** SCRAM user name to its password, for every user the README creates. */
  final Map<String, String> passwords = new LinkedHashMap<>();
  private final Path dir;
  private final String adminPassword;

  private SecuredKafka(Path dir, TestTls tls, EmbeddedKafkaBroker broker, String adminPassword,
      List<AclBinding> acls) {
    this.dir = dir;
    this.tls = tls;
    this.broker = broker;
    this.adminPassword = adminPassword;
    this.acls = acls;
  }

  static Path readme() {
    return Path.of(System.getProperty("veil.cluster-configs.dir", "../cluster-configs")).resolve("../README.md")
        .toAbsolutePath().normalize();
  }

  static Path clusterConfigs() {
    return Path.of(System.getProperty("veil.cluster-configs.dir", "../cluster-configs")).toAbsolutePath().normalize();
  }

  /** Starts the broker, creates the README's users (with random passwords) and its ACLs. */
  static SecuredKafka start(Path dir) throws Exception {
    TestTls tls = TestTls.generate(dir.resolve("tls"));
    String adminPassword = TestTls.randomPassword();
    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir.resolve("kafka"), 0,
        new EmbeddedKafkaBroker.SaslSsl(MECHANISM, tls.keyStore, tls.keyStorePassword, ADMIN_USER,
            adminPassword.toCharArray())).start();
    String block = readmeBlock();
    SecuredKafka k = new SecuredKafka(dir, tls, broker, adminPassword, aclsOf(block));
    try (Admin admin = k.admin()) {
      List<UserScramCredentialAlteration> users = new ArrayList<>();
      for (ScramUser u : usersOf(block)) {
        String password = TestTls.randomPassword();
        k.passwords.put(u.name, password);
        users.add(new UserScramCredentialUpsertion(u.name, new ScramCredentialInfo(u.mechanism, u.iterations),
            password));
      }
      admin.alterUserScramCredentials(users).all().get();
      admin.createAcls(k.acls).all().get();
      k.awaitApplied(admin);
    }
    return k;
  }

  /**
   * Waits until the broker serves what the controller committed: every user authenticates and
   * every ACL is in force (both reach the broker's caches shortly after the Admin calls return).
   */
  private void awaitApplied(Admin admin) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    Set<AclBinding> wanted = new HashSet<>(acls);
    while (!new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get()).containsAll(wanted)) {
      assertThat(System.currentTimeMillis()).as("ACLs in force within 30 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    for (Map.Entry<String, String> u : passwords.entrySet()) {
      while (true) {
        Properties p = clientProperties(u.getKey(), u.getValue());
        p.put("default.api.timeout.ms", "5000");
        p.put("request.timeout.ms", "5000");
        try (Admin asUser = Admin.create(p)) {
          asUser.describeCluster().clusterId().get();
          break;
        } catch (ExecutionException e) {
          assertThat(System.currentTimeMillis()).as(u.getKey() + " authenticates within 30 s: " + e.getCause())
              .isLessThan(deadline);
          Thread.sleep(100);
        }
      }
    }
  }

  /** Client properties (absolute paths) of a SCRAM user, for the test's own clients. */
  Properties clientProperties(String user, String password) {
    Properties p = new Properties();
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
    p.put(SaslConfigs.SASL_MECHANISM, MECHANISM);
    p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required "
        + "username=\"" + user + "\" password=\"" + password + "\";");
    p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
    p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, tls.certificatePem.toString());
    return p;
  }

  Admin admin() {
    return Admin.create(clientProperties(ADMIN_USER, adminPassword));
  }

  /**
   * A working directory for a party's JVM holding the files its client properties file names by
   * relative path: the broker's certificate and a password file with {@code password}.
   */
  Path partyDir(String name, String password) throws IOException {
    Path d = Files.createDirectories(dir.resolve("party-" + name));
    Files.copy(tls.certificatePem, d.resolve("kafka-ca.pem"), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(d.resolve("kafka-password.properties"), "password=" + password + "\n", StandardCharsets.UTF_8);
    return d;
  }

  /** The shipped client properties file of a party, {@code cluster-configs/kafka/<party>.sasl-ssl.properties}. */
  static Path propertiesFile(String party) {
    return clusterConfigs().resolve("kafka").resolve(party + ".sasl-ssl.properties");
  }

  @Override
  public void close() {
    broker.close();
  }

  // ---- the README's commands ----

  record ScramUser(String name, ScramMechanism mechanism, int iterations) {}

  static String readmeBlock() throws IOException {
    String text = Files.readString(readme(), StandardCharsets.UTF_8);
    int from = text.indexOf(BEGIN);
    int to = text.indexOf(END);
    assertThat(from).as("README block " + BEGIN).isNotNegative();
    assertThat(to).as("README " + END).isGreaterThan(from);
    return text.substring(from, to);
  }

  /** The block's shell commands, continuation lines joined, comments dropped. */
  static List<List<String>> commands(String block) {
    List<List<String>> out = new ArrayList<>();
    StringBuilder cmd = new StringBuilder();
    for (String raw : block.split("\n")) {
      String line = raw.strip();
      if (line.startsWith("#") || line.startsWith("```") || line.startsWith("<!--")) {
        continue;
      }
      boolean more = line.endsWith("\\");
      cmd.append(more ? line.substring(0, line.length() - 1) : line).append(' ');
      if (!more) {
        String c = cmd.toString().strip();
        if (!c.isEmpty()) {
          List<String> words = new ArrayList<>();
          for (String w : c.split("\\s+")) {
            words.add(w.replaceAll("^[\"']|[\"']$", ""));
          }
          out.add(words);
        }
        cmd.setLength(0);
      }
    }
    return out;
  }

  private static final Pattern SCRAM_CONFIG =
      Pattern.compile("(SCRAM-SHA-256|SCRAM-SHA-512)=\\[iterations=(\\d+),password=[^\\]]+]");

  static List<ScramUser> usersOf(String block) {
    List<ScramUser> users = new ArrayList<>();
    for (List<String> c : commands(block)) {
      if (!c.get(0).equals("kafka-configs.sh")) {
        continue;
      }
      String name = value(c, "--entity-name");
      assertThat(value(c, "--entity-type")).isEqualTo("users");
      assertThat(c).contains("--alter");
      Matcher m = SCRAM_CONFIG.matcher(value(c, "--add-config"));
      assertThat(m.matches()).as("--add-config of " + c).isTrue();
      users.add(new ScramUser(name, ScramMechanism.fromMechanismName(m.group(1)), Integer.parseInt(m.group(2))));
    }
    assertThat(users).as("kafka-configs.sh commands in the README block").isNotEmpty();
    return users;
  }

  static List<AclBinding> aclsOf(String block) {
    List<AclBinding> acls = new ArrayList<>();
    for (List<String> c : commands(block)) {
      if (!c.get(0).equals("kafka-acls.sh")) {
        assertThat(c.get(0)).as("a command of the README block").isIn("kafka-configs.sh");
        continue;
      }
      String principal = null;
      String topic = null;
      PatternType type = PatternType.LITERAL;
      List<AclOperation> operations = new ArrayList<>();
      boolean add = false;
      for (int i = 1; i < c.size(); i++) {
        switch (c.get(i)) {
          case "--bootstrap-server", "--command-config" -> i++;
          case "--add" -> add = true;
          case "--allow-principal" -> principal = c.get(++i);
          case "--operation" -> operations.add(SecurityUtils.operation(c.get(++i))); // as kafka-acls.sh reads it
          case "--topic" -> topic = c.get(++i);
          case "--resource-pattern-type" -> type = PatternType.fromString(c.get(++i).toUpperCase(Locale.ROOT));
          default -> throw new AssertionError("unexpected word '" + c.get(i) + "' in " + c);
        }
      }
      assertThat(add).as("--add in " + c).isTrue();
      assertThat(principal).as("--allow-principal in " + c).startsWith("User:");
      assertThat(topic).as("--topic in " + c).isNotNull();
      assertThat(operations).as(c.toString()).isNotEmpty().doesNotContain(AclOperation.UNKNOWN);
      assertThat(type).as(c.toString()).isIn(PatternType.LITERAL, PatternType.PREFIXED);
      for (AclOperation op : operations) {
        acls.add(new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, type),
            new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
      }
    }
    assertThat(acls).as("kafka-acls.sh commands in the README block").isNotEmpty();
    return acls;
  }

  private static String value(List<String> c, String option) {
    int i = c.indexOf(option);
    assertThat(i).as(option + " in " + c).isPositive().isLessThan(c.size() - 1);
    return c.get(i + 1);
  }
}
