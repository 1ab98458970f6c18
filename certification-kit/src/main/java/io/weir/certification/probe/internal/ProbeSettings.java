package io.weir.certification.probe.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The settings a probe takes when attached to a disk, declared through Metatype so the runtime can refuse
 * unknown or malformed settings before the probe is created.
 */
@ObjectClassDefinition(name = "Weir probe filter", description = "A pass-through filter that records what it sees")
public @interface ProbeSettings {
    @AttributeDefinition(description = "Operations to fail with EIO: comma-separated READ, WRITE, FLUSH, UNMAP, WRITE_ZEROES")
    String probe_failOps() default "";

    @AttributeDefinition(description = "Refusable control events to refuse, comma-separated (for example ATTACH,GROW)")
    String probe_refuseEvents() default "";
}
