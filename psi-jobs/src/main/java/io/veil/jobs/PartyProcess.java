package io.veil.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.veil.jobs.internal.JvmFlags;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A party running as its own JVM (as in production: one Spark application per party), started
 * with this JVM's classpath and {@code veil} CLI arguments. Its output is echoed with a
 * {@code [party]} prefix and kept for inspection: every line ({@link #output()}, standard output and
 * error interleaved as they arrive) and standard output alone ({@link #stdout()}). A party started
 * with {@code veil run --output json} prints its outcome as one JSON object on standard output:
 * {@link #outcome()} parses it. Used by the demos, the benchmarks and the integration tests.
 */
public final class PartyProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String name;
  private final Process process;
  private final List<String> lines = new ArrayList<>(); // guarded by itself
  private final List<String> stdout = new ArrayList<>(); // guarded by lines
  private final List<Thread> pumps;

  private PartyProcess(String name, Process process, PrintStream echo) {
    this.name = name;
    this.process = process;
    this.pumps = List.of(pump(process.getInputStream(), true, echo), pump(process.getErrorStream(), false, echo));
  }

  private Thread pump(InputStream stream, boolean isStdout, PrintStream echo) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (lines) {
            lines.add(line);
            if (isStdout) {
              stdout.add(line);
            }
            lines.notifyAll();
          }
          if (echo != null) {
            echo.println("[" + name + "] " + line);
          }
        }
      } catch (IOException ignored) {
        // process ended
      }
    }, "veil-party-" + name + (isStdout ? "-out" : "-err"));
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Starts {@code java [jvmOptions] -cp <this classpath> io.veil.jobs.VeilCli <args>}.
   *
   * @param heap maximum heap, e.g. "1g"
   */
  public static PartyProcess start(String name, List<String> args, String heap, List<String> extraJvmOptions,
      Path workDir, PrintStream echo) throws IOException {
    return startJava(name, partyClasspath(System.getProperty("java.class.path")), VeilCli.class.getName(), args, heap,
        extraJvmOptions, workDir, echo);
  }

  /**
   * This JVM's classpath for a party, without the Hadoop minicluster: a test JVM may run HDFS and YARN
   * itself (YarnIT), but a party is a Spark application and gets only Spark's own Hadoop client.
   */
  static String partyClasspath(String classpath) {
    return java.util.Arrays.stream(classpath.split(java.io.File.pathSeparator))
        .filter(e -> !Path.of(e).getFileName().toString().startsWith("hadoop-client-minicluster-"))
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  /**
   * Starts {@code java [Spark's Java 17 flags] -Xmx<heap> [jvmOptions] -cp <classpath> <mainClass> <args>},
   * e.g. {@code org.apache.spark.deploy.SparkSubmit} with the deployable jar, as spark-submit would.
   */
  public static PartyProcess startJava(String name, String classpath, String mainClass, List<String> args,
      String heap, List<String> extraJvmOptions, Path workDir, PrintStream echo) throws IOException {
    return startJava(name, classpath, mainClass, args, heap, extraJvmOptions, workDir, echo, Map.of());
  }

  /**
   * As {@link #startJava(String, String, String, List, String, List, Path, PrintStream)}, with
   * {@code env} added to the process's environment (e.g. {@code HADOOP_CONF_DIR} for
   * {@code spark-submit --master yarn}).
   */
  public static PartyProcess startJava(String name, String classpath, String mainClass, List<String> args,
      String heap, List<String> extraJvmOptions, Path workDir, PrintStream echo, Map<String, String> env)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.addAll(JvmFlags.SPARK_JAVA17);
    cmd.addAll(extraJvmOptions);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(mainClass);
    cmd.addAll(args);
    return startCommand(name, cmd, env, workDir, echo);
  }

  /**
   * Starts any command (e.g. a scheduler's command line) with {@code env} added to this process's
   * environment, and Spark bound to 127.0.0.1.
   */
  public static PartyProcess startCommand(String name, List<String> command, Map<String, String> env, Path workDir,
      PrintStream echo) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    if (workDir != null) {
      pb.directory(workDir.toFile());
    }
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().putAll(env);
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
      joinPumps(2000);
      return -1;
    }
    joinPumps(5000);
    return process.exitValue();
  }

  private void joinPumps(long timeoutMs) throws InterruptedException {
    for (Thread t : pumps) {
      t.join(timeoutMs);
    }
  }

  private boolean pumping() {
    return pumps.stream().anyMatch(Thread::isAlive);
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
        if (left <= 0 || (!process.isAlive() && !pumping())) {
          return false;
        }
        lines.wait(Math.min(left, 200));
      }
    }
  }

  /** Whether the process has ended. */
  public boolean hasEnded() {
    return !process.isAlive();
  }

  /** Asks the process to stop (SIGTERM: its shutdown hooks run) and waits up to {@code timeoutMs} for its exit code. */
  public int terminate(long timeoutMs) throws InterruptedException {
    process.destroy();
    return await(timeoutMs);
  }

  /** Kills the process at once (SIGKILL), as a crash would. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** Every line printed so far, standard output and standard error interleaved as they arrived. */
  public List<String> output() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** The lines printed on standard output so far. */
  public List<String> stdout() {
    synchronized (lines) {
      return List.copyOf(stdout);
    }
  }

  /**
   * The party's outcome: the last line on standard output that is a JSON object (what {@code veil
   * run --output json} prints, {@code "status": "succeeded"} or {@code "failed"}).
   *
   * @throws IllegalStateException if it printed none (yet)
   */
  public JsonNode outcome() {
    return lastJsonObject().orElseThrow(() -> new IllegalStateException(name + " printed no JSON object on standard "
        + "output (was it started with --output json, and has it finished?); its last lines: "
        + tail(output(), 5)));
  }

  /**
   * A result figure of the job by its name in the receipt ({@code "intersectionSize"},
   * {@code "inputRows"}, ...), from the JSON outcome; null as for {@link #value}.
   */
  public String figure(String name) {
    return succeeded().map(n -> n.path("result").path(name)).filter(v -> !v.isMissingNode() && !v.isNull())
        .map(JsonNode::asText).orElse(null);
  }

  private Optional<JsonNode> succeeded() {
    return lastJsonObject().filter(n -> "succeeded".equals(n.path("status").asText()));
  }

  /**
   * A figure of the job summary by its label, read from the JSON outcome (not from log lines):
   * the operator's figures by their summary label ({@code "intersection size"}, {@code "released
   * groups"}, ...), and {@code "job id"}, {@code "input rows"}, {@code "output"}, {@code "job
   * root"}, {@code "anchor"}. Null when the party printed no successful outcome (it failed, or was
   * not started with {@code --output json}) or the outcome has no such figure.
   */
  public String value(String label) {
    Optional<JsonNode> o = succeeded();
    if (o.isEmpty()) {
      return null;
    }
    JsonNode n = o.get();
    JsonNode v = switch (label) {
      case "job id" -> n.path("jobId");
      case "input rows" -> n.path("inputRows");
      case "output" -> n.path("output");
      case "job root" -> n.path("receipt").path("jobRoot");
      case "anchor" -> n.path("receipt").path("notes").path("anchor");
      default -> n.path("summary").path(label);
    };
    return v.isMissingNode() || v.isNull() ? null : v.asText();
  }

  /** Whether the party has printed its outcome ({@link #outcome()}). */
  public boolean hasOutcome() {
    return lastJsonObject().isPresent();
  }

  private Optional<JsonNode> lastJsonObject() {
    List<String> out = stdout();
    for (int i = out.size() - 1; i >= 0; i--) {
      String l = out.get(i).strip();
      if (l.startsWith("{") && l.endsWith("}")) {
        try {
          JsonNode n = JSON.readTree(l);
          if (n.isObject()) {
            return Optional.of(n);
          }
        } catch (JsonProcessingException notJson) {
          // a line that only looks like JSON: keep looking
        }
      }
    }
    return Optional.empty();
  }

  private static List<String> tail(List<String> l, int n) {
    return l.subList(Math.max(0, l.size() - n), l.size());
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
