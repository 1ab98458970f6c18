package io.weir.samples.qos;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import io.weir.filter.Filter;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.FilterType;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@code qos} filter (class QOS, datastore I/O control): per-disk reservations, limits and shares across the
 * disks of one backend group, scheduled mClock-style. The component owns one scheduler per group named by the
 * disks' {@code qos.group} setting; see {@link QosSettings} for every key and the module's README for the model
 * and its guarantees. Limits, reservations, shares and a group's capacity can be changed at run time through
 * this object, or per disk by swapping the instance with new settings (the credits are handed over).
 */
@Component(service = FilterFactory.class)
@Designate(ocd = QosSettings.class)
@FilterType(filterName = "qos", filterClass = FilterClass.QOS)
public final class QosFilterFactory implements FilterFactory {
    private final Map<String, Group> groups = new HashMap<>();
    private final Map<String, Member> disks = new ConcurrentHashMap<>();

    /** A factory with no groups yet; each disk's settings create or join its group. */
    public QosFilterFactory() {
        // groups are created by the first disk that names them
    }

    @Override
    public Filter create(FilterContext context) throws FilterRefusedException {
        String diskId = context.diskId();
        QosSettings settings;
        QosPolicy policy;
        GroupCapacity capacity;
        try {
            settings = context.config(QosSettings.class);
            policy = QosPolicy.of(settings);
            capacity = new GroupCapacity(settings.qos_group_iops(), settings.qos_group_depth());
        } catch (IllegalArgumentException e) {
            throw new FilterRefusedException("disk '" + diskId + "': " + e.getMessage(), e);
        }
        String groupName = settings.qos_group();
        if (groupName == null || groupName.isBlank()) {
            throw new FilterRefusedException("disk '" + diskId + "': qos.group must name a group, got '"
                    + groupName + "'");
        }
        Group group;
        synchronized (groups) {
            group = groups.computeIfAbsent(groupName, name -> new Group(name, capacity));
            GroupCapacity current = group.capacity();
            if (!current.equals(capacity)) {
                String holder = group.otherMember(diskId);
                if (holder != null) {
                    throw new FilterRefusedException("disk '" + diskId + "': qos.group.iops " + capacity.iops()
                            + " and qos.group.depth " + capacity.depth() + " differ from group '" + groupName
                            + "' (iops " + current.iops() + ", depth " + current.depth() + ", set with disk '"
                            + holder + "'); give the same values or change the group's capacity first");
                }
                group.capacity(capacity);
            }
        }
        return new Member(this, context, group, policy);
    }

    /**
     * Change the policy of the attached disk {@code diskId}; it applies to the next scheduling decision. A changed
     * limit starts counting from now, without idle credit.
     *
     * @throws IllegalArgumentException no disk of that id is attached to this factory's filters
     */
    public void setPolicy(String diskId, QosPolicy policy) {
        member(diskId).policy(policy);
    }

    /** The policy of the attached disk {@code diskId}, if any. */
    public Optional<QosPolicy> policy(String diskId) {
        return Optional.ofNullable(disks.get(diskId)).map(Member::policy);
    }

    /**
     * Change the capacity the scheduler of {@code group} dispatches into, for every disk of the group.
     *
     * @throws IllegalArgumentException no disk ever named that group
     */
    public void setGroupCapacity(String group, GroupCapacity capacity) {
        Group g;
        synchronized (groups) {
            g = groups.get(group);
            if (g == null) {
                throw new IllegalArgumentException("qos: no group '" + group + "'; known groups: "
                        + new TreeSet<>(groups.keySet()));
            }
            g.capacity(capacity);
        }
        g.pump();
    }

    /** The capacity of {@code group}, if a disk ever named it. */
    public Optional<GroupCapacity> groupCapacity(String group) {
        synchronized (groups) {
            return Optional.ofNullable(groups.get(group)).map(Group::capacity);
        }
    }

    /** What the scheduler did for the attached disk {@code diskId}, if any. */
    public Optional<QosMetrics> metrics(String diskId) {
        return Optional.ofNullable(disks.get(diskId)).map(Member::metrics);
    }

    void attached(Member member) {
        disks.put(member.diskId(), member);
    }

    void detached(Member member) {
        disks.remove(member.diskId(), member);
    }

    private Member member(String diskId) {
        Member m = disks.get(diskId);
        if (m == null) {
            throw new IllegalArgumentException("qos: no disk '" + diskId + "' is attached; attached disks: "
                    + new TreeSet<>(disks.keySet()));
        }
        return m;
    }
}
