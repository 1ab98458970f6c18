package io.weir.vscsi.stack;

/** The live shape of a disk as layers need it. */
public interface Geometry {
    String id();

    long capacity();

    int blockSize();

    int maxRequestLength();
}
