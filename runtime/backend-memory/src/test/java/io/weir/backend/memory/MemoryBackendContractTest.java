package io.weir.backend.memory;

import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;

import io.weir.backend.Backend;
import io.weir.backend.BackendContractTest;
import io.weir.backend.BackendSpec;
import io.weir.backend.memory.internal.MemoryBackendProvider;
import io.weir.filter.Capability;

/** The backend contract on durable memory disks opened through the provider; requests complete inline. */
class MemoryBackendContractTest extends BackendContractTest {
    private final MemoryBackendProvider provider = new MemoryBackendProvider();

    @Override
    protected Backend open(BackendSpec spec) throws IOException {
        return provider.open(spec);
    }

    @Override
    protected Set<Capability> expectedCapabilities() {
        return EnumSet.allOf(Capability.class);
    }

    /** UNMAP releases or zeros pages. */
    @Override
    protected boolean unmapReadsZeros() {
        return true;
    }
}
