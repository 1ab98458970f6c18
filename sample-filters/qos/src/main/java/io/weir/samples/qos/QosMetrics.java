package io.weir.samples.qos;

import java.time.Duration;

/**
 * A snapshot of what the scheduler did for one disk since its filter instance was created. Every dispatched
 * request falls in exactly one of the four phases, so {@code dispatched} is their sum.
 *
 * @param diskId           the disk
 * @param group            its backend group
 * @param queued           requests held by the scheduler right now
 * @param dispatched       requests passed down
 * @param reservationPhase dispatched because the disk was behind its reservation
 * @param sharePhase       dispatched by weight, among the disks under their limits
 * @param barriers         FLUSH requests, dispatched as soon as everything before them was (never charged)
 * @param released         dispatched unthrottled because the disk was stunned, closed or detached
 * @param bytes            READ and WRITE bytes dispatched
 * @param throttled        time requests spent queued, summed over requests
 */
public record QosMetrics(String diskId, String group, int queued, long dispatched, long reservationPhase,
                         long sharePhase, long barriers, long released, long bytes, Duration throttled) {
    /** The figures operators see in {@code weir disk info}, by name. */
    public java.util.Map<String, Object> asMap() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("group", group);
        m.put("queued", queued);
        m.put("dispatched", dispatched);
        m.put("reservationPhase", reservationPhase);
        m.put("sharePhase", sharePhase);
        m.put("barriers", barriers);
        m.put("released", released);
        m.put("bytes", bytes);
        m.put("throttledMillis", throttled.toMillis());
        return m;
    }
}
