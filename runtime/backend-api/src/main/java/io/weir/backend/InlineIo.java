package io.weir.backend;

/**
 * A submitting thread's offer to carry the I/O of the requests it submits itself, so that a backend may skip
 * the hand-off to its own threads (two thread switches, which dominate the latency of a small request served
 * from the page cache).
 *
 * <p>By default a backend must not block the threads requests arrive on ({@link Backend}). A thread that
 * opens an offer ({@code try (InlineIo.Offer o = InlineIo.offer()) { disk.submit(...); }}) accepts being
 * blocked, within that submit, by the I/O of whatever reaches the backend on this same thread; requests a filter
 * defers to another thread do not carry the offer. A backend may take the offer for requests it judges cheap
 * and then completes them on the offering thread before {@code submit} returns; it is free to ignore it.
 *
 * <p>The offering thread must not be interrupted while the offer is open: an interrupt during I/O on a
 * {@link java.nio.channels.FileChannel} closes the channel, for every user of the disk. Backends decline the
 * offer of a thread whose interrupt flag is already set.
 */
public final class InlineIo {
    /** How many offers are open on each thread (offers nest). */
    private static final ThreadLocal<int[]> OPEN = ThreadLocal.withInitial(() -> new int[1]);
    private static final Offer OFFER = new Offer();

    private InlineIo() {
    }

    /** Open an offer on the current thread; close it once the submit it covers has returned. */
    public static Offer offer() {
        OPEN.get()[0]++;
        return OFFER;
    }

    /** Whether the current thread has an open offer and is not interrupted: a backend may block it for I/O. */
    public static boolean offered() {
        return OPEN.get()[0] > 0 && !Thread.currentThread().isInterrupted();
    }

    /** An open offer of the current thread; {@link #close} on that thread withdraws it. */
    public static final class Offer implements AutoCloseable {
        private Offer() {
        }

        @Override
        public void close() {
            int[] open = OPEN.get();
            if (open[0] == 0) {
                throw new IllegalStateException("no offer is open on " + Thread.currentThread().getName());
            }
            open[0]--;
        }
    }
}
