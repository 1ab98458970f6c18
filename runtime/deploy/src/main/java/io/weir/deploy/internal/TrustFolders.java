package io.weir.deploy.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import io.weir.trust.TrustStore;

/**
 * The roots and CRLs the runtime trusts: the operator's folder ({@code <data>/trust}) and, unless switched off,
 * the build's development root. Read afresh for every judgement, so a root or CRL dropped into the folder takes
 * effect with the next deploy (and at the next start for what is deployed).
 */
final class TrustFolders {
    private final Path operator;
    private final Path development;

    TrustFolders(Path operator, Path development) {
        this.operator = operator;
        this.development = development;
    }

    TrustStore load() {
        List<X509Certificate> roots = new ArrayList<>();
        List<X509CRL> crls = new ArrayList<>();
        for (Path dir : development == null ? List.of(operator) : List.of(operator, development)) {
            if (Files.isDirectory(dir)) {
                TrustStore s;
                try {
                    s = TrustStore.load(dir);
                } catch (IOException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
                roots.addAll(s.roots());
                crls.addAll(s.crls());
            }
        }
        if (roots.isEmpty()) {
            throw new IllegalStateException("no trusted roots: put the vendor root certificate (PEM) and its CRL in "
                    + operator);
        }
        return TrustStore.of(roots, crls);
    }

    @Override
    public String toString() {
        return operator + (development == null ? "" : " and the development root in " + development);
    }
}
