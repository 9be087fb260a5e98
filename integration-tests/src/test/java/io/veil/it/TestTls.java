package io.veil.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * TLS material for a test broker, made at test time with the JDK's {@code keytool} (nothing
 * downloaded, nothing committed): a PKCS12 key store with a self-signed EC certificate for
 * {@code 127.0.0.1} (subject alternative names {@code IP:127.0.0.1} and {@code DNS:localhost}, so
 * clients keep Kafka's default host name check), valid for two days, and that certificate as a PEM
 * file for clients' {@code ssl.truststore.type=PEM}. The store password is random, handed to
 * keytool through its environment, never on a command line.
 */
final class TestTls {
  private static final String PASSWORD_VARIABLE = "VEIL_IT_STORE_PASSWORD";

  final Path keyStore;
  final char[] keyStorePassword;
  /** The broker's certificate, PEM: what clients trust. */
  final Path certificatePem;

  private TestTls(Path keyStore, char[] keyStorePassword, Path certificatePem) {
    this.keyStore = keyStore;
    this.keyStorePassword = keyStorePassword;
    this.certificatePem = certificatePem;
  }

  static TestTls generate(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    char[] password = randomPassword().toCharArray();
    Path store = dir.resolve("broker.p12");
    Path pem = dir.resolve("kafka-ca.pem");
    keytool(password, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
        "-sigalg", "SHA256withECDSA", "-dname", "CN=127.0.0.1, O=Veil test broker",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
        "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass:env", PASSWORD_VARIABLE);
    keytool(password, "-exportcert", "-rfc", "-alias", "broker", "-keystore", store.toString(),
        "-storetype", "PKCS12", "-storepass:env", PASSWORD_VARIABLE, "-file", pem.toString());
    return new TestTls(store, password, pem);
  }

  /** 32 random characters from {@code [A-Za-z0-9_-]}. */
  static String randomPassword() {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static void keytool(char[] password, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put(PASSWORD_VARIABLE, new String(password));
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("keytool " + args[0] + " failed: " + new String(out, StandardCharsets.UTF_8));
    }
  }
}
