package io.weir.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class FilterApiContractTest {
    @Test
    void classOrderRunsFromInspectionAtTheGuestToQosAtTheBackend() {
        assertEquals(List.of(FilterClass.INSPECTION, FilterClass.COMPRESSION, FilterClass.ENCRYPTION,
                FilterClass.REPLICATION, FilterClass.CACHE, FilterClass.QOS), List.of(FilterClass.values()));
        for (FilterClass c : FilterClass.values()) {
            assertEquals(c.ordinal() + 1, c.order());
        }
        assertTrue(FilterClass.REPLICATION.isOuterTo(FilterClass.CACHE));
    }

    @Test
    void onlyEncryptionAndQosAreVendorOnly() {
        for (FilterClass c : FilterClass.values()) {
            assertEquals(c == FilterClass.ENCRYPTION || c == FilterClass.QOS, c.vendorOnly(), c.name());
        }
    }

    @Test
    void requestLengthIsTheBufferLengthAndBuffersAreNotCopied() {
        ByteBuffer b = ByteBuffer.allocate(4096);
        IoRequest r = IoRequest.write(7, 8192, b, true);
        assertEquals(4096, r.length());
        assertSame(b, r.data());
        assertEquals(8192 + 4096, r.end());
        ByteBuffer other = ByteBuffer.allocate(4096);
        IoRequest encrypted = r.withData(other);
        assertSame(other, encrypted.data());
        assertEquals(r.tag(), encrypted.tag());
        assertTrue(encrypted.fua());
    }

    @Test
    void malformedRequestsCannotBeBuilt() {
        assertThrows(IllegalArgumentException.class, () -> IoRequest.unmap(1, -512, 512));
        assertThrows(IllegalArgumentException.class, () -> IoRequest.unmap(1, 0, -1));
        assertThrows(IllegalStateException.class, () -> IoRequest.flush(1).withData(ByteBuffer.allocate(1)));
        assertThrows(IllegalArgumentException.class, () -> IoRequest.read(1, 0, ByteBuffer.allocate(512)).withFua(true));
    }

    @Test
    void everyRefusableEventHasAnUndoThatIsNotRefusable() {
        for (ControlEvent.Kind k : ControlEvent.Kind.values()) {
            if (k.refusable()) {
                assertFalse(k.undo().refusable(), k + " undo " + k.undo());
            } else {
                assertThrows(IllegalStateException.class, k::undo);
            }
        }
    }

    @Test
    void quiescingEventsTravelOuterToInner() {
        for (ControlEvent.Kind k : List.of(ControlEvent.Kind.STUN, ControlEvent.Kind.CLOSE, ControlEvent.Kind.DETACH,
                ControlEvent.Kind.SNAPSHOT_PREPARE, ControlEvent.Kind.MIGRATE_OUT, ControlEvent.Kind.SWAP_OUT)) {
            assertFalse(k.travelsOutward(), k.name());
        }
        assertTrue(ControlEvent.Kind.ATTACH.travelsOutward());
        assertTrue(ControlEvent.Kind.GROW.travelsOutward());
    }

    @Test
    void stateCarryingEventsNeedAHandoff() {
        assertThrows(IllegalArgumentException.class,
                () -> new ControlEvent(ControlEvent.Kind.SWAP_OUT, 0, Instant.now(), null));
    }

    @Test
    void failureStatusCarriesItsErrorAndMessage() {
        IoStatus s = IoStatus.failed(IoError.NO_SPACE, "cache device full");
        assertFalse(s.isOk());
        assertEquals(IoError.NO_SPACE, s.error());
        assertEquals("NO_SPACE: cache device full", s.toString());
        assertTrue(IoStatus.OK.isOk());
    }
}
