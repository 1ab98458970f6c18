package io.weir.cli;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

import io.weir.filter.FilterClass;
import io.weir.trust.IssuedCertificate;
import io.weir.trust.IssuedNode;
import io.weir.trust.Pki;
import io.weir.trust.SigningIdentity;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code weir pki ...}: the vendor's PKI - root CA, vendor signing certificate, partner certificates, CRL. */
@Command(name = "pki", mixinStandardHelpOptions = true,
        description = "Make and run a vendor PKI: a root CA and vendor signing certificate, partner certificates with"
                + " filter-class entitlements, and the CRL the runtime reads. The keystore password comes from $"
                + Passwords.PKI_ENV + " or the terminal.",
        subcommands = {PkiCommand.Init.class, PkiCommand.IssuePartner.class, PkiCommand.IssueNode.class, PkiCommand.Revoke.class,
            PkiCommand.ListIssued.class})
final class PkiCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing pki command: init, issue-partner, issue-node, revoke or list");
    }

    /** Options every pki command shares. */
    abstract static class PkiSub implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", defaultValue = "weir-pki",
                description = "The PKI's folder (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Spec
        CommandSpec spec;

        void say(String line) {
            spec.commandLine().getOut().println(line);
            spec.commandLine().getOut().flush();
        }

        Pki open() throws WeirException {
            char[] password = Passwords.get(Passwords.PKI_ENV, "password of the PKI keystore in " + dir, false);
            try {
                return Pki.open(dir, password);
            } catch (Exception e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot open the PKI in " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create a vendor root CA and a vendor signing certificate (keys in a password-protected"
                    + " PKCS#12 keystore), the root certificate in PEM and an empty CRL.")
    static final class Init extends PkiSub {
        @Option(names = "--name", defaultValue = "Weir Vendor", description = "The vendor's name (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--days", defaultValue = "3650", description = "Validity of the root, in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws WeirException {
            char[] password = Passwords.get(Passwords.PKI_ENV, "new password for the PKI keystore", true);
            Pki pki;
            try {
                pki = Pki.init(dir, password, name, days);
            } catch (Exception e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot create a PKI in " + dir + ": " + e.getMessage(), e);
            }
            say("created the PKI of " + name + " in " + dir);
            say("  root        " + pki.root().getSubjectX500Principal().getName() + ", valid until "
                    + pki.root().getNotAfter().toInstant());
            say("  vendor      " + pki.vendor().certificate().getSubjectX500Principal().getName());
            say("  trust it    copy " + pki.rootCertificateFile() + " and " + pki.crlFile()
                    + " into the runtime's <data-dir>/trust/");
            return ExitCode.OK;
        }
    }

    @Command(name = "issue-partner", mixinStandardHelpOptions = true,
            description = "Issue a partner signing certificate whose entitlement lists the filter classes the partner"
                    + " may ship (never ENCRYPTION or QOS); writes the partner's key and chain to a PKCS#12 file whose"
                    + " password comes from $" + Passwords.KEY_ENV + " or the terminal.")
    static final class IssuePartner extends PkiSub {
        @Option(names = "--name", required = true, description = "The partner's name, e.g. \"Acme Storage\".")
        String name;

        @Option(names = "--classes", required = true, split = ",", paramLabel = "CLASS",
                description = "Entitled filter classes, comma-separated: INSPECTION, COMPRESSION, REPLICATION, CACHE.")
        List<FilterClass> classes;

        @Option(names = "--days", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--out", paramLabel = "FILE.p12", description = "Where to write the partner's keystore"
                + " (default: <name>.p12 in the current folder).")
        Path out;

        @Override
        public Integer call() throws WeirException {
            Set<FilterClass> set = EnumSet.copyOf(classes);
            for (FilterClass c : set) {
                if (c.vendorOnly()) {
                    throw new WeirException(ExitCode.USAGE, c + " is vendor-only: a partner certificate can never be"
                            + " entitled to it");
                }
            }
            Path target = out != null ? out : Path.of(slug(name) + ".p12");
            if (Files.exists(target)) {
                throw new WeirException(ExitCode.USAGE, target + " exists already; choose another --out");
            }
            Pki pki = open();
            char[] keyPassword = Passwords.get(Passwords.KEY_ENV, "new password for the partner keystore " + target, true);
            SigningIdentity partner;
            try {
                partner = pki.issuePartner(name, set, days);
                partner.store(target, keyPassword);
            } catch (Exception e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot issue a certificate to " + name + ": " + e.getMessage(), e);
            }
            say("issued " + partner.certificate().getSubjectX500Principal().getName() + ", serial "
                    + partner.certificate().getSerialNumber().toString(16));
            say("  entitled to " + set + ", valid until " + partner.certificate().getNotAfter().toInstant());
            say("  keystore    " + target + " (give it to the partner; they sign with 'weir sign --key " + target + "')");
            return ExitCode.OK;
        }

        static String slug(String s) {
            return slugOr(s, "partner");
        }
    }

    @Command(name = "issue-node", mixinStandardHelpOptions = true,
            description = "Issue a node certificate: what a runtime presents to another over mutual TLS (replication)."
                    + " Valid for the given host names and addresses; signed by the root, so every runtime that trusts"
                    + " the root accepts it, and the CRL revokes it like any other. Never accepted as a bundle signer."
                    + " The keystore's password comes from $" + Passwords.KEY_ENV + " or the terminal.")
    static final class IssueNode extends PkiSub {
        @Option(names = "--name", required = true, description = "The node's name, e.g. replica-a.")
        String name;

        @Option(names = "--host", required = true, paramLabel = "HOST",
                description = "A DNS name or IP address peers reach the node by; repeat for more.")
        List<String> hosts;

        @Option(names = "--days", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--out", paramLabel = "FILE.p12", description = "Where to write the node's keystore"
                + " (default: <name>.p12 in the current folder).")
        Path out;

        @Override
        public Integer call() throws WeirException {
            Path target = out != null ? out : Path.of(slugOr(name, "node") + ".p12");
            if (Files.exists(target)) {
                throw new WeirException(ExitCode.USAGE, target + " exists already; choose another --out");
            }
            Pki pki = open();
            char[] keyPassword = Passwords.get(Passwords.KEY_ENV, "new password for the node keystore " + target, true);
            SigningIdentity node;
            try {
                node = pki.issueNode(name, hosts, days);
                node.store(target, keyPassword);
            } catch (IllegalArgumentException e) {
                throw new WeirException(ExitCode.USAGE, e.getMessage(), e);
            } catch (Exception e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot issue a node certificate to " + name + ": "
                        + e.getMessage(), e);
            }
            say("issued node " + node.certificate().getSubjectX500Principal().getName() + ", serial "
                    + node.certificate().getSerialNumber().toString(16));
            say("  hosts " + String.join(", ", hosts) + ", valid until " + node.certificate().getNotAfter().toInstant());
            say("  keystore " + target + " (node key and chain to the root; peers trust " + dir.resolve(Pki.ROOT_FILE) + ")");
            return ExitCode.OK;
        }
    }

    /** A file-name form of {@code s}, or {@code fallback} when nothing of it is left. */
    static String slugOr(String s, String fallback) {
        String slug = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        return slug.isEmpty() ? fallback : slug;
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a certificate by serial number and rewrite the CRL; copy the CRL into the runtime's"
                    + " <data-dir>/trust/ and every bundle it signed is refused from the next deploy or start on.")
    static final class Revoke extends PkiSub {
        @Option(names = "--serial", required = true, paramLabel = "HEX", description = "The serial, in hex, as 'weir pki list' shows it.")
        String serial;

        @Option(names = "--reason", defaultValue = "keyCompromise", description = "Why, an RFC 5280 reason: keyCompromise, superseded, cessationOfOperation, affiliationChanged, privilegeWithdrawn, unspecified (default: ${DEFAULT-VALUE}).")
        String reason;

        @Override
        public Integer call() throws WeirException {
            BigInteger n;
            try {
                n = new BigInteger(serial.replaceFirst("^0[xX]", ""), 16);
            } catch (NumberFormatException e) {
                throw new WeirException(ExitCode.USAGE, "--serial '" + serial + "' is not a hexadecimal number");
            }
            Pki pki = open();
            try {
                pki.revoke(n, reason);
            } catch (Exception e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot revoke serial " + serial + ": " + e.getMessage(), e);
            }
            say("revoked serial " + n.toString(16) + " (" + reason + "); CRL written to " + pki.crlFile());
            say("  copy it into the runtime's <data-dir>/trust/ to take effect");
            return ExitCode.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the certificates this PKI issued.")
    static final class ListIssued extends PkiSub {
        @Override
        public Integer call() throws WeirException {
            Table t = new Table("SERIAL", "SUBJECT", "ROLE", "CLASSES", "NOT AFTER", "REVOKED");
            List<IssuedCertificate> issued;
            try {
                issued = open().issued();
            } catch (java.io.IOException | java.security.GeneralSecurityException e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot read the certificates of " + dir + ": " + e.getMessage(), e);
            }
            List<IssuedNode> nodes;
            try {
                nodes = open().issuedNodes();
            } catch (java.io.IOException | java.security.GeneralSecurityException e) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "cannot read the node certificates of " + dir + ": " + e.getMessage(), e);
            }
            for (IssuedCertificate c : issued) {
                t.row(c.serial().toString(16), c.subject(), c.role(), c.classes(), c.notAfter(), c.revoked() ? "yes" : "no");
            }
            for (IssuedNode n : nodes) {
                t.row(n.serial().toString(16), n.subject(), "NODE", String.join(",", n.hosts()), n.notAfter(),
                        n.revoked() ? "yes" : "no");
            }
            t.print(spec.commandLine().getOut(), "");
            spec.commandLine().getOut().flush();
            return ExitCode.OK;
        }
    }
}
