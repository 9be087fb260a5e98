package io.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.veil.jobs.PartyProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main demo ({@code veil demo}: two banks, each its own Spark JVM, over an embedded
 * broker) run from an empty directory with nothing beside it, as a user who only cloned the
 * repository runs it: its data comes from the copies shipped inside Veil, and its answer equals
 * the plaintext join.
 */
class DemoIT {
  @TempDir Path empty;

  @Test
  void theDemoRunsFromAnEmptyDirectoryAndMatchesThePlaintextJoin() throws Exception {
    try (Stream<Path> nothing = Files.list(empty)) {
      assertThat(nothing).isEmpty();
    }
    PartyProcess demo = PartyProcess.start("demo", List.of("demo"), "512m", List.of(), empty, System.out);
    assertThat(demo.await(600_000)).isZero();
    assertThat(AggregateFixture.text(demo))
        .contains("intersection size:  14707 (plaintext join: 14707)")
        .contains("result matches the plaintext join");
    assertThat(empty.resolve("target/veil-demo/data/bank_a.csv")).as("written where the user runs it").exists();
  }
}
