package io.weir.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.hooks.service.EventListenerHook;
import org.osgi.framework.hooks.service.FindHook;
import org.osgi.framework.launch.Framework;

import io.weir.codecheck.PartnerPolicy;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterType;

/** The guard's hooks in a real Felix framework, with bundles made of manifests. */
class PartnerGuardTest {
    @TempDir
    Path dir;

    private Framework framework;
    private PartnerGuard guard;
    private final List<PartnerGuard.Violation> violations = Collections.synchronizedList(new ArrayList<>());
    private Bundle runtime;

    @BeforeEach
    void startFramework() throws Exception {
        framework = new FrameworkFactory().newFramework(Map.of(Constants.FRAMEWORK_STORAGE, dir.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.init();
        guard = new PartnerGuard(violations::add);
        framework.getBundleContext().registerService(new String[] {ResolverHookFactory.class.getName(),
                FindHook.class.getName(), EventListenerHook.class.getName()}, guard, null);
        framework.start();
        runtime = install("file:runtime", manifest("runtime-image",
                "Export-Package", "io.weir.filter;version=1.0.0,io.weir.vscsi;version=1.0.0"));
        runtime.start();
    }

    @AfterEach
    void stopFramework() throws Exception {
        framework.stop();
        framework.waitForStop(10_000);
    }

    private Bundle install(String location, Manifest m) throws IOException, BundleException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, m)) {
            jar.flush();
        }
        return framework.getBundleContext().installBundle(location, new ByteArrayInputStream(bytes.toByteArray()));
    }

    private static Manifest manifest(String name, String... headers) {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", name);
        for (int i = 0; i < headers.length; i += 2) {
            a.putValue(headers[i], headers[i + 1]);
        }
        return m;
    }

    private Bundle deployed(String name, boolean partner, Set<FilterClass> declared, String... headers)
            throws IOException, BundleException {
        String location = PartnerGuard.location(name, "00");
        guard.admit(location, new PartnerGuard.Admission(name, partner, declared, declared,
                PartnerPolicy.forClasses(declared)));
        return install(location, manifest(name, headers));
    }

    @Test
    void partnerBundleWiresToTheFilterApi() throws Exception {
        Bundle p = deployed("p-api", true, Set.of(FilterClass.CACHE), "Import-Package", "io.weir.filter");
        p.start();
        assertEquals(Bundle.ACTIVE, p.getState());
    }

    @Test
    void partnerBundleImportingRuntimeInternalsDoesNotResolveAndTheGuardSaysWhy() throws Exception {
        Bundle p = deployed("p-internal", true, Set.of(FilterClass.CACHE), "Import-Package", "io.weir.filter,io.weir.vscsi");
        assertThrows(BundleException.class, p::start);
        assertTrue(guard.denials(p.getLocation()).stream().anyMatch(d -> d.contains("io.weir.vscsi")),
                guard.denials(p.getLocation()).toString());
    }

    @Test
    void partnerBundleMayNotRequireABundleOrBeAFragment() throws Exception {
        Bundle req = deployed("p-require", true, Set.of(FilterClass.CACHE), "Require-Bundle", "runtime-image");
        assertThrows(BundleException.class, req::start);
        assertTrue(guard.denials(req.getLocation()).toString().contains("Require-Bundle"));
        Bundle host = install("file:host", manifest("host"));
        Bundle frag = deployed("p-fragment", true, Set.of(FilterClass.CACHE), "Fragment-Host", "host");
        framework.adapt(org.osgi.framework.wiring.FrameworkWiring.class).resolveBundles(List.of(host, frag));
        assertEquals(Bundle.RESOLVED, host.getState());
        assertEquals(Bundle.INSTALLED, frag.getState(), "the fragment must not attach to its host");
        assertTrue(guard.denials(frag.getLocation()).toString().contains("fragment"));
    }

    @Test
    void noBundleWiresToWhatADeployedBundleExports() throws Exception {
        Bundle shadow = deployed("p-shadow", false, Set.of(FilterClass.CACHE), "Export-Package", "io.weir.filter;version=9.0.0");
        shadow.start();
        Bundle victim = install("file:victim", manifest("victim", "Import-Package", "io.weir.filter;version=\"[9,10)\""));
        assertThrows(BundleException.class, victim::start);
    }

    @Test
    void filterOfAClassTheBundleDidNotDeclareIsHiddenFromOthersAndReported() throws Exception {
        Bundle v = deployed("v-sneaky", false, Set.of(FilterClass.CACHE));
        v.start();
        List<ServiceEvent> seen = Collections.synchronizedList(new ArrayList<>());
        runtime.getBundleContext().addServiceListener(seen::add);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(FilterType.NAME, "sneaky");
        props.put(FilterType.CLASS, FilterClass.QOS.name());
        FilterFactory factory = context -> (request, chain) -> chain.pass();
        v.getBundleContext().registerService(FilterFactory.class.getName(), factory, props);

        assertEquals(null, runtime.getBundleContext().getServiceReferences(FilterFactory.class.getName(), null));
        assertTrue(seen.isEmpty(), "a hidden registration must not reach other bundles' listeners: " + seen);
        assertEquals(1, violations.size());
        assertTrue(violations.get(0).message().contains("class QOS, which the bundle does not declare"),
                violations.get(0).message());

        props.put(FilterType.NAME, "honest");
        props.put(FilterType.CLASS, FilterClass.CACHE.name());
        v.getBundleContext().registerService(FilterFactory.class.getName(), factory, props);
        assertEquals(1, runtime.getBundleContext().getServiceReferences(FilterFactory.class.getName(), null).length);
        BundleContext system = framework.getBundleContext();
        assertEquals(2, system.getServiceReferences(FilterFactory.class.getName(), null).length, "the framework sees all");
    }
}
