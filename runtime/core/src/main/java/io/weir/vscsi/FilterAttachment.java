package io.weir.vscsi;

import java.util.Map;
import java.util.Objects;

/**
 * A filter attached to a disk: the filter's name and the instance's configuration.
 *
 * @param filterName the name a filter factory declared
 * @param config     configuration values (strings, numbers, booleans)
 */
public record FilterAttachment(String filterName, Map<String, Object> config) {
    public FilterAttachment {
        Objects.requireNonNull(filterName, "filterName");
        config = Map.copyOf(config);
    }
}
