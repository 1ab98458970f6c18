package io.weir.admin;

import java.io.IOException;
import java.nio.file.Path;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.weir.deploy.FilterBundles;
import io.weir.deploy.ServiceSettings;
import io.weir.vscsi.DiskService;

/**
 * Serves the admin API at {@code <weir.data.dir>/run/admin.sock} while a {@link DiskService} is available.
 *
 * <p>Framework properties read: {@value #DATA_DIR} (required), {@value #VERSION} and {@value #STARTED}
 * (epoch milliseconds), both optional, set by the launcher.
 */
@Component(immediate = true)
public final class AdminComponent {
    /** Framework property: the runtime's data directory. */
    public static final String DATA_DIR = "weir.data.dir";
    /** Framework property: the runtime's version, shown by {@code status}. */
    public static final String VERSION = "weir.version";
    /** Framework property: when the runtime started, in epoch milliseconds. */
    public static final String STARTED = "weir.started";

    private static final System.Logger LOG = System.getLogger("io.weir.admin");

    private final AdminServer server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile FilterBundles bundles;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ServiceSettings settings;

    @Activate
    public AdminComponent(BundleContext context, @Reference DiskService disks) throws IOException {
        String dataDir = context.getProperty(DATA_DIR);
        if (dataDir == null || dataDir.isBlank()) {
            throw new IllegalStateException("framework property " + DATA_DIR + " is not set; the admin socket needs it");
        }
        Path socket = socketOf(Path.of(dataDir));
        String version = context.getProperty(VERSION);
        if (version == null) {
            version = context.getBundle().getVersion().toString();
        }
        long started = parseStart(context.getProperty(STARTED));
        Bundle system = context.getBundle(0);
        RequestHandler handler = new RequestHandler(disks, () -> bundles, () -> settings, new RequestHandler.RuntimeInfo(version, started,
                Path.of(dataDir).toAbsolutePath().toString(), socket.toAbsolutePath().toString(), () -> stop(system)));
        server = new AdminServer(socket, handler);
        server.start();
    }

    /** Where the admin socket of a data directory lives. */
    public static Path socketOf(Path dataDir) {
        return dataDir.resolve("run").resolve("admin.sock");
    }

    @Deactivate
    void deactivate() {
        server.close();
    }

    private static long parseStart(String value) {
        if (value != null) {
            try {
                return Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                LOG.log(System.Logger.Level.WARNING, STARTED + " is not a number: " + value);
            }
        }
        return System.currentTimeMillis();
    }

    /** Stop the whole framework from a thread of its own (the caller is an admin connection it will close). */
    private static void stop(Bundle system) {
        Thread t = new Thread(() -> {
            try {
                system.stop();
            } catch (BundleException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "cannot stop the framework", e);
            }
        }, "weir-admin-shutdown");
        t.start();
    }
}
