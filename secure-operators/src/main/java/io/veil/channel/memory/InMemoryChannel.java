package io.veil.channel.memory;

import io.veil.channel.Channel;
import io.veil.channel.ControlTransport;
import io.veil.channel.StreamFollower;
import io.veil.channel.StreamReader;
import io.veil.channel.StreamWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Channel} held in this JVM's memory, for tests and simulations where every party and
 * Spark's executors share one JVM (Spark local mode). Instances with the same name share state.
 */
public final class InMemoryChannel implements Channel {
  private static final long serialVersionUID = 1L;
  private static final Map<String, Space> SPACES = new ConcurrentHashMap<>();

  private final String name;

  public InMemoryChannel(String name) {
    this.name = name;
  }


  private Space space() {
    return SPACES.computeIfAbsent(name, n -> new Space());
  }

  /** All records ever written to every stream and control log of this channel (for leak scans). */
  public List<byte[]> allRecords() {
    Space s = space();
    List<byte[]> out = new ArrayList<>();
    synchronized (s) {
      s.streams.values().forEach(parts -> parts.forEach(out::addAll));
      s.logs.values().forEach(out::addAll);
    }
    return out;
  }

  /** Names of the data streams created so far (not control logs). */
  public java.util.Set<String> streams() {
    Space s = space();
    synchronized (s) {
      return java.util.Set.copyOf(s.streams.keySet());
    }
  }

  /** Every record written to {@code stream}, partition by partition (empty for an unknown stream). */
  public List<byte[]> records(String stream) {
    Space s = space();
    List<byte[]> out = new ArrayList<>();
    synchronized (s) {
      s.streams.getOrDefault(stream, List.of()).forEach(out::addAll);
    }
    return out;
  }

  /** Appends a raw record to a stream partition, bypassing any framing (for tampering tests). */
  public void inject(String stream, int partition, byte[] record) {
    Space s = space();
    synchronized (s) {
      s.streams.get(stream).get(partition).add(record);
      s.notifyAll();
    }
  }

  /** How many control log transports were opened on this channel so far. */
  public int controlLogsOpened() {
    Space s = space();
    synchronized (s) {
      return s.controlOpened;
    }
  }

  /** How many control log transports opened on this channel are not closed yet. */
  public int controlLogsOpen() {
    Space s = space();
    synchronized (s) {
      return s.controlOpen;
    }
  }

  @Override
  public ControlTransport openControl(String log) {
    Space s = space();
    synchronized (s) {
      s.controlOpened++;
      s.controlOpen++;
    }
    return new ControlTransport() {
      private int cursor;
      private boolean closed;

      @Override
      public void send(byte[] message) {
        synchronized (s) {
          s.logs.computeIfAbsent(log, k -> new ArrayList<>()).add(message.clone());
          s.notifyAll();
        }
      }

      @Override
      public List<byte[]> poll(long maxWaitMs) {
        long deadline = System.currentTimeMillis() + maxWaitMs;
        synchronized (s) {
          List<byte[]> l = s.logs.computeIfAbsent(log, k -> new ArrayList<>());
          while (l.size() == cursor) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
              return List.of();
            }
            try {
              s.wait(left);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return List.of();
            }
          }
          List<byte[]> out = new ArrayList<>(l.subList(cursor, l.size()));
          cursor = l.size();
          return out;
        }
      }

      @Override
      public void close() {
        synchronized (s) {
          if (!closed) {
            closed = true;
            s.controlOpen--;
          }
        }
      }
    };
  }

  @Override
  public void createStreams(Collection<String> streams, int partitions) {
    Space s = space();
    synchronized (s) {
      for (String stream : streams) {
        List<List<byte[]>> parts = s.streams.get(stream);
        if (parts == null) {
          parts = new ArrayList<>();
          for (int i = 0; i < partitions; i++) {
            parts.add(new ArrayList<>());
          }
          s.streams.put(stream, parts);
        } else if (parts.size() != partitions) {
          throw new IllegalStateException("stream " + stream + " has " + parts.size() + " partitions");
        }
      }
    }
  }

  @Override
  public StreamWriter openWriter(String stream, int partition) {
    Space s = space();
    return new StreamWriter() {
      @Override
      public void write(byte[] record) {
        synchronized (s) {
          s.streams.get(stream).get(partition).add(record.clone());
          s.notifyAll(); // wakes followers
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
  }

  /** A reader over the records the partition holds now, taken one by one (nothing is copied up front). */
  @Override
  public StreamReader openReader(String stream, int partition) {
    Space s = space();
    List<byte[]> records;
    int end;
    synchronized (s) {
      records = s.streams.get(stream).get(partition);
      end = records.size();
    }
    return new StreamReader() {
      @Override
      public Iterator<byte[]> records() {
        return new Iterator<>() {
          private int next;

          @Override
          public boolean hasNext() {
            return next < end;
          }

          @Override
          public byte[] next() {
            if (next >= end) {
              throw new java.util.NoSuchElementException();
            }
            synchronized (s) { // partitions only grow: index next is the record it was
              return records.get(next++);
            }
          }
        };
      }

      @Override
      public void close() {}
    };
  }

  /**
   * A follower that waits on the channel's lock, woken by every write (no polling loop). Records
   * are returned as stored, like {@link #openReader}.
   *
   * @throws IllegalStateException if the stream was not created or has no such partition
   */
  @Override
  public StreamFollower openFollower(String stream, int partition) {
    Space s = space();
    List<byte[]> records;
    synchronized (s) {
      List<List<byte[]>> parts = s.streams.get(stream);
      if (parts == null) {
        throw new IllegalStateException("Cannot open a follower on stream '" + stream + "' of "
            + describe() + ": the stream does not exist. Call createStreams for it first.");
      }
      if (partition < 0 || partition >= parts.size()) {
        throw new IllegalStateException("Cannot open a follower on stream '" + stream
            + "' partition " + partition + " of " + describe() + ": the stream has "
            + parts.size() + " partition(s).");
      }
      records = parts.get(partition);
    }
    return new StreamFollower() {
      private int next;
      private boolean closed;

      @Override
      public byte[] next(long timeoutMs) {
        if (closed) {
          throw new IllegalStateException("Cannot use the follower on stream '" + stream
              + "' partition " + partition + " of " + describe() + ": it is closed.");
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMs));
        synchronized (s) {
          while (records.size() <= next) {
            long leftNanos = deadline - System.nanoTime();
            if (leftNanos <= 0) {
              return null;
            }
            try {
              TimeUnit.NANOSECONDS.timedWait(s, leftNanos);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new io.veil.VeilException("Cannot follow stream '" + stream + "' partition "
                  + partition + " of " + describe() + ": the thread was interrupted. Nothing to "
                  + "fix unless the job was not meant to be cancelled.", e);
            }
          }
          return records.get(next++);
        }
      }

      @Override
      public void close() {
        closed = true;
      }
    };
  }

  @Override
  public String describe() {
    return "in-memory channel '" + name + "'";
  }

  private static final class Space {
    final Map<String, List<List<byte[]>>> streams = new java.util.HashMap<>();
    final Map<String, List<byte[]>> logs = new java.util.HashMap<>();
    int controlOpened;
    int controlOpen;
  }
}
