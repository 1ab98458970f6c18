package io.weir.samples.passthrough;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.weir.backend.memory.MemoryBackend;
import io.weir.filter.FilterClass;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.standalone.Disks;
import io.weir.vscsi.standalone.StandaloneDisk;

import org.junit.jupiter.api.Test;

class PassThroughFilterFactoryTest {

    private static IoStatus run(StandaloneDisk disk, IoRequest request) throws Exception {
        CompletableFuture<IoStatus> done = new CompletableFuture<>();
        disk.submit(request, done::complete);
        return done.get(30, TimeUnit.SECONDS);
    }

    @Test
    void passesEveryRequestDownUnchangedAndCountsItByOperation() throws Exception {
        PassThroughFilterFactory factory = new PassThroughFilterFactory();
        MemoryBackend backend = MemoryBackend.durable(1 << 20);
        byte[] data = new byte[8192];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 13 + 1);
        }

        try (StandaloneDisk disk = Disks.builder("sample").backend(backend)
                .filter("passthrough", FilterClass.INSPECTION, factory, Map.of()).open()) {
            assertTrue(run(disk, IoRequest.write(1, 4096, ByteBuffer.wrap(data.clone()), true)).isOk());
            ByteBuffer back = ByteBuffer.allocate(data.length);
            assertTrue(run(disk, IoRequest.read(2, 4096, back)).isOk());
            assertTrue(run(disk, IoRequest.flush(3)).isOk());
            assertTrue(run(disk, IoRequest.writeZeroes(4, 4096, 512, false)).isOk());
            assertTrue(run(disk, IoRequest.unmap(5, 0, 512)).isOk());

            assertArrayEquals(data, back.array());
        }

        byte[] expected = data.clone();
        Arrays.fill(expected, 0, 512, (byte) 0);
        assertArrayEquals(expected, backend.peek(4096, data.length), "what reached the backend is what was written");
        for (IoOp op : IoOp.values()) {
            assertEquals(1, factory.seen(op), op.toString());
        }
    }
}
