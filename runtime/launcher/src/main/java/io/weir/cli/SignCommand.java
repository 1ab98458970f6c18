package io.weir.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;

import io.weir.trust.BundleSigner;
import io.weir.trust.Pki;
import io.weir.trust.SigningIdentity;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code weir sign}: a standard JAR signature (SHA-256) that jarsigner and Weir's runtime accept. */
@Command(name = "sign", mixinStandardHelpOptions = true,
        description = "Sign a filter bundle with a partner keystore (--key, password from $" + Passwords.KEY_ENV
                + " or the terminal) or the vendor signing certificate of a PKI (--pki, password from $"
                + Passwords.PKI_ENV + "). The bundle must declare its filter classes in the manifest header"
                + " Weir-Filter-Classes.")
final class SignCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BUNDLE.jar")
    Path bundle;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Signer signer;

    static final class Signer {
        @Option(names = "--key", paramLabel = "FILE.p12", description = "A signer's keystore, as 'weir pki issue-partner' wrote it.")
        Path key;

        @Option(names = "--pki", paramLabel = "DIR", description = "Sign with the vendor signing certificate of this PKI.")
        Path pki;
    }

    @Option(names = "--out", paramLabel = "FILE.jar", description = "Write the signed bundle here (default: replace BUNDLE.jar).")
    Path out;

    @Option(names = "--resign", description = "Replace the bundle's existing signature (e.g. with a renewed certificate);"
            + " without it a signed bundle is refused.")
    boolean resign;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws WeirException {
        if (!Files.isRegularFile(bundle)) {
            throw new WeirException(ExitCode.USAGE, bundle + " is not a file");
        }
        SigningIdentity identity;
        try {
            if (signer.key != null) {
                identity = SigningIdentity.load(signer.key,
                        Passwords.get(Passwords.KEY_ENV, "password of the keystore " + signer.key, false));
            } else {
                identity = Pki.open(signer.pki, Passwords.get(Passwords.PKI_ENV, "password of the PKI keystore in "
                        + signer.pki, false)).vendor();
            }
        } catch (WeirException e) {
            throw e;
        } catch (Exception e) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot load the signing key: " + e.getMessage(), e);
        }
        Path target = out != null ? out : bundle;
        try {
            Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), ".weir-sign-", ".jar");
            try {
                if (resign) {
                    BundleSigner.resign(bundle, tmp, identity);
                } else {
                    BundleSigner.sign(bundle, tmp, identity);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (Exception e) {
            throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot sign " + bundle + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().println("signed " + target + " as "
                + identity.certificate().getSubjectX500Principal().getName());
        spec.commandLine().getOut().flush();
        return ExitCode.OK;
    }
}
