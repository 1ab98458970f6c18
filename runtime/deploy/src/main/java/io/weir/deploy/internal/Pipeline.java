package io.weir.deploy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

import io.weir.codecheck.CodeCheck;
import io.weir.codecheck.CodeReport;
import io.weir.codecheck.Finding;
import io.weir.filter.FilterClass;
import io.weir.trust.BundleVerifier;
import io.weir.trust.Reason;
import io.weir.trust.Signer;
import io.weir.trust.SignerRole;
import io.weir.trust.TrustStore;
import io.weir.trust.Verdict;

/**
 * The deploy pipeline's judgement of one bundle file, without the framework: the signature and the chain
 * (trust roots and CRLs read afresh for every judgement, so a new CRL takes effect at once), the entitlement
 * of every declared class, the manifest an OSGi bundle needs, and for a partner signer its code. Certification
 * and installing are the caller's business; nothing here touches the framework.
 */
final class Pipeline {
    private static final Pattern SYMBOLIC_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

    private final Supplier<TrustStore> trust;
    private final Clock clock;

    Pipeline(Supplier<TrustStore> trust, Clock clock) {
        this.trust = trust;
        this.clock = clock;
    }

    Judgement judge(Path jar) {
        List<String> reasons = new ArrayList<>();
        List<String> checks = new ArrayList<>();
        TrustStore roots;
        try {
            roots = trust.get();
        } catch (RuntimeException e) {
            return refusedBeforeStart("trust store: " + e.getMessage());
        }
        Verdict verdict = new BundleVerifier(roots, clock).verify(jar);
        for (Reason r : verdict.reasons()) {
            reasons.add(describe(r));
        }
        String signer = verdict.signer().map(Signer::subject).orElse("");
        SignerRole role = verdict.signer().map(Signer::role).orElse(null);
        Set<FilterClass> declared = verdict.declaredClasses();
        Set<FilterClass> allowed = EnumSet.noneOf(FilterClass.class);
        if (verdict.accepted()) {
            Signer s = verdict.signer().orElseThrow();
            allowed.addAll(declared);
            allowed.retainAll(s.entitled());
            checks.add("signature: every entry signed by " + s.subject() + " (" + s.role() + "), chain to a trusted root, "
                    + "valid until " + s.notAfter() + ", not revoked");
            checks.add("entitlement: declares " + names(declared) + ", entitled to " + names(s.entitled()));
        }

        String name = "";
        String version = "0.0.0";
        Manifest manifest = null;
        try (InputStream in = Files.newInputStream(jar); JarInputStream jin = new JarInputStream(in, false)) {
            manifest = jin.getManifest();
        } catch (IOException | RuntimeException e) {
            reasons.add("manifest: cannot be read: " + e.getMessage());
        }
        if (manifest != null) {
            Attributes main = manifest.getMainAttributes();
            String bsn = main.getValue("Bundle-SymbolicName");
            if (bsn == null || bsn.isBlank()) {
                reasons.add("manifest: no Bundle-SymbolicName: not an OSGi bundle");
            } else {
                name = bsn.split(";", 2)[0].trim();
                if (!SYMBOLIC_NAME.matcher(name).matches()) {
                    reasons.add("manifest: Bundle-SymbolicName '" + name + "' is not 1-128 letters, digits, '_', '.' or '-'");
                }
            }
            String v = main.getValue("Bundle-Version");
            if (v != null && !v.isBlank()) {
                version = v.trim();
            }
            if (!"2".equals(String.valueOf(main.getValue("Bundle-ManifestVersion")).trim())) {
                reasons.add("manifest: Bundle-ManifestVersion must be 2");
            }
        } else if (reasons.isEmpty()) {
            reasons.add("manifest: the JAR has no META-INF/MANIFEST.MF");
        }

        if (role == SignerRole.PARTNER && verdict.accepted()) {
            try {
                CodeReport report = CodeCheck.check(jar, declared);
                for (Finding f : report.findings()) {
                    reasons.add("partner code: " + f.rule() + " at " + f.where() + ": " + f.message());
                }
                if (report.clean()) {
                    checks.add("partner code: " + report.classesScanned() + " classes scanned, imports and JDK API"
                            + " use within the limits of " + names(declared));
                }
            } catch (IOException e) {
                reasons.add("partner code: cannot be scanned: " + e.getMessage());
            }
        } else if (role == SignerRole.VENDOR && verdict.accepted()) {
            checks.add("partner code limits: not applied (vendor signer)");
        }
        return new Judgement(name, version, verdict.sha256(), signer, role == null ? "" : role.name(), declared,
                allowed, reasons, checks);
    }

    private static Judgement refusedBeforeStart(String reason) {
        return new Judgement("", "0.0.0", "", "", "", Set.of(), Set.of(), List.of(reason), List.of());
    }

    private static String describe(Reason r) {
        String stage = switch (r.code()) {
            case NO_ENTITLEMENT, NO_DECLARED_CLASSES, UNKNOWN_CLASS, NOT_ENTITLED, VENDOR_ONLY -> "entitlement";
            default -> "signature";
        };
        return stage + ": " + r.code() + ": " + r.message();
    }

    static String names(Set<FilterClass> classes) {
        if (classes.isEmpty()) {
            return "nothing";
        }
        StringBuilder b = new StringBuilder();
        for (FilterClass c : EnumSet.copyOf(classes)) {
            b.append(b.length() == 0 ? "" : ",").append(c.name());
        }
        return b.toString();
    }
}
