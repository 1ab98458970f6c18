package io.weir.frontend.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
                            | Nbd.TF_SEND_WRITE_ZEROES | Nbd.TF_CAN_MULTI_CONN;
                    assertEquals(all, flags, "the memory backend offers every capability");
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
    void unknownExportUnsupportedOptionsAndStructuredRepliesAreRefusedButNegotiationGoesOn() throws Exception {
        try (RawClient c = new RawClient(fx.port())) {
            c.greet(Nbd.CLIENT_FLAG_FIXED_NEWSTYLE);
            c.option(Nbd.OPT_GO, RawClient.goData("nosuchdisk"));
            RawClient.OptReply r = c.optReply();
            assertEquals(Nbd.REP_ERR_UNKNOWN, r.type());
            assertTrue(r.text().contains("nosuchdisk") && r.text().contains("disk, other"), r.text());
            c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(Nbd.REP_ERR_UNSUP, c.optReply().type());
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
            c.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_READ, 4, 0, 512);
            assertEquals(Nbd.EINVAL, c.reply().error(), "a flag that does not apply to READ");
            c.request(Nbd.CMD_FLAG_FAST_ZERO, Nbd.CMD_WRITE_ZEROES, 5, 0, 512);
            assertEquals(Nbd.ENOTSUP, c.reply().error(), "fast zero is not offered");
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
}
