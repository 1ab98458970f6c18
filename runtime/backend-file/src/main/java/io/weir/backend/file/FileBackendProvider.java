package io.weir.backend.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.weir.backend.Backend;
import io.weir.backend.BackendProvider;
import io.weir.backend.BackendSpec;

import org.osgi.service.component.annotations.Component;

/**
 * The {@code file} backend type: each disk in one sparse file, {@code disk.img} in the disk's directory unless
 * the option {@code path} names another (relative paths resolve against the disk's directory). The option
 * {@code threads} sets the disk's I/O thread count (default 4).
 */
@Component(service = BackendProvider.class, property = BackendProvider.TYPE + "=file")
public final class FileBackendProvider implements BackendProvider {

    @Override
    public Backend open(BackendSpec spec) throws IOException {
        return FileBackend.open(spec);
    }

    /** Delete the disk's file; refused while it is open in this runtime. */
    @Override
    public void destroy(BackendSpec spec) throws IOException {
        Path file = FileBackend.resolve(spec);
        if (FileBackend.isOpen(file)) {
            throw new IOException("file disk '" + spec.diskId() + "': " + file + " is still open; close it first");
        }
        if (Files.deleteIfExists(file)) {
            FileBackend.syncDirectory(file.getParent());
        }
    }
}
