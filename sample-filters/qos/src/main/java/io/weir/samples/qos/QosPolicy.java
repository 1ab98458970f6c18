package io.weir.samples.qos;

/**
 * One disk's QoS policy: what it is guaranteed, what it may not exceed, and its weight among the disks of its
 * group. Zero means "none" for the reservation and both limits.
 *
 * @param reservationIops     I/Os per second the disk receives first whenever it has requests queued
 * @param limitIops           most I/Os per second, beyond {@code burst} (0: unlimited)
 * @param limitBytesPerSecond most bytes per second of READ and WRITE data, beyond {@code burstBytes} (0: unlimited)
 * @param shares              weight in the proportional-share phase, at least 1
 * @param burst               I/Os an idle disk may issue at once above {@code limitIops}
 * @param burstBytes          bytes an idle disk may transfer at once above {@code limitBytesPerSecond}
 */
public record QosPolicy(long reservationIops, long limitIops, long limitBytesPerSecond, int shares, int burst,
                        long burstBytes) {
    /** The group a disk belongs to when {@code qos.group} is not given. */
    public static final String DEFAULT_GROUP = "default";

    /** The weight a disk has when {@code qos.shares} is not given. */
    public static final int DEFAULT_SHARES = 1000;

    /** No reservation, no limits, default shares: the disk only competes by weight. */
    public static final QosPolicy UNRESTRICTED = new QosPolicy(0, 0, 0, DEFAULT_SHARES, 16, 1L << 20);

    /** Checks the values; a reservation above the IOPS limit could never be honoured and is refused. */
    public QosPolicy {
        requireNonNegative("qos.reservation.iops", reservationIops);
        requireNonNegative("qos.limit.iops", limitIops);
        requireNonNegative("qos.limit.bytesPerSecond", limitBytesPerSecond);
        requireNonNegative("qos.burst", burst);
        requireNonNegative("qos.burst.bytes", burstBytes);
        if (shares < 1) {
            throw new IllegalArgumentException("qos.shares must be at least 1, got " + shares);
        }
        if (limitIops > 0 && reservationIops > limitIops) {
            throw new IllegalArgumentException("qos.reservation.iops " + reservationIops
                    + " exceeds qos.limit.iops " + limitIops + "; a reservation above the limit cannot be honoured");
        }
    }

    static QosPolicy of(QosSettings settings) {
        return new QosPolicy(settings.qos_reservation_iops(), settings.qos_limit_iops(),
                settings.qos_limit_bytesPerSecond(), settings.qos_shares(), settings.qos_burst(),
                settings.qos_burst_bytes());
    }

    /** This policy with another reservation and IOPS limit. */
    public QosPolicy withIops(long reservation, long limit) {
        return new QosPolicy(reservation, limit, limitBytesPerSecond, shares, burst, burstBytes);
    }

    /** This policy with another byte limit. */
    public QosPolicy withBytesPerSecond(long limit) {
        return new QosPolicy(reservationIops, limitIops, limit, shares, burst, burstBytes);
    }

    /** This policy with another weight. */
    public QosPolicy withShares(int weight) {
        return new QosPolicy(reservationIops, limitIops, limitBytesPerSecond, weight, burst, burstBytes);
    }

    /** This policy with other idle credits. */
    public QosPolicy withBurst(int ios, long bytes) {
        return new QosPolicy(reservationIops, limitIops, limitBytesPerSecond, shares, ios, bytes);
    }

    private static void requireNonNegative(String key, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(key + " must not be negative, got " + value);
        }
    }
}
