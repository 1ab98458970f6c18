package io.weir.vscsi;

import java.util.Map;
import java.util.Objects;

/**
 * A filter attached to a disk: the filter's name, the instance's configuration, and the version of the filter's
 * bundle the disk stays on.
 *
 * @param filterName the name a filter factory declared
 * @param config     configuration values (strings, numbers, booleans)
 * @param version    empty: the newest installed version serves the disk; otherwise the bundle version that
 *                   serves it (an upgrade that could not move this disk keeps it on its version, also across a
 *                   restart, until an upgrade moves it)
 */
public record FilterAttachment(String filterName, Map<String, Object> config, String version) {
    public FilterAttachment {
        Objects.requireNonNull(filterName, "filterName");
        config = Map.copyOf(config);
        version = version == null ? "" : version.trim();
    }

    /** Served by the newest installed version. */
    public FilterAttachment(String filterName, Map<String, Object> config) {
        this(filterName, config, "");
    }

    /** This attachment served by {@code newVersion} (empty: the newest). */
    public FilterAttachment withVersion(String newVersion) {
        return new FilterAttachment(filterName, config, newVersion);
    }
}
