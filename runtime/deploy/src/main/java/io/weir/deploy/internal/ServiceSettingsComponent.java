package io.weir.deploy.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

import io.weir.deploy.DeployException;
import io.weir.deploy.DeployException.Reason;
import io.weir.deploy.ServiceSettings;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.SettingsCheck;

/**
 * The runtime's {@link ServiceSettings}: stored under {@code <data>/settings}, handed to Configuration Admin when
 * set and again at every start (the framework's own storage is fresh at each start, so what survives a restart is
 * what this component stored).
 */
@Component(service = ServiceSettings.class)
public final class ServiceSettingsComponent implements ServiceSettings {
    private static final System.Logger LOG = System.getLogger(ServiceSettingsComponent.class.getName());
    /** Any bundle may receive the configuration, so it survives the upgrade of the bundle that uses it. */
    private static final String ANY_LOCATION = "?";

    private final BundleContext context;
    private final ConfigurationAdmin configAdmin;
    private final MetaTypeService metatype;
    private final SettingsStore store;

    @Activate
    public ServiceSettingsComponent(BundleContext context, @Reference ConfigurationAdmin configAdmin,
            @Reference MetaTypeService metatype) {
        this.context = context;
        this.configAdmin = configAdmin;
        this.metatype = metatype;
        String data = context.getProperty("weir.data.dir");
        if (data == null || data.isBlank()) {
            throw new IllegalStateException("framework property weir.data.dir is not set; service settings need it");
        }
        this.store = new SettingsStore(Paths.get(data).toAbsolutePath().resolve("settings"));
        store.load(ServiceSettingsComponent::unreadable).forEach((pid, settings) -> {
            try {
                push(pid, settings);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "settings of '" + pid + "' could not be handed to Configuration Admin: "
                        + e.getMessage());
            }
        });
    }

    @Override
    public synchronized Map<String, String> set(String pid, Map<String, String> settings) throws DeployException {
        if (!SettingsStore.validPid(pid)) {
            throw new DeployException(Reason.INVALID, "'" + pid + "' is not a configuration pid");
        }
        ObjectClassDefinition ocd = declared(pid);
        try {
            SettingsCheck.check("service '" + pid + "'", ocd, settings);
        } catch (DiskException e) {
            throw new DeployException(Reason.INVALID, e.getMessage());
        }
        Map<String, String> sorted = new TreeMap<>(settings);
        try {
            store.put(pid, sorted);
            push(pid, sorted);
        } catch (IOException e) {
            throw new DeployException(Reason.IO, "settings of '" + pid + "' were not stored: " + e);
        }
        LOG.log(System.Logger.Level.INFO, "settings of '" + pid + "' set: " + String.join(", ", sorted.keySet()));
        return sorted;
    }

    @Override
    public synchronized void delete(String pid) throws DeployException {
        if (!SettingsStore.validPid(pid)) {
            throw new DeployException(Reason.INVALID, "'" + pid + "' is not a configuration pid");
        }
        try {
            if (!store.remove(pid)) {
                throw new DeployException(Reason.NOT_FOUND, "no settings are stored for '" + pid + "'");
            }
            Configuration[] live = configAdmin.listConfigurations("(service.pid=" + pid + ")");
            for (Configuration c : live == null ? new Configuration[0] : live) {
                c.delete();
            }
        } catch (IOException | InvalidSyntaxException e) {
            throw new DeployException(Reason.IO, "settings of '" + pid + "' were not deleted: " + e);
        }
        LOG.log(System.Logger.Level.INFO, "settings of '" + pid + "' deleted");
    }

    @Override
    public synchronized SortedMap<String, Map<String, String>> list() {
        return store.load(ServiceSettingsComponent::unreadable);
    }

    /** The definition an installed bundle declares for {@code pid}. */
    private ObjectClassDefinition declared(String pid) throws DeployException {
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.UNINSTALLED) {
                continue;
            }
            MetaTypeInformation info = metatype.getMetaTypeInformation(b);
            if (info != null && Arrays.asList(info.getPids()).contains(pid)) {
                return info.getObjectClassDefinition(pid, null);
            }
        }
        throw new DeployException(Reason.NOT_FOUND, "no installed bundle declares settings for '" + pid
                + "'; deploy the bundle that provides the service first");
    }

    private void push(String pid, Map<String, String> settings) throws IOException {
        Dictionary<String, Object> d = new Hashtable<>(settings);
        configAdmin.getConfiguration(pid, ANY_LOCATION).update(d);
    }

    private static void unreadable(Path file, String why) {
        LOG.log(System.Logger.Level.ERROR, "stored service settings " + file + " are unreadable and were skipped: " + why);
    }
}
