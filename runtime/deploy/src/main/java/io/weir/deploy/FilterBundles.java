package io.weir.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

import io.weir.vscsi.FilterMove;

/**
 * The deployed filter bundles of a runtime and the pipeline that admits them. Every change is recorded
 * durably before a method returns, so deployments and their verdicts survive restarts; at start every
 * recorded bundle is verified again before it is installed.
 */
@ProviderType
public interface FilterBundles {
    /**
     * Run the deploy pipeline on a bundle file and, when it passes, install and start the bundle.
     *
     * @return the deployed bundle, {@link BundleState#ACTIVE}
     * @throws DeployException {@link DeployException.Reason#REFUSED} with every reason when the pipeline refuses
     *         it; the bundle is not installed and the refusal is kept in {@link #list()} too
     */
    default DeployedBundle deploy(Path bundleJar) throws DeployException {
        return deploy(bundleJar, Map.of());
    }

    /**
     * {@link #deploy(Path)}, with the filter settings the certification step runs the bundle's filters with (a
     * filter that needs settings, such as a keystore, cannot be certified without them). They are kept with the
     * deployment, so a start that must certify the bundle again uses them too.
     */
    DeployedBundle deploy(Path bundleJar, Map<String, String> certification) throws DeployException;

    /**
     * Upgrade a deployed bundle on live disks. The new file must carry the same symbolic name and a higher
     * version. It passes the whole pipeline (signature, trust, entitlement, partner code, certification) and is
     * installed beside the running version; then every disk using one of the old version's filters is moved to the
     * new one by a live swap, one disk at a time ({@code progress} hears of each); a disk whose swap fails keeps
     * its old instance and the failure is reported. The old version is uninstalled once no disk uses it. Running
     * it again with the same file retries the disks that did not move.
     *
     * @throws DeployException REFUSED when the pipeline refuses the new version (nothing changes); NOT_FOUND when
     *         no bundle of that name is deployed; INVALID when the version is not higher, or the new version does
     *         not provide a filter the old one provides
     */
    default BundleUpgrade upgrade(Path bundleJar, Consumer<FilterMove> progress) throws DeployException {
        return upgrade(bundleJar, Map.of(), progress);
    }

    /** {@link #upgrade(Path, Consumer)}, certifying the new version with {@code certification} settings. */
    BundleUpgrade upgrade(Path bundleJar, Map<String, String> certification, Consumer<FilterMove> progress)
            throws DeployException;

    /** Deployed and refused bundles, sorted by symbolic name, with their last verdict. */
    List<DeployedBundle> list();

    /**
     * Stop and uninstall a deployed bundle and forget it.
     *
     * @throws DeployException {@link DeployException.Reason#BUSY} while a disk uses one of its filters
     *         (naming the disks), {@link DeployException.Reason#NOT_FOUND} when nothing of that name is deployed
     */
    DeployedBundle undeploy(String symbolicName) throws DeployException;
}
