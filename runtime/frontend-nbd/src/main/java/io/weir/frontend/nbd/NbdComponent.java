package io.weir.frontend.nbd;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;

import io.weir.vscsi.DiskService;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Serves every online disk of the {@link DiskService} as an NBD export named by the disk id, on TCP and on a
 * Unix domain socket. An endpoint that cannot be bound (port taken, path too long) is logged and skipped; the
 * other one still serves.
 *
 * <p>While serving, a service is registered with the property {@value #ENDPOINTS} (the listeners' URIs) and
 * {@code weir.frontend=nbd}, so the launcher can show where clients connect without depending on this bundle.
 */
@Component(immediate = true, service = {}, configurationPid = NbdComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = NbdComponent.Config.class)
public final class NbdComponent {
    /** Configuration PID. */
    public static final String PID = "io.weir.frontend.nbd";
    /** Framework property: the runtime's data directory, where the default Unix socket lives. */
    public static final String DATA_DIR = "weir.data.dir";
    /** Service property listing the endpoints. */
    public static final String ENDPOINTS = "weir.frontend.endpoints";
    /** Placeholder in {@link Config#unixSocket()} replaced by the data directory. */
    static final String DATA_DIR_TOKEN = "${weir.data.dir}";

    private static final System.Logger LOG = System.getLogger("io.weir.frontend.nbd");

    @ObjectClassDefinition(name = "Weir NBD front end", description = "Serves every online disk as an NBD export")
    public @interface Config {
        @AttributeDefinition(description = "TCP address to listen on")
        String tcpHost() default "127.0.0.1";

        @AttributeDefinition(description = "TCP port; 0 disables TCP", min = "0", max = "65535")
        int tcpPort() default 10809;

        @AttributeDefinition(description = "Unix domain socket path (mode 0600); empty disables it; "
                + DATA_DIR_TOKEN + " is replaced by the data directory")
        String unixSocket() default DATA_DIR_TOKEN + "/run/nbd.sock";

        @AttributeDefinition(description = "Seconds a client may take to finish the handshake", min = "1")
        int handshakeTimeoutSeconds() default 10;

        @AttributeDefinition(description = "Clients served at once", min = "1")
        int maxConnections() default 64;

        @AttributeDefinition(description = "Requests in flight per connection before it stops reading", min = "1")
        int maxInFlight() default 64;

        @AttributeDefinition(description = "READ/WRITE payload bytes held per connection (at least one largest "
                + "request is always admitted)", min = "1")
        long maxBufferedBytes() default 64L << 20;
    }

    private final NbdServer server;
    private final ServiceRegistration<?> registration;

    @Activate
    public NbdComponent(BundleContext context, Config config, @Reference DiskService disks) {
        server = new NbdServer(Exports.of(disks), new NbdServer.Settings(
                Duration.ofSeconds(config.handshakeTimeoutSeconds()), config.maxConnections(), config.maxInFlight(),
                config.maxBufferedBytes()));
        if (config.tcpPort() > 0) {
            try {
                server.listenTcp(config.tcpHost(), config.tcpPort());
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "NBD over TCP is not served: " + e.getMessage());
            }
        }
        String unix = config.unixSocket();
        if (unix != null && !unix.isBlank()) {
            try {
                server.listenUnix(Path.of(expand(unix, context.getProperty(DATA_DIR))));
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "NBD over a Unix socket is not served: " + e.getMessage());
            }
        }
        List<String> endpoints = server.endpoints();
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("weir.frontend", "nbd");
        props.put(ENDPOINTS, endpoints.toArray(String[]::new));
        registration = context.registerService(Object.class.getName(), new Object(), props);
    }

    /** Replace {@value #DATA_DIR_TOKEN} in {@code path}; refused when it is needed and not set. */
    static String expand(String path, String dataDir) {
        if (!path.contains(DATA_DIR_TOKEN)) {
            return path;
        }
        if (dataDir == null || dataDir.isBlank()) {
            throw new IllegalStateException("the NBD socket path " + path + " needs the framework property "
                    + DATA_DIR);
        }
        return path.replace(DATA_DIR_TOKEN, dataDir);
    }

    @Deactivate
    void deactivate() {
        try {
            registration.unregister();
        } catch (IllegalStateException ignored) {
            // already gone with the bundle
        }
        server.close();
    }
}
