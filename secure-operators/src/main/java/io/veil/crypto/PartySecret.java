package io.veil.crypto;

import io.veil.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A party's long-term 32-byte master secret, kept in a key file that never leaves the party.
 *
 * <p>Every other key is derived from it with HKDF-SHA256 (RFC 5869): the Ed25519 identity key;
 * per job (salt = job id) the commitment salts and the X25519 agreement key; and per run of a job
 * over given inputs (salt = job id and the input binding) the PSI blinding key, mask seeds and noise
 * seeds. A restarted party over the same inputs therefore gets the same keys, while keys of
 * different jobs, or of runs over different inputs, are independent.
 *
 * <p>Key file (JSON, owner read/write only):
 * {@code {"format":"veil-party-key/v1","party":"bank_a","secret":"<base64url>","publicKey":"ed25519:..."}}.
 * The public key is informational; it is re-derived and checked on read.
 *
 * <p>{@link #toString()} never shows key material. Instances are immutable and thread-safe.
 */
public final class PartySecret {
  public static final String FORMAT = "veil-party-key/v1";
  public static final int SECRET_BYTES = 32;
  private static final byte[] ROOT_SALT = "veil/v1".getBytes(StandardCharsets.UTF_8);
  private static final Pattern FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*\"([^\"]*)\"");

  private final String party;
  private final byte[] secret;
  private final IdentityKeys identity;

  private PartySecret(String party, byte[] secret) {
    this.party = party;
    this.secret = secret;
    this.identity =
        IdentityKeys.fromSeed(
            Hkdf.derive(ROOT_SALT, secret, utf8("identity"), SECRET_BYTES));
  }

  /** A fresh secret for {@code party}. */
  public static PartySecret generate(String party, SecureRandom random) {
    requireWritableParty(party);
    byte[] s = new byte[SECRET_BYTES];
    random.nextBytes(s);
    return new PartySecret(party, s);
  }

  /** Reads a key file written by {@link #write(Path)} ({@code veil keygen}). */
  public static PartySecret read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputException(
          "Cannot read party key file " + file + ": " + e.getClass().getSimpleName()
              + ". Check the path in --key (or veil.party.key-file); create one with 'veil keygen'.",
          e);
    }
    String format = null;
    String party = null;
    String secretText = null;
    Matcher m = FIELD.matcher(text);
    while (m.find()) {
      switch (m.group(1)) {
        case "format" -> format = m.group(2);
        case "party" -> party = m.group(2);
        case "secret" -> secretText = m.group(2);
        default -> { }
      }
    }
    if (!FORMAT.equals(format) || party == null || secretText == null) {
      throw new InvalidInputException(
          "Cannot read party key file " + file + ": it is not a " + FORMAT
              + " file. Create one with 'veil keygen --party <id> --out <file>'.");
    }
    byte[] s;
    try {
      s = Base64.getUrlDecoder().decode(secretText);
    } catch (IllegalArgumentException e) {
      s = new byte[0];
    }
    if (s.length != SECRET_BYTES) {
      throw new InvalidInputException(
          "Cannot read party key file " + file + ": its secret is not " + SECRET_BYTES
              + " base64url bytes. Restore the file from backup or create a new key with 'veil keygen'.");
    }
    return new PartySecret(party, s);
  }

  /** Writes the key file, readable by the owner only; refuses to overwrite. */
  public void write(Path file) {
    String json =
        "{\"format\":\"" + FORMAT + "\",\"party\":\"" + party + "\",\"secret\":\""
            + Base64.getUrlEncoder().withoutPadding().encodeToString(secret)
            + "\",\"publicKey\":\"" + identity.publicKey().encoded() + "\"}\n";
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(file);
      }
      Files.writeString(file, json, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    } catch (FileAlreadyExistsException e) {
      throw new InvalidInputException(
          "Cannot write party key file " + file + ": it already exists. Choose another path; "
              + "Veil never overwrites a key.");
    } catch (IOException e) {
      throw new InvalidInputException("Cannot write party key file " + file + ": " + e.getMessage() + ".", e);
    }
  }

  /**
   * The key file is written as JSON without escaping and read back with a simple pattern, so a
   * party id must not contain characters that would need escaping.
   */
  private static void requireWritableParty(String party) {
    boolean ok = party != null && !party.isEmpty();
    for (int i = 0; ok && i < party.length(); i++) {
      char c = party.charAt(i);
      ok = c >= 0x20 && c != '"' && c != '\\' && c != 0x7f;
    }
    if (!ok) {
      throw new InvalidInputException(
          "Cannot create a party key for party id '" + party + "': the id is empty or contains a quote, "
              + "backslash or control character. Use the party id from the job spec "
              + "(lowercase letters, digits, '_' and '-').");
    }
  }

  public String party() {
    return party;
  }

  public IdentityKeys identity() {
    return identity;
  }

  /** PSI blinding key for one run of a job: {@link #deriveRunSecret} for purpose "psi-blinding". */
  public BlindingKey blindingKey(String jobId, byte[] binding) {
    return BlindingKey.fromBytes(deriveRunSecret(jobId, binding, "psi-blinding", BlindingKey.KEY_BYTES));
  }

  /**
   * A secret for {@code purpose} of one run of job {@code jobId} over inputs described by {@code
   * binding} (the job's input binding, which changes whenever any party's input does):
   * HKDF(salt = "veil/run/" + job id + "/" + hex(binding), ikm = secret, info = purpose). A re-run over
   * the same inputs gets the same secrets (it resumes); a run over changed inputs never does.
   */
  public byte[] deriveRunSecret(String jobId, byte[] binding, String purpose, int lengthBytes) {
    return Hkdf.derive(utf8("veil/run/" + jobId + "/" + java.util.HexFormat.of().formatHex(binding)), secret,
        utf8(purpose), lengthBytes);
  }

  /** A secret for {@code purpose} in job {@code jobId}: HKDF(salt = job id, ikm = secret, info = purpose). */
  public byte[] deriveJobSecret(String jobId, String purpose, int lengthBytes) {
    return Hkdf.derive(utf8("veil/job/" + jobId), secret, utf8(purpose), lengthBytes);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "PartySecret(" + party + ", " + identity.publicKey().encoded() + ")";
  }

  /** Package-private for tests only. */
  boolean sameSecretAs(PartySecret other) {
    return java.security.MessageDigest.isEqual(secret, other.secret);
  }
}
