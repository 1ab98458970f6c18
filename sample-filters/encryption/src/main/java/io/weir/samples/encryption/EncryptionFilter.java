package io.weir.samples.encryption;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.weir.filter.Capability;
import io.weir.filter.ControlEvent;
import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterRefusedException;
import io.weir.filter.IoChain;
import io.weir.filter.IoError;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.filter.StateHandoff;

/**
 * The {@code encryption} filter on one disk. WRITE: the data is encrypted into a fresh buffer (the guest's buffer is
 * never changed) and that copy is passed down. READ: passed down, decrypted in place on completion; a data unit that
 * is all zeros below was never written through the filter (or was discarded) and reads as zeros. FLUSH and FUA pass
 * through. UNMAP and WRITE_ZEROES are withdrawn from the capabilities unless {@code encryption.discards} is set: then
 * both pass down, and the holes or zeros they leave below read as zeros.
 * All crypto runs inline on the calling thread: it is pure computation, proportional to the request's length.
 */
final class EncryptionFilter implements Filter {
    private static final System.Logger LOG = System.getLogger("io.weir.samples.encryption");
    /** Handoff entry: a digest identifying the data key the outgoing instance served (never the key itself). */
    static final String HANDOFF_KEY_CHECK = "encryption.keyCheck";

    private final FilterContext context;
    private final XtsAes xts;
    private final KeyRecord record;
    private final boolean discards;
    private final int unit;
    /** This instance made the data key: it stores it at ATTACH and may withdraw it while nothing used it. */
    private final boolean madeKey;
    private volatile boolean stored;
    /** SWAP_OUT or MIGRATE_OUT accepted and not aborted: the key now belongs to the successor. */
    private volatile boolean handedOver;

    EncryptionFilter(FilterContext context, XtsAes xts, KeyRecord record, boolean madeKey, boolean discards) {
        this.context = context;
        this.xts = xts;
        this.record = record;
        this.madeKey = madeKey;
        this.stored = !madeKey;
        this.discards = discards;
        this.unit = context.blockSize();
    }

    @Override
    public void handle(IoRequest request, IoChain chain) {
        switch (request.op()) {
            case WRITE -> {
                ByteBuffer cipher = ByteBuffer.allocate(request.length());
                xts.encrypt(request.offset() / unit, request.data(), cipher);
                chain.pass(request.withData(cipher));
            }
            case READ, FLUSH -> chain.pass();
            case UNMAP, WRITE_ZEROES -> {
                if (discards) {
                    chain.pass();
                } else {
                    chain.fail(IoError.NOT_SUPPORTED, "encryption filter on disk '" + context.diskId() + "': "
                            + request.op() + " is withdrawn (set encryption.discards to pass it down)");
                }
            }
        }
    }

    @Override
    public IoStatus completed(IoRequest request, IoStatus status) {
        if (request.op() == IoOp.READ && status.isOk()) {
            decryptWritten(request.offset() / unit, request.data());
        }
        return status;
    }

    /** Decrypt every data unit of {@code data} in place, leaving all-zero units (never written) as zeros. */
    private void decryptWritten(long firstUnit, ByteBuffer data) {
        int base = data.position();
        int units = data.remaining() / unit;
        int run = -1;
        for (int u = 0; u <= units; u++) {
            boolean written = u < units && !allZero(data, base + u * unit, unit);
            if (written && run < 0) {
                run = u;
            } else if (!written && run >= 0) {
                xts.decrypt(firstUnit + run, data.slice(base + run * unit, (u - run) * unit));
                run = -1;
            }
        }
    }

    private static boolean allZero(ByteBuffer b, int from, int length) {
        for (int i = 0; i < length; i += 8) {
            if (b.getLong(from + i) != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Set<Capability> capabilities(Set<Capability> below) {
        Set<Capability> mine = below.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(below);
        if (!discards) { // holes or zeros below would show which blocks are unused or zero
            mine.remove(Capability.UNMAP);
            mine.remove(Capability.WRITE_ZEROES);
        }
        return mine;
    }

    @Override
    public void onEvent(ControlEvent event) throws FilterRefusedException {
        switch (event.kind()) {
            case ATTACH -> store();
            case SWAP_OUT, MIGRATE_OUT -> {
                event.handoff().orElseThrow().put(HANDOFF_KEY_CHECK, record.keyCheck());
                handedOver = true;
            }
            case SWAP_ABORT, MIGRATE_ABORT -> handedOver = false;
            case SWAP_IN, MIGRATE_IN -> checkSameKey(event.handoff().orElseThrow());
            case DETACH -> detach();
            default -> {
                // nothing deferred to release, nothing cached to write back
            }
        }
    }

    /** A new data key is stored, wrapped, before any data can be encrypted with it. */
    private void store() throws FilterRefusedException {
        if (stored) {
            return;
        }
        if (!context.blank()) {
            throw new FilterRefusedException("disk '" + context.diskId() + "': the disk was written before the"
                    + " encryption filter attached; attach it only to a new, empty disk");
        }
        try {
            if (KeyRecord.read(context.sidecar()).isPresent()) {
                throw new FilterRefusedException("disk '" + context.diskId() + "': a data key appeared in the"
                        + " sidecar after this instance was created; attach again to use it");
            }
            context.sidecar().update(record.entries(), Set.of());
        } catch (KeyRecord.Malformed e) {
            throw new FilterRefusedException("disk '" + context.diskId() + "': the encryption sidecar is unusable: "
                    + e.getMessage());
        } catch (IOException e) {
            throw new FilterRefusedException("disk '" + context.diskId() + "': cannot store the wrapped data key in"
                    + " the filter's sidecar: " + e.getMessage(), e);
        }
        stored = true;
        LOG.log(System.Logger.Level.INFO, "disk ''{0}'': new {1} data key, wrapped by KEK ''{2}'' (fingerprint {3})",
                context.diskId(), KeyRecord.CIPHER, record.kekAlias(),
                KeyEncryptionKey.shortHex(record.kekFingerprint()));
    }

    private void checkSameKey(StateHandoff handoff) throws FilterRefusedException {
        Optional<byte[]> theirs = handoff.get(HANDOFF_KEY_CHECK);
        if (theirs.isPresent() && !MessageDigest.isEqual(theirs.get(), record.keyCheck())) {
            throw new FilterRefusedException("disk '" + context.diskId() + "': the outgoing instance served another"
                    + " data key than the one in the sidecar; the sidecar changed under a live disk");
        }
    }

    /**
     * The key stays in the sidecar: the data on the disk is still encrypted with it. Only a key this instance made
     * and nothing ever used (the disk is still blank, as after an attach that was rolled back) is withdrawn, so the
     * sidecar never vouches for a disk that might later receive plaintext.
     */
    private void detach() {
        try {
            if (madeKey && stored && !handedOver && context.blank()) {
                context.sidecar().update(Map.of(), Set.copyOf(KeyRecord.KEYS));
                stored = false;
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "disk ''{0}'': cannot withdraw the unused data key from the"
                    + " sidecar: {1}", context.diskId(), e.getMessage());
        } finally {
            xts.close();
        }
    }
}
