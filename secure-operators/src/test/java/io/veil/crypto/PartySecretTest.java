package io.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.veil.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartySecretTest {
  private static final byte[] BINDING = filled(7);

  private static byte[] filled(int v) {
    byte[] b = new byte[32];
    java.util.Arrays.fill(b, (byte) v);
    return b;
  }

  @TempDir Path dir;

  private static String secretField(Path file) throws Exception {
    Matcher m = Pattern.compile("\"secret\":\"([^\"]+)\"").matcher(Files.readString(file));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void writeThenReadGivesTheSameSecretAndKeys() throws Exception {
    PartySecret s = PartySecret.generate("bank_a", new SecureRandom());
    Path file = dir.resolve("keys/bank_a.key");
    s.write(file);
    PartySecret r = PartySecret.read(file);
    assertThat(r.party()).isEqualTo("bank_a");
    assertThat(r.sameSecretAs(s)).isTrue();
    assertThat(r.identity().publicKey()).isEqualTo(s.identity().publicKey());
    assertThat(r.blindingKey("job-1", BINDING).scalar()).isEqualTo(s.blindingKey("job-1", BINDING).scalar());
    assertThat(Files.readString(file)).contains("\"format\":\"veil-party-key/v1\"").contains(s.identity().publicKey().encoded());
    if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
      assertThat(Files.getPosixFilePermissions(file))
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    }
  }

  @Test
  void refusesToOverwriteAnExistingFile() throws Exception {
    Path file = dir.resolve("party.key");
    PartySecret first = PartySecret.generate("p", new SecureRandom());
    first.write(file);
    String before = Files.readString(file);
    assertThatThrownBy(() -> PartySecret.generate("p", new SecureRandom()).write(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot write party key file")
        .hasMessageContaining("already exists");
    assertThat(Files.readString(file)).isEqualTo(before);
    assertThat(PartySecret.read(file).sameSecretAs(first)).isTrue();
  }

  @Test
  void blindingKeyIsPerRunAndStableAcrossReads() throws Exception {
    Path file = dir.resolve("p.key");
    PartySecret.generate("p", new SecureRandom()).write(file);
    PartySecret a = PartySecret.read(file);
    PartySecret b = PartySecret.read(file);
    assertThat(a.blindingKey("job-1", BINDING).scalar()).isEqualTo(b.blindingKey("job-1", BINDING).scalar());
    assertThat(a.blindingKey("job-1", BINDING).scalar()).isNotEqualTo(a.blindingKey("job-2", BINDING).scalar());
    assertThat(a.blindingKey("job-1", BINDING).scalar()).hasSize(BlindingKey.KEY_BYTES);
    // a run over other inputs (another binding) gets another key
    assertThat(a.blindingKey("job-1", new byte[32]).scalar()).isNotEqualTo(a.blindingKey("job-1", BINDING).scalar());
    // per-job secrets for other purposes are independent of the blinding key
    assertThat(a.deriveJobSecret("job-1", "other", 32)).isNotEqualTo(a.blindingKey("job-1", BINDING).scalar());
    assertThat(a.deriveJobSecret("job-1", "psi-blinding", 32)).isNotEqualTo(a.blindingKey("job-1", BINDING).scalar());
    // and two parties get different keys for the same job
    PartySecret other = PartySecret.generate("q", new SecureRandom());
    assertThat(other.blindingKey("job-1", BINDING).scalar()).isNotEqualTo(a.blindingKey("job-1", BINDING).scalar());
  }

  @Test
  void derivationIsTheDocumentedHkdf() throws Exception {
    Path file = dir.resolve("p.key");
    PartySecret.generate("p", new SecureRandom()).write(file);
    byte[] secret = Base64.getUrlDecoder().decode(secretField(file));
    PartySecret s = PartySecret.read(file);
    byte[] expected = Hkdf.derive(("veil/run/job-9/" + "07".repeat(32)).getBytes(StandardCharsets.UTF_8), secret,
        "psi-blinding".getBytes(StandardCharsets.UTF_8), 32);
    assertThat(s.blindingKey("job-9", BINDING).scalar()).isEqualTo(expected);
    assertThat(s.deriveJobSecret("job-9", "input-commitment-salt", 16)).isEqualTo(Hkdf.derive(
        "veil/job/job-9".getBytes(StandardCharsets.UTF_8), secret,
        "input-commitment-salt".getBytes(StandardCharsets.UTF_8), 16));
  }

  @Test
  void toStringShowsNoSecret() throws Exception {
    Path file = dir.resolve("p.key");
    PartySecret s = PartySecret.generate("bank_a", new SecureRandom());
    s.write(file);
    String secretB64 = secretField(file);
    byte[] secret = Base64.getUrlDecoder().decode(secretB64);
    for (String text : new String[] {s.toString(), s.identity().toString(), s.blindingKey("j", BINDING).toString()}) {
      assertThat(text).doesNotContain(secretB64);
      assertThat(text).doesNotContain(Base64.getEncoder().encodeToString(secret));
      assertThat(text.toLowerCase()).doesNotContain(Hex.toHexString(secret));
      assertThat(text).doesNotContain(Base64.getUrlEncoder().withoutPadding().encodeToString(s.blindingKey("j", BINDING).scalar()));
    }
    assertThat(s.toString()).contains("bank_a");
  }

  @Test
  void refusesPartyIdsThatWouldBreakTheKeyFile() {
    for (String bad : new String[] {"", "a\"b", "a\\b", "a\nb"}) {
      assertThatThrownBy(() -> PartySecret.generate(bad, new SecureRandom()))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith("Cannot create a party key");
    }
    assertThatThrownBy(() -> PartySecret.generate(null, new SecureRandom())).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void readRejectsMissingOrMalformedFiles() throws Exception {
    assertThatThrownBy(() -> PartySecret.read(dir.resolve("missing.key")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("Cannot read party key file");
    Path garbage = dir.resolve("garbage.key");
    Files.writeString(garbage, "{\"format\":\"something-else\"}");
    assertThatThrownBy(() -> PartySecret.read(garbage)).isInstanceOf(InvalidInputException.class);
    Path shortSecret = dir.resolve("short.key");
    Files.writeString(shortSecret, "{\"format\":\"veil-party-key/v1\",\"party\":\"p\",\"secret\":\"AAAA\"}");
    assertThatThrownBy(() -> PartySecret.read(shortSecret))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("is not 32");
  }
}
