package io.spool.bench.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A broker data directory under the system temp directory, deleted when the scenario ends, and
 * also when the run is interrupted: a million-message run would otherwise leave a gigabyte
 * behind. On interruption the brokers this run started are stopped first, so that none is
 * still writing while the directory goes.
 */
public final class ScratchDirectory implements AutoCloseable {

    private final Path path;
    private final Thread onInterrupt;

    public ScratchDirectory(String prefix) throws IOException {
        this.path = Files.createTempDirectory(prefix);
        this.onInterrupt = new Thread(this::stopBrokersAndDelete, "delete-" + path.getFileName());
        Runtime.getRuntime().addShutdownHook(onInterrupt);
    }

    public Path path() {
        return path;
    }

    private void stopBrokersAndDelete() {
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroy);
        ProcessHandle.current().descendants().forEach(p -> {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        });
        delete();
    }

    private void delete() {
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }

    @Override
    public void close() {
        Runtime.getRuntime().removeShutdownHook(onInterrupt);
        delete();
    }
}
