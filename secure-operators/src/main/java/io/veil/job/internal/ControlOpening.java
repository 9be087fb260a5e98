package io.veil.job.internal;

import io.veil.channel.Channel;
import io.veil.channel.ControlTransport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A job's control log, opened on a daemon thread while the driver checks the input's metadata.
 *
 * <p>Opening it (creating the control topic if no party has yet, connecting a reader and the
 * writer) takes about a second in a fresh driver JVM, mostly waiting for the broker, and needs
 * nothing from the input: nothing is sent on it until the job's own HELLO. A job that stops before
 * its HELLO (an invalid input, a finished period) {@link #discard}s it.
 */
final class ControlOpening {
  private final CompletableFuture<ControlTransport> transport;

  private ControlOpening(CompletableFuture<ControlTransport> transport) {
    this.transport = transport;
  }

  /** Starts opening the control log {@code name} of {@code channel}. */
  static ControlOpening start(Channel channel, String name) {
    return new ControlOpening(CompletableFuture.supplyAsync(() -> channel.openControl(name), task -> {
      Thread t = new Thread(task, "veil-control-open");
      t.setDaemon(true);
      t.start();
    }));
  }

  /**
   * The opened log; throws what opening it threw (an unreachable channel, a topic with the wrong
   * settings), as {@link Channel#openControl} would have.
   */
  ControlTransport join() {
    try {
      return transport.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  /** Closes the log once it is open (or never, if opening fails); for a job that will not use it. */
  void discard() {
    transport.whenComplete((t, e) -> {
      if (t != null) {
        t.close();
      }
    });
  }
}
