package io.weir.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code weir run}: the runtime in the foreground. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the Weir runtime in the foreground until 'weir stop', SIGTERM or Ctrl-C.",
            "Refuses to start when a runtime already serves the data directory."})
final class RunCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;

    @Option(names = "--no-demo", description = "Do not create the 'demo' disk on the first start.")
    boolean noDemo;

    @Option(names = "--no-development-trust", description = "Do not trust the development root of this build; only the"
            + " roots and CRLs in <data-dir>/trust/ (what a production runtime does).")
    boolean noDevelopmentTrust;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws WeirException {
        return new RuntimeLauncher(dataDir.resolve(), !noDemo, !noDevelopmentTrust, Weir.version(),
                spec.commandLine().getOut()).run();
    }
}
