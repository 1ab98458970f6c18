package io.weir.deploy;

import java.util.Map;
import java.util.SortedMap;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Settings of services that deployed bundles run (a replica receiver, say), kept by the runtime: each set is
 * checked against the Metatype a bundle declares for its configuration pid, stored durably in the data directory
 * and handed to Configuration Admin; stored settings are handed over again at every start, so the service comes
 * back with the runtime. Per-disk filter settings are not kept here: they belong to the disk.
 */
@ProviderType
public interface ServiceSettings {
    /**
     * Replace the settings of {@code pid} (a service starts, or restarts with the new values).
     *
     * @param pid      a configuration pid some installed bundle declares Metatype for
     * @param settings every setting, values as strings (converted by the declared type)
     * @return the settings stored
     * @throws DeployException {@link DeployException.Reason#NOT_FOUND} when no installed bundle declares the pid,
     *                         {@link DeployException.Reason#INVALID} naming the offending key,
     *                         {@link DeployException.Reason#IO} when they could not be stored
     */
    Map<String, String> set(String pid, Map<String, String> settings) throws DeployException;

    /**
     * Delete the settings of {@code pid} (its service stops).
     *
     * @throws DeployException {@link DeployException.Reason#NOT_FOUND} when none are stored
     */
    void delete(String pid) throws DeployException;

    /** Every stored pid with its settings, by pid. */
    SortedMap<String, Map<String, String>> list();
}
