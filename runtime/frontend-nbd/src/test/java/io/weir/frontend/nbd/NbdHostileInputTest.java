package io.weir.frontend.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile and broken clients over a real socket. Each test asserts the specific error or disconnect, that a
 * bystander client connected to the same server keeps working, and that no data changed.
 */
class NbdHostileInputTest {
    private static final int MAX_REQUEST = 1 << 20;
    private static final byte[] SENTINEL = new byte[8192];

    static {
        new Random(42).nextBytes(SENTINEL);
    }

    private Fixture fx;
    private RawClient bystander;
    private long writesBefore;

    @BeforeEach
    void start() throws Exception {
        fx = new Fixture(MAX_REQUEST, Duration.ofSeconds(1));
        bystander = new RawClient(fx.port()).go("disk");
        assertEquals(0, bystander.write(1, 0, SENTINEL, 0).error());
        writesBefore = fx.writesSeen.get();
    }

    @AfterEach
    void stop() throws Exception {
        bystander.close();
        fx.close();
    }

    /** The bystander still reads the sentinel and can write; nothing else reached the disk. */
    private void assertUnharmed() throws Exception {
        assertEquals(writesBefore, fx.writesSeen.get(), "no write from the hostile client reached the disk");
        assertArrayEquals(SENTINEL, fx.backend.peek(0, SENTINEL.length));
        assertArrayEquals(SENTINEL, bystander.read(100, 0, SENTINEL.length));
        assertEquals(0, bystander.write(101, 1 << 20, new byte[512], 0).error());
        assertArrayEquals(new byte[(int) (Fixture.CAPACITY - (1 << 20) - SENTINEL.length)],
                fx.backend.peek(SENTINEL.length, (int) (Fixture.CAPACITY - (1 << 20) - SENTINEL.length)),
                "nothing but the sentinel was written below 1 MiB");
        writesBefore = fx.writesSeen.get();
    }

    @Test
    void badOptionMagicDisconnectsOnlyThatClient() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE);
            c.out.writeLong(0x1122334455667788L);
            c.out.writeInt(Nbd.OPT_GO);
            c.out.writeInt(0);
            c.out.flush();
            assertTrue(c.closedByServer());
        }
        assertUnharmed();
    }

    @Test
    void unknownClientFlagsDisconnect() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | 0x80);
            assertTrue(c.closedByServer());
        }
        assertUnharmed();
    }

    @Test
    void commandBeforeNegotiationEndsDisconnectsWithoutReachingTheDisk() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE);
            java.nio.ByteBuffer write = java.nio.ByteBuffer.allocate(28 + 512);
            write.putInt(Nbd.REQUEST_MAGIC).putShort((short) 0).putShort((short) Nbd.CMD_WRITE).putLong(1).putLong(0)
                    .putInt(512);
            c.sendExpectingHangup(write.array()); // a whole request where an option was due
            assertTrue(c.closedByServer());
        }
        assertUnharmed();
    }

    @Test
    void oversizedOptionIsRefusedAsTooBigAndDisconnectedWithoutReadingIt() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE);
            c.out.writeLong(Nbd.IHAVEOPT);
            c.out.writeInt(Nbd.OPT_GO);
            c.out.writeInt(0x7fffffff); // announces 2 GiB and sends none of it
            c.out.flush();
            RawClient.OptReply r = c.optReply();
            assertEquals(Nbd.REP_ERR_TOO_BIG, r.type());
            assertTrue(r.text().contains("65536"), r.text());
            assertTrue(c.closedByServer());
        }
        assertUnharmed();
    }

    @Test
    void oversizedWriteIsRefusedWithoutReadingItsPayloadIntoMemory() throws Exception {
        try (RawClient c = new RawClient(fx.port()).go("disk")) {
            // Twice the maximum: consumed through a small buffer, refused with EINVAL, the connection goes on.
            assertEquals(Nbd.EINVAL, c.write(1, 0, new byte[2 * MAX_REQUEST], 0).error());
            assertArrayEquals(SENTINEL, c.read(2, 0, SENTINEL.length));
            // 4 GiB - 1 announced: disconnected at once, nothing read or allocated for it.
            c.request(0, Nbd.CMD_WRITE, 3, 0, 0xffffffffL);
            c.sendExpectingHangup(new byte[4096]);
            assertTrue(c.closedByServer());
        }
        assertUnharmed();
    }

    @Test
    void unknownAndUnnegotiatedCommandsAreAnsweredWithEinvalAndTheConnectionGoesOn() throws Exception {
        try (RawClient c = new RawClient(fx.port()).go("disk")) {
            for (int type : new int[] {5, 7, 8, 99, 0xffff}) {
                c.request(0, type, 10 + type, 0, 512);
                assertEquals(new RawClient.Reply(Nbd.EINVAL, 10 + type), c.reply(), Nbd.commandName(type));
            }
            c.request(0x8000, Nbd.CMD_WRITE, 3, 0, 512);
            c.out.write(new byte[512]);
            c.out.flush();
            assertEquals(new RawClient.Reply(Nbd.EINVAL, 3), c.reply(), "unknown flag on WRITE; payload consumed");
            assertArrayEquals(SENTINEL, c.read(4, 0, SENTINEL.length));
        }
        assertUnharmed();
    }

    @Test
    void badRequestMagicDisconnects() throws Exception {
        try (RawClient c = new RawClient(fx.port()).go("disk")) {
            c.out.writeInt(0xdeadbeef);
            c.out.write(new byte[24]);
            c.out.flush();
            assertTrue(c.closedByServer());
        }
        assertUnharmed();
    }

    @Test
    void truncatedRequestsDisconnectAndAPartialWriteNeverReachesTheDisk() throws Exception {
        try (RawClient c = new RawClient(fx.port()).go("disk")) {
            c.out.writeInt(Nbd.REQUEST_MAGIC);
            c.out.writeShort(0);
            c.out.flush();
            c.socket.shutdownOutput(); // half a header, then end of stream
            assertTrue(c.closedByServer());
        }
        try (RawClient c = new RawClient(fx.port()).go("disk")) {
            c.request(0, Nbd.CMD_WRITE, 1, 0, 4096);
            c.out.write(new byte[100]);
            c.out.flush();
            c.socket.shutdownOutput(); // a write with 100 of its 4096 bytes
            assertTrue(c.closedByServer());
        }
        assertUnharmed();
    }

    @Test
    void offsetPlusLengthOverflowIsRefusedPerCommand() throws Exception {
        try (RawClient c = new RawClient(fx.port()).go("disk")) {
            c.request(0, Nbd.CMD_READ, 1, 0xfffffffffffffe00L, 1024);
            assertEquals(new RawClient.Reply(Nbd.EINVAL, 1), c.reply());
            assertEquals(Nbd.ENOSPC, c.write(2, Long.MAX_VALUE - 511, new byte[1024], 0).error());
            c.request(0, Nbd.CMD_TRIM, 3, 0xffffffffffff0000L, 0x20000);
            assertEquals(new RawClient.Reply(Nbd.EINVAL, 3), c.reply());
            c.request(0, Nbd.CMD_WRITE_ZEROES, 4, Long.MAX_VALUE, 0xffffffffL);
            assertEquals(new RawClient.Reply(Nbd.ENOSPC, 4), c.reply());
            assertArrayEquals(SENTINEL, c.read(5, 0, SENTINEL.length));
        }
        assertUnharmed();
    }

    @Test
    void idleHandshakeIsDisconnectedAfterTheHandshakeTimeout() throws Exception {
        try (RawClient silent = new RawClient(fx.port()); RawClient greeted = new RawClient(fx.port())) {
            greeted.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE); // then never sends an option
            byte[] greeting = new byte[18];
            silent.in.readFully(greeting); // never answers at all
            assertTrue(silent.closedByServer());
            assertTrue(greeted.closedByServer());
        }
        assertUnharmed();
    }

    @Test
    void manyClientsOnManyDisksAtOnceKeepTheirDataApart() throws Exception {
        int clients = 12;
        Thread[] threads = new Thread[clients];
        Throwable[] failures = new Throwable[clients];
        for (int i = 0; i < clients; i++) {
            int id = i;
            threads[i] = new Thread(() -> {
                String export = id % 2 == 0 ? "disk" : "other";
                try (RawClient c = new RawClient(fx.port()).go(export)) {
                    byte[] data = new byte[4096];
                    new Random(id).nextBytes(data);
                    long at = (2L << 20) + (long) id * 65536;
                    for (int k = 0; k < 8; k++) {
                        assertEquals(0, c.write(k, at + k * 4096L, data, 0).error());
                    }
                    for (int k = 0; k < 8; k++) {
                        assertArrayEquals(data, c.read(100 + k, at + k * 4096L, 4096));
                    }
                } catch (Throwable t) {
                    failures[id] = t;
                }
            });
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        for (Throwable t : failures) {
            if (t != null) {
                throw new AssertionError(t);
            }
        }
        assertArrayEquals(SENTINEL, bystander.read(7, 0, SENTINEL.length));
    }

    // ---------------------------------------------------------------- meta contexts and BLOCK_STATUS

    @Test
    void metaContextOptionsBeforeStructuredRepliesAreRefusedAsInvalidAndBlockStatusThenIsEinval() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
            for (int option : new int[] {Nbd.OPT_SET_META_CONTEXT, Nbd.OPT_LIST_META_CONTEXT}) {
                c.option(option, RawClient.metaData("disk", Nbd.BASE_ALLOCATION));
                RawClient.OptReply r = c.optReply();
                assertEquals(Nbd.REP_ERR_INVALID, r.type());
                assertTrue(r.text().contains("needs NBD_OPT_STRUCTURED_REPLY first"), r.text());
            }
            c.goAfterGreeting("disk");
            c.request(0, Nbd.CMD_BLOCK_STATUS, 1, 0, 4096);
            assertEquals(new RawClient.Reply(Nbd.EINVAL, 1), c.reply(), "a simple reply: nothing was negotiated");
            assertArrayEquals(SENTINEL, c.read(2, 0, SENTINEL.length));
        }
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
            c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.optReply().type());
            c.goAfterGreeting("disk");
            c.request(0, Nbd.CMD_BLOCK_STATUS, 3, 0, 4096);
            RawClient.Chunk ch = c.chunk();
            assertEquals(Nbd.EINVAL, ch.error(), "structured, but no context selected");
            assertTrue(ch.message().contains("no meta context was selected"), ch.message());
        }
        assertUnharmed();
    }

    @Test
    void malformedMetaContextOptionsAreInvalidAndAFailedSetClearsTheSelection() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
            c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.optReply().type());
            c.option(Nbd.OPT_SET_META_CONTEXT, RawClient.metaData("disk", Nbd.BASE_ALLOCATION));
            assertEquals(Nbd.REP_META_CONTEXT, c.optReply().type());
            assertEquals(Nbd.REP_ACK, c.optReply().type());

            byte[] good = RawClient.metaData("disk", Nbd.BASE_ALLOCATION);
            byte[] nameTooLong = good.clone();
            nameTooLong[3] = 100; // export name length beyond the data
            byte[] queryTooLong = good.clone();
            queryTooLong[4 + 4 + 4 + 3] = 100; // the query's length beyond the data
            byte[] trailing = java.util.Arrays.copyOf(good, good.length + 3);
            byte[] manyQueries = good.clone();
            manyQueries[4 + 4 + 1] = 0x7f; // 2^23 + 1 queries announced, one sent
            byte[] truncated = {0, 0, 0};
            for (byte[] bad : new byte[][] {nameTooLong, queryTooLong, trailing, manyQueries, truncated,
                    RawClient.metaData("disk", "allocation")}) {
                for (int option : new int[] {Nbd.OPT_LIST_META_CONTEXT, Nbd.OPT_SET_META_CONTEXT}) {
                    c.option(option, bad);
                    RawClient.OptReply r = c.optReply();
                    assertEquals(Nbd.REP_ERR_INVALID, r.type(), r.text());
                }
            }
            c.option(Nbd.OPT_SET_META_CONTEXT, RawClient.metaData("nosuchdisk", Nbd.BASE_ALLOCATION));
            RawClient.OptReply unknown = c.optReply();
            assertEquals(Nbd.REP_ERR_UNKNOWN, unknown.type());
            assertTrue(unknown.text().contains("nosuchdisk"), unknown.text());
            c.goAfterGreeting("disk");
            c.request(0, Nbd.CMD_BLOCK_STATUS, 1, 0, 4096);
            assertEquals(Nbd.EINVAL, c.chunk().error(), "the failed SET replaced the earlier selection");
        }
        assertUnharmed();
    }

    @Test
    void blockStatusOnAnExportOtherThanTheOneTheContextWasSelectedForIsEinval() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
            c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.optReply().type());
            c.option(Nbd.OPT_SET_META_CONTEXT, RawClient.metaData("other", Nbd.BASE_ALLOCATION));
            assertEquals(Nbd.REP_META_CONTEXT, c.optReply().type());
            assertEquals(Nbd.REP_ACK, c.optReply().type());
            c.goAfterGreeting("disk");
            c.request(0, Nbd.CMD_BLOCK_STATUS, 1, 0, 4096);
            assertEquals(Nbd.EINVAL, c.chunk().error());
        }
        assertUnharmed();
    }

    @Test
    void hostileBlockStatusRequestsAreRefusedWithEinvalAndTheConnectionGoesOn() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            int id = c.goStructured("disk");
            long[][] bad = {
                {0, 0, 0},                                      // zero length
                {Fixture.CAPACITY, 512, 0},                     // at the end
                {Fixture.CAPACITY - 512, 1024, 0},              // across the end
                {0xfffffffffffffe00L, 1024, 0},                 // offset + length overflows
                {100, 512, 0},                                  // unaligned offset
                {0, 1000, 0},                                   // unaligned length
                {0, 512, Nbd.CMD_FLAG_DF},                      // a flag that does not apply
                {0, 512, 0x8000},                               // an unknown flag
            };
            for (int i = 0; i < bad.length; i++) {
                c.request((int) bad[i][2], Nbd.CMD_BLOCK_STATUS, i, bad[i][0], bad[i][1]);
                RawClient.Chunk ch = c.chunk();
                assertEquals(Nbd.REPLY_TYPE_ERROR, ch.type(), "case " + i);
                assertEquals(Nbd.EINVAL, ch.error(), "case " + i + ": " + ch.message());
                assertEquals(i, ch.handle());
                assertTrue(ch.done());
            }
            c.request(Nbd.CMD_FLAG_REQ_ONE | Nbd.CMD_FLAG_FUA, Nbd.CMD_BLOCK_STATUS, 99, 0, Fixture.CAPACITY);
            RawClient.Chunk ok = c.chunk();
            assertEquals(Nbd.REPLY_TYPE_BLOCK_STATUS, ok.type(), "FUA is accepted and ignored");
            java.nio.ByteBuffer b = ok.buffer();
            assertEquals(id, b.getInt());
            assertEquals(Fixture.CAPACITY, b.getInt(), "the whole disk, no further");
        }
        assertUnharmed();
    }
}
