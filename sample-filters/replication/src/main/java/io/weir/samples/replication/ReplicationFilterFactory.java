package io.weir.samples.replication;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.FilterType;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@code replication} filter (class REPLICATION): copies every change of a disk to a replica receiver over
 * mutual TLS, synchronously or asynchronously, with dirty-region tracking and resync when the link fails. See
 * {@link ReplicationSettings} for the keys and the module's README for the guarantees and the wire protocol.
 * {@link #metrics(String)} reports each disk's lag (RPO), link state and resync progress.
 */
@Component(service = FilterFactory.class)
@Designate(ocd = ReplicationSettings.class)
@FilterType(filterName = "replication", filterClass = FilterClass.REPLICATION)
public final class ReplicationFilterFactory implements FilterFactory {
    private final Map<String, ReplicationFilter> disks = new ConcurrentHashMap<>();

    /** A factory with no disks yet. */
    public ReplicationFilterFactory() {
        // instances register when attached
    }

    @Override
    public Filter create(FilterContext context) throws FilterRefusedException {
        ReplicationSettings settings;
        try {
            settings = context.config(ReplicationSettings.class);
        } catch (IllegalArgumentException e) {
            throw new FilterRefusedException("disk '" + context.diskId() + "': " + e.getMessage(), e);
        }
        TlsCredentials tls = null;
        if (!settings.replication_target().isBlank()) {
            String keystore = settings.replication_keystore();
            String password = settings.replication_keystore_passwordFile();
            String trust = settings.replication_trust();
            if (keystore.isBlank() || password.isBlank() || trust.isBlank()) {
                throw new FilterRefusedException("disk '" + context.diskId() + "': replication.target is set, so "
                        + "replication.keystore, replication.keystore.passwordFile and replication.trust must be too");
            }
            try {
                String crl = settings.replication_crl();
                tls = TlsCredentials.load(Path.of(keystore), Path.of(password), Path.of(trust),
                        crl.isBlank() ? null : Path.of(crl));
            } catch (IOException | RuntimeException e) {
                throw new FilterRefusedException("disk '" + context.diskId() + "': " + e.getMessage(), e);
            }
        }
        return new ReplicationFilter(this, context, settings, tls);
    }

    /** The replication state of the attached disk {@code diskId}: lag (RPO), link state, resync progress. */
    public Optional<ReplicationMetrics> metrics(String diskId) {
        return Optional.ofNullable(disks.get(diskId)).map(ReplicationFilter::metrics);
    }

    void attached(ReplicationFilter filter) {
        disks.put(filter.diskId(), filter);
    }

    void detached(ReplicationFilter filter) {
        disks.remove(filter.diskId(), filter);
    }
}
