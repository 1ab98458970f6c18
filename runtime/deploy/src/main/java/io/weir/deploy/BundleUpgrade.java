package io.weir.deploy;

import java.util.List;

import io.weir.vscsi.FilterMove;

/**
 * What {@link FilterBundles#upgrade} did.
 *
 * @param bundle          the new version, deployed and active
 * @param previousVersion the version it replaces
 * @param moves           one per disk that used the previous version: moved by a live swap, or kept and why
 * @param stillServing    disks whose instances still come from the previous version (their moves failed); empty
 *                        when every disk moved
 * @param previousRemoved whether the previous version was uninstalled (no disk used it any more)
 */
public record BundleUpgrade(DeployedBundle bundle, String previousVersion, List<FilterMove> moves,
                            List<String> stillServing, boolean previousRemoved) {
    public BundleUpgrade {
        moves = List.copyOf(moves);
        stillServing = List.copyOf(stillServing);
    }

    /** Whether every disk now runs the new version. */
    public boolean complete() {
        return stillServing.isEmpty();
    }
}
