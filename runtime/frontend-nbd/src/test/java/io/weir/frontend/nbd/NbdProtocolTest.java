package io.weir.frontend.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import io.weir.filter.IoError;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The handshake and the commands, byte by byte, against a server on memory disks. */
class NbdProtocolTest {
    private Fixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new Fixture();
    }

    @AfterEach
    void stop() throws Exception {
        fx.close();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void greetingOffersFixedNewstyleAndNoZeroes() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            assertEquals(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES, c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE));
        }
    }

    @Test
    void optGoAdvertisesSizeFlagsFromCapabilitiesAndBlockSizes() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
            c.option(Nbd.OPT_GO, RawClient.goData("other", Nbd.INFO_NAME, Nbd.INFO_DESCRIPTION, Nbd.INFO_BLOCK_SIZE));
            List<RawClient.OptReply> infos = new ArrayList<>();
            RawClient.OptReply r;
            while ((r = c.optReply()).type() == Nbd.REP_INFO) {
                infos.add(r);
            }
            assertEquals(Nbd.REP_ACK, r.type());
            Set<Integer> types = new HashSet<>();
            for (RawClient.OptReply info : infos) {
                ByteBuffer b = ByteBuffer.wrap(info.data());
                int type = b.getShort();
                types.add(type);
                if (type == Nbd.INFO_EXPORT) {
                    assertEquals(Fixture.CAPACITY, b.getLong());
                    int flags = b.getShort() & 0xffff;
                    int all = Nbd.TF_HAS_FLAGS | Nbd.TF_SEND_FLUSH | Nbd.TF_SEND_FUA | Nbd.TF_SEND_TRIM
                            | Nbd.TF_SEND_WRITE_ZEROES | Nbd.TF_SEND_FAST_ZERO | Nbd.TF_CAN_MULTI_CONN;
                    assertEquals(all, flags, "every capability; no DF without structured replies");
                } else if (type == Nbd.INFO_BLOCK_SIZE) {
                    assertEquals(4096, b.getInt(), "minimum = block size");
                    assertEquals(4096, b.getInt(), "preferred");
                    assertEquals(1 << 20, b.getInt(), "maximum = the disk's largest request");
                } else if (type == Nbd.INFO_NAME) {
                    assertEquals("other", new String(info.data(), 2, info.data().length - 2));
                }
            }
            assertEquals(Set.of(Nbd.INFO_EXPORT, Nbd.INFO_NAME, Nbd.INFO_DESCRIPTION, Nbd.INFO_BLOCK_SIZE), types);
            byte[] data = pattern(4096, 1);
            assertEquals(0, c.write(1, 8192, data, 0).error());
            assertArrayEquals(data, c.read(2, 8192, 4096));
        }
    }

    @Test
    void optListNamesEveryExportAndOptInfoKeepsNegotiating() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE);
            c.option(Nbd.OPT_LIST, new byte[0]);
            List<String> names = new ArrayList<>();
            RawClient.OptReply r;
            while ((r = c.optReply()).type() == Nbd.REP_SERVER) {
                ByteBuffer b = ByteBuffer.wrap(r.data());
                byte[] n = new byte[b.getInt()];
                b.get(n);
                names.add(new String(n));
            }
            assertEquals(Nbd.REP_ACK, r.type());
            assertEquals(List.of("disk", "other"), names);

            c.option(Nbd.OPT_INFO, RawClient.goData("disk"));
            while ((r = c.optReply()).type() == Nbd.REP_INFO) {
                // export and block size
            }
            assertEquals(Nbd.REP_ACK, r.type());
            c.option(Nbd.OPT_LIST, new byte[3]);
            assertEquals(Nbd.REP_ERR_INVALID, c.optReply().type(), "LIST with data is invalid");
            c.option(Nbd.OPT_ABORT, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.optReply().type());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void unknownExportAndUnsupportedOptionsAreRefusedButNegotiationGoesOn() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE);
            c.option(Nbd.OPT_GO, RawClient.goData("nosuchdisk"));
            RawClient.OptReply r = c.optReply();
            assertEquals(Nbd.REP_ERR_UNKNOWN, r.type());
            assertTrue(r.text().contains("nosuchdisk") && r.text().contains("disk, other"), r.text());
            c.option(Nbd.OPT_STARTTLS, new byte[0]);
            assertEquals(Nbd.REP_ERR_UNSUP, c.optReply().type());
            c.option(42, new byte[] {1, 2, 3});
            assertEquals(Nbd.REP_ERR_UNSUP, c.optReply().type());
            c.option(Nbd.OPT_GO, new byte[] {0, 0, 0, 9, 'd'});
            assertEquals(Nbd.REP_ERR_INVALID, c.optReply().type(), "name length beyond the option data");
            c.option(Nbd.OPT_GO, RawClient.goData("disk"));
            while ((r = c.optReply()).type() == Nbd.REP_INFO) {
                // export and block size
            }
            assertEquals(Nbd.REP_ACK, r.type());
            assertEquals(0, c.write(7, 0, pattern(512, 7), 0).error());
        }
    }

    @Test
    void optExportNameEntersTransmissionWithZeroPaddingUnlessNoZeroes() throws Exception {
        for (boolean noZeroes : new boolean[] {false, true}) {
            try (RawClient c = new RawClient(fx.port())) {
                c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | (noZeroes ? Nbd.CLIENT_FLAG_NO_ZEROES : 0));
                c.option(Nbd.OPT_EXPORT_NAME, "disk".getBytes());
                assertEquals(Fixture.CAPACITY, c.in.readLong());
                assertTrue((c.in.readUnsignedShort() & Nbd.TF_HAS_FLAGS) != 0);
                if (!noZeroes) {
                    byte[] zeroes = new byte[124];
                    c.in.readFully(zeroes);
                    assertArrayEquals(new byte[124], zeroes);
                }
                byte[] data = pattern(1024, 3);
                assertEquals(0, c.write(1, 4096, data, Nbd.CMD_FLAG_FUA).error());
                assertArrayEquals(data, c.read(2, 4096, 1024));
            }
        }
    }

    @Test
    void optExportNameOfAnUnknownExportDisconnects() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE);
            c.option(Nbd.OPT_EXPORT_NAME, "nosuchdisk".getBytes());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void writesFlushTrimAndWriteZeroesReachTheDiskThroughTheFilterStack() throws Exception {
        try (RawClient c = new RawClient(fx.port()).go("disk")) {
            byte[] data = pattern(64 << 10, 11);
            assertEquals(0, c.write(1, 1 << 20, data, 0).error());
            assertArrayEquals(data, fx.backend.peek(1 << 20, data.length), "the backend holds what was written");
            assertEquals(1, fx.writesSeen.get(), "the write went through the filter");
            c.request(0, Nbd.CMD_FLUSH, 2, 0, 0);
            assertEquals(new RawClient.Reply(0, 2), c.reply());
            c.request(Nbd.CMD_FLAG_FUA | Nbd.CMD_FLAG_NO_HOLE, Nbd.CMD_WRITE_ZEROES, 3, 1 << 20, 4096);
            assertEquals(new RawClient.Reply(0, 3), c.reply());
            assertArrayEquals(new byte[4096], c.read(4, 1 << 20, 4096));
            assertArrayEquals(Arrays.copyOfRange(data, 4096, 8192), c.read(5, (1 << 20) + 4096, 4096));
            c.request(0, Nbd.CMD_TRIM, 6, (1 << 20) + 8192, 8192);
            assertEquals(new RawClient.Reply(0, 6), c.reply());
        }
    }

    @Test
    void errorsMapToTheErrnosTheProtocolNames() throws Exception {
        try (RawClient c = new RawClient(fx.port()).go("disk")) {
            assertEquals(Nbd.ENOSPC, c.write(1, Fixture.CAPACITY, pattern(512, 1), 0).error(), "write past the end");
            c.request(0, Nbd.CMD_READ, 2, Fixture.CAPACITY - 512, 1024);
            assertEquals(Nbd.EINVAL, c.reply().error(), "read past the end");
            assertEquals(Nbd.EINVAL, c.write(3, 100, pattern(512, 1), 0).error(), "unaligned write");
            c.request(Nbd.CMD_FLAG_DF, Nbd.CMD_READ, 4, 0, 512);
            assertEquals(Nbd.EINVAL, c.reply().error(), "DF without structured replies");
            c.request(Nbd.CMD_FLAG_REQ_ONE, Nbd.CMD_READ, 4, 0, 512);
            assertEquals(Nbd.EINVAL, c.reply().error(), "a flag that does not apply to READ");
            c.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_READ, 41, 0, 512);
            assertEquals(new RawClient.Reply(0, 41), c.reply(), "FUA is accepted (and ignored) on READ");
            c.in.readFully(new byte[512]);
            c.request(Nbd.CMD_FLAG_FAST_ZERO, Nbd.CMD_WRITE_ZEROES, 5, 0, 512);
            assertEquals(Nbd.ENOTSUP, c.reply().error(), "zeroing is never known to be fast");
            c.request(0, Nbd.CMD_FLUSH, 6, 512, 0);
            assertEquals(Nbd.EINVAL, c.reply().error(), "FLUSH with an offset");
            fx.backend.failNext(r -> true, IoError.IO);
            c.request(0, Nbd.CMD_READ, 7, 0, 512);
            assertEquals(Nbd.EIO, c.reply().error(), "a device error");
            assertArrayEquals(new byte[512], c.read(8, 0, 512), "the connection goes on");
        }
        assertEquals(Nbd.EPERM, Nbd.errno(IoError.READ_ONLY, Nbd.CMD_WRITE));
        assertEquals(Nbd.ESHUTDOWN, Nbd.errno(IoError.SHUTDOWN, Nbd.CMD_READ));
        assertEquals(Nbd.ENOSPC, Nbd.errno(IoError.NO_SPACE, Nbd.CMD_WRITE));
        assertEquals(Nbd.ENOTSUP, Nbd.errno(IoError.NOT_SUPPORTED, Nbd.CMD_TRIM));
        assertEquals(Nbd.EINVAL, Nbd.errno(IoError.NOT_SUPPORTED, Nbd.CMD_WRITE_ZEROES),
                "ENOTSUP on WRITE_ZEROES would claim a FAST_ZERO refusal");
        assertEquals(Nbd.EIO, Nbd.errno(IoError.FILTER_FAULT, Nbd.CMD_READ));
        assertEquals(Nbd.EIO, Nbd.errno(IoError.TIMED_OUT, Nbd.CMD_READ));
    }

    @Test
    void pipelinedRequestsAreAllAnsweredByHandleAndDiscAnswersEveryoneBeforeClosing() throws Exception {
        try (RawClient c = new RawClient(fx.port()).go("disk")) {
            int n = 200; // more than the 16 in flight the fixture allows: the reader must pause, not fail
            byte[] data = pattern(4096, 5);
            for (int i = 0; i < n; i++) {
                c.request(0, Nbd.CMD_WRITE, 1000 + i, (long) i * 4096, 4096);
                c.out.write(data);
            }
            c.request(0, Nbd.CMD_DISC, 0, 0, 0);
            c.out.flush();
            Set<Long> handles = new HashSet<>();
            for (int i = 0; i < n; i++) {
                RawClient.Reply r = c.reply();
                assertEquals(0, r.error());
                handles.add(r.handle());
            }
            assertEquals(n, handles.size());
            assertTrue(c.closedByServer(), "DISC closes after the last reply");
            assertArrayEquals(data, fx.backend.peek((long) (n - 1) * 4096, 4096));
        }
    }

    @Test
    void serverCloseFinishesRequestsAlreadyReadAndDisconnects() throws Exception {
        RawClient c = new RawClient(fx.port()).go("disk");
        assertEquals(0, c.write(1, 0, pattern(512, 9), 0).error());
        fx.server.close();
        assertTrue(c.closedByServer());
        c.close();
        assertEquals(0, fx.server.connectionCount());
    }

    // ---------------------------------------------------------------- structured replies

    /** Greet and negotiate structured replies; returns the client, still negotiating. */
    private RawClient structuredClient() throws Exception {
        RawClient c = new RawClient(fx.port());
        c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
        c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
        assertEquals(Nbd.REP_ACK, c.optReply().type());
        return c;
    }

    private static int exportFlags(RawClient c, int option, String export) throws Exception {
        c.option(option, RawClient.goData(export));
        int flags = -1;
        RawClient.OptReply r;
        while ((r = c.optReply()).type() == Nbd.REP_INFO) {
            ByteBuffer b = ByteBuffer.wrap(r.data());
            if (b.getShort() == Nbd.INFO_EXPORT) {
                b.getLong();
                flags = b.getShort() & 0xffff;
            }
        }
        assertEquals(Nbd.REP_ACK, r.type());
        return flags;
    }

    @Test
    void structuredRepliesAreAcknowledgedOnceAndThenOfferDf() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE | Nbd.CLIENT_FLAG_NO_ZEROES);
            assertEquals(0, exportFlags(c, Nbd.OPT_INFO, "disk") & Nbd.TF_SEND_DF, "no DF before negotiation");
            c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[] {1});
            RawClient.OptReply withData = c.optReply();
            assertEquals(Nbd.REP_ERR_INVALID, withData.type(), "the option takes no data");
            assertTrue(withData.text().contains("takes no data"), withData.text());
            c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.optReply().type());
            c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            RawClient.OptReply again = c.optReply();
            assertEquals(Nbd.REP_ERR_INVALID, again.type(), "asking twice");
            assertTrue(again.text().contains("already negotiated"), again.text());
            assertEquals(Nbd.TF_SEND_DF, exportFlags(c, Nbd.OPT_GO, "disk") & Nbd.TF_SEND_DF);
            c.request(0, Nbd.CMD_FLUSH, 9, 0, 0);
            RawClient.Chunk done = c.chunk();
            assertEquals(Nbd.REPLY_TYPE_NONE, done.type(), "success without data");
            assertEquals(Nbd.REPLY_FLAG_DONE, done.flags(), "the only chunk, flagged DONE");
            assertEquals(9, done.handle());
            assertEquals(0, done.payload().length, "a NONE chunk has no payload");
        }
    }

    @Test
    void structuredReadsAnswerOneOffsetDataChunkFlaggedDoneAndHonourDf() throws Exception {
        byte[] data = pattern(128 << 10, 21);
        try (RawClient w = new RawClient(fx.port()).go("disk")) {
            assertEquals(0, w.write(1, 1 << 20, data, 0).error(), "written with simple replies");
        }
        try (RawClient c = structuredClient().goAfterGreeting("disk")) {
            // Pipelined, with DF on some: each answered by exactly one data chunk that carries its offset.
            for (int i = 0; i < 8; i++) {
                c.request(i % 2 == 0 ? Nbd.CMD_FLAG_DF : 0, Nbd.CMD_READ, 100 + i, (1 << 20) + i * 16384L, 16384);
            }
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 8; i++) {
                RawClient.Chunk ch = c.chunk();
                assertEquals(Nbd.REPLY_TYPE_OFFSET_DATA, ch.type());
                assertTrue(ch.done(), "the data chunk is the only chunk");
                int k = (int) (ch.handle() - 100);
                ByteBuffer b = ch.buffer();
                assertEquals((1 << 20) + k * 16384L, b.getLong(), "the chunk's offset is the request's");
                assertArrayEquals(Arrays.copyOfRange(data, k * 16384, (k + 1) * 16384),
                        Arrays.copyOfRange(ch.payload(), 8, ch.payload().length));
                seen.add(ch.handle());
            }
            assertEquals(8, seen.size());
            c.request(0, Nbd.CMD_READ, 200, 4096, 0);
            RawClient.Chunk empty = c.chunk();
            assertEquals(Nbd.REPLY_TYPE_ERROR, empty.type(), "the disk refuses a read of 0 bytes");
            assertEquals(Nbd.EINVAL, empty.error());
            assertTrue(empty.message().contains("zero length"), empty.message());
            assertTrue(empty.done(), "one chunk, never an (invalid) empty data chunk");
        }
    }

    @Test
    void structuredCommandsAnswerNoneOnSuccessAndErrorChunksWithAMessageOnFailure() throws Exception {
        try (RawClient c = structuredClient().goAfterGreeting("disk")) {
            byte[] data = pattern(4096, 22);
            c.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_WRITE, 1, 8192, data.length);
            c.out.write(data);
            c.out.flush();
            RawClient.Chunk w = c.chunk();
            assertEquals(Nbd.REPLY_TYPE_NONE, w.type());
            assertEquals(1, w.handle());
            assertTrue(w.done());
            assertArrayEquals(data, fx.backend.peek(8192, 4096));
            for (int[] cmd : new int[][] {{Nbd.CMD_FLUSH, 0, 0}, {Nbd.CMD_TRIM, 16384, 4096},
                    {Nbd.CMD_WRITE_ZEROES, 8192, 4096}}) {
                c.request(cmd[0] == Nbd.CMD_WRITE_ZEROES ? Nbd.CMD_FLAG_FUA | Nbd.CMD_FLAG_NO_HOLE : 0, cmd[0],
                        10 + cmd[0], cmd[1], cmd[2]);
                RawClient.Chunk ch = c.chunk();
                assertEquals(Nbd.REPLY_TYPE_NONE, ch.type(), Nbd.commandName(cmd[0]));
                assertTrue(ch.done());
            }
            assertArrayEquals(new byte[4096], fx.backend.peek(8192, 4096), "zeroed");

            c.request(0, Nbd.CMD_READ, 2, Fixture.CAPACITY - 512, 1024);
            RawClient.Chunk outside = c.chunk();
            assertEquals(Nbd.REPLY_TYPE_ERROR, outside.type());
            assertTrue(outside.done());
            assertEquals(2, outside.handle());
            assertEquals(Nbd.EINVAL, outside.error());
            assertTrue(outside.message().contains("outside the disk of " + Fixture.CAPACITY), outside.message());
            assertEquals(6 + outside.message().getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                    outside.payload().length, "the chunk length covers error, message length and message");

            c.request(0, Nbd.CMD_WRITE, 3, Fixture.CAPACITY, 512);
            c.out.write(new byte[512]);
            c.out.flush();
            assertEquals(Nbd.ENOSPC, c.chunk().error(), "write past the end");
            c.request(Nbd.CMD_FLAG_FAST_ZERO, Nbd.CMD_WRITE_ZEROES, 4, 0, 4096);
            RawClient.Chunk fast = c.chunk();
            assertEquals(Nbd.ENOTSUP, fast.error(), "fast zero refused fast");
            assertTrue(fast.message().contains("fast"), fast.message());

            fx.backend.failNext(r -> true, IoError.IO);
            c.request(0, Nbd.CMD_READ, 5, 0, 512);
            RawClient.Chunk failed = c.chunk();
            assertEquals(Nbd.REPLY_TYPE_ERROR, failed.type());
            assertEquals(Nbd.EIO, failed.error(), "a device error");
            assertTrue(failed.done());
            c.request(0, Nbd.CMD_READ, 6, 8192, 512);
            RawClient.Chunk after = c.chunk();
            assertEquals(Nbd.REPLY_TYPE_OFFSET_DATA, after.type(), "the connection goes on");
        }
    }

    @Test
    void errorMessagesAreCutAtACharacterBoundary() {
        String message = "é".repeat(NbdConnection.MAX_ERROR_MESSAGE); // two bytes each
        ByteBuffer b = NbdConnection.errorMessage(message);
        assertEquals(NbdConnection.MAX_ERROR_MESSAGE, b.remaining());
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        assertEquals("é".repeat(NbdConnection.MAX_ERROR_MESSAGE / 2), new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        ByteBuffer odd = NbdConnection.errorMessage("x" + message);
        assertEquals(NbdConnection.MAX_ERROR_MESSAGE - 1, odd.remaining(), "no half character at the end");
        assertEquals(0, NbdConnection.errorMessage(null).remaining());
    }

    // ---------------------------------------------------------------- meta contexts and BLOCK_STATUS

    private static List<String> contexts(RawClient c, int option, byte[] data, List<Integer> ids) throws Exception {
        c.option(option, data);
        List<String> names = new ArrayList<>();
        RawClient.OptReply r;
        while ((r = c.optReply()).type() == Nbd.REP_META_CONTEXT) {
            ByteBuffer b = ByteBuffer.wrap(r.data());
            ids.add(b.getInt());
            names.add(new String(r.data(), 4, r.data().length - 4, java.nio.charset.StandardCharsets.UTF_8));
        }
        assertEquals(Nbd.REP_ACK, r.type(), r.text());
        return names;
    }

    @Test
    void listMetaContextOffersBaseAllocationForEveryQueryThatMatchesIt() throws Exception {
        try (RawClient c = structuredClient()) {
            List<Integer> ids = new ArrayList<>();
            int list = Nbd.OPT_LIST_META_CONTEXT;
            assertEquals(List.of("base:allocation"), contexts(c, list, RawClient.metaData("disk"), ids),
                    "no query: every context");
            assertEquals(List.of("base:allocation"), contexts(c, list, RawClient.metaData("disk", "base:"), ids),
                    "base: is a wildcard for LIST");
            assertEquals(List.of("base:allocation"),
                    contexts(c, list, RawClient.metaData("other", "base:allocation", "x-foo:bar"), ids));
            assertEquals(List.of(), contexts(c, list, RawClient.metaData("disk", "x-foo:bar", "qemu:dirty-bitmap:b",
                    "base:other"), ids), "unknown namespaces and leaves match nothing");
            assertEquals(Set.of(0), new HashSet<>(ids), "LIST's context ids are reserved: 0");
        }
    }

    @Test
    void setMetaContextSelectsBaseAllocationOnceAndIgnoresTheBareNamespace() throws Exception {
        try (RawClient c = structuredClient()) {
            List<Integer> ids = new ArrayList<>();
            int set = Nbd.OPT_SET_META_CONTEXT;
            assertEquals(List.of(), contexts(c, set, RawClient.metaData("disk", "base:"), ids), "base: selects nothing");
            assertEquals(List.of(), contexts(c, set, RawClient.metaData("disk"), ids), "no query selects nothing");
            assertEquals(List.of("base:allocation"),
                    contexts(c, set, RawClient.metaData("disk", "base:allocation", "base:allocation", "x-a:b"), ids),
                    "selected once however often asked");
            assertEquals(List.of(Nbd.BASE_ALLOCATION_ID), ids);
            assertTrue(Nbd.BASE_ALLOCATION_ID != 0);
        }
    }

    @Test
    void blockStatusReportsTheRangeAsAllocatedDataWithinTheRequestAndTheDisk() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            int id = c.goStructured("disk");
            long[][] cases = {
                {0, 1 << 20, 0},                                 // start of the disk
                {Fixture.CAPACITY - 4096, 4096, 0},              // the last 4 KiB
                {Fixture.CAPACITY - 512, 512, Nbd.CMD_FLAG_REQ_ONE}, // the last block, REQ_ONE
                {0, Fixture.CAPACITY, Nbd.CMD_FLAG_REQ_ONE},     // the whole disk
                {4096, 0xfffffe00L, 0},                         // longer than the disk: refused below
            };
            for (long[] k : cases) {
                long offset = k[0];
                long length = k[1];
                c.request((int) k[2], Nbd.CMD_BLOCK_STATUS, 7, offset, length);
                RawClient.Chunk ch = c.chunk();
                assertTrue(ch.done());
                if (offset + length > Fixture.CAPACITY) {
                    assertEquals(Nbd.REPLY_TYPE_ERROR, ch.type());
                    assertEquals(Nbd.EINVAL, ch.error(), "beyond the end of the disk");
                    continue;
                }
                assertEquals(Nbd.REPLY_TYPE_BLOCK_STATUS, ch.type());
                assertEquals(12, ch.payload().length, "context id and exactly one descriptor");
                ByteBuffer b = ch.buffer();
                assertEquals(id, b.getInt(), "the id SET_META_CONTEXT gave");
                assertEquals(length, Integer.toUnsignedLong(b.getInt()), "the whole range, no more");
                assertEquals(0, b.getInt(), "allocated data: the conservative answer");
            }
        }
    }

    @Test
    void blockStatusTakesItsExtentsFromThePluggedSourceClippedToTheRequest() throws Exception {
        List<AllocationSource.Extent> map = List.of(new AllocationSource.Extent(8192, true, true),
                AllocationSource.Extent.data(4096), new AllocationSource.Extent(1 << 20, false, true));
        AllocationSource source = (disk, offset, length) -> java.util.concurrent.CompletableFuture
                .completedFuture(offset == 512 ? List.of(new AllocationSource.Extent(100, false, false)) : map);
        try (NbdServer server = new NbdServer(Exports.of(java.util.Map.of("disk", fx.disk)),
                NbdServer.Settings.defaults(), source)) {
            server.listenTcp("127.0.0.1", 0);
            try (RawClient c = new RawClient(server.tcpPort())) {
                int id = c.goStructured("disk");
                c.request(0, Nbd.CMD_BLOCK_STATUS, 1, 0, 16384);
                ByteBuffer b = c.chunk().buffer();
                assertEquals(id, b.getInt());
                assertEquals(List.of(8192, Nbd.STATE_HOLE | Nbd.STATE_ZERO, 4096, 0, 4096, Nbd.STATE_ZERO),
                        List.of(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt()),
                        "three extents, the last cut at the request's end");
                assertTrue(!b.hasRemaining());
                c.request(Nbd.CMD_FLAG_REQ_ONE, Nbd.CMD_BLOCK_STATUS, 2, 0, 4096);
                ByteBuffer one = c.chunk().buffer();
                assertEquals(12, one.remaining(), "REQ_ONE: one descriptor");
                assertEquals(id, one.getInt());
                assertEquals(4096, one.getInt(), "not longer than the request");
                c.request(0, Nbd.CMD_BLOCK_STATUS, 3, 512, 512);
                RawClient.Chunk broken = c.chunk();
                assertEquals(Nbd.EIO, broken.error(), "an extent that is not whole blocks never reaches the client");
                assertTrue(broken.message().contains("not a multiple of the block size 512"), broken.message());
            }
        }
    }

    @Test
    void blockStatusEncodingRefusesEmptyAnswersAndBoundsTheDescriptors() {
        assertThrows(IllegalArgumentException.class, () -> NbdConnection.encodeBlockStatus(1, List.of(), 512, 512, false));
        assertThrows(IllegalArgumentException.class, () -> NbdConnection.encodeBlockStatus(1,
                List.of(AllocationSource.Extent.data(0)), 512, 512, false));
        List<AllocationSource.Extent> many = new ArrayList<>();
        for (int i = 0; i < NbdConnection.MAX_EXTENTS + 10; i++) {
            many.add(new AllocationSource.Extent(512, i % 2 == 0, false));
        }
        ByteBuffer b = NbdConnection.encodeBlockStatus(1, many, 1L << 30, 512, false);
        assertEquals(4 + 8 * NbdConnection.MAX_EXTENTS, b.remaining());
    }
}
