package io.spool.broker.testing;

import io.spool.broker.model.MessageMemory;
import io.spool.broker.model.ResourceAlarms;
import io.spool.broker.model.VirtualHost;
import io.spool.broker.store.Storage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A virtual host on a temporary data directory, for model tests that need no network. Use
 * with {@code @RegisterExtension}; the store is closed after each test.
 */
public final class TestVirtualHost implements BeforeEachCallback, AfterEachCallback {

    private Storage storage;
    private VirtualHost vhost;

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        Path dir = Files.createTempDirectory("spool-model-test");
        storage = new Storage(dir, 1 << 20);
        vhost = new VirtualHost("/", new MessageMemory(Long.MAX_VALUE, new ResourceAlarms()), storage);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        vhost.close();
        storage.close();
    }

    public VirtualHost vhost() {
        return vhost;
    }
}
