package io.veil.ledger;

import io.veil.VeilException;
import io.veil.crypto.IdentityPublicKey;
import io.veil.ledger.VerificationReport.Problem.Kind;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code veil ledger ...}: verify (and repair) a local ledger file. The main {@code veil} CLI
 * delegates here; {@link #main(String[])} runs it alone.
 *
 * <p>Exit codes: 0 the ledger verifies (or the command succeeded), 1 it does not (or the command
 * failed), 2 usage error (unknown command or option, missing option, bad key text, no such file).
 */
public final class LedgerCli {
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAIL = 1;
  public static final int EXIT_USAGE = 2;

  private static final String USAGE = String.join("\n",
      "Usage: veil ledger <command> [options]",
      "",
      "Commands:",
      "  verify --ledger FILE|hdfs://URI --signer ed25519:KEY [--expect-head SEQ:HASH]",
      "      Check a ledger file: every line, the hash chain, every hash, the signatures (all by",
      "      KEY, the party's public key from the job spec) and every approval. Prints PASS or",
      "      FAIL with one line per problem. With --expect-head (printed by an earlier verify),",
      "      also detects entries removed from the end.",
      "  repair --ledger FILE",
      "      Deal with an incomplete last line left by an interrupted write: complete it if only",
      "      its newline is missing, otherwise move it to FILE.incomplete-<millis>. Run verify first.",
      "  help",
      "      Print this text.",
      "",
      "Exit codes: 0 pass, 1 fail, 2 usage error.",
      "");

  private LedgerCli() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs one command; returns the exit code. Never calls {@code System.exit}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args == null || args.length == 0) {
      err.print(USAGE);
      return EXIT_USAGE;
    }
    String command = args[0];
    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    try {
      return switch (command) {
        case "verify" -> verify(rest, out, err);
        case "repair" -> repair(rest, out, err);
        case "help", "--help", "-h" -> {
          out.print(USAGE);
          yield EXIT_OK;
        }
        default -> usage(err, "unknown command '" + command + "'");
      };
    } catch (UsageException e) {
      return usage(err, e.getMessage());
    }
  }

  private static int verify(String[] args, PrintStream out, PrintStream err) {
    Map<String, String> opts = parse(args, Set.of("--ledger", "--signer", "--expect-head"));
    LedgerLocation ledger;
    try {
      ledger = LedgerLocation.parse(required(opts, "--ledger"));
    } catch (VeilException e) {
      throw new UsageException(e.getMessage());
    }
    String signerText = required(opts, "--signer");
    IdentityPublicKey signer;
    LedgerHead head = null;
    try {
      signer = IdentityPublicKey.parse(signerText);
      if (opts.containsKey("--expect-head")) {
        head = LedgerHead.parse(opts.get("--expect-head"));
      }
    } catch (VeilException e) {
      throw new UsageException(e.getMessage());
    }
    if (!ledger.exists()) {
      throw new UsageException("Cannot verify ledger " + ledger + ": no such file. Check the path passed as --ledger.");
    }
    VerificationReport report = LedgerVerifier.create().verify(ledger, signer, head);
    if (report.has(Kind.UNREADABLE_FILE)) {
      err.println(report.problems().get(0).message());
      return EXIT_FAIL;
    }
    out.print(report.summary());
    return report.ok() ? EXIT_OK : EXIT_FAIL;
  }

  private static int repair(String[] args, PrintStream out, PrintStream err) {
    Map<String, String> opts = parse(args, Set.of("--ledger"));
    Path ledger = Path.of(required(opts, "--ledger"));
    if (!Files.isRegularFile(ledger)) {
      throw new UsageException("Cannot repair ledger " + ledger + ": no such file. Check the path passed as --ledger.");
    }
    try {
      out.println(LocalLedger.repair(ledger).describe());
      return EXIT_OK;
    } catch (VeilException e) {
      err.println(e.getMessage());
      return EXIT_FAIL;
    }
  }

  private static Map<String, String> parse(String[] args, Set<String> allowed) {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String name;
      String value;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        name = a.substring(0, eq);
        value = a.substring(eq + 1);
      } else {
        name = a;
        if (i + 1 >= args.length) {
          if (allowed.contains(name)) {
            throw new UsageException("option " + name + " needs a value");
          }
          value = null;
        } else {
          value = args[++i];
        }
      }
      if (!allowed.contains(name)) {
        throw new UsageException("unknown option '" + name + "'; this command takes " + String.join(", ",
            allowed.stream().sorted().toList()));
      }
      if (opts.put(name, value) != null) {
        throw new UsageException("option " + name + " is given twice");
      }
    }
    return opts;
  }

  private static String required(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null || v.isBlank()) {
      throw new UsageException("option " + name + " is required");
    }
    return v;
  }

  private static int usage(PrintStream err, String problem) {
    err.println("veil ledger: " + problem + ".");
    err.println();
    err.print(USAGE);
    return EXIT_USAGE;
  }

  private static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
