package io.weir.certification.internal.checks;

import io.weir.filter.FilterClass;

/** What the kit may assume about a filter from its class. */
final class Classes {
    private Classes() {
    }

    /** Whether filters of {@code c} store data below in another form than the guest wrote it. */
    static boolean transformsData(FilterClass c) {
        return c == FilterClass.ENCRYPTION || c == FilterClass.COMPRESSION;
    }
}
