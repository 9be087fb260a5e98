package io.veil.jobs;

import io.veil.jobs.internal.JvmFlags;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A party running as its own JVM (as in production: one Spark application per party), started
 * with this JVM's classpath and {@code veil} CLI arguments. Its output is echoed with a
 * {@code [party]} prefix and kept for inspection. Used by the demo, the benchmark and the
 * integration tests.
 */
public final class PartyProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final Thread pump;

  private PartyProcess(String name, Process process, PrintStream echo) {
    this.name = name;
    this.process = process;
    this.pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
          if (echo != null) {
            echo.println("[" + name + "] " + line);
          }
          synchronized (lines) {
            lines.notifyAll();
          }
        }
      } catch (IOException ignored) {
        // process ended
      }
    }, "veil-party-" + name);
    pump.setDaemon(true);
    pump.start();
  }

  /**
   * Starts {@code java [jvmOptions] -cp <this classpath> io.veil.jobs.VeilCli <args>}.
   *
   * @param heap maximum heap, e.g. "1g"
   */
  public static PartyProcess start(String name, List<String> args, String heap, List<String> extraJvmOptions,
      Path workDir, PrintStream echo) throws IOException {
    return startJava(name, System.getProperty("java.class.path"), VeilCli.class.getName(), args, heap,
        extraJvmOptions, workDir, echo);
  }

  /**
   * Starts {@code java [Spark's Java 17 flags] -Xmx<heap> [jvmOptions] -cp <classpath> <mainClass> <args>},
   * e.g. {@code org.apache.spark.deploy.SparkSubmit} with the deployable jar, as spark-submit would.
   */
  public static PartyProcess startJava(String name, String classpath, String mainClass, List<String> args,
      String heap, List<String> extraJvmOptions, Path workDir, PrintStream echo) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.addAll(JvmFlags.SPARK_JAVA17);
    cmd.addAll(extraJvmOptions);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (workDir != null) {
      pb.directory(workDir.toFile());
    }
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return new PartyProcess(name, pb.start(), echo);
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  /** Waits for the process to end; returns its exit code, or -1 if it was still running and got killed. */
  public int await(long timeoutMs) throws InterruptedException {
    if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      pump.join(2000);
      return -1;
    }
    pump.join(5000);
    return process.exitValue();
  }

  /** Blocks until a line matching {@code p} was printed (true), or the process ended / time ran out (false). */
  public boolean awaitLine(Predicate<String> p, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    synchronized (lines) {
      while (true) {
        if (lines.stream().anyMatch(p)) {
          return true;
        }
        long left = deadline - System.currentTimeMillis();
        if (left <= 0 || (!process.isAlive() && !pump.isAlive())) {
          return false;
        }
        lines.wait(Math.min(left, 200));
      }
    }
  }

  /** Kills the process at once (SIGKILL), as a crash would. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  public List<String> output() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** The first printed value of a line {@code "<key>: value"} (the CLI's summary), or null. */
  public String value(String key) {
    for (String l : output()) {
      String t = l.strip();
      if (t.startsWith(key + ":")) {
        return t.substring(key.length() + 1).strip();
      }
    }
    return null;
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
