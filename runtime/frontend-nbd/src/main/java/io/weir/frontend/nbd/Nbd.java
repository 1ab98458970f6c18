package io.weir.frontend.nbd;

import java.util.Set;

import io.weir.filter.Capability;
import io.weir.filter.IoError;
import io.weir.vscsi.VirtualDisk;

/** NBD wire constants (values from the NBD protocol document) and the mappings between NBD and Weir. */
final class Nbd {
    private Nbd() {
    }

    // Handshake
    static final long INIT_PASSWD = 0x4e42444d41474943L; // "NBDMAGIC"
    static final long IHAVEOPT = 0x49484156454F5054L;    // "IHAVEOPT"
    static final long REPLY_MAGIC = 0x3e889045565a9L;
    static final int FLAG_FIXED_NEWSTYLE = 1;
    static final int FLAG_NO_ZEROES = 1 << 1;
    static final int CLIENT_FLAG_FIXED_NEWSTYLE = 1;
    static final int CLIENT_FLAG_NO_ZEROES = 1 << 1;

    // Options
    static final int OPT_EXPORT_NAME = 1;
    static final int OPT_ABORT = 2;
    static final int OPT_LIST = 3;
    static final int OPT_STARTTLS = 5;
    static final int OPT_INFO = 6;
    static final int OPT_GO = 7;
    static final int OPT_STRUCTURED_REPLY = 8;
    static final int OPT_LIST_META_CONTEXT = 9;
    static final int OPT_SET_META_CONTEXT = 10;

    // Option replies
    static final int REP_ACK = 1;
    static final int REP_SERVER = 2;
    static final int REP_INFO = 3;
    static final int REP_META_CONTEXT = 4;
    static final int REP_ERR_UNSUP = 0x80000000 | 1;
    static final int REP_ERR_POLICY = 0x80000000 | 2;
    static final int REP_ERR_INVALID = 0x80000000 | 3;
    static final int REP_ERR_UNKNOWN = 0x80000000 | 6;
    static final int REP_ERR_SHUTDOWN = 0x80000000 | 7;
    static final int REP_ERR_TOO_BIG = 0x80000000 | 9;

    // NBD_REP_INFO types
    static final int INFO_EXPORT = 0;
    static final int INFO_NAME = 1;
    static final int INFO_DESCRIPTION = 2;
    static final int INFO_BLOCK_SIZE = 3;

    // Transmission flags
    static final int TF_HAS_FLAGS = 1;
    static final int TF_SEND_FLUSH = 1 << 2;
    static final int TF_SEND_FUA = 1 << 3;
    static final int TF_SEND_TRIM = 1 << 5;
    static final int TF_SEND_WRITE_ZEROES = 1 << 6;
    static final int TF_SEND_DF = 1 << 7;
    static final int TF_CAN_MULTI_CONN = 1 << 8;
    static final int TF_SEND_FAST_ZERO = 1 << 11;

    // Transmission
    static final int REQUEST_MAGIC = 0x25609513;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    static final int REQUEST_HEADER_BYTES = 28;
    static final int SIMPLE_REPLY_HEADER_BYTES = 16;
    static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;
    static final int STRUCTURED_REPLY_HEADER_BYTES = 20;

    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int CMD_DISC = 2;
    static final int CMD_FLUSH = 3;
    static final int CMD_TRIM = 4;
    static final int CMD_WRITE_ZEROES = 6;
    static final int CMD_BLOCK_STATUS = 7;

    static final int CMD_FLAG_FUA = 1;
    static final int CMD_FLAG_NO_HOLE = 1 << 1;
    static final int CMD_FLAG_DF = 1 << 2;
    static final int CMD_FLAG_REQ_ONE = 1 << 3;
    static final int CMD_FLAG_FAST_ZERO = 1 << 4;

    // Structured replies
    static final int REPLY_FLAG_DONE = 1;
    static final int REPLY_TYPE_NONE = 0;
    static final int REPLY_TYPE_OFFSET_DATA = 1;
    static final int REPLY_TYPE_BLOCK_STATUS = 5;
    static final int REPLY_TYPE_ERROR = (1 << 15) + 1;
    // Not sent: OFFSET_HOLE (2) needs an allocation source that knows zeroes; ERROR_OFFSET (2^15 + 2) needs
    // the core to report where a request failed. Every reply is a single chunk.

    // Meta contexts: the one this server offers, and its flags
    static final String BASE_NAMESPACE = "base";
    static final String BASE_ALLOCATION = "base:allocation";
    /** The id {@code base:allocation} gets from NBD_OPT_SET_META_CONTEXT (any value works; 0 is LIST's). */
    static final int BASE_ALLOCATION_ID = 1;
    static final int STATE_HOLE = 1;
    static final int STATE_ZERO = 1 << 1;

    // Error values
    static final int EPERM = 1;
    static final int EIO = 5;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EOVERFLOW = 75;
    static final int ENOTSUP = 95;
    static final int ESHUTDOWN = 108;

    /** Strings in options (export names) are at most this long, as the protocol recommends. */
    static final int MAX_STRING = 4096;

    /**
     * The transmission flags a disk's negotiated capabilities allow. {@code structured}: structured replies
     * were negotiated, so DF is offered (every READ is answered with one content chunk, which honours DF).
     * FAST_ZERO comes with WRITE_ZEROES: it is answered correctly by always failing fast with ENOTSUP (see
     * {@code NbdConnection}).
     */
    static int transmissionFlags(Set<Capability> caps, boolean structured) {
        int flags = TF_HAS_FLAGS;
        if (structured) {
            flags |= TF_SEND_DF;
        }
        if (caps.contains(Capability.FLUSH)) {
            flags |= TF_SEND_FLUSH;
        }
        if (caps.contains(Capability.FUA)) {
            flags |= TF_SEND_FUA;
        }
        if (caps.contains(Capability.UNMAP)) {
            flags |= TF_SEND_TRIM;
        }
        if (caps.contains(Capability.WRITE_ZEROES)) {
            flags |= TF_SEND_WRITE_ZEROES | TF_SEND_FAST_ZERO;
        }
        if (caps.contains(Capability.MULTI_CONN)) {
            flags |= TF_CAN_MULTI_CONN;
        }
        return flags;
    }

    /** Minimum block size advertised: the disk's logical block size. */
    static int minimumBlock(VirtualDisk disk) {
        return disk.blockSize();
    }

    /** Preferred block size advertised: 4096, or the block size when it is larger. */
    static int preferredBlock(VirtualDisk disk) {
        return Math.max(4096, disk.blockSize());
    }

    /** Maximum block size advertised: the disk's largest request, rounded down to a multiple of the block size. */
    static int maximumBlock(VirtualDisk disk) {
        int bs = disk.blockSize();
        return Math.max(bs, disk.maxRequestLength() / bs * bs);
    }

    /**
     * The NBD error for a Weir error. OUT_OF_RANGE is ENOSPC for the commands that write (WRITE,
     * WRITE_ZEROES) as the protocol asks, EINVAL otherwise. NOT_SUPPORTED is ENOTSUP except for WRITE_ZEROES,
     * where ENOTSUP means "not fast" and is reserved for NBD_CMD_FLAG_FAST_ZERO: EINVAL there.
     */
    static int errno(IoError error, int command) {
        return switch (error) {
            case INVALID -> EINVAL;
            case OUT_OF_RANGE -> command == CMD_WRITE || command == CMD_WRITE_ZEROES ? ENOSPC : EINVAL;
            case NOT_SUPPORTED -> command == CMD_WRITE_ZEROES ? EINVAL : ENOTSUP;
            case READ_ONLY -> EPERM;
            case NO_SPACE -> ENOSPC;
            case IO, FILTER_FAULT, TIMED_OUT -> EIO;
            case SHUTDOWN -> ESHUTDOWN;
        };
    }

    static String commandName(int type) {
        return switch (type) {
            case CMD_READ -> "READ";
            case CMD_WRITE -> "WRITE";
            case CMD_DISC -> "DISC";
            case CMD_FLUSH -> "FLUSH";
            case CMD_TRIM -> "TRIM";
            case 5 -> "CACHE";
            case CMD_WRITE_ZEROES -> "WRITE_ZEROES";
            case CMD_BLOCK_STATUS -> "BLOCK_STATUS";
            case 8 -> "RESIZE";
            default -> "command " + type;
        };
    }
}
