package io.weir.vscsi.disk;

import java.util.Map;
import java.util.Objects;

import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;

/**
 * A filter to instantiate in a disk's stack.
 *
 * @param name        the filter's declared name
 * @param filterClass its declared class
 * @param origin      the providing bundle (symbolic name and version), for messages
 * @param factory     the factory that creates the instance
 * @param config      the instance's configuration
 */
public record LayerSpec(String name, FilterClass filterClass, String origin, FilterFactory factory,
                        Map<String, Object> config) {
    public LayerSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(filterClass, "filterClass");
        Objects.requireNonNull(factory, "factory");
        config = Map.copyOf(config);
    }
}
