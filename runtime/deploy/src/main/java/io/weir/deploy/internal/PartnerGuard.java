package io.weir.deploy.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.hooks.resolver.ResolverHook;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.hooks.service.EventListenerHook;
import org.osgi.framework.hooks.service.FindHook;
import org.osgi.framework.hooks.service.ListenerHook.ListenerInfo;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;

import io.weir.codecheck.PartnerPolicy;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterType;

/**
 * Keeps deployed bundles inside their limits while they run, with framework hooks that see every resolve and
 * every service event:
 * <ul>
 *   <li>resolver hook: a partner bundle wires only to packages its {@link PartnerPolicy} allows, never through
 *       Require-Bundle or as a fragment; no bundle wires to the exports of another deployed bundle (a partner
 *       cannot shadow the filter API or offer code to the runtime). A denial surfaces in the framework as an
 *       ordinary missing requirement, so the hook keeps its own reasons for the verdict;</li>
 *   <li>service hooks: a {@link FilterFactory} registered by a deployed bundle for a class it did not declare,
 *       or is not entitled to, is hidden from every other bundle (the vSCSI core never sees it) and reported,
 *       so the owner can fence the bundle.</li>
 * </ul>
 * Bundles the runtime image installed itself (not through the pipeline) are not judged here.
 */
final class PartnerGuard implements ResolverHookFactory, FindHook, EventListenerHook {
    /** Location prefix of every bundle the pipeline installs. */
    static final String LOCATION_PREFIX = "weir-deploy:";

    /** What a deployed bundle may do at run time. */
    record Admission(String symbolicName, boolean partner, Set<FilterClass> declared, Set<FilterClass> allowed,
                     PartnerPolicy policy) {
    }

    /** A filter factory a deployed bundle registered outside its admission. */
    record Violation(String location, String symbolicName, String message) {
    }

    private final Map<String, Admission> admitted = new ConcurrentHashMap<>();
    private final Map<String, List<String>> denials = new ConcurrentHashMap<>();
    private final Consumer<Violation> onViolation;

    PartnerGuard(Consumer<Violation> onViolation) {
        this.onViolation = onViolation;
    }

    static String location(String symbolicName, String sha256) {
        return LOCATION_PREFIX + symbolicName + "@" + sha256;
    }

    void admit(String location, Admission admission) {
        denials.remove(location);
        admitted.put(location, admission);
    }

    void forget(String location) {
        admitted.remove(location);
        denials.remove(location);
    }

    /** The resolve denials recorded for a bundle since it was admitted. */
    List<String> denials(String location) {
        return List.copyOf(denials.getOrDefault(location, List.of()));
    }

    // ---- resolver hook ------------------------------------------------------------------------

    @Override
    public ResolverHook begin(Collection<BundleRevision> triggers) {
        return new ResolverHook() {
            @Override
            public void filterResolvable(Collection<BundleRevision> candidates) {
                // every bundle may resolve; what it wires to is decided below
            }

            @Override
            public void filterSingletonCollisions(BundleCapability singleton, Collection<BundleCapability> collisions) {
                // no say in singleton selection
            }

            @Override
            public void filterMatches(BundleRequirement requirement, Collection<BundleCapability> candidates) {
                filter(requirement, candidates);
            }

            @Override
            public void end() {
                // stateless per resolve
            }
        };
    }

    private void filter(BundleRequirement requirement, Collection<BundleCapability> candidates) {
        Bundle requirer = requirement.getRevision().getBundle();
        String namespace = requirement.getNamespace();
        boolean wiring = namespace.startsWith("osgi.wiring.");
        if (wiring) {
            // nobody wires to the exports of a deployed bundle other than itself
            candidates.removeIf(c -> c.getRevision().getBundle() != requirer
                    && admitted.containsKey(c.getRevision().getBundle().getLocation()));
        }
        Admission a = admitted.get(requirer.getLocation());
        if (a == null || !a.partner() || !wiring) {
            return;
        }
        switch (namespace) {
            case "osgi.wiring.package" -> {
                for (Iterator<BundleCapability> it = candidates.iterator(); it.hasNext(); ) {
                    BundleCapability c = it.next();
                    if (c.getRevision().getBundle() == requirer) {
                        continue; // bnd imports what a bundle exports itself; wiring to its own export is fine
                    }
                    Object pkg = c.getAttributes().get("osgi.wiring.package");
                    if (!(pkg instanceof String p) || !a.policy().mayImport(p)) {
                        it.remove();
                        deny(requirer, "resolve: imports package " + pkg + ", which a partner bundle of class "
                                + Pipeline.names(a.declared()) + " may not use");
                    }
                }
            }
            case "osgi.wiring.bundle" -> {
                if (!candidates.isEmpty()) {
                    candidates.clear();
                    deny(requirer, "resolve: Require-Bundle " + requirement.getDirectives().get("filter")
                            + " is not allowed for a partner bundle");
                }
            }
            case "osgi.wiring.host" -> {
                if (!candidates.isEmpty()) {
                    candidates.clear();
                    deny(requirer, "resolve: a partner bundle may not be a fragment of another bundle");
                }
            }
            default -> {
                // other wiring namespaces: the package and bundle rules above cover what a partner can reach
            }
        }
    }

    private void deny(Bundle requirer, String reason) {
        List<String> list = denials.computeIfAbsent(requirer.getLocation(), k -> new ArrayList<>());
        synchronized (list) {
            if (!list.contains(reason)) {
                list.add(reason);
            }
        }
        System.getLogger(PartnerGuard.class.getName()).log(System.Logger.Level.WARNING,
                requirer.getSymbolicName() + ": " + reason);
    }

    // ---- service hooks ------------------------------------------------------------------------

    @Override
    public void find(BundleContext context, String name, String filter, boolean allServices,
                     Collection<ServiceReference<?>> references) {
        references.removeIf(ref -> judge(ref) != null && !mayStillSee(context, ref));
    }

    @Override
    public void event(ServiceEvent event, Map<BundleContext, Collection<ListenerInfo>> listeners) {
        ServiceReference<?> ref = event.getServiceReference();
        String violation = judge(ref);
        if (violation == null) {
            return;
        }
        listeners.keySet().removeIf(context -> !mayStillSee(context, ref));
        if (event.getType() == ServiceEvent.REGISTERED) {
            Bundle b = ref.getBundle();
            onViolation.accept(new Violation(b.getLocation(), b.getSymbolicName(), violation));
        }
    }

    private static boolean mayStillSee(BundleContext context, ServiceReference<?> ref) {
        Bundle viewer = context.getBundle();
        return viewer.getBundleId() == Constants.SYSTEM_BUNDLE_ID || viewer.equals(ref.getBundle());
    }

    /** Why a service must be hidden, or null when it may be seen. */
    private String judge(ServiceReference<?> ref) {
        Bundle owner = ref.getBundle();
        if (owner == null) {
            return null; // unregistered meanwhile
        }
        Admission a = admitted.get(owner.getLocation());
        if (a == null || !(ref.getProperty(Constants.OBJECTCLASS) instanceof String[] types)
                || !List.of(types).contains(FilterFactory.class.getName())) {
            return null;
        }
        Object name = ref.getProperty(FilterType.NAME);
        Object cls = ref.getProperty(FilterType.CLASS);
        FilterClass filterClass;
        try {
            filterClass = FilterClass.valueOf(String.valueOf(cls));
        } catch (IllegalArgumentException e) {
            return "registered filter '" + name + "' with an unknown " + FilterType.CLASS + " '" + cls + "'";
        }
        if (!a.declared().contains(filterClass)) {
            return "registered filter '" + name + "' of class " + filterClass + ", which the bundle does not declare"
                    + " (declared: " + Pipeline.names(a.declared()) + ")";
        }
        if (!a.allowed().contains(filterClass)) {
            return "registered filter '" + name + "' of class " + filterClass + ", which its signer is not entitled to";
        }
        return null;
    }
}
