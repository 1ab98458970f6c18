package io.weir.samples.qos;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The per-disk settings of the {@code qos} filter, declared through Metatype so the runtime refuses unknown or
 * malformed keys before the filter is created. Key names are the method names with {@code _} read as {@code .}
 * (for example {@code qos.limit.iops}). Zero means "none" for reservations and limits.
 */
@ObjectClassDefinition(name = "Weir QoS filter",
        description = "Per-disk reservation, limit and shares across the disks of one backend group")
public @interface QosSettings {
    @AttributeDefinition(min = "0", description = "I/Os per second guaranteed to the disk under contention (0: none)")
    long qos_reservation_iops() default 0;

    @AttributeDefinition(min = "0", description = "Most I/Os per second the disk may issue, beyond its burst (0: no limit)")
    long qos_limit_iops() default 0;

    @AttributeDefinition(min = "0", description = "Most bytes per second the disk may read or write, beyond its burst (0: no limit)")
    long qos_limit_bytesPerSecond() default 0;

    @AttributeDefinition(min = "1", max = "1000000", description = "Relative weight of the disk when spare capacity is shared")
    int qos_shares() default 1000;

    @AttributeDefinition(min = "0", description = "I/Os an idle disk may issue at once above its IOPS limit (idle credit)")
    int qos_burst() default 16;

    @AttributeDefinition(min = "0", description = "Bytes an idle disk may transfer at once above its byte limit (idle credit)")
    long qos_burst_bytes() default 1L << 20;

    @AttributeDefinition(description = "The backend group the disk is scheduled in; disks of one group share its capacity")
    String qos_group() default QosPolicy.DEFAULT_GROUP;

    @AttributeDefinition(min = "0", description = "I/Os per second the group dispatches into its backend (0: not paced)")
    long qos_group_iops() default 0;

    @AttributeDefinition(min = "1", description = "Most requests of the group outstanding below the filter at once")
    int qos_group_depth() default GroupCapacity.DEFAULT_DEPTH;
}
