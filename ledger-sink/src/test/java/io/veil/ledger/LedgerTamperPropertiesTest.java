package io.veil.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.crypto.IdentityKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Any change to a ledger file is detected: every byte of a small ledger flipped in turn, and
 * random byte and line edits. The auditor passes the head it recorded earlier, as it must to
 * detect entries cut off the end (see {@link LedgerHead}).
 */
class LedgerTamperPropertiesTest {
  private static final Path DIR;
  private static final byte[] ORIGINAL;
  private static final LedgerHead HEAD;

  static {
    try {
      DIR = Files.createTempDirectory("ledger-tamper");
      Path file = DIR.resolve("original.jsonl");
      LocalLedger ledger = LocalLedger.open(file, Fixtures.BANK_A);
      ledger.append(Fixtures.receipt("job-0"));
      ledger.append(Fixtures.receiptBuilder("job-1", "bank_a", Fixtures.BANK_A)
          .status(Receipt.Status.FAILED).outputCommitment(null).build());
      ledger.append(Fixtures.receipt("job-0")); // a re-run
      ledger.append(Fixtures.receipt("job-\u00e9"));
      ORIGINAL = Files.readAllBytes(file);
      HEAD = ledger.head().orElseThrow();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterContainer
  static void cleanUp() throws IOException {
    try (Stream<Path> s = Files.walk(DIR)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static VerificationReport verifyBytes(byte[] content) {
    Path file = DIR.resolve("mutated.jsonl");
    try {
      Files.write(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return LedgerVerifier.create().verify(file, Fixtures.BANK_A.publicKey(), HEAD);
  }

  private static void assertDetected(byte[] mutated, String what) {
    Assume.that(!Arrays.equals(mutated, ORIGINAL));
    VerificationReport r = verifyBytes(mutated);
    assertThat(r.ok()).as("%s went undetected", what).isFalse();
  }

  @Example
  void originalVerifies() {
    VerificationReport r = verifyBytes(ORIGINAL);
    assertThat(r.ok()).as(r.summary()).isTrue();
  }

  /**
   * Every single byte of a two-entry ledger, flipped in its lowest bit (the random properties below
   * cover other values). Receipts carry one approval to keep the run short: a verify costs a few
   * Ed25519 checks per entry.
   */
  @Example
  void everyByteFlipIsDetected() {
    Path base = DIR.resolve("two.jsonl");
    LocalLedger ledger = LocalLedger.open(base, Fixtures.BANK_A);
    for (String job : List.of("job-0", "job-1")) {
      ledger.append(Fixtures.receiptBuilder(job, "bank_a", Fixtures.BANK_A)
          .approvals(List.of(Receipt.Approval.sign("bank_a", Fixtures.BANK_A, Fixtures.contractHash(job))))
          .build());
    }
    LedgerHead head = ledger.head().orElseThrow();
    byte[] two;
    try {
      two = Files.readAllBytes(base);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path file = DIR.resolve("flipped.jsonl");
    List<String> missed = new ArrayList<>();
    for (int i = 0; i < two.length; i++) {
      byte[] m = two.clone();
      m[i] ^= 0x01;
      write(file, m);
      if (LedgerVerifier.create().verify(file, Fixtures.BANK_A.publicKey(), head).ok()) {
        missed.add("byte " + i);
      }
    }
    assertThat(missed).isEmpty();
  }

  @Property(tries = 250)
  void replacingAnyByteIsDetected(@ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int position,
      @ForAll byte value) {
    byte[] m = ORIGINAL.clone();
    m[position % m.length] = value;
    assertDetected(m, "byte " + (position % m.length) + " set to " + value);
  }

  @Property(tries = 150)
  void deletingAnyByteRangeIsDetected(@ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int position,
      @ForAll @IntRange(min = 1, max = 4000) int length) {
    int from = position % ORIGINAL.length;
    int to = Math.min(ORIGINAL.length, from + length);
    byte[] m = new byte[ORIGINAL.length - (to - from)];
    System.arraycopy(ORIGINAL, 0, m, 0, from);
    System.arraycopy(ORIGINAL, to, m, from, ORIGINAL.length - to);
    assertDetected(m, "deleting bytes " + from + ".." + to);
  }

  @Property(tries = 150)
  void insertingBytesAnywhereIsDetected(@ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int position,
      @ForAll @Size(min = 1, max = 8) byte[] inserted) {
    int at = position % (ORIGINAL.length + 1);
    byte[] m = new byte[ORIGINAL.length + inserted.length];
    System.arraycopy(ORIGINAL, 0, m, 0, at);
    System.arraycopy(inserted, 0, m, at, inserted.length);
    System.arraycopy(ORIGINAL, at, m, at + inserted.length, ORIGINAL.length - at);
    assertDetected(m, "inserting " + inserted.length + " bytes at " + at);
  }

  @Property(tries = 150)
  void lineEditsAreDetected(@ForAll @IntRange(min = 0, max = 3) int op,
      @ForAll @IntRange(min = 0, max = 3) int a, @ForAll @IntRange(min = 0, max = 3) int b) {
    List<String> lines = splitLines(ORIGINAL);
    switch (op) {
      case 0 -> lines.remove(a); // delete
      case 1 -> { // swap
        String t = lines.get(a);
        lines.set(a, lines.get(b));
        lines.set(b, t);
      }
      case 2 -> lines.add(b, lines.get(a)); // duplicate anywhere
      default -> lines.add(b, lines.remove(a)); // move
    }
    assertDetected(joinLines(lines), "line op " + op + " on lines " + a + ", " + b);
  }

  @Property(tries = 30)
  void appendedForgedEntriesAreDetected(@ForAll @IntRange(min = 3, max = 250) int keyFill,
      @ForAll boolean claimBankAsSigner) {
    IdentityKeys forger = Fixtures.keys(keyFill);
    List<LedgerEntry> entries = LocalLedger.openReadOnly(write("forge-base.jsonl", ORIGINAL)).entries();
    LedgerEntry last = entries.get(entries.size() - 1);
    LedgerEntry forged = LedgerEntry.sign(last.seq() + 1, last.entryHash(), Fixtures.receipt("job-forged"), forger);
    if (claimBankAsSigner) {
      forged = new LedgerEntry(forged.seq(), forged.prevHash(), forged.receiptHash(), forged.receipt(),
          forged.entryHash(), forged.signature(), Fixtures.BANK_A.publicKey().encoded());
    }
    byte[] line = (Fixtures.line(forged) + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] m = Arrays.copyOf(ORIGINAL, ORIGINAL.length + line.length);
    System.arraycopy(line, 0, m, ORIGINAL.length, line.length);
    // without an expected head: the forged entry itself must fail
    Path file = write("forged.jsonl", m);
    assertThat(LedgerVerifier.create().verify(file, Fixtures.BANK_A.publicKey()).ok()).isFalse();
  }

  private static List<String> splitLines(byte[] content) {
    String text = new String(content, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    out.remove(out.size() - 1);
    return out;
  }

  private static byte[] joinLines(List<String> lines) {
    StringBuilder sb = new StringBuilder();
    lines.forEach(l -> sb.append(l).append('\n'));
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static Path write(String name, byte[] content) {
    return write(DIR.resolve(name), content);
  }

  private static Path write(Path file, byte[] content) {
    try {
      Files.write(file, content);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
