package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.VeilException;
import io.veil.channel.StreamReader;
import io.veil.channel.StreamWriter;
import io.veil.connectors.kafka.KafkaChannel;
import io.veil.connectors.kafka.KafkaChannelConfig;
import io.veil.jobs.PartyProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka security for real: one broker for the class whose only client listener is SASL_SSL
 * (SCRAM-SHA-512 over TLS, a key store made by keytool at test time) with Kafka's KRaft ACL
 * authorizer, set up with the README's users and prefixed ACLs ({@link SecuredKafka}). Each party
 * is its own JVM using the shipped client properties file {@code cluster-configs/kafka/<party>.sasl-ssl.properties}
 * unchanged, with its password file and the broker's certificate in its working directory, as
 * {@code spark-submit --files} leaves them.
 *
 * <ul>
 *   <li>a two-party PSI job succeeds, each party creating and writing only its own topics;
 *   <li>the ACLs hold on the broker: a party's principal writes its own topics and reads, but cannot
 *       write, its peer's;
 *   <li>a party run with its peer's Kafka credentials is refused at its first write of its own
 *       stream, and the job fails on both sides with an error naming the topic and the ACL;
 *   <li>a wrong password fails at the first Kafka call with an error naming the credentials.
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaSecurityIT {
  private static final long RUN_MS = 240_000;
  private static final List<String> PARTIES = PsiFixture.PARTIES;
  @TempDir static Path dir;
  static SecuredKafka kafka;
  static PsiFixture fx;

  @BeforeAll
  static void start() throws Exception {
    kafka = SecuredKafka.start(dir);
    fx = new PsiFixture(dir.resolve("work"), kafka.broker.bootstrapServers());
    writeIds(fx.work.resolve("data/bank_a.csv"), IntStream.range(0, 400));
    writeIds(fx.work.resolve("data/bank_b.csv"), IntStream.range(250, 600));
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static void writeIds(Path file, IntStream ids) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "id\n" + ids.mapToObj(i -> "customer-" + i).collect(Collectors.joining("\n")) + "\n",
        StandardCharsets.UTF_8);
  }

  private static String user(String party) {
    return "veil-" + party;
  }

  /** Starts {@code party} with the shipped properties file of {@code credentialsOf} and {@code password}. */
  private static PartyProcess start(String party, Path spec, String credentialsOf, String password, String dirName)
      throws IOException {
    Path work = kafka.partyDir(dirName, password);
    return fx.startIn(work, party, spec,
        "--conf", "veil.channel.kafka.properties.file=" + SecuredKafka.propertiesFile(credentialsOf),
        "--conf", "veil.channel.timeout.ms=20000");
  }

  private static String text(PartyProcess p) {
    return String.join("\n", p.output());
  }

  private static String message(PartyProcess p) {
    assertThat(p.outcome().path("status").asText()).as(p.name()).isEqualTo("failed");
    return p.outcome().path("message").asText();
  }

  /** A channel in this JVM as {@code user}: its client properties file holds absolute paths. */
  private static KafkaChannel channelAs(String user) throws IOException {
    Properties p = kafka.clientProperties(user, kafka.passwords.get(user));
    p.remove("bootstrap.servers");
    Path file = dir.resolve(user + "-client.properties");
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, null);
    }
    return KafkaChannel.fromOptions(Map.of(KafkaChannelConfig.BOOTSTRAP_SERVERS, kafka.broker.bootstrapServers(),
        KafkaChannelConfig.KAFKA_PROPERTIES_FILE, file.toString(), KafkaChannelConfig.TIMEOUT_MS, "5000"));
  }

  private static List<String> dataTopics(String jobId) {
    List<String> topics = new ArrayList<>();
    for (String p : PARTIES) {
      String peer = p.equals("bank_a") ? "bank_b" : "bank_a";
      topics.add("veil." + p + "." + jobId + ".blind-1");
      topics.add("veil." + p + "." + jobId + ".blind-2." + peer);
    }
    return topics;
  }

  /** Records on every partition of {@code topics}, read as the administrator. */
  private static long records(List<String> topics) throws Exception {
    try (Admin admin = kafka.admin()) {
      Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames().get();
      Map<TopicPartition, OffsetSpec> parts = new HashMap<>();
      d.values().forEach(t -> t.partitions().forEach(p ->
          parts.put(new TopicPartition(t.name(), p.partition()), OffsetSpec.latest())));
      return admin.listOffsets(parts).all().get().values().stream().mapToLong(o -> o.offset()).sum();
    }
  }

  @Test
  @Order(1)
  void theBrokerHoldsExactlyTheReadmesAcls() throws Exception {
    try (Admin admin = kafka.admin()) {
      Set<AclBinding> on = new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get());
      assertThat(on).isEqualTo(new HashSet<>(kafka.acls));
    }
    assertThat(kafka.passwords.keySet()).containsExactly(user("bank_a"), user("bank_b"));
  }

  @Test
  @Order(2)
  void aPsiJobRunsWithEachPartyOnItsOwnCredentials() throws Exception {
    Path spec = fx.writeSpec("secure.yaml", "it-secure", "rows", Map.of());
    String jobId = PsiFixture.jobId(spec);
    long t0 = System.nanoTime();
    List<PartyProcess> ps = new ArrayList<>();
    for (String p : PARTIES) {
      ps.add(start(p, spec, p, kafka.passwords.get(user(p)), p));
    }
    for (PartyProcess p : ps) {
      assertThat(p.await(RUN_MS)).as(p.name()).isZero();
    }
    System.out.printf("KafkaSecurityIT: PSI job under ACLs took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    Set<String> expected = IntStream.range(250, 400).mapToObj(i -> "customer-" + i).collect(Collectors.toSet());
    for (String p : PARTIES) {
      assertThat(PsiFixture.outputIds(fx.output("it-secure", p))).as(p).isEqualTo(expected);
    }
    try (Admin admin = kafka.admin()) {
      assertThat(admin.listTopics().names().get()).containsAll(dataTopics(jobId)).contains("veil.ctl.it-secure");
    }
    assertThat(records(dataTopics(jobId))).isPositive();
  }

  @Test
  @Order(3)
  void aPrincipalWritesItsOwnTopicsAndReadsButCannotWriteItsPeers() throws Exception {
    KafkaChannel asA = channelAs(user("bank_a"));
    KafkaChannel asB = channelAs(user("bank_b"));
    asA.createStreams(List.of("bank_a.acl-check"), 1);
    asB.createStreams(List.of("bank_b.acl-check"), 1);
    byte[] record = "acl-check".getBytes(StandardCharsets.UTF_8);
    try (StreamWriter w = asA.openWriter("bank_a.acl-check", 0)) {
      w.write(record);
    }
    try (StreamReader r = asB.openReader("bank_a.acl-check", 0)) {
      assertThat(r.records()).toIterable().containsExactly(record);
    }
    assertThatThrownBy(() -> {
      try (StreamWriter w = asA.openWriter("bank_b.acl-check", 0)) {
        w.write(record);
      }
    }).isInstanceOf(VeilException.class)
        .hasMessageContaining("Cannot write to Kafka topic 'veil.bank_b.acl-check' partition 0")
        .hasMessageContaining("--operation Write --topic veil.bank_b. --resource-pattern-type prefixed");
    assertThatThrownBy(() -> asA.createStreams(List.of("bank_b.not-mine"), 1))
        .isInstanceOf(VeilException.class)
        .hasMessageContaining("denied Create on topic 'veil.bank_b.not-mine'")
        .hasMessageContaining("nobody else created the topic within 5000 ms")
        .hasMessageContaining("--operation Create --topic veil.bank_b. --resource-pattern-type prefixed");
    assertThat(records(List.of("veil.bank_b.acl-check"))).isZero();
  }

  @Test
  @Order(4)
  void aPartyRunWithItsPeersCredentialsIsRefusedAtItsFirstWrite() throws Exception {
    Path spec = fx.writeSpec("impostor.yaml", "it-impostor", "rows", Map.of());
    String jobId = PsiFixture.jobId(spec);
    // Topics created beforehand by the administrator (README: "a topic an administrator created
    // beforehand is used as it is"), so that the refusal is of the write itself.
    try (Admin admin = kafka.admin()) {
      List<NewTopic> topics = new ArrayList<>();
      for (String t : dataTopics(jobId)) {
        // with the settings the parties check before they use a topic they did not create
        topics.add(new NewTopic(t, 4, (short) 1).configs(Map.of("max.message.bytes",
            Integer.toString(KafkaChannelConfig.DEFAULT_MAX_BATCH_BYTES + KafkaChannelConfig.RECORD_OVERHEAD_BYTES),
            "compression.type", "uncompressed", "cleanup.policy", "delete",
            "retention.ms", Long.toString(KafkaChannelConfig.DEFAULT_RETENTION_MS))));
      }
      admin.createTopics(topics).all().get();
    }
    long t0 = System.nanoTime();
    PartyProcess a = start("bank_a", spec, "bank_a", kafka.passwords.get(user("bank_a")), "bank_a");
    // bank_b's JVM, configured by mistake with bank_a's properties file and password.
    PartyProcess b = start("bank_b", spec, "bank_a", kafka.passwords.get(user("bank_a")), "bank_b-as-bank_a");
    assertThat(b.await(RUN_MS)).isEqualTo(1);
    long refusedMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(a.await(RUN_MS)).isEqualTo(1);
    System.out.printf("KafkaSecurityIT: refused party failed after %d ms, its peer after %d ms%n", refusedMs,
        (System.nanoTime() - t0) / 1_000_000);
    String refused = message(b);
    System.out.println("KafkaSecurityIT: refusal: " + refused);
    assertThat(refused)
        .startsWith("Cannot write to Kafka topic 'veil.bank_b." + jobId + ".blind-1' partition ")
        .contains("denied Write on topic 'veil.bank_b." + jobId + ".blind-1' to the Kafka principal this party "
            + "authenticated as (TopicAuthorizationException)")
        .contains("--allow-principal User:<this party's Kafka user> --operation Write --topic veil.bank_b. "
            + "--resource-pattern-type prefixed")
        .contains("kafka.properties.file");
    assertThat(text(b)).contains("veil: Cannot write to Kafka topic 'veil.bank_b." + jobId + ".blind-1'");
    assertThat(message(a)).contains("bank_b");
    assertThat(records(dataTopics(jobId).subList(2, 4))).as("nothing reached bank_b's topics").isZero();
  }

  @Test
  @Order(5)
  void aWrongPasswordFailsAtTheFirstKafkaCall() throws Exception {
    Path spec = fx.writeSpec("wrong-password.yaml", "it-wrong-password", "rows", Map.of());
    long t0 = System.nanoTime();
    PartyProcess a = start("bank_a", spec, "bank_a", TestTls.randomPassword(), "bank_a-wrong-password");
    assertThat(a.await(RUN_MS)).isEqualTo(1);
    System.out.printf("KafkaSecurityIT: wrong password failed after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    String m = message(a);
    System.out.println("KafkaSecurityIT: wrong password: " + m);
    assertThat(m).startsWith("Cannot ")
        .contains("SCRAM-SHA-512")
        .contains("sasl.jaas.config")
        .contains("kafka.properties.file");
    try (Admin admin = kafka.admin()) {
      assertThat(admin.listTopics().names().get()).noneMatch(t -> t.contains("it-wrong-password"));
    }
  }
}
