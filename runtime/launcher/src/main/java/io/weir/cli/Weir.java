package io.weir.cli;

import java.io.PrintStream;
import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code weir} command. {@code weir run} hosts the runtime in the foreground; the other commands talk to
 * it over its admin socket under the data directory.
 *
 * <p>Exit codes: 0 done, 1 the runtime refused or failed the request, 2 the command line was wrong, 3 no
 * runtime answers for the data directory. Errors are one line on stderr, starting with {@code weir: }.
 */
@Command(name = "weir", mixinStandardHelpOptions = true, versionProvider = Weir.Version.class,
        description = "Weir: virtual disks with pluggable I/O filters on OSGi.",
        subcommands = {RunCommand.class, DiskCommand.class, FilterCommand.class, StatusCommand.class, IoCommand.class,
            StopCommand.class, SettingsCommand.class, ReplicaCommand.class, PkiCommand.class, SignCommand.class, VerifyCommand.class, CertifyCommand.class,
            CommandLine.HelpCommand.class})
public final class Weir implements Runnable {
    @Spec
    CommandSpec spec;

    /** Run {@code weir} and exit with its code. */
    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err));
    }

    /** Run {@code weir} with these streams and return the exit code (for tests and embedding). */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        return commandLine(out, err).execute(args);
    }

    /** The configured command line: one-line errors and the exit codes of {@link ExitCode}. */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new Weir());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            String command = ex.getCommandLine().getCommandSpec().qualifiedName();
            err.println("weir: " + lowerFirst(RuntimeLauncher.oneLine(ex.getMessage())) + " (see '" + command + " --help')");
            err.flush();
            return ExitCode.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof WeirException w) {
                // the first line is the error; indented lines after it, if any, are its reasons
                String[] lines = String.valueOf(w.getMessage()).split("\n  ");
                err.println("weir: " + RuntimeLauncher.oneLine(lines[0]));
                for (int i = 1; i < lines.length; i++) {
                    err.println("  " + RuntimeLauncher.oneLine(lines[i]));
                }
                err.flush();
                return w.exitCode();
            }
            if (ex instanceof ParameterException p) {
                return commandLine.getParameterExceptionHandler().handleParseException(p, new String[0]);
            }
            err.println("weir: internal error: " + RuntimeLauncher.oneLine(String.valueOf(ex)));
            if (System.getenv("WEIR_DEBUG") != null) {
                ex.printStackTrace(err);
            }
            err.flush();
            return ExitCode.RUNTIME_ERROR;
        });
        return cl;
    }

    /** Picocli's messages start with a capital ("Missing required ..."); ours do not. */
    static String lowerFirst(String s) {
        if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isLowerCase(s.charAt(1))) {
            return Character.toLowerCase(s.charAt(0)) + s.substring(1);
        }
        return s;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: run, disk, filter, status, io, stop, pki, sign, verify or certify");
    }

    /** The version of this build, from the jar manifest ({@code dev} when running from classes). */
    static String version() {
        String v = Weir.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Supplies {@code weir --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"weir " + version() + " (Java " + System.getProperty("java.version") + ")"};
        }
    }
}
