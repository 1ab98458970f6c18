package io.weir.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class InlineIoTest {
    @Test
    void anOfferHoldsOnItsOwnThreadUntilItsLastNestedCloseAndNeverForAnInterruptedThread() throws Exception {
        assertFalse(InlineIo.offered());
        try (InlineIo.Offer outer = InlineIo.offer()) {
            try (InlineIo.Offer inner = InlineIo.offer()) {
                assertTrue(InlineIo.offered());
            }
            assertTrue(InlineIo.offered(), "the outer offer is still open");
            CompletableFuture<Boolean> elsewhere = new CompletableFuture<>();
            new Thread(() -> elsewhere.complete(InlineIo.offered())).start();
            assertFalse(elsewhere.get(1, TimeUnit.MINUTES), "an offer covers its own thread only");
            Thread.currentThread().interrupt();
            assertFalse(InlineIo.offered(), "an interrupted thread cannot carry file channel I/O");
            assertTrue(Thread.interrupted());
        }
        assertFalse(InlineIo.offered());
    }

    @Test
    void closingAnOfferThatIsNotOpenOnThisThreadIsRefused() {
        InlineIo.Offer offer = InlineIo.offer();
        offer.close();
        assertThrows(IllegalStateException.class, offer::close);
        assertFalse(InlineIo.offered());
    }
}
