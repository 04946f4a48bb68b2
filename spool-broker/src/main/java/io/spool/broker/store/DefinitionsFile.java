package io.spool.broker.store;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.spool.broker.model.FieldTable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * {@code definitions.json}: the durable exchanges, queues, bindings and policies. Written atomically (a
 * temp file, fsync, rename, fsync of the directory) so a crash leaves either the old file or
 * the new one, never half of one. Thread-safe.
 */
public final class DefinitionsFile {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path file;

    public DefinitionsFile(Path dataDir) {
        this.file = dataDir.resolve("definitions.json");
    }

    /** The saved definitions, or empty ones if there are none yet. */
    public Definitions load() throws IOException {
        if (!Files.exists(file)) {
            return new Definitions(Definitions.VERSION, List.of(), List.of(), List.of(), List.of());
        }
        Definitions d = JSON.readValue(file.toFile(), Definitions.class);
        return new Definitions(d.version(), orEmpty(d.exchanges()), orEmpty(d.queues()), orEmpty(d.bindings()),
                orEmpty(d.policies()));
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    public synchronized void save(Definitions d) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        byte[] bytes = JSON.writeValueAsBytes(d);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        Storage.fsyncDirectory(file.getParent());
    }

    /** Encodes an argument table for the file. */
    public static String encodeArguments(Map<String, Object> args) {
        if (args == null || args.isEmpty()) {
            return "";
        }
        ByteBuf buf = Unpooled.buffer();
        FieldTable.write(buf, args);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    public static Map<String, Object> decodeArguments(String encoded) {
        if (encoded == null || encoded.isEmpty()) {
            return Map.of();
        }
        return FieldTable.read(Unpooled.wrappedBuffer(Base64.getDecoder().decode(encoded)));
    }
}
