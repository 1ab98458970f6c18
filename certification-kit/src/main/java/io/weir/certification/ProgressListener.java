package io.weir.certification;

/** Told as each check of a run starts and finishes, for progress output. Called on the running thread. */
public interface ProgressListener {
    /** Check {@code id}, number {@code index} (from 1) of {@code total}, starts. */
    void started(String id, int index, int total);

    /** A check finished. */
    void finished(CheckResult result);
}
