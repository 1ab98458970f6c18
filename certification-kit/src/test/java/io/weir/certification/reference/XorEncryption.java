package io.weir.certification.reference;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Set;

import io.weir.filter.Capability;
import io.weir.filter.Filter;
import io.weir.filter.FilterContext;
import io.weir.filter.FilterFactory;
import io.weir.filter.IoChain;
import io.weir.filter.IoOp;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;

/**
 * A correct ENCRYPTION filter for tests (not a cipher anyone should use): data is XORed with a keystream that
 * depends on the key and the byte's position on the disk, so nothing below sees plaintext and a fresh instance with
 * the same key reads it back. UNMAP and WRITE_ZEROES are withdrawn from the capabilities, since zeros or discarded
 * blocks below would not decrypt to zeros.
 */
public final class XorEncryption implements FilterFactory {
    private final long key;

    public XorEncryption(long key) {
        this.key = key;
    }

    @Override
    public Filter create(FilterContext context) {
        return new Filter() {
            @Override
            public void handle(IoRequest request, IoChain chain) {
                if (request.op() != IoOp.WRITE) {
                    chain.pass();
                    return;
                }
                ByteBuffer plain = request.data().duplicate();
                ByteBuffer cipher = ByteBuffer.allocate(request.length());
                for (int i = 0; i < request.length(); i++) {
                    cipher.put(i, (byte) (plain.get(plain.position() + i) ^ stream(request.offset() + i)));
                }
                chain.pass(request.withData(cipher));
            }

            @Override
            public IoStatus completed(IoRequest request, IoStatus status) {
                if (request.op() == IoOp.READ && status.isOk()) {
                    ByteBuffer b = request.data();
                    for (int i = 0; i < request.length(); i++) {
                        int at = b.position() + i;
                        b.put(at, (byte) (b.get(at) ^ stream(request.offset() + i)));
                    }
                }
                return status;
            }

            @Override
            public Set<Capability> capabilities(Set<Capability> below) {
                Set<Capability> mine = EnumSet.noneOf(Capability.class);
                mine.addAll(below);
                mine.remove(Capability.UNMAP);
                mine.remove(Capability.WRITE_ZEROES);
                return mine;
            }
        };
    }

    private byte stream(long position) {
        long x = key ^ (position >>> 3) * 0x9E3779B97F4A7C15L;
        x = (x ^ (x >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        x ^= x >>> 33;
        return (byte) (x >>> ((position & 7) * 8));
    }
}
