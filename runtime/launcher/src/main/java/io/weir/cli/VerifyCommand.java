package io.weir.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.weir.codecheck.CodeCheck;
import io.weir.codecheck.CodeReport;
import io.weir.codecheck.Finding;
import io.weir.trust.BundleVerifier;
import io.weir.trust.Reason;
import io.weir.trust.Signer;
import io.weir.trust.SignerRole;
import io.weir.trust.TrustStore;
import io.weir.trust.Verdict;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code weir verify}: what the runtime's deploy pipeline would say about a bundle, without a runtime: signer,
 * chain, entitlement, validity, revocation, partner code, and the verdict with every reason.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Verify a filter bundle as the runtime would before deploying it; exit code 0 when accepted, 1 when refused.")
final class VerifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BUNDLE.jar")
    Path bundle;

    @Option(names = "--trust", paramLabel = "DIR", description = "A folder of trusted root certificates (PEM) and CRLs;"
            + " repeat for more (default: the runtime's <data-dir>/trust and the development root).")
    List<Path> trust = new ArrayList<>();

    @Option(names = "--no-development-trust", description = "Do not trust this build's development root.")
    boolean noDevelopmentTrust;

    @Mixin
    DataDirOption dataDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws WeirException, IOException {
        if (!Files.isRegularFile(bundle)) {
            throw new WeirException(ExitCode.USAGE, bundle + " is not a file");
        }
        TrustStore store = trustStore();
        Verdict v = new BundleVerifier(store, Clock.systemUTC()).verify(bundle);
        List<String> reasons = new ArrayList<>();
        for (Reason r : v.reasons()) {
            reasons.add(r.code() + ": " + r.message());
        }
        Table t = new Table("", "");
        t.row("bundle", bundle + " (sha256 " + v.sha256() + ")");
        t.row("declares", v.declaredClasses().isEmpty() ? "-" : v.declaredClasses());
        if (v.signer().isPresent()) {
            Signer s = v.signer().get();
            t.row("signer", s.subject() + " (" + s.role() + "), serial " + s.serial().toString(16));
            t.row("issuer", s.issuer());
            t.row("valid", s.notBefore() + " to " + s.notAfter());
            t.row("entitled", s.entitled().isEmpty() ? "-" : s.entitled());
        } else {
            t.row("signer", "-");
        }
        if (v.accepted() && v.signer().get().role() == SignerRole.PARTNER) {
            CodeReport code = CodeCheck.check(bundle, v.declaredClasses());
            for (Finding f : code.findings()) {
                reasons.add("partner code: " + f.rule() + " at " + f.where() + ": " + f.message());
            }
            t.row("code", code.classesScanned() + " classes scanned" + (code.clean() ? ", within the partner limits" : ""));
        }
        t.row("verdict", reasons.isEmpty() ? "ACCEPTED" : "REFUSED (" + reasons.size() + " reason"
                + (reasons.size() == 1 ? ")" : "s)"));
        t.print(spec.commandLine().getOut(), "");
        reasons.forEach(r -> spec.commandLine().getOut().println("  - " + r));
        spec.commandLine().getOut().flush();
        return reasons.isEmpty() ? ExitCode.OK : ExitCode.RUNTIME_ERROR;
    }

    private TrustStore trustStore() throws WeirException, IOException {
        List<Path> dirs = new ArrayList<>(trust);
        if (dirs.isEmpty()) {
            Path runtimeTrust = dataDir.resolve().resolve("trust");
            if (Files.isDirectory(runtimeTrust)) {
                dirs.add(runtimeTrust);
            }
        }
        Path dev = null;
        if (!noDevelopmentTrust) {
            dev = Files.createTempDirectory("weir-dev-trust");
            if (DevelopmentTrust.extract(dev)) {
                dirs.add(dev);
            }
        }
        try {
            List<X509Certificate> roots = new ArrayList<>();
            List<X509CRL> crls = new ArrayList<>();
            for (Path d : dirs) {
                TrustStore s = TrustStore.load(d);
                roots.addAll(s.roots());
                crls.addAll(s.crls());
            }
            if (roots.isEmpty()) {
                throw new WeirException(ExitCode.USAGE, "no trusted roots: give --trust DIR with the vendor root (PEM) and its CRL");
            }
            return TrustStore.of(roots, crls);
        } catch (RuntimeException e) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot read the trust roots: " + e.getMessage(), e);
        } finally {
            if (dev != null) {
                for (String f : DevelopmentTrust.FILES) {
                    Files.deleteIfExists(dev.resolve(f));
                }
                Files.deleteIfExists(dev);
            }
        }
    }
}
