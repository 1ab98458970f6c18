package io.weir.filter;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * What a filter bundle registers as an OSGi service (normally a Declarative Services component annotated
 * with {@link FilterType}, which declares the service properties {@value FilterType#NAME} and
 * {@value FilterType#CLASS}). The runtime calls {@link #create} once per disk the filter is attached to,
 * then sends the instance {@link ControlEvent.Kind#ATTACH}.
 */
@ConsumerType
@FunctionalInterface
public interface FilterFactory {
    /**
     * Create the instance for the disk described by {@code context}. Throw {@link FilterRefusedException}
     * when the disk or configuration is unsuitable (the reason reaches the operator). Must not block for long.
     */
    Filter create(FilterContext context) throws FilterRefusedException;
}
