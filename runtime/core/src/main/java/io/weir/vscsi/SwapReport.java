package io.weir.vscsi;

/**
 * What one live swap of a filter instance did.
 *
 * @param filterName   the filter swapped
 * @param stallMillis  how long the disk was stunned (new requests parked), in milliseconds
 * @param parked       requests that arrived during the stall and were replayed, in arrival order, after it
 * @param stateKeys    keys the old instance handed to the new one
 * @param stateBytes   bytes of that state
 */
public record SwapReport(String filterName, double stallMillis, int parked, int stateKeys, long stateBytes) {
}
