package io.weir.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;

/** {@code weir stop}: stop the runtime cleanly and wait until it has. */
@Command(name = "stop", mixinStandardHelpOptions = true,
        description = "Stop the runtime of the data directory cleanly (disks flush and close) and wait until it has stopped.")
final class StopCommand extends ClientCommand {
    static final long WAIT_MS = TimeUnit.SECONDS.toMillis(90);

    @Override
    public Integer call() throws WeirException {
        Path dir = dataDir.resolve();
        call(AdminClient.op("shutdown"));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!stopped(dir)) {
            if (System.nanoTime() > deadline) {
                throw new WeirException(ExitCode.RUNTIME_ERROR, "asked the runtime of data dir " + dir
                        + " to stop, but it is still running after " + WAIT_MS / 1000 + " s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WeirException(ExitCode.RUNTIME_ERROR, "interrupted while waiting for the runtime to stop");
            }
        }
        out().println("weir runtime stopped (data dir " + dir + ")");
        out().flush();
        return ExitCode.OK;
    }

    /**
     * Whether the runtime is gone: {@code weir run} holds {@code run/runtime.lock} until its framework has stopped;
     * without that file (a runtime started some other way), when the admin socket no longer answers.
     */
    static boolean stopped(Path dataDir) {
        Path lockFile = dataDir.resolve("run").resolve("runtime.lock");
        if (!Files.exists(lockFile)) {
            return !AdminClient.answers(dataDir);
        }
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock();
            if (lock != null) {
                lock.release();
                return true;
            }
            return false;
        } catch (OverlappingFileLockException e) {
            return false;
        } catch (IOException e) {
            return !AdminClient.answers(dataDir);
        }
    }
}
